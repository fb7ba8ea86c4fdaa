// Agent event types: span names, kinds and attributes exactly as the
// OpenTelemetry GenAI semantic conventions name them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <trail/genai.hpp>
#include <trail/trail.hpp>
#include <trail/export/json_reader.hpp>
#include <trail/export/metrics_collect.hpp>

#include "support/recorded.hpp"

using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;
namespace genai = trail::genai;

namespace {

std::string hex(trail::TraceId id) {
  char text[32];
  id.to_hex(text);
  return std::string(text, sizeof text);
}

const std::string& str(const trail::SpanData& span, const char* key) {
  const auto* value = find_attribute(span.attributes, key);
  REQUIRE_MESSAGE(value != nullptr, key);
  return std::get<std::string>(*value);
}

std::int64_t int64(const trail::SpanData& span, const char* key) {
  const auto* value = find_attribute(span.attributes, key);
  REQUIRE_MESSAGE(value != nullptr, key);
  return std::get<std::int64_t>(*value);
}

bool has(const trail::SpanData& span, const char* key) { return find_attribute(span.attributes, key) != nullptr; }

// What is in the rings, exported with these GenAI options.
std::vector<trail::SpanData> collect_with(const trail::detail::GenAiOptions& options) {
  trail::detail::Collector collector({}, {}, options);
  std::vector<trail::SpanData> spans;
  collector.collect_all(spans);
  return spans;
}

}  // namespace

TEST_CASE("an LLM call: `{operation} {model}`, CLIENT, request and response attributes") {
  recorded();
  genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
  std::thread later([&] { call.finish("gpt-4o-2024-08-06", {"stop", "length"}, 812, 64); });
  later.join();
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  const trail::SpanData& s = spans[0];
  CHECK(s.name == "chat gpt-4o");
  CHECK(s.kind == trail::SpanKind::client);
  CHECK(str(s, "gen_ai.operation.name") == "chat");
  CHECK(str(s, "gen_ai.provider.name") == "openai");
  CHECK(str(s, "gen_ai.request.model") == "gpt-4o");
  CHECK(str(s, "gen_ai.response.model") == "gpt-4o-2024-08-06");
  CHECK(std::get<std::vector<std::string>>(*find_attribute(s.attributes, "gen_ai.response.finish_reasons")) ==
        std::vector<std::string>{"stop", "length"});
  CHECK(int64(s, "gen_ai.usage.input_tokens") == 812);
  CHECK(int64(s, "gen_ai.usage.output_tokens") == 64);
  CHECK(s.status_code == trail::StatusCode::unset);  // success leaves it unset
  CHECK_FALSE(has(s, "gen_ai.conversation.id"));    // no session active
  // never the deprecated names
  CHECK_FALSE(has(s, "gen_ai.system"));
  CHECK_FALSE(has(s, "gen_ai.usage.prompt_tokens"));
  CHECK_FALSE(has(s, "gen_ai.usage.completion_tokens"));
}

TEST_CASE("every model operation names its span, and an in-process model is INTERNAL") {
  recorded();
  { genai::ScopedLlmCall c(genai::Operation::text_completion, "llama.cpp", "llama-3-8b", trail::SpanKind::internal); }
  { genai::LlmCall c(genai::Operation::generate_content, "gcp.gemini", "gemini-2.0-flash"); }
  {
    genai::LlmCall c(genai::Operation::embeddings, "openai", "text-embedding-3-small");
    c.finish("", {}, 9);  // no response model, no finish reasons, no output tokens
  }
  { genai::LlmCall c(genai::Operation::chat, "openai", ""); }  // model unknown: the operation alone
  const auto spans = recorded();
  REQUIRE(spans.size() == 4);
  const auto* local = find_span(spans, "text_completion llama-3-8b");
  const auto* gemini = find_span(spans, "generate_content gemini-2.0-flash");
  const auto* embed = find_span(spans, "embeddings text-embedding-3-small");
  const auto* bare = find_span(spans, "chat");
  REQUIRE(local);
  REQUIRE(gemini);
  REQUIRE(embed);
  REQUIRE(bare);
  CHECK(local->kind == trail::SpanKind::internal);
  CHECK(str(*local, "gen_ai.operation.name") == "text_completion");
  CHECK(gemini->kind == trail::SpanKind::client);
  CHECK(str(*gemini, "gen_ai.operation.name") == "generate_content");
  CHECK(str(*embed, "gen_ai.operation.name") == "embeddings");
  CHECK(int64(*embed, "gen_ai.usage.input_tokens") == 9);
  CHECK_FALSE(has(*embed, "gen_ai.usage.output_tokens"));
  CHECK_FALSE(has(*embed, "gen_ai.response.model"));
  CHECK_FALSE(has(*embed, "gen_ai.response.finish_reasons"));
}

