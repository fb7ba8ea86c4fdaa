// trail's timeline viewer: reads the run embedded in #trail-data (written by
// include/trail/export/html_exporter.hpp) and draws it on one canvas. No
// network, no libraries. Sizes it is made for: a million spans.
//
// Data: strings (a table), attrsets ([key, type, value] triples; strings
// and keys as string indices; type 0 string, 1 bool, 2 int, 3 double), and
// spans as columns sorted by start: start (ns, delta-coded from t0), dur,
// name, trace, parent (position; -1 root, -2 parent not in the file), kind,
// status (0 unset, 1 ok, 2 error), attrs (attribute set), id (16 hex each).
'use strict';
(function () {
  const ROW = 16, LABEL = 210, RULER = 24, LANE_GAP = 6;
  const $ = (id) => document.getElementById(id);
  const errors = [];  // reported by the test hook
  window.addEventListener('error', (e) => errors.push(String(e.message)));
  const tScript = performance.now();  // the page (with its data) is parsed
  const D = JSON.parse($('trail-data').textContent);
  const tJson = performance.now();
  const S = D.strings, sp = D.spans, N = sp.n;

  // ---- decode -------------------------------------------------------------
  const start = new Float64Array(N), dur = new Float64Array(N);
  for (let i = 0, t = 0; i < N; i++) { t += sp.start[i]; start[i] = t; dur[i] = sp.dur[i]; }
  const name = Int32Array.from(sp.name), trace = Int32Array.from(sp.trace), parent = Int32Array.from(sp.parent);
  const status = Uint8Array.from(sp.status), attrs = Int32Array.from(sp.attrs), kind = Uint8Array.from(sp.kind);
  const message = new Map(sp.msg), remoteParent = new Map(sp.remote_parent);
  const events = new Map();
  for (const e of sp.events) { if (!events.has(e[0])) events.set(e[0], []); events.get(e[0]).push(e); }
  const keyIndex = (k) => S.indexOf(k);
  const attrValue = (set, key) => {  // value of key (a string index) in attribute set `set`
    const a = D.attrsets[set];
    for (let i = 0; i < a.length; i += 3) if (a[i] === key) return a[i + 1] === 0 ? S[a[i + 2]] : a[i + 2];
    return undefined;
  };
  const THREAD = keyIndex('thread.id'), END_STATE = keyIndex('session.end_state');
  const setThread = D.attrsets.map((a) => { for (let i = 0; i < a.length; i += 3) if (a[i] === THREAD) return a[i + 2]; return -1; });
  const spanId = (i) => sp.id.substr(i * 16, 16);
  const traceId = (t) => D.traces.substr(t * 32, 32);
  let endTime = 1;
  for (let i = 0; i < N; i++) endTime = Math.max(endTime, start[i] + dur[i]);
  // Frame marks (TRAIL_FRAME): the starts of the `frame {name}` root spans with frame.number, in order.
  const FRAME_NUMBER = keyIndex('frame.number'), frameMarks = [], frameNumber = [];
  if (FRAME_NUMBER >= 0) {
    for (let i = 0; i < N; i++) {
      if (parent[i] !== -1 || !S[name[i]].startsWith('frame ')) continue;
      const n = attrValue(attrs[i], FRAME_NUMBER);
      if (n !== undefined) { frameMarks.push(start[i]); frameNumber.push(n); }
    }
  }

  // ---- lanes: one per session trace, one per thread for the rest ----------
  const sessionRoot = new Map();  // trace -> root position
  for (let i = 0; i < N; i++) if (parent[i] === -1 && S[name[i]].startsWith('session ')) sessionRoot.set(trace[i], i);
  const lanes = [], laneByKey = new Map(), laneOf = new Int32Array(N), rowOf = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const root = sessionRoot.get(trace[i]);
    const key = root !== undefined ? 's' + trace[i] : 't' + setThread[attrs[i]];
    let l = laneByKey.get(key);
    if (l === undefined) {
      l = lanes.length;
      laneByKey.set(key, l);
      if (root !== undefined) {
        const agent = attrValue(attrs[root], keyIndex('gen_ai.agent.id'));
        const state = attrValue(attrs[root], END_STATE);
        lanes.push({ session: true, label: S[name[root]].slice(8) + (agent ? ' ' + agent : ''), root, state, rows: [], rowEnd: [] });
      } else {
        const tid = setThread[attrs[i]];
        lanes.push({ session: false, label: tid >= 0 ? 'thread ' + tid : 'no thread', rows: [], rowEnd: [] });
      }
    }
    laneOf[i] = l;
    // Row: below the parent (when it is in this lane), first one free.
    const lane = lanes[l], p = parent[i];
    let r = p >= 0 && laneOf[p] === l && p < i ? rowOf[p] + 1 : 0;
    while (r < lane.rowEnd.length && lane.rowEnd[r] > start[i]) r++;
    if (r === lane.rows.length) { lane.rows.push([]); lane.rowEnd.push(0); }
    lane.rows[r].push(i);
    lane.rowEnd[r] = start[i] + dur[i];
    rowOf[i] = r;
  }
  // Threads first, then sessions by start; lane positions follow the order.
  lanes.sort((a, b) => (a.session - b.session) || (a.session ? start[a.root] - start[b.root] : 0));
  let totalHeight = RULER;
  lanes.forEach((lane, k) => {
    lane.rows = lane.rows.map((r) => Int32Array.from(r));
    lane.maxDur = lane.rows.map((r) => { let m = 0; for (const i of r) m = Math.max(m, dur[i]); return m; });
    lane.y = totalHeight;
    lane.h = lane.rows.length * ROW + LANE_GAP;
    totalHeight += lane.h;
    for (const r of lane.rows) for (const i of r) laneOf[i] = k;
  });

  const tLayout = performance.now();

  // ---- colors -------------------------------------------------------------
  const colorOf = S.map((s) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return 'hsl(' + (30 + (h >>> 0) % 280) + ',55%,' + (62 + ((h >>> 9) % 12)) + '%)';  // no reds: red is for errors
  });

  // ---- view state ---------------------------------------------------------
  const canvas = $('canvas'), ctx = canvas.getContext('2d');
  let W = 0, H = 0, dpr = 1;
  const view = { t0: 0, t1: Math.max(endTime, 1), y: 0 };
  let selected = -1, match = null, matchList = [], matchAt = -1, queued = false;

  function resize() {
    dpr = window.devicePixelRatio || 1;
    W = canvas.clientWidth; H = canvas.clientHeight;
    canvas.width = Math.max(1, Math.round(W * dpr)); canvas.height = Math.max(1, Math.round(H * dpr));
    draw();
  }
  function request() { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; draw(); }); } }
  const xOf = (t) => LABEL + (t - view.t0) * (W - LABEL) / (view.t1 - view.t0);
  const tOf = (x) => view.t0 + (x - LABEL) * (view.t1 - view.t0) / (W - LABEL);

  function human(ns) {
    const a = Math.abs(ns);
    if (a < 1e3) return Math.round(ns) + ' ns';
    if (a < 1e6) return (ns / 1e3).toFixed(a < 1e4 ? 2 : 1) + ' us';
    if (a < 1e9) return (ns / 1e6).toFixed(a < 1e7 ? 2 : 1) + ' ms';
    return (ns / 1e9).toFixed(3) + ' s';
  }
  function lowerBound(row, t, from) {  // first position in row starting at or after t
    let lo = from || 0, hi = row.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (start[row[m]] < t) lo = m + 1; else hi = m; }
    return lo;
  }

  // ---- drawing ------------------------------------------------------------
  let fillNow = '', alphaNow = 1;  // canvas state changes cost more than rects
  function fill(style, alpha) {
    if (style !== fillNow) { ctx.fillStyle = fillNow = style; }
    if (alpha !== alphaNow) { ctx.globalAlpha = alphaNow = alpha; }
  }
  function draw() {
    fillNow = ''; alphaNow = 1; ctx.globalAlpha = 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    let selBox = null;
    for (let k = firstLane(view.y); k < lanes.length; k++) {
      const lane = lanes[k], top = lane.y - view.y;
      if (top > H) break;
      fill(k % 2 ? '#f7f8fa' : '#fff', 1);
      ctx.fillRect(LABEL, top, W - LABEL, lane.h);
      for (let r = 0; r < lane.rows.length; r++) {
        const y = top + r * ROW;
        if (y + ROW < RULER || y > H) continue;
        const row = lane.rows[r];
        let i = lowerBound(row, view.t0 - lane.maxDur[r]);
        while (i < row.length) {
          const s = row[i], st = start[s];
          if (st > view.t1) break;
          const en = st + dur[s];
          if (en < view.t0) { i++; continue; }
          const x0 = Math.max(LABEL, xOf(st)), x1 = Math.min(W, xOf(en));
          const dim = match !== null && !match.has(name[s]);
          if (x1 - x0 >= 3) {
            fill(status[s] === 2 ? '#e53935' : colorOf[name[s]], dim ? 0.2 : 1);
            ctx.fillRect(x0, y + 1, x1 - x0 - 0.5, ROW - 2);
            if (x1 - x0 > 28) {
              fill(status[s] === 2 ? '#fff' : '#111', dim ? 0.2 : 1);
              const text = S[name[s]] + ' ' + human(dur[s]);
              const chars = Math.floor((x1 - x0 - 6) / 6);
              ctx.fillText(chars >= text.length ? text : text.slice(0, Math.max(0, chars - 1)) + '\u2026', x0 + 3, y + ROW / 2);
            }
            if (s === selected) selBox = [x0, y, x1 - x0, ROW];
            i++;
          } else {
            // Level of detail: spans under a pixel or two merge into one
            // column; skip to the first span starting past it (rows do not
            // overlap, so the last span before that is the only one that can
            // reach further).
            const px = Math.floor(x0);
            fill(status[s] === 2 ? '#e53935' : colorOf[name[s]], dim ? 0.2 : 1);
            ctx.fillRect(px, y + 1, Math.max(1, x1 - px), ROW - 2);
            if (s === selected) selBox = [px - 2, y, 5, ROW];
            const j = lowerBound(row, tOf(px + 1), i + 1);
            i = j - 1 > i ? j - 1 : j;
          }
        }
        fill(fillNow, 1);
      }
      // lane label
      if (top + lane.h > RULER) {
        fill('#eef0f4', 1); ctx.fillRect(0, top, LABEL, lane.h);
        fill(lane.state === 'fail' ? '#e53935' : lane.state === 'success' ? '#43a047' : lane.session ? '#9e9e9e' : '#4d7cfe', 1);
        ctx.fillRect(0, top, 4, lane.h - LANE_GAP);
        fill('#1d2330', 1);
        const labelY = Math.min(Math.max(top, RULER), top + lane.h - LANE_GAP - ROW);  // stays in view while the lane does
        ctx.fillText(lane.label.slice(0, 30) + (lane.state ? ' \u00b7 ' + lane.state : ''), 8, labelY + ROW / 2);
      }
      fill('#d5d9e0', 1); ctx.fillRect(0, top + lane.h - 1, W, 1);
    }
    fill(fillNow, 1);
    drawFrameMarks();
    if (selBox) { ctx.strokeStyle = '#000'; ctx.lineWidth = 2; ctx.strokeRect(selBox[0], selBox[1] + 0.5, selBox[2], selBox[3] - 1); }
    if (selected >= 0) drawParentLink();
    drawRuler();
  }
  // A thin line at each frame start over every lane, numbered on the ruler's
  // edge; only when frames are at least 4 pixels apart on average.
  function drawFrameMarks() {
    let i = 0, hi = frameMarks.length;
    while (i < hi) { const m = (i + hi) >> 1; if (frameMarks[m] < view.t0) i = m + 1; else hi = m; }
    let end = i;
    while (end < frameMarks.length && frameMarks[end] <= view.t1) end++;
    if (end === i || (end - i) * 4 > W - LABEL) return;
    fill('#8a6fd1', 0.5);
    for (let k = i; k < end; k++) ctx.fillRect(Math.floor(xOf(frameMarks[k])), RULER, 1, H - RULER);
    fill('#8a6fd1', 1);
    if ((end - i) * 40 <= W - LABEL) for (let k = i; k < end; k++) ctx.fillText('#' + frameNumber[k], xOf(frameMarks[k]) + 2, RULER + 6);
    fill(fillNow, 1);
  }
  function firstLane(y) {
    let lo = 0, hi = lanes.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (lanes[m].y + lanes[m].h < y + RULER) lo = m + 1; else hi = m; }
    return lo;
  }
  function spanBox(s) {
    const lane = lanes[laneOf[s]];
    return { x: xOf(start[s]), x1: xOf(start[s] + dur[s]), y: lane.y - view.y + rowOf[s] * ROW };
  }
  function drawParentLink() {  // a line from the parent's bar when it is in another lane
    const p = parent[selected];
    if (p < 0 || laneOf[p] === laneOf[selected]) return;
    const a = spanBox(p), b = spanBox(selected);
    ctx.strokeStyle = '#2f5fd0'; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(Math.max(LABEL, a.x), a.y + ROW / 2); ctx.lineTo(Math.max(LABEL, b.x), b.y + ROW / 2); ctx.stroke();
    ctx.setLineDash([]);
  }
  function drawRuler() {
    fillNow = ''; ctx.globalAlpha = alphaNow = 1;
    ctx.fillStyle = '#1d2330'; ctx.fillRect(0, 0, W, RULER);
    ctx.fillStyle = '#a9b1c1'; ctx.fillText(N + ' spans \u00b7 ' + lanes.length + ' lanes', 8, RULER / 2);
    const span = view.t1 - view.t0, target = span / Math.max(1, (W - LABEL) / 110);
    let step = Math.pow(10, Math.floor(Math.log10(Math.max(target, 1))));
    if (step * 5 < target) step *= 5; else if (step * 2 < target) step *= 2;
    ctx.fillStyle = '#e8ebf0'; ctx.strokeStyle = '#4a5365';
    for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      const x = xOf(t);
      ctx.fillRect(x, RULER - 6, 1, 6);
      ctx.fillText(human(t), x + 3, RULER / 2);
    }
  }

  // ---- picking and details ------------------------------------------------
  function pick(x, y) {
    if (x < LABEL || y < RULER) return -1;
    const yy = y + view.y;
    const k = firstLane(yy - RULER);
    const lane = lanes[k];
    if (!lane || yy < lane.y || yy >= lane.y + lane.h) return -1;
    const r = Math.floor((yy - lane.y) / ROW);
    if (r >= lane.rows.length) return -1;
    const row = lane.rows[r], t = tOf(x), slop = 3 * (view.t1 - view.t0) / (W - LABEL);
    const i = lowerBound(row, t + slop) - 1;
    for (let j = i; j >= 0 && j > i - 3; j--) { const s = row[j]; if (start[s] - slop <= t && t <= start[s] + dur[s] + slop) return s; }
    return -1;
  }
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const link = (s) => '<a class="span-link" data-span="' + s + '">' + esc(S[name[s]]) + '</a>';
  const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  function attrRows(set) {
    const a = D.attrsets[set];
    let html = '';
    for (let i = 0; i < a.length; i += 3) html += '<tr><td>' + esc(S[a[i]]) + '</td><td>' + esc(a[i + 1] === 0 ? S[a[i + 2]] : a[i + 1] === 1 ? !!a[i + 2] : a[i + 2]) + '</td></tr>';
    return html;
  }
  function showDetails(s) {
    selected = s;
    const lane = lanes[laneOf[s]], a = attrs[s], p = parent[s];
    const get = (k) => attrValue(a, keyIndex(k));
    let h = '<h2>' + esc(S[name[s]]) + '</h2><table>';
    h += '<tr><td>duration</td><td>' + human(dur[s]) + '</td></tr>';
    h += '<tr><td>start</td><td>+' + human(start[s]) + '</td></tr>';
    h += '<tr><td>lane</td><td>' + esc(lane.label) + '</td></tr>';
    h += '<tr><td>thread</td><td>' + esc(setThread[a] >= 0 ? setThread[a] : '?') + '</td></tr>';
    h += '<tr><td>trace id</td><td>' + traceId(trace[s]) + '</td></tr>';
    h += '<tr><td>span id</td><td>' + spanId(s) + '</td></tr>';
    h += '<tr><td>parent</td><td>' + (p >= 0 ? link(p) + ' ' + spanId(p) + (setThread[attrs[p]] !== setThread[a] ? ' <b>(other thread)</b>' : laneOf[p] !== laneOf[s] ? ' (other lane)' : '') : p === -2 ? 'not in this file: ' + esc(remoteParent.get(s)) : 'none (root)') + '</td></tr>';
    h += '<tr><td>kind</td><td>' + KINDS[kind[s]] + '</td></tr>';
    h += '<tr><td>status</td><td' + (status[s] === 2 ? ' class="error"' : '') + '>' + ['unset', 'ok', 'ERROR'][status[s]] + (message.has(s) ? ': ' + esc(S[message.get(s)]) : '') + '</td></tr>';
    h += '</table>';
    const model = get('gen_ai.response.model') || get('gen_ai.request.model');
    if (model !== undefined) {
      const tin = get('gen_ai.usage.input_tokens'), tout = get('gen_ai.usage.output_tokens');
      h += '<div class="llm"><b>LLM call</b> &middot; model ' + esc(model) + (get('gen_ai.provider.name') ? ' (' + esc(get('gen_ai.provider.name')) + ')' : '') +
        '<br>tokens: ' + (tin !== undefined ? tin : '?') + ' in, ' + (tout !== undefined ? tout : '?') + ' out</div>';
    }
    h += '<h3>attributes</h3><table>' + attrRows(a) + '</table>';
    const ev = events.get(s) || [];
    if (ev.length) {
      h += '<h3>events</h3><table>';
      for (const e of ev) h += '<tr><td>+' + human(e[2]) + '</td><td' + (S[e[1]] === 'exception' ? ' class="error"' : '') + '>' + esc(S[e[1]]) + '<table>' + attrRows(e[3]) + '</table></td></tr>';
      h += '</table>';
    }
    const kids = [];
    for (let i = s + 1; i < N && start[i] <= start[s] + dur[s] && kids.length < 50; i++) if (parent[i] === s) kids.push(i);
    if (kids.length) h += '<h3>children</h3>' + kids.map((k) => link(k) + ' ' + human(dur[k]) + (laneOf[k] !== laneOf[s] ? ' (other lane)' : '')).join('<br>');
    $('details').innerHTML = h;
    request();
  }
  function reveal(s) {  // center the span, zoom in if it is out of proportion, scroll to its lane
    const span = view.t1 - view.t0;
    if (dur[s] > span * 0.8 || dur[s] * (W - LABEL) / span < 2) {
      const w = Math.max(dur[s] * 1.6, 1000);
      view.t0 = start[s] + dur[s] / 2 - w / 2; view.t1 = view.t0 + w;
    } else if (start[s] < view.t0 || start[s] + dur[s] > view.t1) {
      view.t0 = start[s] + dur[s] / 2 - span / 2; view.t1 = view.t0 + span;
    }
    const b = lanes[laneOf[s]].y + rowOf[s] * ROW;
    if (b - view.y < RULER || b - view.y > H - ROW) view.y = Math.max(0, b - H / 3);
    showDetails(s);
  }
  $('details').addEventListener('click', (e) => { const t = e.target.closest('[data-span]'); if (t) reveal(+t.dataset.span); });

  // ---- input --------------------------------------------------------------
  function zoom(factor, x) {
    const t = tOf(x), span = Math.min(Math.max((view.t1 - view.t0) * factor, 50), endTime * 4 + 1e6);
    const f = (x - LABEL) / (W - LABEL);
    view.t0 = t - span * f; view.t1 = view.t0 + span;
    request();
  }
  function pan(dx, dy) {
    const dt = dx * (view.t1 - view.t0) / (W - LABEL);
    view.t0 -= dt; view.t1 -= dt;
    view.y = Math.min(Math.max(0, view.y - dy), Math.max(0, totalHeight - H + ROW));
    request();
  }
  function fit() { view.t0 = 0; view.t1 = Math.max(endTime, 1); view.y = 0; request(); }
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.shiftKey) pan(0, -e.deltaY);
    else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan(-e.deltaX, 0);
    else zoom(Math.exp(e.deltaY * 0.002), e.offsetX);
  }, { passive: false });
  let drag = null;
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.offsetX, y: e.offsetY, x0: e.offsetX, y0: e.offsetY }; canvas.style.cursor = 'grabbing'; });
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    pan(x - drag.x, y - drag.y); drag.x = x; drag.y = y;
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    if (Math.abs(x - drag.x0) < 4 && Math.abs(y - drag.y0) < 4) { const s = pick(x, y); if (s >= 0) showDetails(s); }
    drag = null; canvas.style.cursor = 'grab';
  });
  window.addEventListener('keydown', (e) => {
    if (e.target === $('search')) return;
    const k = e.key;
    if (k === 'w' || k === '+' || k === '=') zoom(0.8, LABEL + (W - LABEL) / 2);
    else if (k === 's' || k === '-') zoom(1.25, LABEL + (W - LABEL) / 2);
    else if (k === 'a' || k === 'ArrowLeft') pan((W - LABEL) / 8, 0);
    else if (k === 'd' || k === 'ArrowRight') pan(-(W - LABEL) / 8, 0);
    else if (k === 'ArrowUp') pan(0, ROW * 4);
    else if (k === 'ArrowDown') pan(0, -ROW * 4);
    else if (k === 'PageUp') pan(0, H * 0.8);
    else if (k === 'PageDown') pan(0, -H * 0.8);
    else if (k === '0' || k === 'Home') fit();
    else if (k === '/') { $('search').focus(); } else if (k === 'Escape') { selected = -1; request(); } else return;
    e.preventDefault();
  });
  window.addEventListener('resize', resize);

  // ---- search -------------------------------------------------------------
  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) { match = null; matchList = []; $('matches').textContent = ''; request(); return; }
    match = new Set();
    S.forEach((s, k) => { if (s.toLowerCase().includes(q)) match.add(k); });
    matchList = [];
    for (let i = 0; i < N; i++) if (match.has(name[i])) matchList.push(i);
    matchAt = -1;
    $('matches').textContent = matchList.length + ' spans';
    request();
  }
  $('search').addEventListener('input', (e) => search(e.target.value));
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && matchList.length) { matchAt = (matchAt + 1) % matchList.length; reveal(matchList[matchAt]); $('matches').textContent = (matchAt + 1) + ' / ' + matchList.length; }
  });

  // ---- summary and metrics ------------------------------------------------
  function summary() {
    const byName = new Map();
    let errors = 0;
    for (let i = 0; i < N; i++) {
      let e = byName.get(name[i]);
      if (!e) { e = []; e.errors = 0; byName.set(name[i], e); }
      e.push(dur[i]);
      if (status[i] === 2) { e.errors++; errors++; }
    }
    const rows = [];
    byName.forEach((d, n) => {
      const sorted = Float64Array.from(d).sort();
      const rank = (p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p / 100 * sorted.length))) - 1];
      let total = 0;
      for (const v of sorted) total += v;
      rows.push({ name: S[n], count: sorted.length, errors: d.errors, total, p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1] });
    });
    rows.sort((a, b) => b.count - a.count);
    const states = new Map();
    sessionRoot.forEach((root) => { const s = attrValue(attrs[root], END_STATE) || 'open'; states.set(s, (states.get(s) || 0) + 1); });
    return { rows, errors, sessions: sessionRoot.size, states };
  }
  let summaryHtml = null;
  function renderSummary() {
    if (summaryHtml) return summaryHtml;
    const s = summary();
    let h = '<h3>' + N + ' spans, ' + s.sessions + ' sessions, ' + s.errors + ' errors' + (D.dropped ? ', ' + D.dropped + ' spans not kept (limit)' : '') + '</h3>';
    h += '<table class="grid"><tr><th>sessions by end state</th><th>count</th></tr>';
    s.states.forEach((n, st) => { h += '<tr' + (st === 'fail' ? ' class="err"' : '') + '><td>' + esc(st) + '</td><td>' + n + '</td></tr>'; });
    h += '</table><table class="grid" id="summary-table"><tr><th>span name</th><th>count</th><th>errors</th><th>total</th><th>p50</th><th>p99</th><th>max</th></tr>';
    for (const r of s.rows) h += '<tr' + (r.errors ? ' class="err"' : '') + '><td><a class="span-link" data-name="' + esc(r.name) + '">' + esc(r.name) + '</a></td><td>' + r.count + '</td><td>' + r.errors + '</td><td>' + human(r.total) + '</td><td>' + human(r.p50) + '</td><td>' + human(r.p99) + '</td><td>' + human(r.max) + '</td></tr>';
    summaryHtml = h + '</table>';
    return summaryHtml;
  }
  function renderMetrics() {
    const panel = $('panel');
    panel.innerHTML = '<h3>metrics (' + D.metrics.length + ' series)</h3><div class="charts"></div>';
    const box = panel.querySelector('.charts');
    for (const m of D.metrics) {
      const div = document.createElement('div');
      div.className = 'chart';
      const labels = Object.entries(m.attrs).map(([k, v]) => k + '=' + v).join(', ');
      const last = m.v.length ? +m.v[m.v.length - 1] : 0;
      const sub = m.type === 'histogram'
        ? 'count ' + last + ', mean ' + (last ? (+m.sum[m.sum.length - 1] / last).toPrecision(4) : 0) + ' ' + m.unit
        : m.type + ': ' + last + ' ' + m.unit;
      div.innerHTML = '<div class="title">' + esc(m.name) + '</div><div class="sub">' + esc(labels) + '</div><div class="sub">' + esc(sub) + '</div>';
      const c = document.createElement('canvas');
      c.width = 284; c.height = 60;
      div.appendChild(c);
      box.appendChild(div);
      const g = c.getContext('2d');
      g.fillStyle = '#f3f5f8'; g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = '#4d7cfe'; g.strokeStyle = '#4d7cfe';
      if (m.type === 'histogram' && m.buckets.length) {  // the last point's buckets
        const max = Math.max(1, ...m.buckets), w = c.width / m.buckets.length;
        m.buckets.forEach((n, k) => { const h = n / max * (c.height - 12); g.fillRect(k * w + 1, c.height - 12 - h, w - 2, h); });
        g.fillStyle = '#596273'; g.font = '9px sans-serif';
        m.bounds.forEach((b, k) => g.fillText(String(b), (k + 1) * w - 6, c.height - 2));
      } else if (m.v.length) {  // value over the run's time
        const vs = m.v.map(Number), lo = Math.min(...vs), hi = Math.max(...vs), t0 = m.t[0], t1 = Math.max(m.t[m.t.length - 1], t0 + 1);
        g.beginPath();
        vs.forEach((v, k) => { const x = (m.t[k] - t0) / (t1 - t0) * (c.width - 4) + 2, y = c.height - 4 - (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (c.height - 8); if (k) g.lineTo(x, y); else g.moveTo(x, y); });
        g.stroke();
      }
    }
  }
  function tab(which) {
    for (const t of ['timeline', 'summary', 'metrics']) $('tab-' + t).classList.toggle('on', t === which);
    const panel = $('panel');
    panel.style.display = which === 'timeline' ? 'none' : 'block';
    if (which === 'summary') panel.innerHTML = renderSummary();
    if (which === 'metrics') renderMetrics();
    if (which === 'timeline') request();
  }
  for (const t of ['timeline', 'summary', 'metrics']) $('tab-' + t).addEventListener('click', () => tab(t));
  $('panel').addEventListener('click', (e) => {
    const a = e.target.closest('[data-name]');
    if (a) { $('search').value = a.dataset.name; search(a.dataset.name); tab('timeline'); }
  });

  $('title').textContent = (D.resource['service.name'] || '') + ' \u00b7 ' + N + ' spans \u00b7 ' + sessionRoot.size + ' sessions \u00b7 ' + lanes.length + ' lanes';
  resize();
  const loadMs = performance.now();

  // ---- test hook ----------------------------------------------------------
  // window.trail for scripted checks; "#test" runs them and writes JSON into
  // #trail-test; "#shot" picks a view for a screenshot.
  const findSpan = (prefix, ok) => { for (let i = 0; i < N; i++) if (S[name[i]].startsWith(prefix) && (!ok || status[i] !== 2)) return i; return -1; };
  window.trail = { spans: N, lanes: lanes.length, sessions: sessionRoot.size, loadMs, draw, findSpan, reveal, view, summary };
  const hash = location.hash;
  if (hash.includes('test')) {
    const result = { spans: N, lanes: lanes.length, sessions: sessionRoot.size, threadLanes: lanes.filter((l) => !l.session).length, frames: frameMarks.length,
      loadMs: Math.round(loadMs), pageMs: Math.round(tScript), jsonMs: Math.round(tJson - tScript), layoutMs: Math.round(tLayout - tJson) };
    const frame = () => { const t = performance.now(); for (let k = 0; k < 5; k++) draw(); return (performance.now() - t) / 5; };
    fit(); result.frameMsAll = +frame().toFixed(2);
    zoom(0.01, LABEL + (W - LABEL) / 2); result.frameMsZoomed = +frame().toFixed(2);
    fit();
    // Click a known span (the first LLM call, else the first span) through the canvas.
    let s = findSpan('chat ');
    if (s < 0) s = 0;
    reveal(s);
    selected = -1; $('details').innerHTML = '';
    draw();
    const b = spanBox(s), r = canvas.getBoundingClientRect();
    const x = r.left + Math.max(LABEL + 1, Math.min(W - 2, (Math.max(b.x, LABEL) + Math.min(b.x1, W)) / 2)), y = r.top + b.y + ROW / 2;
    canvas.dispatchEvent(new MouseEvent('mousedown', { clientX: x, clientY: y, bubbles: true }));
    window.dispatchEvent(new MouseEvent('mouseup', { clientX: x, clientY: y, bubbles: true }));
    result.clicked = selected >= 0 ? S[name[selected]] : null;
    result.details = $('details').innerText;
    const sum = summary();
    result.summaryNames = sum.rows.length;
    result.sessionStates = Object.fromEntries(sum.states);
    tab('metrics'); result.metricCharts = $('panel').querySelectorAll('canvas').length; tab('timeline');
    result.errors = errors;
    $('trail-test').textContent = JSON.stringify(result);
  } else if (hash.includes('shot')) {
    const s = findSpan('chat ', true);
    if (s >= 0) {
      view.t0 = Math.max(0, start[s] - 60e6); view.t1 = view.t0 + 400e6;
      view.y = Math.max(0, lanes[laneOf[s]].y - 4 * ROW);
      showDetails(s);
      draw();
    }
  }
})();
