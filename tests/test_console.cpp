// The console exporter (a tree per trace once its root has ended, human
// durations, metric values) and the run summary any program can print.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include <trail/export/console_exporter.hpp>
#include <trail/export/summary.hpp>

#include "support/sample_run.hpp"

namespace {

// Everything the exporter wrote to its FILE*.
struct Captured {
  std::FILE* file = std::tmpfile();
  ~Captured() { std::fclose(file); }
  long taken = 0;
  // What was written since the last take().
  std::string take() {
    std::string out;
    REQUIRE(std::fseek(file, taken, SEEK_SET) == 0);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) out.append(buf, n);
    taken = std::ftell(file);
    REQUIRE(std::fseek(file, 0, SEEK_END) == 0);
    return out;
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const trail::ExportDeadline deadline(trail::Clock::now() + std::chrono::seconds(5));

}  // namespace

TEST_CASE("human durations") {
  CHECK(trail::human_duration(0) == "0 ns");
  CHECK(trail::human_duration(850) == "850 ns");
  CHECK(trail::human_duration(1'234) == "1.23 us");
  CHECK(trail::human_duration(56'780) == "56.8 us");
  CHECK(trail::human_duration(3'210'000) == "3.21 ms");
  CHECK(trail::human_duration(123'400'000) == "123.4 ms");
  CHECK(trail::human_duration(1'500'000'000) == "1.50 s");
}

TEST_CASE("console: a trace is printed once its root ends, as one tree; the rest at a flush") {
  const auto run = trail::test::sample_run();
  Captured out;
  trail::ConsoleExporter console(out.file);
  const trail::Resource& r = run.resource;
  // Batch 1: the children of trace 3 (the session) and trace 1 without its root.
  std::vector<trail::SpanData> first = {run.spans[1], run.spans[4], run.spans[5]};
  console.export_spans({r, run.scope, first.data(), first.size()}, deadline);
  CHECK(out.take().empty());
  // Batch 2: the session's root and the rest of its spans: one tree.
  std::vector<trail::SpanData> second = {run.spans[6], run.spans[7], run.spans[8], run.spans[3]};
  console.export_spans({r, run.scope, second.data(), second.size()}, deadline);
  const std::string tree = out.take();
  CHECK(count(tree, "trace ") == 1);
  CHECK(tree.find("trace 0000000000000abc0000000000000003\n  session guard  100.0 ms  {gen_ai.agent.id=npc-1, "
                  "session.end_state=fail}  ERROR: too many failures\n    plan  10.0 ms\n      chat model-x  45.0 ms") ==
        0);
  CHECK(tree.find("      execute_tool find_path  3.00 ms  {score=0.5, ok=false}  ERROR: no path\n"
                  "        - event exception at +2.00 ms\n") != std::string::npos);
  CHECK(tree.find("      worker  2.00 ms\n") != std::string::npos);
  CHECK(tree.find("thread.id") == std::string::npos);
  // Trace 1 still waits for its root; a flush prints what is held.
  console.force_flush(deadline);
  const std::string rest = out.take();
  CHECK(rest == "trace 0000000000000abc0000000000000001\n  update  8.00 ms\n");
  console.force_flush(deadline);
  CHECK(out.take().empty());
}

TEST_CASE("console: shutdown prints what is held; past max_pending, everything held is printed") {
  const auto run = trail::test::sample_run();
  Captured out;
  {
    trail::ConsoleExporter console(out.file, /*max_pending=*/2);
    std::vector<trail::SpanData> one = {run.spans[4]};
    console.export_spans({run.resource, run.scope, one.data(), one.size()}, deadline);
    CHECK(out.take().empty());
    std::vector<trail::SpanData> two = {run.spans[5], run.spans[1]};
    console.export_spans({run.resource, run.scope, two.data(), two.size()}, deadline);
    const std::string text = out.take();
    CHECK(count(text, "trace ") == 2);
    CHECK(text.find("  plan  10.0 ms\n    chat model-x  45.0 ms") != std::string::npos);
    std::vector<trail::SpanData> last = {run.spans[2]};  // "job" is a root: printed at once
    console.export_spans({run.resource, run.scope, last.data(), last.size()}, deadline);
    CHECK(out.take() == "trace 0000000000000abc0000000000000002\n  job  4.00 ms\n");
    console.export_spans({run.resource, run.scope, one.data(), one.size()}, deadline);
    console.shutdown();
    CHECK(out.take().find("  plan  10.0 ms\n") != std::string::npos);
  }
}

TEST_CASE("console: metric values, not just point counts") {
  const auto run = trail::test::sample_run();
  Captured out;
  trail::ConsoleExporter console(out.file);
  auto metrics = run.metric_exports[1];
  metrics[0].number_points[0].attributes.push_back({"queue", std::string("jobs")});
  console.export_metrics({run.resource, run.scope, metrics}, deadline);
  CHECK(out.take() ==
        "metrics\n"
        "  queue.depth{queue=jobs} 6 {item}\n"
        "  frame.time count 4 sum 10 mean 2.5 min 0 max 0 ms\n");
}

TEST_CASE("summary: counts, durations by name, errors, sessions by end state") {
  auto run = trail::test::sample_run();
  const trail::Summary s = trail::summarize(run.spans);
  CHECK(s.spans == 9);
  CHECK(s.traces == 3);
  CHECK(s.sessions == 1);
  CHECK(s.errors == 2);
  CHECK(s.sessions_by_end_state == std::map<std::string, std::size_t>{{"fail", 1}});
  const trail::NameStats& plan = s.by_name.front();  // most frequent first
  CHECK(plan.name == "plan");
  CHECK(plan.count == 2);
  CHECK(plan.total_ns == 20'000'000);
  CHECK(plan.p50_ns == 10'000'000);
  CHECK(plan.max_ns == 10'000'000);
  const std::string text = trail::format_summary(s);
  CHECK(text.find("sessions: 1  traces: 3  spans: 9  errors: 2\n  sessions by end state: fail 1\n") == 0);
  CHECK(text.find("  plan                                    2       0     20.0 ms     10.0 ms     10.0 ms     10.0 ms\n") !=
        std::string::npos);

  std::vector<trail::SpanData> many;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    auto span = trail::test::sample_span(9, i, 0, "tick", 0, 0, 1);
    span.end_time_unix_nano = span.start_time_unix_nano + i * 1000;
    many.push_back(span);
  }
  const auto t = trail::summarize(many);
  CHECK(t.by_name[0].p50_ns == 50'000);
  CHECK(t.by_name[0].p99_ns == 99'000);
  CHECK(t.by_name[0].max_ns == 100'000);
  CHECK(trail::format_summary(t, 0).find("(1 more span names)") != std::string::npos);
}