TEST_CASE("inside an active session, LLM calls and agent invocations carry gen_ai.conversation.id") {
  recorded();
  trail::Session session("dialogue", "shopkeeper");
  {
    auto on = session.activate();
    genai::AgentInvocation agent("shopkeeper", "agent-3");
    genai::LlmCall call(genai::Operation::chat, "anthropic", "claude-sonnet-4");
    call.finish("claude-sonnet-4", {"end_turn"}, 10, 20);
  }
  { genai::LlmCall outside(genai::Operation::chat, "openai", "gpt-4o"); }  // same thread, no session
  session.end(trail::EndState::success);
  const auto spans = recorded();
  const auto* agent = find_span(spans, "invoke_agent shopkeeper");
  const auto* inside = find_span(spans, "chat claude-sonnet-4");
  const auto* outside = find_span(spans, "chat gpt-4o");
  REQUIRE(agent);
  REQUIRE(inside);
  REQUIRE(outside);
  CHECK(str(*agent, "gen_ai.conversation.id") == hex(session.id()));
  CHECK(str(*inside, "gen_ai.conversation.id") == hex(session.id()));
  CHECK(inside->parent_span_id == agent->span_id);  // the invocation is current for its scope
  CHECK_FALSE(has(*outside, "gen_ai.conversation.id"));
}

TEST_CASE("a tool call: `execute_tool {tool}`, INTERNAL, and the current span for its scope") {
  recorded();
  {
    genai::ToolCall tool("find_path", "call-17", "function");
    TRAIL_SPAN("a-star");
  }
  { genai::ToolCall bare("look"); }
  const auto spans = recorded();
  const auto* tool = find_span(spans, "execute_tool find_path");
  const auto* inner = find_span(spans, "a-star");
  const auto* bare = find_span(spans, "execute_tool look");
  REQUIRE(tool);
  REQUIRE(inner);
  REQUIRE(bare);
  CHECK(tool->kind == trail::SpanKind::internal);
  CHECK(str(*tool, "gen_ai.operation.name") == "execute_tool");
  CHECK(str(*tool, "gen_ai.tool.name") == "find_path");
  CHECK(str(*tool, "gen_ai.tool.call.id") == "call-17");
  CHECK(str(*tool, "gen_ai.tool.type") == "function");
  CHECK(inner->parent_span_id == tool->span_id);
  CHECK_FALSE(has(*bare, "gen_ai.tool.call.id"));
  CHECK_FALSE(has(*bare, "gen_ai.tool.type"));
}

TEST_CASE("an agent invocation: `invoke_agent {agent}`, INTERNAL or CLIENT for a remote agent") {
  recorded();
  { genai::AgentInvocation local("planner", "agent-1"); }
  { genai::AsyncAgentInvocation remote("critic", {}, trail::SpanKind::client); }
  const auto spans = recorded();
  const auto* local = find_span(spans, "invoke_agent planner");
  const auto* remote = find_span(spans, "invoke_agent critic");
  REQUIRE(local);
  REQUIRE(remote);
  CHECK(local->kind == trail::SpanKind::internal);
  CHECK(str(*local, "gen_ai.operation.name") == "invoke_agent");
  CHECK(str(*local, "gen_ai.agent.name") == "planner");
  CHECK(str(*local, "gen_ai.agent.id") == "agent-1");
  CHECK(remote->kind == trail::SpanKind::client);
  CHECK_FALSE(has(*remote, "gen_ai.agent.id"));
}

TEST_CASE("an action: `action {name}` with agent.action.name and its parameters") {
  recorded();
  {
    genai::Action move("move");
    move.set("target.x", 3.5).set("target.y", -1.0).set("run", true);
  }
  genai::AsyncAction grasp("grasp");
  grasp.set("object", "cup");
  grasp.end();
  const auto spans = recorded();
  const auto* move = find_span(spans, "action move");
  const auto* grasped = find_span(spans, "action grasp");
  REQUIRE(move);
  REQUIRE(grasped);
  CHECK(move->kind == trail::SpanKind::internal);
  CHECK(str(*move, "agent.action.name") == "move");
  CHECK(std::get<double>(*find_attribute(move->attributes, "target.x")) == 3.5);
  CHECK(std::get<bool>(*find_attribute(move->attributes, "run")) == true);
  CHECK(str(*grasped, "object") == "cup");
}

