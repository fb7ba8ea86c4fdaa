// The agent of the GenAI end-to-end stage (scripts/ci/genai.sh): one
// session over two episodes (the second linked to the first), a request
// continued from a received traceparent + tracestate, GenAI spans of every
// kind with token usage, message content with tool calls and tool
// definitions (recorded only when
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT asks for it, a card
// number masked by Config::redact_content), a span link with attributes, a
// link from another thread to the extracted context, and frames. Exporting comes from the OTEL_* variables. Prints one stats line;
// exits 0 when every recorded span was exported.
#include <trail/frame.hpp>
#include <trail/genai.hpp>
#include <trail/runtime.hpp>

#include <cstdio>
#include <string>
#include <thread>

namespace genai = trail::genai;

int main() {
  trail::Config config;
  config.redact_content = [](std::string_view, std::string& text) {
    for (auto at = text.find("4111"); at != std::string::npos; at = text.find("4111")) text.replace(at, 4, "####");
  };
  if (!trail::init(config)) return 2;

  trail::Session session("gatekeeper", "gatekeeper", "npc-7", {"e2e"});
  for (int round = 0; round < 2; ++round) {
    if (round > 0) session.new_episode(trail::EndState::success);
    auto on = session.activate();
    TRAIL_FRAME("main");
    genai::Workflow crew("night-watch");
    genai::AgentInvocation agent(genai::AgentInfo{"gatekeeper", "npc-7", "guards the gate", "1.0", "trail-demo"});
    const genai::ToolDefinition tools[] = {
        {"open_gate", "Opens a gate", R"({"type":"object","properties":{"gate":{"type":"string"}}})"},
        {"look", "Looks around"}};
    agent.tool_definitions(tools, 2);
    genai::ScopedLlmCall call(genai::Operation::chat, "openai", "gpt-4o");
    call.system_instructions({"You guard the gate."});
    call.tool_definitions(tools, 2);
    call.input_messages({{"user", "My card is 4111, let me in"},
                         genai::Message::tool_call("call-0", "look", R"({"dir":"north"})"),
                         genai::Message::tool_response("call-0", R"({"seen":["door"],"card":"4111"})"),
                         genai::Message::tool_response("call-9", "a plain answer")});
    call.output_messages({{"assistant", "No.", "stop"},
                          genai::Message::tool_call("call-1", "open_gate", R"({"gate":"north"})").in_same_message()});
    genai::Usage usage;
    usage.input_tokens = 120;
    usage.output_tokens = 30;
    usage.cache_read_input_tokens = 100;
    usage.cache_creation_input_tokens = 20;
    usage.reasoning_output_tokens = 10;
    call.response("gpt-4o-2024-08-06", {"stop"}, usage);
    genai::ToolCall tool("open_gate", "call-1", "function");
    tool.arguments("{\"gate\":\"north\"}").result("closed");
  }

  // A request received from another service, with its tracestate.
  const trail::ExtractedContext in =
      trail::extract("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "rojo=00f067aa0ba902b7,congo=t61");
  {
    trail::ContextScope scope(in.context);
    TRAIL_SPAN_VAR(handle, "handle request");
    handle.link(session.context(), {{"link.reason", "serves"}, {"attempt", 1}});
    TRAIL_SPAN("nested under the request");
  }
  std::thread([&] {  // a link from another thread carries the extracted tracestate too
    TRAIL_SPAN_VAR(batch, "batch worker");
    batch.link(in.context);
  }).join();
  session.end(trail::EndState::success);

  trail::shutdown();
  const trail::Stats s = trail::stats();
  std::printf("genai_agent: recorded %llu exported %llu dropped %llu\n",
              static_cast<unsigned long long>(s.spans_recorded), static_cast<unsigned long long>(s.spans_exported),
              static_cast<unsigned long long>(s.spans_dropped()));
  return s.spans_recorded > 0 && s.spans_exported == s.spans_recorded ? 0 : 1;
}
