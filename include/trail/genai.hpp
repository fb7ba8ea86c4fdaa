// Agent event types following the OpenTelemetry GenAI semantic conventions
// (open-telemetry/semantic-conventions-genai: gen-ai-spans, agent spans,
// exceptions): model calls, tool executions, agent creation and invocation,
// workflows, plus agent actions (move, grasp, fire) and errors.
//
//   trail::genai::LlmCall call(trail::genai::Operation::chat, "openai", "gpt-4o");
//   call.input_messages({{"user", "Where is the key?"}});   // only with content capture on
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
// ends with it) or async (AsyncSpan: moved anywhere, ended on any thread,
// move-assignable) spans; every type also takes an explicit parent Context
// as its first argument. Under a Session's context (however it became
// current), they carry the session id as gen_ai.conversation.id, added on
// the export side.
//
// Message content is opt-in (set_capture_message_content, or
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true through init):
// recorded as strings in the ring, turned into the conventions' JSON message
// schema, cut and passed through Config::redact_content on the export side.
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

// A message of a conversation, for content capture: its role (system, user,
// assistant, tool), its content and, for output messages, why the model
// stopped. With a tool name it is the model asking for a tool call (a
// `tool_call` part; content: the arguments); with role `tool` or a call id
// alone it is a tool's answer (a `tool_call_response` part; content: the
// response). Arguments and responses that are JSON are exported as JSON,
// other text as a string. A Message with an empty role is one more part of
// the message before it (several tool calls in one answer).
struct Message {
  std::string_view role;
  std::string_view content;
  std::string_view finish_reason = {};
  std::string_view tool_call_id = {};
  std::string_view tool_name = {};

  // The model asks for tool `name` (role assistant).
  static constexpr Message tool_call(std::string_view id, std::string_view name, std::string_view arguments,
                                     std::string_view finish_reason = {}) noexcept {
    return Message{"assistant", arguments, finish_reason, id, name};
  }
  // A tool's answer to call `id` (role tool).
  static constexpr Message tool_response(std::string_view id, std::string_view response) noexcept {
    return Message{"tool", response, {}, id, {}};
  }
  // This message as one more part of the message before it.
  constexpr Message in_same_message() const noexcept {
    Message m = *this;
    m.role = {};
    return m;
  }
};

// A tool the model may call, for gen_ai.tool.definitions (content capture):
// `parameters` is its JSON schema; empty values are left out.
struct ToolDefinition {
  std::string_view name;
  std::string_view description = {};
  std::string_view parameters = {};
  std::string_view type = "function";
};

// Token usage as the provider reports it; negative values are left out.
struct Usage {
  std::int64_t input_tokens = -1;                 // gen_ai.usage.input_tokens, cached ones included
  std::int64_t output_tokens = -1;                // gen_ai.usage.output_tokens, reasoning ones included
  std::int64_t cache_read_input_tokens = -1;      // gen_ai.usage.cache_read.input_tokens
  std::int64_t cache_creation_input_tokens = -1;  // gen_ai.usage.cache_creation.input_tokens (cache writes)
  std::int64_t reasoning_output_tokens = -1;      // gen_ai.usage.reasoning.output_tokens
};

// The agent an agent span is about; empty fields are left out.
struct AgentInfo {
  std::string_view name;                // gen_ai.agent.name, and the span name
  std::string_view id = {};             // gen_ai.agent.id
  std::string_view description = {};    // gen_ai.agent.description
  std::string_view version = {};        // gen_ai.agent.version
  std::string_view provider = {};       // gen_ai.provider.name (required for remote agents)
};