TEST_CASE("an error: status ERROR, error.type and an exception event") {
  recorded();
  {
    genai::ToolCall tool("open_door");
    genai::record_error(tool, "DoorLocked", "the door is locked", "open_door\nact\ntick");
  }
  {
    genai::Action fire("fire");
    genai::record_error(fire, {}, "out of ammo");
  }
  const auto spans = recorded();
  const auto* tool = find_span(spans, "execute_tool open_door");
  const auto* fire = find_span(spans, "action fire");
  REQUIRE(tool);
  REQUIRE(fire);
  CHECK(tool->status_code == trail::StatusCode::error);
  CHECK(tool->status_message == "the door is locked");
  CHECK(str(*tool, "error.type") == "DoorLocked");
  REQUIRE(tool->events.size() == 1);
  const trail::SpanEvent& ex = tool->events[0];
  CHECK(ex.name == "exception");
  CHECK(std::get<std::string>(*find_attribute(ex.attributes, "exception.type")) == "DoorLocked");
  CHECK(std::get<std::string>(*find_attribute(ex.attributes, "exception.message")) == "the door is locked");
  CHECK(std::get<std::string>(*find_attribute(ex.attributes, "exception.stacktrace")) == "open_door\nact\ntick");

  CHECK(fire->status_code == trail::StatusCode::error);
  CHECK(str(*fire, "error.type") == "_OTHER");  // unknown type
  REQUIRE(fire->events.size() == 1);
  CHECK(find_attribute(fire->events[0].attributes, "exception.type") == nullptr);
  CHECK(find_attribute(fire->events[0].attributes, "exception.stacktrace") == nullptr);
}

TEST_CASE("long names are cut at a UTF-8 boundary, not allocated") {
  recorded();
  std::string model(300, 'm');
  model[250] = '\xC3';  // "é" straddling the end of the 256-byte name buffer
  model[251] = '\xA9';
  { genai::LlmCall c(genai::Operation::chat, "openai", model); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "chat " + model.substr(0, 250));  // 255 bytes: the é left out whole
  CHECK(str(spans[0], "gen_ai.request.model") == model);   // attribute values are not cut
}

TEST_CASE("users define their own agent event types the same way") {
  recorded();
  static constexpr trail::EventType<std::string_view, std::int64_t> nav_query{
      "nav.query", trail::SpanKind::internal, "nav.target", "nav.nodes"};
  { TRAIL_EVENT(q, nav_query, "home", 128); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "nav.query");
  CHECK(str(spans[0], "nav.target") == "home");
  CHECK(int64(spans[0], "nav.nodes") == 128);
}

