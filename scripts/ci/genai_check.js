// Checks what the otlp-receiver accepted from tests/genai_agent.cpp
// (scripts/ci/genai.sh):
//   node genai_check.js spans.jsonl CAPTURE(true|false) metrics.jsonl OLD_NAMES(true|false)
'use strict';
const fs = require('fs');
const [spansFile, capture, metricsFile, oldNames] = process.argv.slice(2);
const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const spans = lines(spansFile);
const problems = [];
const expect = (ok, what) => { if (!ok) problems.push(what); };
const named = (n) => spans.filter((s) => s.name === n);
const attrs = (s) => s.attributes || {};

// Span names and kinds (1 internal, 3 client), two of each GenAI span: one per episode.
const kinds = { 'invoke_workflow night-watch': 1, 'invoke_agent gatekeeper': 1, 'chat gpt-4o': 3, 'execute_tool open_gate': 1 };
for (const [n, kind] of Object.entries(kinds)) {
  expect(named(n).length === 2, `two "${n}" spans (got ${named(n).length})`);
  for (const s of named(n)) expect(s.kind === kind, `"${n}" kind ${kind} (got ${s.kind})`);
}
const roots = named('session gatekeeper');
expect(roots.length === 2, `two episode roots (got ${roots.length})`);
if (roots.length === 2) {
  const [a, b] = roots[0].links.length ? [roots[1], roots[0]] : roots;
  expect(a.traceId !== b.traceId, 'each episode its own trace');
  expect(attrs(a)['session.id'] === attrs(b)['session.id'], 'session.id the same in both episodes');
  expect(b.links.length === 1 && b.links[0].spanId === a.spanId && b.links[0].traceId === a.traceId,
         'the second episode root links to the first');
  expect(b.links[0] && b.links[0].attributes['session.link'] === 'previous_episode', 'the episode link attribute');
  const session = attrs(a)['session.id'];
  for (const s of spans.filter((x) => attrs(x)['gen_ai.operation.name'])) {
    expect(attrs(s)['gen_ai.conversation.id'] === session, `${s.name}: gen_ai.conversation.id = session.id`);
  }
}

