// Agent event types following the OpenTelemetry GenAI semantic conventions
// (gen-ai-spans, gen-ai-agent-spans, exceptions): LLM calls, tool calls,
// agent invocations, plus agent actions (move, grasp, fire) and errors.
//
//   trail::genai::LlmCall call(trail::genai::Operation::chat, "openai", "gpt-4o");
//   ...                                    // frames later, on any thread:
//   call.finish("gpt-4o-2024-08-06", {"stop"}, 812, 64);
//
//   trail::genai::ToolCall tool("find_path", "call-17", "function");  // scoped
//   trail::genai::Action move("move");  move.set("target.x", 3.5);
//   trail::genai::record_error(move, "blocked", "path blocked by door");
//
// Each is a compile-time event type (static keys, typed values) with a span
// name built on the stack from its operation and subject, copied into the
// ring: no allocation. The aliases pick scoped (Span: current for its scope,
// ends with it) or async (AsyncSpan: moved anywhere, ended on any thread)
// spans. Inside an activated Session, LLM calls and agent invocations carry
// the session id as gen_ai.conversation.id.
//
// LLM calls also record the GenAI client metrics: gen_ai.client.token.usage
// and gen_ai.client.operation.duration (histograms with the conventions'
// bucket boundaries). Not included by trail.hpp: include <trail/genai.hpp>.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "clock.hpp"
#include "event_type.hpp"
#include "metrics.hpp"
#include "session.hpp"
#include "span.hpp"

namespace trail::genai {

// gen_ai.operation.name of a model call.
enum class Operation : std::uint8_t { chat, text_completion, generate_content, embeddings };

constexpr std::string_view operation_name(Operation op) noexcept {
  switch (op) {
    case Operation::chat: return "chat";
    case Operation::text_completion: return "text_completion";
    case Operation::generate_content: return "generate_content";
    case Operation::embeddings: return "embeddings";
  }
  return "chat";
}

namespace detail {

using sv = std::string_view;

// Static names are fallbacks: each span also records its dynamic name.
inline constexpr EventType<sv, sv, sv> model_call{"gen_ai", SpanKind::client, "gen_ai.operation.name",
                                                  "gen_ai.provider.name", "gen_ai.request.model"};
inline constexpr EventType<sv, sv> tool_call{"execute_tool", SpanKind::internal, "gen_ai.operation.name",
                                             "gen_ai.tool.name"};
inline constexpr EventType<sv, sv> agent_invocation{"invoke_agent", SpanKind::internal, "gen_ai.operation.name",
                                                    "gen_ai.agent.name"};
inline constexpr EventType<sv> action{"action", SpanKind::internal, "agent.action.name"};

// gen_ai.conversation.id: the id of the session active on this thread, when
// the span belongs to its trace.
inline void set_conversation(SpanBase& span) noexcept {
  const TraceId session = trail::detail::this_thread().session;
  if (!span.is_recording() || !session.valid() || span.context().trace_id != session) return;
  char id[32];
  session.to_hex(id);
  span.set("gen_ai.conversation.id", std::string_view(id, sizeof id));
}

// The GenAI client metrics of the semantic conventions (gen-ai-metrics.md),
// made on first use, one set for the whole process (whichever copy of trail
// asks first), and never destroyed: the final export at exit reads them.
struct ClientMetrics {
  Histogram<std::int64_t> token_usage{
      "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used",
      {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}};
  Histogram<double> operation_duration{
      "gen_ai.client.operation.duration", "s", "GenAI operation duration",
      {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}};
};

inline ClientMetrics& client_metrics() {
  static ClientMetrics& metrics =
      trail::detail::process_object<ClientMetrics>(&trail::detail::ProcessState::genai_metrics);
  return metrics;
}

// error.type when the caller has none: `_OTHER`, as the conventions say.
constexpr std::string_view error_type_or_other(std::string_view type) noexcept {
  return type.empty() ? std::string_view("_OTHER") : type;
}

template <class Base>
constexpr bool is_span_base = std::is_same_v<Base, Span> || std::is_same_v<Base, AsyncSpan>;

}  // namespace detail

// A model call: span `{operation} {model}` (`chat gpt-4o`), kind CLIENT, or
// INTERNAL for an in-process model.
template <class Base>
class BasicLlmCall : public Base {
  static_assert(detail::is_span_base<Base>, "trail: Base is trail::Span or trail::AsyncSpan");

