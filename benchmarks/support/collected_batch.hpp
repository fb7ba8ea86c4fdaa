// The batch the export benchmarks send: 512 spans as the collector hands
// them over, with 3 attributes recorded by the program (int, double, short
// string) and the 4 the collector adds (code.function.name, code.file.path,
// code.line.number, thread.id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <trail/export/span_data.hpp>

namespace trail::bench {

inline constexpr std::size_t kBatch = 512;

inline const trail::Resource& resource() {
  static const trail::Resource r{{{"service.name", std::string("game_agents")},
                                  {"telemetry.sdk.name", std::string("trail")},
                                  {"telemetry.sdk.language", std::string("cpp")},
                                  {"telemetry.sdk.version", std::string("0.1.0")}}};
  return r;
}
inline const trail::InstrumentationScope scope{"trail", "0.1.0"};

inline std::vector<trail::SpanData> collected_batch() {
  static const char* const names[] = {"perceive", "plan", "act", "score", "expand", "move"};
  static const char* const functions[] = {"void Npc::perceive(const World&)", "void Npc::plan(int)",
                                          "void Npc::act()"};
  std::mt19937_64 rng(42);
  std::vector<trail::SpanData> spans(kBatch);
  std::uint64_t t = 1700000000000000000ull;
  trail::SpanId root;
  trail::TraceId trace;
  for (std::size_t i = 0; i < kBatch; ++i) {
    trail::SpanData& s = spans[i];
    if (i % 8 == 0) trace = {rng(), rng() | 1};
    s.trace_id = trace;
    s.span_id = {rng() | 1};
    if (i % 8 == 0) root = s.span_id;
    else s.parent_span_id = root;
    s.name = names[i % 6];
    s.start_time_unix_nano = t;
    s.end_time_unix_nano = t + 1000 + rng() % 50000;
    t += 60000;
    s.attributes = {
        {"nodes", static_cast<std::int64_t>(rng() % 5000)},
        {"score", static_cast<double>(rng() % 100000) / 1000.0},
        {"target", std::string("north gate")},
        {"code.function.name", std::string(functions[i % 3])},
        {"code.file.path", std::string("/home/dev/game/src/npc/npc_brain.cpp")},
        {"code.line.number", static_cast<std::int64_t>(100 + i % 300)},
        {"thread.id", std::int64_t{48213}},
    };
    s.flags = 0x101;
  }
  return spans;
}

}  // namespace trail::bench
