// The offline spill (TRAIL_SPILL_DIR): the segment format on its own (torn
// and corrupt records, the size bound, progress across runs, one process per
// directory), then through trail::init against a loopback receiver that is
// down, then up: everything arrives once, from this run or the next.
#include <doctest/doctest.h>

#include <trail/runtime.hpp>
#include <trail/export/spill.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/http_test_server.hpp"
#include "support/otlp_config.hpp"
#include "support/stats_identity.hpp"
#include "support/stderr_capture.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using trail::detail::Spill;
using trail::detail::SpillRecord;
using trail::detail::SpillSignal;
using trail::test::capture_stderr;
using trail::test::otlp_config;
using trail::test::stats_identity_holds;
using trail::test::wait_until;
using trail::test::HttpTestServer;
using trail::test::Reply;
using trail::test::Request;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system's temporary one, removed afterwards.
struct TempDir {
  fs::path path;
  explicit TempDir(const char* name) {
    path = fs::temp_directory_path() / (std::string("trail-test-") + name + "-" +
                                        std::to_string(trail::detail::platform::process_id()));
    fs::remove_all(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

SpillRecord record(std::uint32_t items, std::string body) {
  return SpillRecord{SpillSignal::traces, trail::OtlpProtocol::http_json, false, items, std::move(body)};
}

// Writes one record per body (`items` spans each), in a run of its own.
void fill(const TempDir& dir, const std::vector<std::string>& bodies, std::uint32_t items) {
  Spill spill(dir.str(), 1 << 20);
  REQUIRE(spill.open());
  std::string error;
  for (const std::string& body : bodies) REQUIRE(spill.append(record(items, body), error));
  CHECK(spill.counts().spans_backlog == bodies.size() * items);
}

std::vector<fs::path> segments(const TempDir& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().extension() == ".spill") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Every record left, oldest first, each marked accepted.
std::vector<std::string> drain(Spill& spill) {
  std::vector<std::string> bodies;
  SpillRecord r;
  while (spill.next(r)) {
    bodies.push_back(r.body);
    spill.accepted(0);
  }
  return bodies;
}

// A receiver that is down (closes every connection without answering)
// until `up`; keeps the span ids of the requests it answered.
struct SwitchableReceiver {
  std::atomic<bool> up{false};
  std::atomic<int> partial_rejects{0};  // the next answer refuses this many spans
  std::mutex mutex;
  std::vector<std::string> ids;
  HttpTestServer server{[this](const Request& req) {
    if (!up.load()) return Reply::hang_up();
    {
      std::lock_guard<std::mutex> lock(mutex);
      const json body = json::parse(req.body);
      for (const json& rs : body.at("resourceSpans"))
        for (const json& ss : rs.at("scopeSpans"))
          for (const json& span : ss.at("spans")) ids.push_back(span.at("spanId").get<std::string>());
    }
    const int rejected = partial_rejects.exchange(0);
    if (rejected > 0)
      return Reply::ok("{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(rejected) +
                       "\",\"errorMessage\":\"bad span\"}}");
    return Reply::ok("{}");
  }};

  std::vector<std::string> span_ids() {
    std::lock_guard<std::mutex> lock(mutex);
    return ids;
  }
};

trail::Config spill_config(const HttpTestServer& server, const TempDir& dir) {
  trail::Config c = otlp_config(server);
  c.settings.bsp_export_timeout = 30s;  // the retry schedule a spill must not wait out
  c.settings.bsp_max_export_batch_size = 50;
  c.settings.spill_dir = dir.str();
  return c;
}

void record_spans(int n) {
  for (int i = 0; i < n; ++i) {
    TRAIL_SPAN_VAR(s, "work");
    s.set("i", i);
  }
}

}  // namespace

TEST_CASE("the spill gives back its records oldest first, across a restart") {
  TempDir dir("order");
  fill(dir, {"body 0", "body 1", "body 2", "body 3", "body 4"}, 10);
  Spill later(dir.str(), 1 << 20);
  REQUIRE(later.open());
  CHECK(later.counts().spans_backlog == 50);
  CHECK(drain(later) == std::vector<std::string>{"body 0", "body 1", "body 2", "body 3", "body 4"});
  CHECK(later.counts().spans_replayed == 50);
  CHECK(later.counts().spans_backlog == 0);
  CHECK(segments(dir).empty());  // deleted once every record was accepted
}

TEST_CASE("accepted records are not given again after a crash (the ack file)") {
  TempDir dir("ack");
  fill(dir, {"r0", "r1", "r2"}, 1);
  {
    Spill run(dir.str(), 1 << 20);
    REQUIRE(run.open());
    SpillRecord r;
    REQUIRE(run.next(r));
    CHECK(r.body == "r0");
    run.accepted(0);
    REQUIRE(run.next(r));
    CHECK(r.body == "r1");
    // Dies here: r1 was handed out but never accepted.
  }
  Spill next(dir.str(), 1 << 20);
  REQUIRE(next.open());
  CHECK(next.counts().spans_backlog == 2);
  CHECK(drain(next) == std::vector<std::string>{"r1", "r2"});
}

TEST_CASE("a torn last record and a corrupt one are skipped with one line each; the rest is recovered") {
  TempDir dir("torn");
  fill(dir, {std::string(100, 'a'), std::string(100, 'b'), std::string(100, 'c'), std::string(100, 'd')}, 7);
  const auto files = segments(dir);
  REQUIRE(files.size() == 1);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    // Record 2 (of 0..3) starts at 8 + 2 * 120: flip a byte of its body.
    f.seekp(8 + 2 * 120 + 20 + 50);
    f.put('X');
  }
  {
    // kill -9 in the middle of a fifth record: its head and half its body.
    std::ofstream f(files[0], std::ios::app | std::ios::binary);
    const std::string full = std::string("TSR1") + std::string(116, 'z');
    f.write(full.data(), 60);
  }
  std::vector<std::string> bodies;
  trail::detail::SpillCounts counts;
  const std::string err = capture_stderr([&] {
    Spill spill(dir.str(), 1 << 20);
    REQUIRE(spill.open());
    counts = spill.counts();
    bodies = drain(spill);
  });
  CHECK(bodies == std::vector<std::string>{std::string(100, 'a'), std::string(100, 'b'), std::string(100, 'd')});
  CHECK(counts.spans_backlog == 21);
  CHECK(counts.records_corrupt == 1);
  CHECK(err.find("not a valid record") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("a segment whose header is damaged still gives its records") {
  TempDir dir("header");
  fill(dir, {"kept"}, 3);
  {
    std::fstream f(segments(dir)[0], std::ios::in | std::ios::out | std::ios::binary);
    f.write("GARBAGE!", 8);
  }
  std::vector<std::string> bodies;
  const std::string err = capture_stderr([&] {
    Spill spill(dir.str(), 1 << 20);
    REQUIRE(spill.open());
    bodies = drain(spill);
  });
  CHECK(bodies == std::vector<std::string>{"kept"});
  CHECK(err.find("no valid header") != std::string::npos);
}

TEST_CASE("the size bound drops the oldest segments first, counted as spill_full") {
  TempDir dir("bound");
  constexpr std::uint64_t max = 256 << 10;  // segments of 64 KiB
  Spill spill(dir.str(), max);
  REQUIRE(spill.open());
  std::string error;
  const std::string err = capture_stderr([&] {
    for (int i = 0; i < 40; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "%04d", i);
      REQUIRE(spill.append(record(10, name + std::string(20000, '.')), error));
      std::uint64_t on_disk = 0;
      for (const auto& e : fs::directory_iterator(dir.path)) on_disk += e.is_regular_file() ? e.file_size() : 0;
      REQUIRE(on_disk <= max + 64);  // + the lock file
    }
  });
  const trail::detail::SpillCounts c = spill.counts();
  CHECK(c.spans_dropped_spill_full > 0);
  CHECK(c.spans_dropped_spill_full + c.spans_backlog == 400);
  CHECK(c.bytes <= max);
  CHECK(err.find("reached TRAIL_SPILL_MAX_BYTES") != std::string::npos);
  const auto left = drain(spill);
  REQUIRE(!left.empty());
  for (std::size_t k = 0; k < left.size(); ++k) {  // the newest survive, in order
    char name[16];
    std::snprintf(name, sizeof name, "%04d", static_cast<int>(40 - left.size() + k));
    CHECK(left[k].substr(0, 4) == name);
  }

  // A request larger than the whole bound never fits: counted, not written.
  REQUIRE(spill.append(record(5, std::string(max, 'x')), error));
  CHECK(spill.counts().spans_dropped_spill_full == c.spans_dropped_spill_full + 5);
}

TEST_CASE("one process per spill directory; a missing or unwritable one is said in one line") {
  TempDir dir("lock");
  Spill first(dir.str(), 1 << 20);
  REQUIRE(first.open());
  Spill second(dir.str(), 1 << 20);
  const std::string busy = capture_stderr([&] { CHECK_FALSE(second.open()); });
  CHECK(busy.find("another process is using it") != std::string::npos);
  CHECK(std::count(busy.begin(), busy.end(), '\n') == 1);

  Spill missing("/dev/null/spill", 1 << 20);  // cannot be created: /dev/null is a file
  const std::string err = capture_stderr([&] { CHECK_FALSE(missing.open()); });
  CHECK(err.find("cannot spill to TRAIL_SPILL_DIR \"/dev/null/spill\": not a directory") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);

  Spill read_only("/proc/self", 1 << 20);  // a directory nobody may write in, root included
  const std::string ro = capture_stderr([&] { CHECK_FALSE(read_only.open()); });
  CHECK(ro.find("cannot write there") != std::string::npos);
}

TEST_CASE("collector down, then up: every span arrives once, through the spill") {
  TempDir dir("replay");
  SwitchableReceiver rx;
  REQUIRE(rx.server.ok());
  REQUIRE(trail::init(spill_config(rx.server, dir)));
  const auto err = capture_stderr([&] {
    record_spans(120);
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(trail::flush(20s));  // not delivered: spilled
    CHECK(std::chrono::steady_clock::now() - start < 8s);  // not the 30 s retry schedule
  });
  trail::Stats s = trail::stats();
  CHECK(s.spans_spilled == 120);
  CHECK(s.spans_exported == 0);
  CHECK(s.spans_spill_backlog == 120);
  CHECK(stats_identity_holds(s));
  CHECK(err.find("spilled") != std::string::npos);

  rx.up = true;
  CHECK(wait_until([] { return trail::stats().spans_spill_backlog == 0; }, 20s));
  record_spans(30);  // the endpoint answered a replay: live export again
  CHECK(trail::flush(10s));
  trail::shutdown();
  s = trail::stats();
  CHECK(s.spans_replayed == 120);
  CHECK(s.spans_exported == 30);
  CHECK(stats_identity_holds(s));
  CHECK(s.spans_pending == 0);
  const auto ids = rx.span_ids();
  CHECK(ids.size() == 150);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 150);  // no duplicates
  CHECK(segments(dir).empty());
}

TEST_CASE("shutdown with the collector unreachable spills within a second; the next run sends it") {
  TempDir dir("restart");
  {
    // Accepts and never answers: each attempt would wait out its timeout.
    HttpTestServer silent([](const Request&) {
      Reply r = Reply::ok("{}");
      r.delay = 20s;
      return r;
    });
    REQUIRE(silent.ok());
    trail::Config c = spill_config(silent, dir);
    c.settings.traces_timeout = 10s;
    REQUIRE(trail::init(c));
    record_spans(80);
    const auto start = std::chrono::steady_clock::now();
    capture_stderr([] { trail::shutdown(); });
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < 2500ms);
    const trail::Stats s = trail::stats();
    CHECK(s.spans_spilled == 80);
    CHECK(s.spans_dropped() == 0);
    CHECK(stats_identity_holds(s));
  }
  SwitchableReceiver rx;
  REQUIRE(rx.server.ok());
  rx.up = true;
  REQUIRE(trail::init(spill_config(rx.server, dir)));
  CHECK(wait_until([] { return trail::stats().spans_replayed == 80; }, 20s));
  trail::shutdown();
  CHECK(trail::stats().spans_recorded == 0);  // this run recorded nothing of its own
  CHECK(rx.span_ids().size() == 80);
  CHECK(segments(dir).empty());
}