 public:
  BasicLlmCall(Operation op, std::string_view provider, std::string_view request_model,
               SpanKind kind = SpanKind::client) noexcept
      : Base(detail::model_call, operation_name(op), provider, request_model),
        op_(op),
        provider_(provider, {}),
        request_model_(request_model, {}),
        start_ns_(trail::detail::monotonic_ns()),
        metrics_due_(trail::detail::enabled()) {
    this->s_.kind = kind;
    this->set_dynamic_name(trail::detail::JoinedName(operation_name(op), request_model).view());
    detail::set_conversation(*this);
  }

  BasicLlmCall(BasicLlmCall&& other) noexcept
      : Base(std::move(other)),
        op_(other.op_),
        provider_(other.provider_),
        request_model_(other.request_model_),
        response_model_(other.response_model_),
        error_type_(other.error_type_),
        start_ns_(other.start_ns_),
        metrics_due_(other.metrics_due_) {
    other.metrics_due_ = false;
  }
  BasicLlmCall& operator=(BasicLlmCall&&) = delete;
  ~BasicLlmCall() { record_duration(); }

  // The response: model that answered, finish reasons (one per choice),
  // token usage; empty / negative values are left out. Tokens also go to
  // gen_ai.client.token.usage.
  BasicLlmCall& response(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
                         std::int64_t input_tokens = -1, std::int64_t output_tokens = -1) noexcept {
    if (!response_model.empty()) {
      this->set("gen_ai.response.model", response_model);
      response_model_ = trail::detail::JoinedName<96>(response_model, {});
    }
    if (finish_reasons.size() > 0)
      this->set_array("gen_ai.response.finish_reasons", finish_reasons.begin(), finish_reasons.size());
    if (input_tokens >= 0) this->set("gen_ai.usage.input_tokens", input_tokens);
    if (output_tokens >= 0) this->set("gen_ai.usage.output_tokens", output_tokens);
    if (metrics_due_) {
      if (input_tokens >= 0) record_tokens("input", input_tokens);
      if (output_tokens >= 0) record_tokens("output", output_tokens);
    }
    return *this;
  }

  // Records the response and ends the call (an async one now, a scoped one
  // with its scope).
  void finish(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
              std::int64_t input_tokens = -1, std::int64_t output_tokens = -1) noexcept {
    response(response_model, finish_reasons, input_tokens, output_tokens);
    end_call();
  }

  // The call failed: record_error on the span (status, error.type, exception
  // event), error.type on the duration metric, and the call ends.
  void fail(std::string_view error_type, std::string_view message) noexcept {
    record_error(*this, error_type, message);
    end_call();
  }

  // Ends an async call now (as finish() and fail() do), recording its duration.
  template <class B = Base, class = std::enable_if_t<std::is_same_v<B, AsyncSpan>>>
  void end() noexcept {
    end_call();
  }

  // error.type for the duration metric; record_error(call, ...) sets it, so
  // that it and fail() agree.
  void set_error_type(std::string_view error_type) noexcept {
    error_type_ = trail::detail::JoinedName<64>(detail::error_type_or_other(error_type), {});
  }

 private:
  void end_call() noexcept {
    if constexpr (std::is_same_v<Base, AsyncSpan>) {
      record_duration();
      Base::end();
    }
  }

  void record_tokens(std::string_view type, std::int64_t tokens) noexcept {
    const MetricAttribute attrs[] = {{"gen_ai.operation.name", operation_name(op_)},
                                     {"gen_ai.provider.name", provider_.view()},
                                     {"gen_ai.request.model", request_model_.view()},
                                     {"gen_ai.token.type", type},
                                     {"gen_ai.response.model", response_model_.view()}};
    detail::client_metrics().token_usage.record(tokens, attrs, response_model_.view().empty() ? 4 : 5);
  }

  void record_duration() noexcept {
    if (!metrics_due_) return;
    metrics_due_ = false;
    const double seconds = static_cast<double>(trail::detail::monotonic_ns() - start_ns_) / 1e9;
    MetricAttribute attrs[] = {{"gen_ai.operation.name", operation_name(op_)},
                               {"gen_ai.provider.name", provider_.view()},
                               {"gen_ai.request.model", request_model_.view()},
                               {"gen_ai.response.model", response_model_.view()},
                               {"error.type", error_type_.view()}};
    std::size_t n = 3;
    if (!response_model_.view().empty()) attrs[n++] = attrs[3];
    if (!error_type_.view().empty()) attrs[n++] = attrs[4];
    detail::client_metrics().operation_duration.record(seconds, attrs, n);
  }

