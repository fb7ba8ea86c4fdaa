// OTLP/JSON serializer throughput (budget: >= 3 M spans/s per core, and a
// multiple of the nlohmann DOM + dump() baseline measured here), plus the
// string escaper on its own.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <trail/export/otlp_json.hpp>

namespace {

constexpr std::size_t kBatch = 512;

// A batch as an agent produces it: a few roots with children, 4 attributes
// (2 strings, an int, a double), an event on every fourth span.
std::vector<trail::SpanData> make_batch() {
  static const char* const names[] = {"plan", "expand", "score", "llm.call", "tool.search", "act"};
  static const char* const models[] = {"gpt-4o-mini", "claude-3-haiku", "llama-3-8b"};
  std::mt19937_64 rng(42);
  std::vector<trail::SpanData> spans(kBatch);
  std::uint64_t t = 1700000000000000000ull;
  trail::SpanId root;
  for (std::size_t i = 0; i < kBatch; ++i) {
    trail::SpanData& s = spans[i];
    s.trace_id = {rng(), rng() | 1};
    s.span_id = {rng() | 1};
    if (i % 8 == 0) root = s.span_id;
    else s.parent_span_id = root;
    s.name = names[i % 6];
    s.kind = i % 6 == 3 ? trail::SpanKind::client : trail::SpanKind::internal;
    s.start_time_unix_nano = t;
    s.end_time_unix_nano = t + 1000 + rng() % 50000;
    t += 60000;
    s.attributes = {
        {"gen_ai.request.model", std::string(models[i % 3])},
        {"agent.goal", std::string("reach the north gate")},
        {"nodes", static_cast<std::int64_t>(rng() % 5000)},
        {"score", static_cast<double>(rng() % 100000) / 1000.0},
    };
    if (i % 4 == 0) {
      s.events.push_back({"pruned", t + 500, {{"count", std::int64_t{17}}}, 0});
    }
    s.flags = 1;
  }
  return spans;
}

void BM_otlp_json_writer(benchmark::State& state) {
  const auto spans = make_batch();
  const trail::Resource resource{{{"service.name", std::string("bot")}}};
  const trail::InstrumentationScope scope{"trail", "0.1.0"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    trail::detail::write_trace_request(out, resource, scope, spans.data(), spans.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_otlp_json_writer);

// Baseline: the approach of opentelemetry-cpp's OTLP/JSON path (a DOM, then
// dump), producing the same document.
nlohmann::json dom_attributes(const std::vector<trail::Attribute>& attributes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : attributes) {
    nlohmann::json value;
    if (auto s = std::get_if<std::string>(&a.value)) value["stringValue"] = *s;
    else if (auto b = std::get_if<bool>(&a.value)) value["boolValue"] = *b;
    else if (auto i = std::get_if<std::int64_t>(&a.value)) value["intValue"] = std::to_string(*i);
    else if (auto d = std::get_if<double>(&a.value)) value["doubleValue"] = *d;
    list.push_back({{"key", a.key}, {"value", std::move(value)}});
  }
  return list;
}

std::string hex(trail::SpanId id) {
  char buf[16];
  id.to_hex(buf);
  return std::string(buf, 16);
}

void BM_nlohmann_dom_dump(benchmark::State& state) {
  const auto spans = make_batch();
  const trail::Resource resource{{{"service.name", std::string("bot")}}};
  std::string out;
  for (auto _ : state) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : spans) {
      char trace[32];
      s.trace_id.to_hex(trace);
      nlohmann::json span = {{"traceId", std::string(trace, 32)},
                             {"spanId", hex(s.span_id)},
                             {"flags", s.flags},
                             {"name", s.name},
                             {"kind", static_cast<int>(s.kind)},
                             {"startTimeUnixNano", std::to_string(s.start_time_unix_nano)},
                             {"endTimeUnixNano", std::to_string(s.end_time_unix_nano)},
                             {"attributes", dom_attributes(s.attributes)}};
      if (s.parent_span_id.valid()) span["parentSpanId"] = hex(s.parent_span_id);
      if (!s.events.empty()) {
        nlohmann::json events = nlohmann::json::array();
        for (const auto& e : s.events) {
          events.push_back({{"timeUnixNano", std::to_string(e.time_unix_nano)},
                            {"name", e.name},
                            {"attributes", dom_attributes(e.attributes)}});
        }
        span["events"] = std::move(events);
      }
      list.push_back(std::move(span));
    }
    nlohmann::json request = {
        {"resourceSpans",
         {{{"resource", {{"attributes", dom_attributes(resource.attributes)}}},
           {"scopeSpans", {{{"scope", {{"name", "trail"}, {"version", "0.1.0"}}}, {"spans", std::move(list)}}}}}}}};
    out = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_nlohmann_dom_dump);

void escape_bench(benchmark::State& state, const std::string& unit) {
  std::string in;
  while (in.size() < 4096) in += unit;
  std::string out;
  for (auto _ : state) {
    out.clear();
    {
      trail::detail::StringSink sink(out);  // as the serializers use it
      trail::detail::append_json_string(sink, in);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_escape_ascii(benchmark::State& state) { escape_bench(state, "the agent walks to the north gate; "); }
BENCHMARK(BM_escape_ascii);

void BM_escape_utf8(benchmark::State& state) { escape_bench(state, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\xA4\x96 gate "); }
BENCHMARK(BM_escape_utf8);

void BM_escape_heavy(benchmark::State& state) { escape_bench(state, "{\"a\":\"b\\c\"}\n\t\x01"); }
BENCHMARK(BM_escape_heavy);

}  // namespace