namespace {

// The points of one metric in a fresh collection, by their attribute sets.
std::vector<trail::HistogramDataPoint> histogram_points(const char* name) {
  for (auto& m : trail::collect_metrics(trail::detail::realtime_ns()))
    if (m.name == name) return m.histogram_points;
  return {};
}

const trail::HistogramDataPoint* point_with(const std::vector<trail::HistogramDataPoint>& points, const char* key,
                                            const char* value) {
  for (const auto& p : points) {
    const auto* v = find_attribute(p.attributes, key);
    if (v != nullptr && std::get<std::string>(*v) == value) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("LLM calls record gen_ai.client.token.usage and gen_ai.client.operation.duration") {
  recorded();
  {
    genai::LlmCall call(genai::Operation::chat, "metrics-provider", "model-a");
    call.finish("model-a-2025", {"stop"}, 120, 30);
  }
  {
    genai::LlmCall failed(genai::Operation::text_completion, "metrics-provider", "model-b");
    failed.fail("timeout", "no answer in 30 s");
  }
  recorded();

  const auto tokens = histogram_points("gen_ai.client.token.usage");
  const auto* input = point_with(tokens, "gen_ai.token.type", "input");
  const auto* output = point_with(tokens, "gen_ai.token.type", "output");
  REQUIRE(input != nullptr);
  REQUIRE(output != nullptr);
  CHECK(input->count == 1);
  CHECK(input->sum == 120);
  CHECK(output->sum == 30);
  CHECK(std::get<std::string>(*find_attribute(input->attributes, "gen_ai.operation.name")) == "chat");
  CHECK(std::get<std::string>(*find_attribute(input->attributes, "gen_ai.provider.name")) == "metrics-provider");
  CHECK(std::get<std::string>(*find_attribute(input->attributes, "gen_ai.request.model")) == "model-a");
  CHECK(std::get<std::string>(*find_attribute(input->attributes, "gen_ai.response.model")) == "model-a-2025");
  CHECK(input->explicit_bounds.front() == 1);
  CHECK(input->explicit_bounds.back() == 67108864);

  const auto durations = histogram_points("gen_ai.client.operation.duration");
  const auto* ok = point_with(durations, "gen_ai.request.model", "model-a");
  const auto* timeout = point_with(durations, "gen_ai.request.model", "model-b");
  REQUIRE(ok != nullptr);
  REQUIRE(timeout != nullptr);
  CHECK(ok->count == 1);
  CHECK(ok->sum >= 0);
  CHECK(ok->sum < 10);  // seconds, not nanoseconds
  CHECK(find_attribute(ok->attributes, "error.type") == nullptr);
  CHECK(std::get<std::string>(*find_attribute(timeout->attributes, "error.type")) == "timeout");
  CHECK(std::get<std::string>(*find_attribute(timeout->attributes, "gen_ai.operation.name")) == "text_completion");
  CHECK(timeout->explicit_bounds.front() == doctest::Approx(0.01));
}

TEST_CASE("a moved LLM call records its duration once") {
  {
    genai::LlmCall first(genai::Operation::chat, "moved-provider", "model-m");
    genai::LlmCall second(std::move(first));
    second.finish("model-m", {"stop"});
  }  // both destroyed: the moved-from one must not record again
  const auto durations = histogram_points("gen_ai.client.operation.duration");
  const auto* p = point_with(durations, "gen_ai.provider.name", "moved-provider");
  REQUIRE(p != nullptr);
  CHECK(p->count == 1);
}

TEST_CASE("an LLM call ended by record_error and end() carries error.type on its duration, as fail() does") {
  {
    genai::LlmCall call(genai::Operation::chat, "record-error-provider", "model-r");
    genai::record_error(call, "rate_limited", "429 from the provider");
    call.end();
  }
  {
    genai::ScopedLlmCall scoped(genai::Operation::chat, "record-error-provider", "model-s");
    genai::record_error(scoped, {}, "no reason given");
  }
  recorded();
  const auto durations = histogram_points("gen_ai.client.operation.duration");
  const auto* async_point = point_with(durations, "gen_ai.request.model", "model-r");
  const auto* scoped_point = point_with(durations, "gen_ai.request.model", "model-s");
  REQUIRE(async_point != nullptr);
  REQUIRE(scoped_point != nullptr);
  REQUIRE(find_attribute(async_point->attributes, "error.type") != nullptr);
  CHECK(std::get<std::string>(*find_attribute(async_point->attributes, "error.type")) == "rate_limited");
  REQUIRE(find_attribute(scoped_point->attributes, "error.type") != nullptr);
  CHECK(std::get<std::string>(*find_attribute(scoped_point->attributes, "error.type")) == "_OTHER");
}

TEST_CASE("agent spans: invoke_agent INTERNAL in-process and CLIENT remote, create_agent, invoke_workflow") {
  recorded();
  const genai::AgentInfo planner{"planner", "agent-9", "plans routes", "2.1", "openai"};
  {
    genai::Workflow crew("night-watch");
    { genai::AgentInvocation local(planner); }
    { genai::AgentInvocation remote(genai::AgentInfo{"oracle", "asst_1", {}, {}, "openai"}, trail::SpanKind::client); }
    { genai::AgentCreation made(planner, "gpt-4o"); }
    { genai::AgentInvocation nameless(genai::AgentInfo{}); }
  }
  const auto spans = recorded();
  const auto* crew = find_span(spans, "invoke_workflow night-watch");
  const auto* local = find_span(spans, "invoke_agent planner");
  const auto* remote = find_span(spans, "invoke_agent oracle");
  const auto* made = find_span(spans, "create_agent planner");
  REQUIRE(crew);
  REQUIRE(local);
  REQUIRE(remote);
  REQUIRE(made);
  CHECK(find_span(spans, "invoke_agent") != nullptr);  // no name: the operation alone
  CHECK(crew->kind == trail::SpanKind::internal);
  CHECK(str(*crew, "gen_ai.operation.name") == "invoke_workflow");
  CHECK(str(*crew, "gen_ai.workflow.name") == "night-watch");
  CHECK(local->kind == trail::SpanKind::internal);
  CHECK(local->parent_span_id == crew->span_id);
  CHECK(str(*local, "gen_ai.operation.name") == "invoke_agent");
  CHECK(str(*local, "gen_ai.agent.name") == "planner");
  CHECK(str(*local, "gen_ai.agent.id") == "agent-9");
  CHECK(str(*local, "gen_ai.agent.description") == "plans routes");
  CHECK(str(*local, "gen_ai.agent.version") == "2.1");
  CHECK(str(*local, "gen_ai.provider.name") == "openai");
  CHECK(remote->kind == trail::SpanKind::client);
  CHECK_FALSE(has(*remote, "gen_ai.agent.description"));
  CHECK(made->kind == trail::SpanKind::client);
  CHECK(str(*made, "gen_ai.operation.name") == "create_agent");
  CHECK(str(*made, "gen_ai.request.model") == "gpt-4o");
  CHECK(str(*made, "gen_ai.agent.version") == "2.1");
}

TEST_CASE("token usage: input, output, cache read and write, reasoning") {
  recorded();
  genai::LlmCall call(genai::Operation::chat, "anthropic", "claude-sonnet-4");
  genai::Usage usage;
  usage.input_tokens = 1200;
  usage.output_tokens = 300;
  usage.cache_read_input_tokens = 1000;
  usage.cache_creation_input_tokens = 150;
  usage.reasoning_output_tokens = 120;
  call.finish("claude-sonnet-4-20250514", {"end_turn"}, usage);
  genai::LlmCall partial(genai::Operation::chat, "openai", "gpt-4o");
  partial.usage(genai::Usage{10, 2});
  partial.end();
  const auto spans = recorded();
  const auto* s = find_span(spans, "chat claude-sonnet-4");
  REQUIRE(s);
  CHECK(int64(*s, "gen_ai.usage.input_tokens") == 1200);
  CHECK(int64(*s, "gen_ai.usage.output_tokens") == 300);
  CHECK(int64(*s, "gen_ai.usage.cache_read.input_tokens") == 1000);
  CHECK(int64(*s, "gen_ai.usage.cache_creation.input_tokens") == 150);
  CHECK(int64(*s, "gen_ai.usage.reasoning.output_tokens") == 120);
  const auto* p = find_span(spans, "chat gpt-4o");
  REQUIRE(p);
  CHECK(int64(*p, "gen_ai.usage.input_tokens") == 10);
  CHECK_FALSE(has(*p, "gen_ai.usage.cache_read.input_tokens"));
  CHECK_FALSE(has(*p, "gen_ai.usage.reasoning.output_tokens"));
}

TEST_CASE("execute_tool: the tool name is required, an empty one is recorded as unknown") {
  recorded();
  { genai::ToolCall tool("search", "call-1", "function", "searches the map"); }
  { genai::ToolCall nameless(""); }
  const auto spans = recorded();
  const auto* tool = find_span(spans, "execute_tool search");
  REQUIRE(tool);
  CHECK(str(*tool, "gen_ai.tool.description") == "searches the map");
  const auto* nameless = find_span(spans, "execute_tool unknown");
  REQUIRE(nameless);
  CHECK(str(*nameless, "gen_ai.tool.name") == "unknown");
}

TEST_CASE("message content is recorded only when capture is on") {
  recorded();
  REQUIRE_FALSE(trail::capture_message_content());
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.system_instructions({"You guard the gate."});
    call.input_messages({{"user", "Let me in"}});
    call.output_messages({{"assistant", "No.", "stop"}});
    call.end();
    genai::ToolCall tool("open_gate");
    tool.arguments("{\"gate\":\"north\"}").result("closed");
  }
  const auto spans = recorded();
  for (const char* name : {"chat gpt-4o", "execute_tool open_gate"}) {
    const auto* s = find_span(spans, name);
    REQUIRE(s);
    for (const char* key : {"gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages",
                            "gen_ai.tool.call.arguments", "gen_ai.tool.call.result"})
      CHECK_FALSE_MESSAGE(has(*s, key), key);
  }
}

TEST_CASE("captured content: the conventions' JSON message schema, cut, redacted on the export side") {
  recorded();
  trail::set_capture_message_content(true);
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.system_instructions({"You guard the gate.", "Be brief."});
    const genai::Message history[] = {{"user", "My card is 4111 1111"}, {"assistant", "Noted."},
                                      {"user", "Open \"now\" please"}};
    call.input_messages(history, 3);
    call.output_messages({{"assistant", std::string(100, 'x') + "\xC3\xA9", "length"}});
    call.end();
    genai::ToolCall tool("open_gate");
    tool.arguments("{\"card\":\"4111 1111\"}").result("opened");
  }
  trail::set_capture_message_content(false);

  trail::detail::GenAiOptions options;
  options.content_max_length = 101;  // inside the two-byte character at the end: cut before it
  std::vector<std::string> seen;
  options.redact = [&](std::string_view attribute, std::string& text) {
    seen.push_back(std::string(attribute));
    for (auto at = text.find("4111 1111"); at != std::string::npos; at = text.find("4111 1111"))
      text.replace(at, 9, "[card]");
  };
  const auto spans = collect_with(options);
  const auto* call = find_span(spans, "chat gpt-4o");
  REQUIRE(call);
  CHECK(str(*call, "gen_ai.system_instructions") ==
        R"([{"type":"text","content":"You guard the gate."},{"type":"text","content":"Be brief."}])");
  CHECK(str(*call, "gen_ai.input.messages") ==
        R"([{"role":"user","parts":[{"type":"text","content":"My card is [card]"}]},)"
        R"({"role":"assistant","parts":[{"type":"text","content":"Noted."}]},)"
        R"({"role":"user","parts":[{"type":"text","content":"Open \"now\" please"}]}])");
  CHECK(str(*call, "gen_ai.output.messages") ==
        R"([{"role":"assistant","parts":[{"type":"text","content":")" + std::string(100, 'x') +
            R"("}],"finish_reason":"length"}])");
  const auto* tool = find_span(spans, "execute_tool open_gate");
  REQUIRE(tool);
  CHECK(str(*tool, "gen_ai.tool.call.arguments") == R"({"card":"[card]"})");
  CHECK(str(*tool, "gen_ai.tool.call.result") == "opened");
  CHECK(std::count(seen.begin(), seen.end(), "gen_ai.input.messages") == 3);
  CHECK(std::count(seen.begin(), seen.end(), "gen_ai.tool.call.arguments") == 1);
}

