// The offline spill and the flight recorder (export side, no network):
//   BM_spill_append        one OTLP/JSON request of 128 spans into the spill
//                          (record + CRC-32 + fsync), MB/s; the bound
//                          (64 MiB) deletes the oldest segments as it goes
//   BM_raw_write_fsync     baseline: the same bytes by fwrite + fsync, no spill
//   BM_spill_read_ack      replay without the network: next() + the ack
//                          (fsync) per record, spans/s (the receiver's time
//                          comes on top: scripts/ci/spill.sh prints it)
//   BM_flight_recorder_1s  1 s of a 1 kHz control loop (1000 spans with 3
//                          attributes and the collector's 4) kept by the
//                          recorder: bytes held per second of loop
// The spill directory is under TMPDIR (default /tmp): its disk decides MB/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <trail/export/flight_recorder.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/spill.hpp>
#include <trail/platform/file.hpp>
#include <trail/platform/process.hpp>

namespace {

namespace fs = std::filesystem;

fs::path bench_dir(const char* name) {
  fs::path p = fs::temp_directory_path() /
               ("trail-bench-" + std::string(name) + "-" + std::to_string(trail::detail::platform::process_id()));
  fs::remove_all(p);
  return p;
}

// One tick of a robot's control loop as the collector rebuilds it.
trail::SpanData tick(std::uint64_t i) {
  trail::SpanData s;
  s.trace_id = {0x1234, 0x5678 + i / 1000};
  s.span_id = {i + 1};
  s.parent_span_id = {0x42};
  s.name = "control_tick";
  s.start_time_unix_nano = 1700000000000000000ull + i * 1000000;
  s.end_time_unix_nano = s.start_time_unix_nano + 180000;
  s.attributes = {{"joint", static_cast<std::int64_t>(i % 7)},
                  {"error_rad", 0.0012 * static_cast<double>(i % 13)},
                  {"mode", std::string("tracking")},
                  {"code.function.name", std::string("Controller::tick")},
                  {"code.file.path", std::string("robot_loop.cpp")},
                  {"code.line.number", std::int64_t{88}},
                  {"thread.id", std::int64_t{2}}};
  return s;
}

const std::string& request_body() {
  static const std::string body = [] {
    std::vector<trail::SpanData> spans;
    for (std::uint64_t i = 0; i < 128; ++i) spans.push_back(tick(i));
    std::string out;
    trail::detail::write_trace_request(out, trail::Resource{{{"service.name", std::string("robot")}}},
                                       trail::InstrumentationScope{"trail", "0.1.0"}, spans.data(), spans.size());
    return out;
  }();
  return body;
}

void BM_spill_append(benchmark::State& state) {
  const fs::path dir = bench_dir("append");
  {
    trail::detail::Spill spill(dir.string(), std::uint64_t{64} << 20);
    if (!spill.open()) state.SkipWithError("cannot open the spill directory");
    const trail::detail::SpillRecord record{trail::detail::SpillSignal::traces, trail::OtlpProtocol::http_json, false,
                                            128, request_body()};
    std::string error;
    for (auto _ : state)
      if (!spill.append(record, error)) state.SkipWithError(error.c_str());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request_body().size()));
    state.counters["spans/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 128), benchmark::Counter::kIsRate);
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_spill_append)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_raw_write_fsync(benchmark::State& state) {
  const fs::path dir = bench_dir("raw");
  fs::create_directories(dir);
  std::FILE* f = std::fopen((dir / "raw").string().c_str(), "wb");
  std::uint64_t written = 0;
  for (auto _ : state) {
    std::fwrite(request_body().data(), 1, request_body().size(), f);
    trail::detail::platform::sync_file(f);
    if ((written += request_body().size()) > (std::uint64_t{64} << 20)) {  // the same disk footprint as the spill
      std::fclose(f);
      f = std::fopen((dir / "raw").string().c_str(), "wb");
      written = 0;
    }
  }
  std::fclose(f);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request_body().size()));
  fs::remove_all(dir);
}
BENCHMARK(BM_raw_write_fsync)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_spill_read_ack(benchmark::State& state) {
  const fs::path dir = bench_dir("read");
  constexpr int records = 200;
  const trail::detail::SpillRecord record{trail::detail::SpillSignal::traces, trail::OtlpProtocol::http_json, false,
                                          128, request_body()};
  std::string error;
  std::uint64_t spans = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      trail::detail::Spill writer(dir.string(), std::uint64_t{1} << 30);
      writer.open();
      for (int i = 0; i < records; ++i) writer.append(record, error);
    }
    trail::detail::Spill reader(dir.string(), std::uint64_t{1} << 30);
    reader.open();
    state.ResumeTiming();
    trail::detail::SpillRecord r;
    while (reader.next(r)) {
      reader.accepted(0);
      spans += r.items;
    }
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  fs::remove_all(dir);
}
BENCHMARK(BM_spill_read_ack)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_flight_recorder_1s(benchmark::State& state) {
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    trail::detail::FlightRecorder recorder(std::chrono::seconds(10), std::uint64_t{1} << 30);
    for (std::uint64_t i = 0; i < 1000; ++i) recorder.add(tick(i));
    bytes = recorder.bytes();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes_per_loop_second"] = static_cast<double>(bytes);
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / 1000.0;
}
BENCHMARK(BM_flight_recorder_1s)->Unit(benchmark::kMillisecond);

}  // namespace