namespace detail {

using sv = std::string_view;

// Static names are fallbacks: each span also records its dynamic name.
inline constexpr EventType<sv, sv, sv> model_call{"gen_ai", SpanKind::client, "gen_ai.operation.name",
                                                  "gen_ai.provider.name", "gen_ai.request.model"};
inline constexpr EventType<sv, sv> tool_call{"execute_tool", SpanKind::internal, "gen_ai.operation.name",
                                             "gen_ai.tool.name"};
inline constexpr EventType<sv, sv> agent_operation{"invoke_agent", SpanKind::internal, "gen_ai.operation.name",
                                                   "gen_ai.agent.name"};
inline constexpr EventType<sv, sv> workflow{"invoke_workflow", SpanKind::internal, "gen_ai.operation.name",
                                            "gen_ai.workflow.name"};
inline constexpr EventType<sv> action{"action", SpanKind::internal, "agent.action.name"};

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

// What every GenAI type adds to its span base: the GenAI flag (for the
// export side), content capture, agent attributes.
template <class Base>
class GenAiSpan : public Base {
  static_assert(is_span_base<Base>, "trail: Base is trail::Span or trail::AsyncSpan");

 public:
  // Content capture (opt-in, see set_capture_message_content); each records
  // nothing while capture is off. Strings are copied; the export side turns
  // them into the conventions' JSON.
  // gen_ai.system_instructions: the system prompt's text parts.
  GenAiSpan& system_instructions(std::initializer_list<std::string_view> parts) noexcept {
    const std::string_view* p = parts.begin();
    if (capturing() && this->prepare_write())
      mark(trail::detail::write_string_array_of(this->context().span_id.value, 0, "gen_ai.system_instructions",
                                                parts.size(), [p](std::size_t i) { return p[i]; }));
    return *this;
  }
  // gen_ai.input.messages: what the model was sent (chat history included).
  GenAiSpan& input_messages(std::initializer_list<Message> messages) noexcept {
    return input_messages(messages.begin(), messages.size());
  }
  GenAiSpan& input_messages(const Message* messages, std::size_t count) noexcept {
    return write_messages("gen_ai.input.messages", messages, count);
  }
  // gen_ai.output.messages: what the model answered, with finish reasons.
  GenAiSpan& output_messages(std::initializer_list<Message> messages) noexcept {
    return output_messages(messages.begin(), messages.size());
  }
  GenAiSpan& output_messages(const Message* messages, std::size_t count) noexcept {
    return write_messages("gen_ai.output.messages", messages, count);
  }

 protected:
  using Base::Base;
  GenAiSpan() noexcept = default;

  // Called by each type's constructor once the span has started.
  void start_genai(std::string_view name) noexcept {
    this->s_.flags |= trail::detail::span_genai;
    this->set_dynamic_name(name);
  }

  void set_agent(const AgentInfo& agent) noexcept {
    if (!agent.id.empty()) this->set("gen_ai.agent.id", agent.id);
    if (!agent.description.empty()) this->set("gen_ai.agent.description", agent.description);
    if (!agent.version.empty()) this->set("gen_ai.agent.version", agent.version);
    if (!agent.provider.empty()) this->set("gen_ai.provider.name", agent.provider);
  }

  // A captured string attribute (tool arguments and results).
  void set_content(const char* key, std::string_view text) noexcept {
    if (capturing()) this->set(key, text);
  }

 private:
  bool capturing() const noexcept { return this->is_recording() && capture_message_content(); }
  void mark(bool written) noexcept {
    if (written) this->s_.flags |= trail::detail::span_has_extras;
  }

  // Five strings per message: role, content, finish reason, tool call id,
  // tool name (genai_content.hpp reads them back).
  GenAiSpan& write_messages(const char* key, const Message* messages, std::size_t count) noexcept {
    if (!capturing() || !this->prepare_write()) return *this;
    mark(trail::detail::write_string_array_of(
        this->context().span_id.value, 0, key, 5 * count, [messages](std::size_t i) {
          const Message& m = messages[i / 5];
          const std::string_view fields[] = {m.role, m.content, m.finish_reason, m.tool_call_id, m.tool_name};
          return fields[i % 5];
        }));
    return *this;
  }

 protected:
  // gen_ai.tool.definitions, four strings per tool: name, description,
  // parameters, type. Public on the spans the conventions give it to.
  void write_tool_definitions(const ToolDefinition* tools, std::size_t count) noexcept {
    if (!capturing() || !this->prepare_write()) return;
    mark(trail::detail::write_string_array_of(this->context().span_id.value, 0, "gen_ai.tool.definitions", 4 * count,
                                              [tools](std::size_t i) {
                                                const ToolDefinition& t = tools[i / 4];
                                                const std::string_view fields[] = {t.name, t.description,
                                                                                   t.parameters, t.type};
                                                return fields[i % 4];
                                              }));
  }
};

}  // namespace detail