TEST_CASE("tool calls in messages: tool_call and tool_call_response parts, JSON as JSON, cut as strings") {
  recorded();
  trail::set_capture_message_content(true);
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.input_messages({{"user", "Open it"},
                         genai::Message::tool_call("call-1", "open_gate", R"({"gate": "north"})"),
                         genai::Message::tool_call("call-2", "light", "torch 3").in_same_message(),
                         genai::Message::tool_response("call-1", R"({"gate":"north","force":true})"),
                         genai::Message::tool_response("call-2", "42"),
                         genai::Message::tool_response("call-3", "lit"),
                         {"user", "done", {}, "call-4"}});
    call.output_messages({genai::Message::tool_call("call-5", "look", "", "tool_calls")});
    call.end();
  }
  trail::set_capture_message_content(false);

  trail::detail::GenAiOptions options;
  options.content_max_length = 20;
  std::vector<std::string> seen;
  options.redact = [&](std::string_view attribute, std::string& text) {
    seen.push_back(std::string(attribute) + ": " + text);
    for (auto at = text.find("north"); at != std::string::npos; at = text.find("north")) text.replace(at, 5, "[x]");
  };
  const auto spans = collect_with(options);
  const auto* call = find_span(spans, "chat gpt-4o");
  REQUIRE(call);
  const std::string& input = str(*call, "gen_ai.input.messages");
  CHECK(input ==
        R"([{"role":"user","parts":[{"type":"text","content":"Open it"}]},)"
        R"({"role":"assistant","parts":[{"type":"tool_call","id":"call-1","name":"open_gate","arguments":{"gate": "[x]"}},)"
        R"({"type":"tool_call","id":"call-2","name":"light","arguments":"torch 3"}]},)"
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call-1","response":"{\"gate\":\"[x]\",\"force"}]},)"
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call-2","response":42}]},)"
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call-3","response":"lit"}]},)"
        R"({"role":"user","parts":[{"type":"tool_call_response","id":"call-4","response":"done"}]}])");
  const std::string& output = str(*call, "gen_ai.output.messages");
  CHECK(output ==
        R"([{"role":"assistant","parts":[{"type":"tool_call","id":"call-5","name":"look"}],"finish_reason":"tool_calls"}])");
  for (const std::string* json : {&input, &output}) {  // a cut never breaks the document
    trail::detail::JsonReader reader(*json);
    CHECK(reader.value());
    CHECK(reader.at_end());
  }
  // The hook sees each argument and response whole, before the cut.
  CHECK(std::count(seen.begin(), seen.end(), R"(gen_ai.input.messages: {"gate":"north","force":true})") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "gen_ai.input.messages: torch 3") == 1);
  CHECK(seen.size() == 7);
}

