// The agent of the spill stage (scripts/ci/spill.sh); everything else comes
// from the OTEL_* and TRAIL_* variables (TRAIL_SPILL_DIR, ...).
//   spill_agent record N          N spans "work" (attributes seq, run = $SPILL_RUN), flush, and with
//                                 SPILL_WAIT=SECONDS wait for the spill's backlog to be sent; shutdown
//   spill_agent forever FILE      batches of 100 spans, each flushed; after each, "spilled=N" in FILE; until killed
//   spill_agent replay SECONDS    records nothing; waits until no segment is left in TRAIL_SPILL_DIR (at most SECONDS)
//   spill_agent dump              flight recorder: 300 "early" spans, 1.5 s later 100 "late", trail::dump("e2e fault")
// Prints one line of stats (and the milliseconds of its phase); exits 0 when
// recorded == exported + spilled + dropped + pending holds and nothing is pending.
#include <trail/runtime.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "support/stats_identity.hpp"
#include "support/wait_until.hpp"

namespace {

using trail::test::wait_until;
using Clock = std::chrono::steady_clock;

long long since_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

void work(int n, const char* name) {
  const char* run = std::getenv("SPILL_RUN");
  for (int i = 0; i < n; ++i) {
    TRAIL_SPAN_VAR(s, "work");
    s.set("seq", i).set("run", run != nullptr ? run : "").set("phase", name);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const char* arg = argc > 2 ? argv[2] : "0";
  if (!trail::init()) return 3;
  const auto start = Clock::now();
  if (mode == "record") {
    work(std::atoi(arg), "record");
    trail::flush(std::chrono::seconds(30));
    const char* wait = std::getenv("SPILL_WAIT");
    if (wait != nullptr &&
        !wait_until([] { return trail::stats().spans_spill_backlog == 0; }, std::chrono::seconds(std::atoi(wait))))
      std::fprintf(stderr, "spill_agent: the backlog was not sent in time\n");
  } else if (mode == "forever") {
    for (;;) {
      work(100, "forever");
      trail::flush(std::chrono::seconds(30));
      const std::string temp = std::string(arg) + ".tmp";  // renamed: a reader never sees half a line
      if (std::FILE* f = std::fopen(temp.c_str(), "w")) {
        std::fprintf(f, "spilled=%llu\n", static_cast<unsigned long long>(trail::stats().spans_spilled));
        std::fclose(f);
        std::rename(temp.c_str(), arg);
      }
    }
  } else if (mode == "replay") {
    // The directory, not stats(): the flusher indexes it just after init.
    const auto segments_left = [] {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(std::getenv("TRAIL_SPILL_DIR"), ec))
        if (e.path().extension() == ".spill") return true;
      return false;
    };
    if (!wait_until([&] { return !segments_left(); }, std::chrono::seconds(std::atoi(arg))))
      std::fprintf(stderr, "spill_agent: the backlog was not sent in time\n");
  } else if (mode == "dump") {
    {
      trail::Session mission("mission");
      auto on = mission.activate();
      work(300, "early");
      trail::flush(std::chrono::seconds(10));
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      work(100, "late");
    }
    trail::flush(std::chrono::seconds(10));
    if (!trail::dump("e2e fault")) std::fprintf(stderr, "spill_agent: no flight recorder\n");
    if (!wait_until([] { return trail::stats().dumps == 1; }, std::chrono::seconds(20)))
      std::fprintf(stderr, "spill_agent: the dump did not happen\n");
  } else {
    std::fprintf(stderr, "usage: spill_agent record N | forever FILE | replay SECONDS | dump\n");
    return 2;
  }
  const long long phase_ms = since_ms(start);
  trail::shutdown();
  const trail::Stats s = trail::stats();
  std::printf(
      "stats recorded=%llu exported=%llu spilled=%llu replayed=%llu replay_rejected=%llu spill_full=%llu "
      "corrupt=%llu backlog=%llu dropped=%llu pending=%llu dumps=%llu ms=%lld\n",
      static_cast<unsigned long long>(s.spans_recorded), static_cast<unsigned long long>(s.spans_exported),
      static_cast<unsigned long long>(s.spans_spilled), static_cast<unsigned long long>(s.spans_replayed),
      static_cast<unsigned long long>(s.spans_replay_rejected), static_cast<unsigned long long>(s.spans_dropped_spill_full),
      static_cast<unsigned long long>(s.spill_records_corrupt), static_cast<unsigned long long>(s.spans_spill_backlog),
      static_cast<unsigned long long>(s.spans_dropped()), static_cast<unsigned long long>(s.spans_pending),
      static_cast<unsigned long long>(s.dumps), phase_ms);
  return trail::test::stats_identity_holds(s) && s.spans_pending == 0 ? 0 : 1;
}