TEST_CASE("a partial success on replay: the refused spans are counted and not sent again") {
  TempDir dir("partial");
  SwitchableReceiver rx;
  REQUIRE(rx.server.ok());
  REQUIRE(trail::init(spill_config(rx.server, dir)));
  record_spans(50);
  capture_stderr([] { trail::flush(10s); });
  REQUIRE(trail::stats().spans_spilled == 50);
  rx.partial_rejects = 4;
  rx.up = true;
  std::string err = capture_stderr([] {
    CHECK(wait_until([] { return trail::stats().spans_spill_backlog == 0; }, 20s));
  });
  trail::shutdown();
  const trail::Stats s = trail::stats();
  CHECK(s.spans_replayed == 46);
  CHECK(s.spans_replay_rejected == 4);
  CHECK(err.find("refused 4 item(s) replayed from the spill: bad span") != std::string::npos);
  CHECK(rx.span_ids().size() == 50);  // one request, not repeated
}

TEST_CASE("an unusable spill directory: one line, spans dropped with a reason") {
  SwitchableReceiver rx;
  REQUIRE(rx.server.ok());
  trail::Config c;
  c.settings.traces_exporters = {trail::ExporterKind::otlp};
  c.settings.metrics_exporters = {};
  c.settings.traces_endpoint = rx.server.url("/v1/traces");
  c.settings.bsp_schedule_delay = 60s;
  c.settings.bsp_export_timeout = 1500ms;
  c.settings.traces_timeout = 500ms;
  c.settings.spill_dir = "/dev/null/spill";
  const std::string err = capture_stderr([&] {
    REQUIRE(trail::init(c));
    record_spans(10);
    trail::flush(5s);
    trail::shutdown();
  });
  const trail::Stats s = trail::stats();
  CHECK(s.spans_spilled == 0);
  CHECK(s.spans_dropped_export_failed == 10);
  CHECK(stats_identity_holds(s));
  CHECK(err.find("cannot spill to TRAIL_SPILL_DIR \"/dev/null/spill\"") != std::string::npos);
}

TEST_CASE("TRAIL_SPILL_DIR and TRAIL_SPILL_MAX_BYTES are read and checked") {
  trail::detail::ErrorSink errors;
  const auto env = [](const char* name) -> const char* {
    const std::string n = name;
    if (n == "TRAIL_SPILL_DIR") return "/var/spool/robot";
    if (n == "TRAIL_SPILL_MAX_BYTES") return "1000";
    return nullptr;
  };
  const trail::Settings s = trail::detail::settings_from_env(env, errors);
  CHECK(s.spill_dir == "/var/spool/robot");
  CHECK(s.spill_max_bytes == 65536);  // clamped up
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("TRAIL_SPILL_MAX_BYTES 1000 is outside") != std::string::npos);
}