TEST_CASE("a redactor that breaks a JSON argument turns it into a string; one that throws drops the attribute") {
  recorded();
  trail::set_capture_message_content(true);
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.input_messages({genai::Message::tool_call("call-1", "pay", R"({"card":"4111"})")});
    call.output_messages({genai::Message::tool_call("call-2", "pay", R"({"card":"4111"})")});
    call.end();
  }
  trail::set_capture_message_content(false);
  trail::detail::GenAiOptions options;
  options.redact = [](std::string_view attribute, std::string& text) {
    if (attribute == "gen_ai.output.messages") throw std::runtime_error("no");
    text.resize(5);
  };
  const auto spans = collect_with(options);
  const auto* call = find_span(spans, "chat gpt-4o");
  REQUIRE(call);
  CHECK(str(*call, "gen_ai.input.messages") ==
        R"([{"role":"assistant","parts":[{"type":"tool_call","id":"call-1","name":"pay","arguments":"{\"car"}]}])");
  CHECK_FALSE(has(*call, "gen_ai.output.messages"));
  CHECK(call->dropped_attributes_count == 1);
}

TEST_CASE("gen_ai.tool.definitions on model calls and agent invocations, only with content capture") {
  recorded();
  const genai::ToolDefinition tools[] = {
      {"open_gate", "Opens a gate", R"({"type":"object","properties":{"gate":{"type":"string"}}})"},
      {"wait"},
      {"search", "", "not a schema", "datastore"}};
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.tool_definitions(tools, 3);
    call.end();
  }
  const auto off = recorded();
  REQUIRE(find_span(off, "chat gpt-4o"));
  CHECK_FALSE(has(*find_span(off, "chat gpt-4o"), "gen_ai.tool.definitions"));

  trail::set_capture_message_content(true);
  {
    genai::AgentInvocation agent("gatekeeper");
    agent.tool_definitions({{"wait", "Waits a turn"}});
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.tool_definitions(tools, 3).input_messages({{"user", "hi"}});
    call.end();
  }
  trail::set_capture_message_content(false);
  const auto on = recorded();
  const auto* call = find_span(on, "chat gpt-4o");
  REQUIRE(call);
  CHECK(str(*call, "gen_ai.tool.definitions") ==
        R"([{"type":"function","name":"open_gate","description":"Opens a gate",)"
        R"("parameters":{"type":"object","properties":{"gate":{"type":"string"}}}},)"
        R"({"type":"function","name":"wait"},)"
        R"({"type":"datastore","name":"search","parameters":"not a schema"}])");
  CHECK(has(*call, "gen_ai.input.messages"));
  const auto* agent = find_span(on, "invoke_agent gatekeeper");
  REQUIRE(agent);
  CHECK(str(*agent, "gen_ai.tool.definitions") == R"([{"type":"function","name":"wait","description":"Waits a turn"}])");
}

