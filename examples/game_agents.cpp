// game_agents: a frame loop (TRAIL_FRAME) updating 200 NPC agents on one
// thread. Each NPC is a session of two rounds, each round an episode (its own
// trace, linked to the previous one); every frame it perceives, plans and
// acts, now and then calls a tool (which may fail) or a language model whose
// answer comes back frames later. Traces go to trail-traces.jsonl (or to the collector in
// OTEL_EXPORTER_OTLP_ENDPOINT); a summary and self-checks are printed.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <trail/frame.hpp>
#include <trail/metrics.hpp>
#include <trail/runtime.hpp>
#include <trail/genai.hpp>
#include <trail/trail.hpp>

#include "trace_summary.hpp"

namespace {

constexpr int kAgents = 200;
constexpr int kFrames = 120;
constexpr int kRoundFrames = kFrames / 2;  // a new episode for every NPC at half time
constexpr int kThinkEvery = 3;  // NPCs think every 3rd frame, staggered (AI level of detail)
constexpr auto kFrameBudget = std::chrono::milliseconds(8);
constexpr const char* kModel = "llama3.2:1b";

trail::Histogram<double> frame_time("game.frame.duration", "ms", "Time to update every NPC in a frame",
                                    {0.25, 0.5, 1, 2, 4, 8, 16, 33, 66});
trail::Counter<std::int64_t> llm_tokens("game.llm.tokens", "{token}", "Tokens used by NPC model calls");
trail::Counter<std::int64_t> tool_failures("game.tool.failures", "{failure}", "Tool calls that failed");

// Deterministic: the same run every time, so CI can compare counts.
struct Rng {
  std::uint64_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::uint32_t>(state >> 11);
  }
  bool chance(int percent) { return static_cast<int>(next() % 100) < percent; }
  int range(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint32_t>(hi - lo + 1)); }
};

// What the demo did, to compare with what was exported.
struct Expected {
  std::size_t spans = 0;
  std::size_t errors = 0;
  std::size_t llm_calls = 0;
  std::size_t tool_calls = 0;
  std::size_t tool_failures = 0;
  std::size_t failed_sessions = 0;
  std::int64_t tokens = 0;
};

struct Npc {
  Npc(int index, const char* role, std::uint64_t seed)
      : id("npc-" + std::to_string(index)), session(role, role, id, {"level-3", role}), rng{seed} {
    x = static_cast<float>(rng.range(0, 100));
    y = static_cast<float>(rng.range(0, 100));
  }

  std::string id;
  trail::Session session;
  Rng rng;
  float x = 0, y = 0;
  int failures = 0;
  std::optional<trail::genai::LlmCall> thinking;  // a model call in flight
  int answer_frame = 0;

  void update(int frame, const std::vector<Npc>& world, Expected& ex) {
    auto on = session.activate();  // spans below belong to this NPC's trace
    int visible = 0;
    {
      TRAIL_SPAN_VAR(perceive, "perceive");
      for (const Npc& other : world) {
        const float dx = other.x - x, dy = other.y - y;
        visible += std::sqrt(dx * dx + dy * dy) < 20.0f ? 1 : 0;
      }
      perceive.set("npc.visible_entities", visible);
    }
    const char* goal = "wander";
    {
      TRAIL_SPAN_VAR(plan, "plan");
      if (thinking && frame >= answer_frame) {
        finish_model_call(ex);
        goal = "follow_advice";
      } else if (!thinking && visible > 5 && rng.chance(8)) {
        // Parent: this plan span. The answer arrives 5..30 frames later.
        thinking.emplace(trail::genai::Operation::chat, "ollama", kModel);
        answer_frame = frame + rng.range(5, 30);
        ++ex.llm_calls;
        ++ex.spans;
        goal = "wait_for_model";
      }
      if (rng.chance(12)) call_tool(ex);
      plan.set("npc.goal", goal);
    }
    {
      trail::genai::Action move("move");
      x += static_cast<float>(static_cast<int>(rng.next() % 5) - 2);
      y += static_cast<float>(static_cast<int>(rng.next() % 5) - 2);
      move.set("target.x", static_cast<double>(x)).set("target.y", static_cast<double>(y));
    }
    ex.spans += 3;
  }

  void call_tool(Expected& ex) {
    const bool pathing = rng.chance(60);
    char call_id[32];
    std::snprintf(call_id, sizeof call_id, "call-%u", rng.next() % 100000);
    trail::genai::ToolCall tool(pathing ? "find_path" : "inventory_lookup", call_id, "function");
    ++ex.tool_calls;
    ++ex.spans;
    if (pathing && rng.chance(25)) {
      trail::genai::record_error(tool, "PathBlocked", "no path to target");
      tool_failures.add(1, {{"gen_ai.tool.name", "find_path"}});
      ++ex.tool_failures;
      ++ex.errors;
      ++failures;
    }
  }

  void finish_model_call(Expected& ex) {
    if (rng.chance(5)) {
      trail::genai::record_error(*thinking, "timeout", "model did not answer in time");
      thinking->end();
      ++ex.errors;
      ++failures;
    } else {
      const int in = rng.range(200, 900), out = rng.range(16, 120);
      thinking->finish(kModel, {"stop"}, in, out);
      llm_tokens.add(in, {{"gen_ai.token.type", "input"}});
      llm_tokens.add(out, {{"gen_ai.token.type", "output"}});
      ex.tokens += in + out;
    }
    thinking.reset();
  }