// A model call: span `{operation} {model}` (`chat gpt-4o`), kind CLIENT, or
// INTERNAL for an in-process model.
template <class Base>
class BasicLlmCall : public detail::GenAiSpan<Base> {
  using GenAi = detail::GenAiSpan<Base>;

 public:
  BasicLlmCall(Operation op, std::string_view provider, std::string_view request_model,
               SpanKind kind = SpanKind::client) noexcept
      : GenAi(detail::model_call, operation_name(op), provider, request_model) {
    start(op, provider, request_model, kind);
  }
  BasicLlmCall(const Context& parent, Operation op, std::string_view provider, std::string_view request_model,
               SpanKind kind = SpanKind::client) noexcept
      : GenAi(parent, detail::model_call, operation_name(op), provider, request_model) {
    start(op, provider, request_model, kind);
  }
  // No call: records nothing; assign one later (async calls only).
  BasicLlmCall() noexcept = default;

  BasicLlmCall(BasicLlmCall&& other) noexcept : GenAi(std::move(other)) { take(other); }
  // Async calls only: ends this call (recording its duration), then takes `other`.
  BasicLlmCall& operator=(BasicLlmCall&& other) noexcept {
    if (this != &other) {
      record_duration();
      GenAi::operator=(std::move(other));
      take(other);
    }
    return *this;
  }
  ~BasicLlmCall() { record_duration(); }

  // The response: model that answered, finish reasons (one per choice),
  // token usage; empty / negative values are left out. Tokens also go to
  // gen_ai.client.token.usage.
  BasicLlmCall& response(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
                         std::int64_t input_tokens = -1, std::int64_t output_tokens = -1) noexcept {
    Usage u;
    u.input_tokens = input_tokens;
    u.output_tokens = output_tokens;
    return response(response_model, finish_reasons, u);
  }
  BasicLlmCall& response(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
                         const Usage& usage) noexcept {
    if (!response_model.empty()) {
      this->set("gen_ai.response.model", response_model);
      response_model_ = trail::detail::JoinedName<96>(response_model, {});
    }
    if (finish_reasons.size() > 0)
      this->set_array("gen_ai.response.finish_reasons", finish_reasons.begin(), finish_reasons.size());
    return this->usage(usage);
  }

  // Token usage alone (e.g. reported after the response).
  BasicLlmCall& usage(const Usage& u) noexcept {
    if (u.input_tokens >= 0) this->set("gen_ai.usage.input_tokens", u.input_tokens);
    if (u.output_tokens >= 0) this->set("gen_ai.usage.output_tokens", u.output_tokens);
    if (u.cache_read_input_tokens >= 0) this->set("gen_ai.usage.cache_read.input_tokens", u.cache_read_input_tokens);
    if (u.cache_creation_input_tokens >= 0)
      this->set("gen_ai.usage.cache_creation.input_tokens", u.cache_creation_input_tokens);
    if (u.reasoning_output_tokens >= 0) this->set("gen_ai.usage.reasoning.output_tokens", u.reasoning_output_tokens);
    if (metrics_due_) {
      if (u.input_tokens >= 0) record_tokens("input", u.input_tokens);
      if (u.output_tokens >= 0) record_tokens("output", u.output_tokens);
    }
    return *this;
  }

  // gen_ai.tool.definitions: the tools the model was offered (content
  // capture, as messages).
  BasicLlmCall& tool_definitions(std::initializer_list<ToolDefinition> tools) noexcept {
    return tool_definitions(tools.begin(), tools.size());
  }
  BasicLlmCall& tool_definitions(const ToolDefinition* tools, std::size_t count) noexcept {
    this->write_tool_definitions(tools, count);
    return *this;
  }

