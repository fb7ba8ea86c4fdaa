// Agent event types: span names, kinds and attributes exactly as the
// OpenTelemetry GenAI semantic conventions name them.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include <trail/genai.hpp>
#include <trail/trail.hpp>
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
