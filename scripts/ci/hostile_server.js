#!/usr/bin/env node
// Hostile HTTP "receivers" for the fault suite: each MODE answers an export
// request in a way a client must survive without hanging or miscounting.
//   node hostile_server.js MODE     -> first stdout line: "listening PORT"
// MODE: silent (reads, never answers), endless-headers, endless-chunked,
// huge-length (Content-Length 1 GB, a few bytes, then stalls), reset (RST
// mid-request), http10 (a valid HTTP/1.0 answer, then close), redirect (307
// to another host).
'use strict';
const net = require('net');

const mode = process.argv[2];
const modes = ['silent', 'endless-headers', 'endless-chunked', 'huge-length', 'reset', 'http10', 'redirect'];
if (!modes.includes(mode)) {
  console.error(`usage: hostile_server.js ${modes.join('|')}`);
  process.exit(2);
}

// Writes `piece` every few ms until the peer goes away.
function forever(socket, head, piece) {
  socket.write(head);
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(piece);
  }, 2);
  socket.on('close', () => clearInterval(timer));
}

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  let answered = false;
  let received = Buffer.alloc(0);
  socket.on('data', (data) => {
    if (answered) return;
    received = Buffer.concat([received, data]);
    if (mode === 'http10') {  // a valid answer needs the whole request first
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /content-length:\s*(\d+)/i.exec(received.subarray(0, end).toString('latin1'));
      if (received.length < end + 4 + (length ? Number(length[1]) : 0)) return;
    }
    answered = true;
    switch (mode) {
      case 'silent':
        break;
      case 'endless-headers':
        forever(socket, 'HTTP/1.1 200 OK\r\n', 'X-Filler: ' + 'a'.repeat(1000) + '\r\n');
        break;
      case 'endless-chunked':
        forever(socket, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
                '400\r\n' + ' '.repeat(1024) + '\r\n');
        break;
      case 'huge-length':
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"partial');
        break;
      case 'reset':
        socket.resetAndDestroy();
        break;
      case 'http10':
        socket.end('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}');
        break;
      case 'redirect':
        socket.end('HTTP/1.1 307 Temporary Redirect\r\nLocation: http://192.0.2.1:4318/v1/traces\r\n' +
                   'Content-Length: 0\r\n\r\n');
        break;
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