  // Records the response and ends the call (an async one now, a scoped one
  // with its scope).
  void finish(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
              std::int64_t input_tokens = -1, std::int64_t output_tokens = -1) noexcept {
    response(response_model, finish_reasons, input_tokens, output_tokens);
    end_call();
  }
  void finish(std::string_view response_model, std::initializer_list<std::string_view> finish_reasons,
              const Usage& usage) noexcept {
    response(response_model, finish_reasons, usage);
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
  void start(Operation op, std::string_view provider, std::string_view request_model, SpanKind kind) noexcept {
    op_ = op;
    provider_ = trail::detail::JoinedName<64>(provider, {});
    request_model_ = trail::detail::JoinedName<96>(request_model, {});
    start_ns_ = trail::detail::monotonic_ns();
    metrics_due_ = trail::detail::enabled();
    this->s_.kind = kind;
    this->start_genai(trail::detail::JoinedName(operation_name(op), request_model).view());
  }

  void take(BasicLlmCall& other) noexcept {
    op_ = other.op_;
    provider_ = other.provider_;
    request_model_ = other.request_model_;
    response_model_ = other.response_model_;
    error_type_ = other.error_type_;
    start_ns_ = other.start_ns_;
    metrics_due_ = other.metrics_due_;
    other.metrics_due_ = false;
  }

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

  Operation op_ = Operation::chat;
  trail::detail::JoinedName<64> provider_;
  trail::detail::JoinedName<96> request_model_;
  trail::detail::JoinedName<96> response_model_;
  trail::detail::JoinedName<64> error_type_;
  std::uint64_t start_ns_ = 0;
  bool metrics_due_ = false;
};

// A tool execution: span `execute_tool {tool}`, kind INTERNAL. The tool name
// is required (an empty one is recorded as `unknown`); `tool_type`:
// function, extension or datastore; empty values are left out.
template <class Base>
class BasicToolCall : public detail::GenAiSpan<Base> {
  using GenAi = detail::GenAiSpan<Base>;

 public:
  explicit BasicToolCall(std::string_view tool_name, std::string_view call_id = {}, std::string_view tool_type = {},
                         std::string_view description = {}) noexcept
      : GenAi(detail::tool_call, std::string_view("execute_tool"), name_or_unknown(tool_name)) {
    start(tool_name, call_id, tool_type, description);
  }
  BasicToolCall(const Context& parent, std::string_view tool_name, std::string_view call_id = {},
                std::string_view tool_type = {}, std::string_view description = {}) noexcept
      : GenAi(parent, detail::tool_call, std::string_view("execute_tool"), name_or_unknown(tool_name)) {
    start(tool_name, call_id, tool_type, description);
  }
  BasicToolCall() noexcept = default;

  // gen_ai.tool.call.arguments / .result (content: opt-in, see Message).
  BasicToolCall& arguments(std::string_view json) noexcept {
    this->set_content("gen_ai.tool.call.arguments", json);
    return *this;
  }
  BasicToolCall& result(std::string_view text) noexcept {
    this->set_content("gen_ai.tool.call.result", text);
    return *this;
  }

 private:
  static std::string_view name_or_unknown(std::string_view name) noexcept { return name.empty() ? "unknown" : name; }

  void start(std::string_view tool_name, std::string_view call_id, std::string_view tool_type,
             std::string_view description) noexcept {
    this->start_genai(trail::detail::JoinedName("execute_tool", name_or_unknown(tool_name)).view());
    if (!call_id.empty()) this->set("gen_ai.tool.call.id", call_id);
    if (!tool_type.empty()) this->set("gen_ai.tool.type", tool_type);
    if (!description.empty()) this->set("gen_ai.tool.description", description);
  }
};

// An agent invocation: span `invoke_agent {agent}` (`invoke_agent` without a
// name), kind INTERNAL for an agent in this process, CLIENT for a remote one.
template <class Base>
class BasicAgentInvocation : public detail::GenAiSpan<Base> {
  using GenAi = detail::GenAiSpan<Base>;