TEST_CASE("a redactor that throws leaves the attribute out, counted") {
  recorded();
  trail::set_capture_message_content(true);
  {
    genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.input_messages({{"user", "secret"}});
    call.end();
  }
  trail::set_capture_message_content(false);
  trail::detail::GenAiOptions options;
  options.redact = [](std::string_view, std::string&) { throw std::runtime_error("no"); };
  const auto spans = collect_with(options);
  const auto* call = find_span(spans, "chat gpt-4o");
  REQUIRE(call);
  CHECK_FALSE(has(*call, "gen_ai.input.messages"));
  CHECK(call->dropped_attributes_count == 1);
}

TEST_CASE("gen_ai.system only when OTEL_SEMCONV_STABILITY_OPT_IN asks for the older names too") {
  recorded();
  { genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o"); }
  { genai::LlmCall call(genai::Operation::chat, "mistral_ai", "mistral-large"); }
  const auto plain = recorded();
  CHECK_FALSE(has(*find_span(plain, "chat gpt-4o"), "gen_ai.system"));
  { genai::LlmCall call(genai::Operation::chat, "mistral_ai", "mistral-large"); }
  trail::detail::GenAiOptions options;
  options.emit_old_names = true;
  const auto spans = collect_with(options);
  const auto* s = find_span(spans, "chat mistral-large");
  REQUIRE(s);
  CHECK(str(*s, "gen_ai.provider.name") == "mistral_ai");
  CHECK(str(*s, "gen_ai.system") == "mistral_ai");
}

TEST_CASE("GenAI types and scoped spans take an explicit parent context") {
  recorded();
  trail::AsyncSpan request("request");
  const trail::Context parent = request.context();
  {
    TRAIL_SPAN("unrelated current span");
    genai::ScopedLlmCall scoped(parent, genai::Operation::chat, "openai", "gpt-4o");
    { TRAIL_SPAN("inside scoped call"); }  // the scoped call is current
    genai::LlmCall async(parent, genai::Operation::embeddings, "openai", "text-embedding-3-small");
    async.end();
    genai::ToolCall tool(parent, "grep");
    genai::AgentInvocation agent(parent, genai::AgentInfo{"helper"});
    genai::Workflow flow(parent, "pipeline");
    genai::Action act(parent, "wave");
    trail::Span plain(parent, std::string_view("plain child"));
  }
  request.end();
  const auto spans = recorded();
  for (const char* name : {"chat gpt-4o", "embeddings text-embedding-3-small", "execute_tool grep",
                           "invoke_agent helper", "invoke_workflow pipeline", "action wave", "plain child"}) {
    const auto* s = find_span(spans, name);
    REQUIRE_MESSAGE(s, name);
    CHECK_MESSAGE(s->parent_span_id == parent.span_id, name);
    CHECK_MESSAGE(s->trace_id == parent.trace_id, name);
  }
  CHECK(find_span(spans, "inside scoped call")->parent_span_id == find_span(spans, "chat gpt-4o")->span_id);
}

TEST_CASE("LlmCall and the other async types are move-assignable; assigning ends the call held before") {
  recorded();
  genai::LlmCall call;  // none yet
  CHECK_FALSE(call.is_recording());
  call = genai::LlmCall(genai::Operation::chat, "openai", "first-model");
  CHECK(call.is_recording());
  call = genai::LlmCall(genai::Operation::chat, "openai", "second-model");  // ends the first
  call.finish("second-model", {"stop"});
  genai::AsyncToolCall tool;
  tool = genai::AsyncToolCall("lookup");
  tool.end();
  genai::AsyncAgentInvocation agent;
  agent = genai::AsyncAgentInvocation(genai::AgentInfo{"scout"});
  agent.end();
  genai::AsyncWorkflow flow;
  flow = genai::AsyncWorkflow("flow");
  flow.end();
  const auto spans = recorded();
  CHECK(spans.size() == 5);
  for (const char* name : {"chat first-model", "chat second-model", "execute_tool lookup", "invoke_agent scout",
                           "invoke_workflow flow"})
    CHECK_MESSAGE(find_span(spans, name) != nullptr, name);
}

TEST_CASE("thread.id is the thread that started the span, wherever it ended") {
  recorded();
  genai::LlmCall call(genai::Operation::chat, "openai", "gpt-4o");
  std::int64_t finisher = 0;
  std::thread([&] {
    { TRAIL_SPAN("worker's own"); }
    call.finish("gpt-4o", {"stop"});
  }).join();
  const auto spans = recorded();
  const auto* own = find_span(spans, "worker's own");
  const auto* s = find_span(spans, "chat gpt-4o");
  REQUIRE(own);
  REQUIRE(s);
  finisher = int64(*own, "thread.id");
  CHECK(int64(*s, "thread.id") != finisher);
  { TRAIL_SPAN("starter's own"); }
  CHECK(int64(*s, "thread.id") == int64(*find_span(recorded(), "starter's own"), "thread.id"));
}

TEST_CASE("gen_ai.conversation.id however the session's context became current") {
  recorded();
  trail::Session session("dialogue");
  trail::Context handed;
  {
    trail::ContextScope scope(session.context());  // not activate()
    genai::LlmCall call(genai::Operation::chat, "openai", "via-context-scope");
    call.end();
    TRAIL_SPAN("step");
    handed = trail::current();
  }
  std::thread([&] {
    trail::ContextScope scope(handed);
    genai::ToolCall tool("on-worker");
  }).join();
  { genai::LlmCall explicit_parent(session.context(), genai::Operation::chat, "openai", "explicit"); }
  session.new_episode();
  {
    auto on = session.activate();
    genai::LlmCall next(genai::Operation::chat, "openai", "next-episode");
  }
  session.end(trail::EndState::success);
  const auto spans = recorded();
  for (const char* name : {"chat via-context-scope", "execute_tool on-worker", "chat explicit", "chat next-episode"}) {
    const auto* s = find_span(spans, name);
    REQUIRE_MESSAGE(s, name);
    CHECK_MESSAGE(str(*s, "gen_ai.conversation.id") == hex(session.id()), name);
  }
  CHECK_FALSE(has(*find_span(spans, "step"), "gen_ai.conversation.id"));  // not a GenAI span
}

namespace {

// Fills this thread's ring (a small one), then runs `write`: how many of its
// records the full ring dropped.
template <class Write>
std::uint64_t records_lost_to_full_ring(Write&& write) {
  for (int i = 0; i < 100; ++i) {
    TRAIL_SPAN("fill");
  }
  const trail::detail::Ring* ring = trail::detail::this_thread().ring;
  REQUIRE(ring != nullptr);
  const std::uint64_t dropped_before = ring->records_dropped();
  write();
  return ring->records_dropped() - dropped_before;
}

}  // namespace

TEST_CASE("a session whose note was lost to a full ring writes it again at the next activate()") {
  recorded();
  trail::set_ring_capacity(64);
  std::string session_id;
  std::uint64_t lost = 0;
  std::thread([&] {
    std::optional<trail::Session> session;
    lost = records_lost_to_full_ring([&] { session.emplace("npc", "npc", "npc-1"); });  // its note does not fit
    session_id = hex(session->id());
    recorded();  // frees the ring
    {
      auto on = session->activate();  // writes the note again
      genai::ScopedLlmCall call(genai::Operation::chat, "openai", "after-retry");
    }
    session->end(trail::EndState::success);
  }).join();
  trail::set_ring_capacity(16384);
  CHECK(lost >= 1);
  const auto spans = recorded();
  const auto* call = find_span(spans, "chat after-retry");
  REQUIRE(call);
  CHECK(str(*call, "gen_ai.conversation.id") == session_id);
}

TEST_CASE("activating another episode's context does not use up the retry of a lost note") {
  recorded();
  trail::set_ring_capacity(64);
  std::string session_id;
  std::uint64_t lost = 0;
  std::thread([&] {
    trail::Session session("npc", "npc", "npc-2");  // episode 0: its note fits
    session_id = hex(session.id());
    trail::Context episode0;
    {
      auto on = session.activate();
      episode0 = trail::current();
    }
    lost = records_lost_to_full_ring([&] { session.new_episode(); });  // episode 1's note does not fit
    recorded();  // frees the ring
    { auto on = session.activate(episode0); }  // episode 0's note was not lost: nothing to retry
    {
      auto on = session.activate();  // episode 1: writes its note again
      genai::ScopedLlmCall call(genai::Operation::chat, "openai", "episode-1");
    }
    session.end(trail::EndState::success);
  }).join();
  trail::set_ring_capacity(16384);
  CHECK(lost >= 1);
  const auto spans = recorded();
  const auto* call = find_span(spans, "chat episode-1");
  REQUIRE(call);
  CHECK(str(*call, "gen_ai.conversation.id") == session_id);
}