  // The round is over: a new episode (the session's next trace) or, after
  // the last round, the end of the session.
  void end_round(Expected& ex, bool last) {
    if (last && thinking) finish_model_call(ex);  // the game is over: take the answer now
    const bool failed = failures >= 3;
    const trail::EndState state = failed ? trail::EndState::fail : trail::EndState::success;
    if (last) session.end(state, failed ? "too many failures" : "");
    else session.new_episode(state, failed ? "too many failures" : "");
    if (failed) {
      ++ex.failed_sessions;
      ++ex.errors;
    }
    failures = 0;
    ++ex.spans;
  }
};

}  // namespace

int main() {
  auto memory = std::make_shared<trail::InMemoryExporter>();
  const trail::Config config = demo::make_config(memory, "game_agents");
  if (!trail::init(config)) return 1;
  const bool all_sampled = config.settings.sampler == trail::SamplerKind::always_on ||
                           config.settings.sampler == trail::SamplerKind::parentbased_always_on;

  static const char* const roles[] = {"guard", "merchant", "scout", "villager"};
  std::vector<Npc> npcs;
  npcs.reserve(kAgents);
  for (int i = 0; i < kAgents; ++i) npcs.emplace_back(i, roles[i % 4], 0x9E3779B97F4A7C15ull * (i + 1));

  Expected ex;
  const auto start = std::chrono::steady_clock::now();
  for (int frame = 0; frame < kFrames; ++frame) {
    const auto frame_start = std::chrono::steady_clock::now();
    {
      // This scope is a frame: a span of its own trace ("frame main"); the
      // NPCs' spans go to their sessions' traces, numbered with frame.number.
      TRAIL_FRAME("main");
      ++ex.spans;
      if (frame == kRoundFrames)
        for (auto& npc : npcs) npc.end_round(ex, /*last=*/false);
      for (int i = frame % kThinkEvery; i < kAgents; i += kThinkEvery) npcs[i].update(frame, npcs, ex);
    }
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - frame_start;
    frame_time.record(took.count());
    std::this_thread::sleep_until(frame_start + kFrameBudget);
  }
  for (auto& npc : npcs) npc.end_round(ex, /*last=*/true);
  const std::chrono::duration<double> run = std::chrono::steady_clock::now() - start;

  std::printf("game_agents: %d NPC agents, %d frames in %.2f s\n", kAgents, kFrames, run.count());
  demo::Outcome outcome = demo::finish_run(*memory, config);
  const auto& spans = outcome.spans;
  const auto& metrics = outcome.metrics;
  const trail::Summary& summary = outcome.summary;
  demo::Checks& check = outcome.check;
  std::size_t llm = 0, perceive = 0, failed_sessions = 0, root_sessions = 0, linked_episodes = 0, framed = 0;
  std::int64_t tokens = 0;
  for (const auto& s : spans) {
    if (s.name == std::string("chat ") + kModel) {
      ++llm;
      tokens += demo::int_attribute(s, "gen_ai.usage.input_tokens");
      tokens += demo::int_attribute(s, "gen_ai.usage.output_tokens");
    }
    if (s.name == "perceive") ++perceive;
    if (demo::string_attribute(s, "session.end_state") == "fail") ++failed_sessions;
    if (!demo::string_attribute(s, "session.end_state").empty() && !s.parent_span_id.valid()) {
      ++root_sessions;
      linked_episodes += s.links.size();
    }
    if (s.name == "perceive" && trail::find_attribute(s.attributes, "frame.number") != nullptr) ++framed;
  }
  if (all_sampled) {
    check.expect(summary.sessions == 2 * kAgents && root_sessions == 2 * kAgents,
                 "two ended episodes per agent (%zu of %d)", summary.sessions, 2 * kAgents);
    check.expect(linked_episodes == kAgents, "each second episode linked to the first (%zu)", linked_episodes);
    // Sessions interleaved on one thread: each NPC's spans are in its episode's trace; each frame is a trace.
    check.expect(summary.traces == 2 * kAgents + kFrames, "traces == episodes + frames (%zu)",
                 summary.traces);
    check.expect(framed == perceive, "every perceive span has its frame.number (%zu)", framed);
    check.expect(spans.size() == ex.spans, "spans == spans made (%zu of %zu)", spans.size(), ex.spans);
    check.expect(summary.errors == ex.errors, "errors == failures made (%zu of %zu)", summary.errors, ex.errors);
    check.expect(perceive == std::size_t{kAgents} * kFrames / kThinkEvery, "perceive spans == agent updates (%zu)",
                 perceive);
    check.expect(llm == ex.llm_calls && llm > 0, "LLM call spans == calls made (%zu of %zu)", llm, ex.llm_calls);
    check.expect(failed_sessions == ex.failed_sessions, "failed sessions (%zu of %zu)", failed_sessions,
                 ex.failed_sessions);
    check.expect(tokens == ex.tokens && tokens == demo::counter_total(metrics, "game.llm.tokens"),
                 "tokens in spans == tokens counter (%lld)", static_cast<long long>(tokens));
  }
  check.expect(demo::counter_total(metrics, "game.tool.failures") == static_cast<std::int64_t>(ex.tool_failures),
               "tool failures counter (%zu)", ex.tool_failures);
  check.expect(demo::histogram_count(metrics, "game.frame.duration") == kFrames, "one frame time per frame");
  return check.finish("game_agents");
}
