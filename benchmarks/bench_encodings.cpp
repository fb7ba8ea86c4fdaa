// OTLP body encodings: the protobuf writer against the JSON writer on the same
// batch (spans/s; budget: protobuf at least 1.5x JSON), with gzip (fast level)
// on top, and the bytes per span of json, json+gzip, protobuf, protobuf+gzip.
//
// The batch: support/collected_batch.hpp (512 spans, 7 attributes each).
// BM_demo_bytes_per_span measures the demo's own spans when TRAIL_BENCH_TRACES
// names a file the demo wrote (build/.../examples/game_agents writes
// trail-traces.jsonl), else this batch.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <trail/export/gzip.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_proto.hpp>

#include "support/collected_batch.hpp"

namespace {

using trail::bench::collected_batch;
using trail::bench::kBatch;
using trail::bench::resource;
using trail::bench::scope;

// OTLP/JSON (as the file exporter writes it) back into SpanData.
trail::AttributeValue attribute_value(const nlohmann::json& v) {
  if (v.contains("stringValue")) return v["stringValue"].get<std::string>();
  if (v.contains("boolValue")) return v["boolValue"].get<bool>();
  if (v.contains("intValue")) return static_cast<std::int64_t>(std::stoll(v["intValue"].get<std::string>()));
  if (v.contains("doubleValue") && v["doubleValue"].is_number()) return v["doubleValue"].get<double>();
  std::vector<std::string> array;
  if (v.contains("arrayValue") && v["arrayValue"].contains("values"))
    for (const auto& e : v["arrayValue"]["values"]) array.push_back(e.value("stringValue", ""));
  return array;
}

std::vector<trail::Attribute> attributes(const nlohmann::json& owner) {
  std::vector<trail::Attribute> out;
  if (owner.contains("attributes"))
    for (const auto& a : owner["attributes"]) out.push_back({a["key"].get<std::string>(), attribute_value(a["value"])});
  return out;
}

std::uint64_t hex64(const std::string& s, std::size_t at) {
  std::uint64_t v = 0;
  trail::detail::u64_from_hex(s.data() + at, v);
  return v;
}

std::vector<trail::SpanData> load_spans(const char* path) {
  std::vector<trail::SpanData> spans;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto request = nlohmann::json::parse(line, nullptr, false);
    if (!request.is_object()) continue;
    for (const auto& rs : request.value("resourceSpans", nlohmann::json::array()))
      for (const auto& ss : rs.value("scopeSpans", nlohmann::json::array()))
        for (const auto& j : ss.value("spans", nlohmann::json::array())) {
          trail::SpanData& s = spans.emplace_back();
          const std::string trace = j["traceId"];
          s.trace_id = {hex64(trace, 0), hex64(trace, 16)};
          s.span_id = {hex64(j["spanId"].get<std::string>(), 0)};
          if (j.contains("parentSpanId")) s.parent_span_id = {hex64(j["parentSpanId"].get<std::string>(), 0)};
          s.name = j["name"];
          s.kind = static_cast<trail::SpanKind>(j.value("kind", 1));
          s.start_time_unix_nano = std::stoull(j["startTimeUnixNano"].get<std::string>());
          s.end_time_unix_nano = std::stoull(j["endTimeUnixNano"].get<std::string>());
          s.attributes = attributes(j);
          s.flags = j.value("flags", 0u);
          for (const auto& e : j.value("events", nlohmann::json::array()))
            s.events.push_back({e["name"], std::stoull(e["timeUnixNano"].get<std::string>()), attributes(e), 0});
          if (j.contains("status")) {
            s.status_code = static_cast<trail::StatusCode>(j["status"].value("code", 0));
            s.status_message = j["status"].value("message", "");
          }
        }
  }
  return spans;
}

template <bool Protobuf>
void encode(std::string& out, const std::vector<trail::SpanData>& spans, std::size_t first, std::size_t n) {
  out.clear();
  if constexpr (Protobuf) trail::detail::write_trace_request_proto(out, resource(), scope, spans.data() + first, n);
  else trail::detail::write_trace_request(out, resource(), scope, spans.data() + first, n);
}

template <bool Protobuf, bool Gzip>
void BM_encode(benchmark::State& state) {
  const auto spans = collected_batch();
  std::string out, zipped, error;
  trail::detail::GzipCompressor gzip;
  for (auto _ : state) {
    encode<Protobuf>(out, spans, 0, spans.size());
    if constexpr (Gzip) {
      if (!gzip.compress(out, zipped, error)) state.SkipWithError(error.c_str());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["bytes_per_span"] = static_cast<double>(Gzip ? zipped.size() : out.size()) / kBatch;
}
BENCHMARK(BM_encode<false, false>)->Name("BM_encode_json");
BENCHMARK(BM_encode<true, false>)->Name("BM_encode_protobuf");
BENCHMARK(BM_encode<false, true>)->Name("BM_encode_json_gzip");
BENCHMARK(BM_encode<true, true>)->Name("BM_encode_protobuf_gzip");

// Bytes per span of the four encodings, in requests of 512 spans as the
// flusher sends them.
void BM_demo_bytes_per_span(benchmark::State& state) {
  const char* path = std::getenv("TRAIL_BENCH_TRACES");
  const auto spans = path ? load_spans(path) : collected_batch();
  if (spans.empty()) {
    state.SkipWithError("no spans in TRAIL_BENCH_TRACES");
    return;
  }
  state.SetLabel(path ? std::to_string(spans.size()) + " spans from " + path : "synthetic batch");
  std::size_t bytes[4] = {};
  std::string out, zipped, error;
  trail::detail::GzipCompressor gzip;
  for (auto _ : state) {
    for (std::size_t first = 0; first < spans.size(); first += kBatch) {
      const std::size_t n = std::min(kBatch, spans.size() - first);
      for (int protobuf = 0; protobuf < 2; ++protobuf) {
        if (protobuf) encode<true>(out, spans, first, n);
        else encode<false>(out, spans, first, n);
        bytes[2 * protobuf] += out.size();
        if (gzip.compress(out, zipped, error)) bytes[2 * protobuf + 1] += zipped.size();
      }
    }
  }
  const double total = static_cast<double>(spans.size() * state.iterations());
  state.counters["json"] = static_cast<double>(bytes[0]) / total;
  state.counters["json_gzip"] = static_cast<double>(bytes[1]) / total;
  state.counters["protobuf"] = static_cast<double>(bytes[2]) / total;
  state.counters["protobuf_gzip"] = static_cast<double>(bytes[3]) / total;
}
BENCHMARK(BM_demo_bytes_per_span)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