 public:
  explicit BasicAgentInvocation(const AgentInfo& agent, SpanKind kind = SpanKind::internal) noexcept
      : GenAi(detail::agent_operation, std::string_view("invoke_agent"), agent.name) {
    start(agent, kind);
  }
  BasicAgentInvocation(const Context& parent, const AgentInfo& agent, SpanKind kind = SpanKind::internal) noexcept
      : GenAi(parent, detail::agent_operation, std::string_view("invoke_agent"), agent.name) {
    start(agent, kind);
  }
  explicit BasicAgentInvocation(std::string_view agent_name, std::string_view agent_id = {},
                                SpanKind kind = SpanKind::internal) noexcept
      : BasicAgentInvocation(AgentInfo{agent_name, agent_id}, kind) {}
  BasicAgentInvocation() noexcept = default;

  // gen_ai.tool.definitions: the tools the agent has (content capture).
  BasicAgentInvocation& tool_definitions(std::initializer_list<ToolDefinition> tools) noexcept {
    return tool_definitions(tools.begin(), tools.size());
  }
  BasicAgentInvocation& tool_definitions(const ToolDefinition* tools, std::size_t count) noexcept {
    this->write_tool_definitions(tools, count);
    return *this;
  }

 private:
  void start(const AgentInfo& agent, SpanKind kind) noexcept {
    this->s_.kind = kind;
    this->start_genai(trail::detail::JoinedName("invoke_agent", agent.name).view());
    this->set_agent(agent);
  }
};

// Creating an agent (usually at a remote agent service): span
// `create_agent {agent}`, kind CLIENT.
template <class Base>
class BasicAgentCreation : public detail::GenAiSpan<Base> {
  using GenAi = detail::GenAiSpan<Base>;

 public:
  explicit BasicAgentCreation(const AgentInfo& agent, std::string_view request_model = {}) noexcept
      : GenAi(detail::agent_operation, std::string_view("create_agent"), agent.name) {
    start(agent, request_model);
  }
  BasicAgentCreation(const Context& parent, const AgentInfo& agent, std::string_view request_model = {}) noexcept
      : GenAi(parent, detail::agent_operation, std::string_view("create_agent"), agent.name) {
    start(agent, request_model);
  }
  BasicAgentCreation() noexcept = default;

 private:
  void start(const AgentInfo& agent, std::string_view request_model) noexcept {
    this->s_.kind = SpanKind::client;
    this->start_genai(trail::detail::JoinedName("create_agent", agent.name).view());
    this->set_agent(agent);
    if (!request_model.empty()) this->set("gen_ai.request.model", request_model);
  }
};

// A workflow of several agents (a crew, a pipeline): span
// `invoke_workflow {name}`, kind INTERNAL.
template <class Base>
class BasicWorkflow : public detail::GenAiSpan<Base> {
  using GenAi = detail::GenAiSpan<Base>;

 public:
  explicit BasicWorkflow(std::string_view name) noexcept
      : GenAi(detail::workflow, std::string_view("invoke_workflow"), name) {
    this->start_genai(trail::detail::JoinedName("invoke_workflow", name).view());
  }
  BasicWorkflow(const Context& parent, std::string_view name) noexcept
      : GenAi(parent, detail::workflow, std::string_view("invoke_workflow"), name) {
    this->start_genai(trail::detail::JoinedName("invoke_workflow", name).view());
  }
  BasicWorkflow() noexcept = default;
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
  BasicAction(const Context& parent, std::string_view name) noexcept : Base(parent, detail::action, name) {
    this->set_dynamic_name(trail::detail::JoinedName("action", name).view());
  }
  BasicAction() noexcept = default;
};

using LlmCall = BasicLlmCall<AsyncSpan>;  // finishes later, anywhere
using ScopedLlmCall = BasicLlmCall<Span>;
using ToolCall = BasicToolCall<Span>;
using AsyncToolCall = BasicToolCall<AsyncSpan>;
using AgentInvocation = BasicAgentInvocation<Span>;
using AsyncAgentInvocation = BasicAgentInvocation<AsyncSpan>;
using AgentCreation = BasicAgentCreation<Span>;
using AsyncAgentCreation = BasicAgentCreation<AsyncSpan>;
using Workflow = BasicWorkflow<Span>;
using AsyncWorkflow = BasicWorkflow<AsyncSpan>;
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
