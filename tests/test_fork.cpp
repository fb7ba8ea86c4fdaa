// fork(): the child of a process that records starts clean (and draws ids of
// its own), a session left open at exit() is still exported, a program that
// never called init() gets one hint at exit. POSIX only: not built on Windows
// (tests/CMakeLists.txt says so when it skips it).
#include <doctest/doctest.h>

#include <trail/runtime.hpp>
#include <trail/export/file_exporter.hpp>
#include <trail/export/memory_exporter.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/emulator.hpp"
#include "support/sanitizers.hpp"
#include "support/stats_identity.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// init in the constructor, shutdown in the destructor.
struct Running {
  explicit Running(const trail::Config& config) { REQUIRE(trail::init(config)); }
  ~Running() { trail::shutdown(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
};

// qemu-user itself aborts in a child forked by a multi-threaded program
// (qemu_plugin_vcpu_init_hook assertion).
bool skipped_under_emulator() {
  if (!trail::test::under_emulator()) return false;
  MESSAGE("skipped under an emulator (qemu-user cannot fork a multi-threaded program)");
  return true;
}

// A Config that exports to `exporter` only.
trail::Config exporting_to(std::shared_ptr<trail::Exporter> exporter) {
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.exporters.push_back(std::move(exporter));
  return config;
}

void record_spans(int n, const char* name) {
  for (int i = 0; i < n; ++i) {
    trail::Span s(name);
    s.set("i", i);
  }
}

// Holds every span export until released (an export in flight at fork()).
class HeldExporter : public trail::Exporter {
 public:
  trail::ExportResult export_spans(const trail::SpanBatch& batch, const trail::ExportDeadline&) override {
    std::unique_lock<std::mutex> lock(mutex_);
    inside_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    spans_ += batch.size;
    return {};
  }
  bool wait_inside(std::chrono::milliseconds within) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, within, [&] { return inside_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  std::uint64_t spans() {
    std::lock_guard<std::mutex> lock(mutex_);
    return spans_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool inside_ = false;
  bool released_ = false;
  std::uint64_t spans_ = 0;
};

}  // namespace

TEST_CASE("fork() while an export is in flight: parent and child each account for their own spans") {
  if (skipped_under_emulator()) return;
  auto held = std::make_shared<HeldExporter>();
  Running running(exporting_to(held));
  record_spans(5, "parent");
  std::thread flush_client([] { trail::flush(100ms); });
  REQUIRE(held->wait_inside(5s));  // the flusher is inside export_spans with 5 spans
  flush_client.join();
  record_spans(2, "parent, queued");

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (trail::test::under_thread_sanitizer) ::_exit(0);  // no threads after a multi-threaded fork
    if (!trail::test::stats_identity_holds(trail::stats())) ::_exit(10);
    auto memory = std::make_shared<trail::InMemoryExporter>();
    if (!trail::init(exporting_to(memory))) ::_exit(11);
    record_spans(3, "child");
    if (!trail::flush(5s)) ::_exit(12);
    const trail::Stats s = trail::stats();
    if (!trail::test::stats_identity_holds(s)) ::_exit(13);
    if (s.spans_recorded != 3 || s.spans_exported != 3 || memory->spans().size() != 3) ::_exit(14);
    trail::shutdown();
    const trail::Stats after = trail::stats();
    if (!trail::test::stats_identity_holds(after) || after.spans_exported != 3 || after.spans_pending != 0) ::_exit(15);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  CHECK(trail::test::stats_identity_holds(trail::stats()));
  held->release();
  CHECK(trail::flush(5s));
  const trail::Stats s = trail::stats();
  CHECK(trail::test::stats_identity_holds(s));
  CHECK(s.spans_recorded == 7);
  CHECK(s.spans_exported == 7);
  CHECK(held->spans() == 7);  // the child's spans never reach the parent's exporter
}

TEST_CASE("after fork() the child records nothing until it calls init again") {
  if (skipped_under_emulator()) return;
  auto parent_memory = std::make_shared<trail::InMemoryExporter>();
  Running running(exporting_to(parent_memory));
  record_spans(1, "before fork");
  void* const parent_flusher = trail::detail::process().ring_pressure.target.load();
  const std::uint64_t parent_seed = trail::detail::process().id_seed;

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (trail::is_enabled()) ::_exit(10);
    if (trail::detail::process().id_seed == parent_seed) ::_exit(16);  // the child's threads would repeat the parent's ids
    if (trail::test::under_thread_sanitizer) ::_exit(0);  // no threads after a multi-threaded fork
    auto memory = std::make_shared<trail::InMemoryExporter>();
    if (!trail::init(exporting_to(memory))) ::_exit(11);
    // A ring past half full wakes the child's flusher, not the parent's (absent) one.
    void* const woken = trail::detail::process().ring_pressure.target.load();
    if (woken == nullptr || woken == parent_flusher) ::_exit(15);
    record_spans(1, "in child");
    if (!trail::flush(5s)) ::_exit(12);
    const auto spans = memory->spans();
    if (spans.size() != 1 || spans[0].name != "in child") ::_exit(13);  // nothing of the parent's
    trail::shutdown();
    // What the parent's run left (its Runtime, its consumer state) is still
    // reachable: LeakSanitizer at the child's exit() would report it otherwise.
    if (trail::test::leaks_found()) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  CHECK(trail::flush(5s));  // the parent goes on exporting its own spans
  const auto spans = parent_memory->spans();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "before fork");
}

TEST_CASE("a session still open when the process exits is ended as indeterminate and exported") {
  if (skipped_under_emulator()) return;
  char path[] = "/tmp/trail-exit-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (trail::test::under_thread_sanitizer) ::_exit(0);  // no threads after a multi-threaded fork
    // A sanitizer's report at exit() aborts: let that kill the child rather
    // than run doctest's handler on its destroyed state (ASan then spins).
    std::signal(SIGABRT, SIG_DFL);
    if (!trail::init(exporting_to(std::make_shared<trail::FileExporter>(path, /*truncate=*/true)))) ::_exit(11);
    static trail::Session* npc = new trail::Session("npc", "guard");  // never ended, never destroyed
    {
      auto on = npc->activate();
      TRAIL_SPAN("perceive");
    }
    std::exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::ifstream file(path);
  std::vector<json> spans;
  for (std::string line; std::getline(file, line);) {
    const json request = json::parse(line);  // traces and metrics share the file
    if (!request.contains("resourceSpans")) continue;
    for (const auto& rs : request["resourceSpans"])
      for (const auto& ss : rs["scopeSpans"])
        for (const auto& span : ss["spans"]) spans.push_back(span);
  }
  std::remove(path);
  if (trail::test::under_thread_sanitizer) return;  // the child could not start its flusher
  REQUIRE(spans.size() == 2);
  const json& root = spans[0]["name"] == "session npc" ? spans[0] : spans[1];
  const json& child = spans[0]["name"] == "session npc" ? spans[1] : spans[0];
  CHECK(root["name"] == "session npc");
  CHECK(child["name"] == "perceive");
  CHECK(child["parentSpanId"] == root["spanId"]);
  bool indeterminate = false;
  for (const auto& a : root["attributes"])
    if (a["key"] == "session.end_state") indeterminate = a["value"]["stringValue"] == "indeterminate";
  CHECK(indeterminate);
}

TEST_CASE("a program that records but never calls init gets one hint at exit") {
  if (skipped_under_emulator()) return;
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], 2);
    trail::set_enabled(true);
    trail::detail::process().init_called.store(false);  // as in a program that never called it
    record_spans(3, "work");
    std::exit(0);  // runs the atexit hint
  }
  ::close(pipe_fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(err.find("trail::init() was never called") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("after fork() the child draws ids of its own, not the parent's") {
  if (skipped_under_emulator()) return;
  auto memory = std::make_shared<trail::InMemoryExporter>();
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.exporters.push_back(memory);
  REQUIRE(trail::init(config));  // installs the fork handler
  record_spans(1, "work");       // seeds this thread's generator
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const trail::TraceId id = trail::detail::this_thread().ids.trace_id();
    const bool written = ::write(pipe_fds[1], &id, sizeof id) == static_cast<ssize_t>(sizeof id);
    ::_exit(written ? 0 : 1);
  }
  const trail::TraceId parent_id = trail::detail::this_thread().ids.trace_id();
  trail::TraceId child_id;
  CHECK(::read(pipe_fds[0], &child_id, sizeof child_id) == static_cast<ssize_t>(sizeof child_id));
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(child_id.valid());
  CHECK(child_id != parent_id);
  trail::shutdown();
}