  Operation op_;
  trail::detail::JoinedName<64> provider_;
  trail::detail::JoinedName<96> request_model_;
  trail::detail::JoinedName<96> response_model_;
  trail::detail::JoinedName<64> error_type_;
  std::uint64_t start_ns_;
  bool metrics_due_;
};

// A tool execution: span `execute_tool {tool}`, kind INTERNAL.
// `tool_type`: function, extension or datastore; empty values are left out.
template <class Base>
class BasicToolCall : public Base {
  static_assert(detail::is_span_base<Base>, "trail: Base is trail::Span or trail::AsyncSpan");

 public:
  explicit BasicToolCall(std::string_view tool_name, std::string_view call_id = {},
                         std::string_view tool_type = {}) noexcept
      : Base(detail::tool_call, std::string_view("execute_tool"), tool_name) {
    this->set_dynamic_name(trail::detail::JoinedName("execute_tool", tool_name).view());
    if (!call_id.empty()) this->set("gen_ai.tool.call.id", call_id);
    if (!tool_type.empty()) this->set("gen_ai.tool.type", tool_type);
  }
};

// An agent invocation: span `invoke_agent {agent}`, kind INTERNAL (CLIENT
// for a remote agent).
template <class Base>
class BasicAgentInvocation : public Base {
  static_assert(detail::is_span_base<Base>, "trail: Base is trail::Span or trail::AsyncSpan");

 public:
  explicit BasicAgentInvocation(std::string_view agent_name, std::string_view agent_id = {},
                                SpanKind kind = SpanKind::internal) noexcept
      : Base(detail::agent_invocation, std::string_view("invoke_agent"), agent_name) {
    this->s_.kind = kind;
    this->set_dynamic_name(trail::detail::JoinedName("invoke_agent", agent_name).view());
    if (!agent_id.empty()) this->set("gen_ai.agent.id", agent_id);
    detail::set_conversation(*this);
  }
};

// A game or robot action: span `action {name}` with `agent.action.name`; its
// parameters are attributes (`set("target.x", 3.5)`). For hot actions with
// fixed parameters, declare an EventType instead: no dynamic name to copy.
template <class Base>
class BasicAction : public Base {
  static_assert(detail::is_span_base<Base>, "trail: Base is trail::Span or trail::AsyncSpan");

 public:
  explicit BasicAction(std::string_view name) noexcept : Base(detail::action, name) {
    this->set_dynamic_name(trail::detail::JoinedName("action", name).view());
  }
};

using LlmCall = BasicLlmCall<AsyncSpan>;  // finishes later, anywhere
using ScopedLlmCall = BasicLlmCall<Span>;
using ToolCall = BasicToolCall<Span>;
using AsyncToolCall = BasicToolCall<AsyncSpan>;
using AgentInvocation = BasicAgentInvocation<Span>;
using AsyncAgentInvocation = BasicAgentInvocation<AsyncSpan>;
using Action = BasicAction<Span>;
using AsyncAction = BasicAction<AsyncSpan>;

// An error on `span`: status ERROR with `message`, `error.type` (`_OTHER`
// when `type` is empty) and an `exception` event with exception.type,
// exception.message and exception.stacktrace (those given).
inline void record_error(SpanBase& span, std::string_view type, std::string_view message,
                         std::string_view stacktrace = {}) noexcept {
  if (!span.is_recording()) return;
  span.set_status(StatusCode::error, message);
  span.set("error.type", detail::error_type_or_other(type));
  EventRef event = span.event("exception");
  if (!type.empty()) event.set("exception.type", type);
  if (!message.empty()) event.set("exception.message", message);
  if (!stacktrace.empty()) event.set("exception.stacktrace", stacktrace);
}

// On an LLM call, error.type also goes to gen_ai.client.operation.duration.
template <class Base>
void record_error(BasicLlmCall<Base>& call, std::string_view type, std::string_view message,
                  std::string_view stacktrace = {}) noexcept {
  record_error(static_cast<SpanBase&>(call), type, message, stacktrace);
  call.set_error_type(type);
}

}  // namespace trail::genai