// GenAI attributes by name.
for (const s of named('chat gpt-4o')) {
  const a = attrs(s);
  const want = {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30,
    'gen_ai.usage.cache_read.input_tokens': 100, 'gen_ai.usage.cache_creation.input_tokens': 20,
    'gen_ai.usage.reasoning.output_tokens': 10,
  };
  for (const [k, v] of Object.entries(want)) expect(a[k] === v, `chat: ${k} = ${v} (got ${JSON.stringify(a[k])})`);
  expect(JSON.stringify(a['gen_ai.response.finish_reasons']) === '["stop"]', 'chat: finish reasons');
  if (oldNames === 'true') expect(a['gen_ai.system'] === 'openai', 'chat: gen_ai.system with gen_ai/dup');
  else expect(a['gen_ai.system'] === undefined, 'chat: no gen_ai.system (by default, and gen_ai_latest_experimental wins)');
  const content = ['gen_ai.system_instructions', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.tool.definitions'];
  if (capture === 'true') {
    expect(a['gen_ai.system_instructions'] === '[{"type":"text","content":"You guard the gate."}]', 'chat: system instructions JSON');
    let input = [];
    try { input = JSON.parse(a['gen_ai.input.messages']); } catch (e) { problems.push('chat: input messages are not JSON'); }
    expect(input.length === 4 && input[0].role === 'user' && input[0].parts[0].type === 'text' &&
           input[0].parts[0].content === 'My card is ####, let me in', 'chat: input messages JSON, redacted');
    const part = (m, i = 0) => (input[m] && input[m].parts[i]) || {};
    expect(input[1] && input[1].role === 'assistant' && part(1).type === 'tool_call' && part(1).id === 'call-0' &&
           part(1).name === 'look' && JSON.stringify(part(1).arguments) === '{"dir":"north"}',
           `chat: a tool_call part, arguments as JSON (got ${JSON.stringify(input[1])})`);
    expect(input[2] && input[2].role === 'tool' && part(2).type === 'tool_call_response' && part(2).id === 'call-0' &&
           JSON.stringify(part(2).response) === '{"seen":["door"],"card":"####"}',
           `chat: a tool_call_response part, response as JSON, redacted (got ${JSON.stringify(input[2])})`);
    expect(part(3).type === 'tool_call_response' && part(3).response === 'a plain answer',
           'chat: a response that is not JSON as a string');
    let output = [];
    try { output = JSON.parse(a['gen_ai.output.messages']); } catch (e) { problems.push('chat: output messages are not JSON'); }
    expect(output.length === 1 && output[0].finish_reason === 'stop' && output[0].parts[0].content === 'No.', 'chat: output messages JSON');
    const call = (output[0] && output[0].parts[1]) || {};
    expect(call.type === 'tool_call' && call.id === 'call-1' && call.name === 'open_gate' && call.arguments.gate === 'north',
           `chat: a tool call in the same output message (got ${JSON.stringify(call)})`);
    let tools = [];
    try { tools = JSON.parse(a['gen_ai.tool.definitions']); } catch (e) { problems.push('chat: tool definitions are not JSON'); }
    expect(tools.length === 2 && tools[0].type === 'function' && tools[0].name === 'open_gate' &&
           tools[0].description === 'Opens a gate' && tools[0].parameters.properties.gate.type === 'string' &&
           tools[1].name === 'look' && tools[1].parameters === undefined,
           `chat: gen_ai.tool.definitions (got ${JSON.stringify(tools)})`);
  } else {
    for (const k of content) expect(a[k] === undefined, `chat: no ${k} without capture`);
  }
}
for (const s of named('invoke_agent gatekeeper')) {
  const a = attrs(s);
  expect(a['gen_ai.agent.name'] === 'gatekeeper' && a['gen_ai.agent.id'] === 'npc-7' &&
         a['gen_ai.agent.description'] === 'guards the gate' && a['gen_ai.agent.version'] === '1.0' &&
         a['gen_ai.provider.name'] === 'trail-demo', 'invoke_agent: agent attributes');
  if (capture === 'true') {
    let tools = [];
    try { tools = JSON.parse(a['gen_ai.tool.definitions']); } catch (e) { problems.push('invoke_agent: tool definitions are not JSON'); }
    expect(tools.length === 2 && tools[1].name === 'look', 'invoke_agent: gen_ai.tool.definitions');
  } else {
    expect(a['gen_ai.tool.definitions'] === undefined, 'invoke_agent: no tool definitions without capture');
  }
}
for (const s of named('execute_tool open_gate')) {
  const a = attrs(s);
  expect(a['gen_ai.tool.name'] === 'open_gate' && a['gen_ai.tool.call.id'] === 'call-1' && a['gen_ai.tool.type'] === 'function',
         'execute_tool: tool attributes');
  expect((a['gen_ai.tool.call.arguments'] !== undefined) === (capture === 'true'), 'execute_tool: arguments only with capture');
}
expect(named('invoke_workflow night-watch').every((s) => attrs(s)['gen_ai.workflow.name'] === 'night-watch'), 'workflow name');

// Link and traceState under the extracted context.
const handle = named('handle request')[0];
expect(handle, 'the request span');
if (handle) {
  expect(handle.traceId === '0af7651916cd43dd8448eb211c80319c' && handle.parentSpanId === 'b7ad6b7169203331', 'request: continues the caller');
  expect(handle.traceState === 'rojo=00f067aa0ba902b7,congo=t61', `request: traceState (got ${JSON.stringify(handle.traceState)})`);
  expect(handle.links.length === 1 && handle.links[0].attributes['link.reason'] === 'serves' &&
         handle.links[0].attributes.attempt === 1, 'request: the link with its attributes');
}
const batch = named('batch worker')[0];
expect(batch && batch.links.length === 1 && batch.links[0].traceId === '0af7651916cd43dd8448eb211c80319c' &&
       batch.links[0].traceState === 'rojo=00f067aa0ba902b7,congo=t61',
       `a link from another thread: the extracted context's traceState (got ${JSON.stringify(batch && batch.links)})`);
const nested = named('nested under the request')[0];
expect(nested && nested.traceState === 'rojo=00f067aa0ba902b7,congo=t61', 'nested: traceState inherited');
expect(spans.filter((s) => s.name.startsWith('session ')).every((s) => s.traceState === ''), 'no traceState elsewhere');

// Frames: both frames as spans (the last one too), numbered 1 and 2; the spans of each episode in its frame.
const frames = named('frame main');
expect(frames.length === 2 && frames.map((f) => attrs(f)['frame.number']).sort().join() === '1,2',
       `two frame spans, numbers 1 and 2 (got ${JSON.stringify(frames.map((f) => attrs(f)['frame.number']))})`);
expect(named('chat gpt-4o').some((s) => attrs(s)['frame.number'] === 1) && named('chat gpt-4o').some((s) => attrs(s)['frame.number'] === 2),
       'frame.number on the spans of each frame');
const metrics = lines(metricsFile);
expect(metrics.some((m) => m.metric.name === 'trail.frame.duration'), 'the frame-time histogram');
expect(metrics.some((m) => m.metric.name === 'gen_ai.client.token.usage'), 'the token usage histogram');

if (problems.length) {
  for (const p of problems) console.error('genai_check: ' + p);
  process.exit(1);
}
console.log(`genai_check: ${spans.length} spans as expected (content ${capture === 'true' ? 'captured' : 'absent'}, ` +
            `gen_ai.system ${oldNames === 'true' ? 'too' : 'absent'})`);
