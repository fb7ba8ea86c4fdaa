// robot_loop: a 1 kHz control loop (sensor read, estimate, control) for
// 1.5 s, one mission session. Every 100 ticks the loop asks a planner thread
// for a new path: the planner continues the trace under the tick that asked
// (trail::current() captured, trail::ContextScope on the planner thread) and
// queries a simulated remote map service through a W3C traceparent, as a
// request header would carry it. Metric: the control loop's jitter.
//
// robot_loop --field: as a robot in the field runs. Undeliverable exports
// go to a spill directory (TRAIL_SPILL_DIR, default robot-spill: sent by this
// run or the next once the endpoint answers), and a flight recorder keeps the
// last 0.5 s (TRAIL_FLIGHT_RECORDER to change it) and exports nothing until
// a fault: at tick 1200 a joint's current is over its limit, and the loop
// calls trail::dump(reason): that half second goes out, every span with the
// reason.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <trail/metrics.hpp>
#include <trail/runtime.hpp>
#include <trail/trail.hpp>

#include "trace_summary.hpp"

namespace {

constexpr int kTicks = 1500;
constexpr int kPlanEvery = 100;
constexpr auto kPeriod = std::chrono::microseconds(1000);
constexpr int kFaultTick = 1200;  // --field

trail::Histogram<double> jitter("robot.control_loop.jitter", "us", "Tick start minus its scheduled time",
                                {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000});

// The "remote" side: all it gets is the header, as another process would.
// Runs with no context current, so the parent can only come from the header.
double map_service_query(const std::string& traceparent) {
  trail::ContextScope elsewhere{trail::Context{}};
  trail::ContextScope request{trail::extract_traceparent(traceparent)};
  trail::Span server("map_service.get_map", trail::SpanKind::server);
  server.set("map.tiles", 64);
  double cost = 0;
  for (int i = 1; i < 4000; ++i) cost += std::sqrt(static_cast<double>(i));
  return cost;
}

struct PlanRequest {
  trail::Context parent;  // the control tick that asked
  int tick;
};

// The planner thread: waits for requests, plans under the tick that asked.
class Planner {
 public:
  Planner() : thread_([this] { run(); }) {}
  ~Planner() { stop(); }

  void request(const PlanRequest& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(r);
    wake_.notify_one();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every request served
      const PlanRequest r = queue_.front();
      queue_.pop_front();
      lock.unlock();
      plan(r);
      lock.lock();
    }
  }

  void plan(const PlanRequest& r) {
    trail::ContextScope parent(r.parent);  // this thread's spans continue the tick's trace
    TRAIL_SPAN_VAR(span, "planner.plan_path");
    span.set("robot.tick", r.tick);
    {
      TRAIL_SPAN("planner.search");
      volatile double cost = 0;
      for (int i = 0; i < 20000; ++i) cost = cost + std::sin(i * 0.001);
    }
    const trail::Traceparent header = trail::inject_traceparent(trail::current());
    span.set("map.cost", map_service_query(header.c_str()));
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PlanRequest> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

struct Robot {
  double position = 0, velocity = 0, estimate = 0, target = 1;

  void tick(int n, Planner& planner, bool field) {
    TRAIL_SPAN_VAR(tick, "control.tick");
    tick.set("robot.tick", n);
    if (field && n == kFaultTick) {
      tick.error("joint 2 over current");
      trail::dump("joint 2 over current at tick 1200");  // never blocks the loop
    }
    double reading;
    {
      TRAIL_SPAN("sensor.read");
      reading = position + 0.001 * std::sin(n * 0.37);  // a little noise
    }
    {
      TRAIL_SPAN("estimate");
      estimate = 0.8 * estimate + 0.2 * reading;
    }
    {
      TRAIL_SPAN_VAR(control, "control");
      const double command = 2.0 * (target - estimate) - 0.5 * velocity;
      velocity += command * 0.001;
      position += velocity * 0.001;
      control.set("robot.command", command);
    }
    if (n % kPlanEvery == 0) {
      planner.request({trail::current(), n});
      target = -target;
    }
  }
};

}  // namespace

// --field: what the flight recorder's dump delivered.
int check_field_run(const trail::InMemoryExporter& memory) {
  demo::Checks check;
  const auto start = std::chrono::steady_clock::now();
  while (trail::stats().dumps == 0 && std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  trail::flush();
  trail::shutdown();
  const trail::Stats st = trail::stats();
  std::printf("trail stats: recorded %llu  exported %llu  spilled %llu  replayed %llu  outside the window %llu  "
              "dumps %llu\n",
              static_cast<unsigned long long>(st.spans_recorded), static_cast<unsigned long long>(st.spans_exported),
              static_cast<unsigned long long>(st.spans_spilled), static_cast<unsigned long long>(st.spans_replayed),
              static_cast<unsigned long long>(st.spans_dropped_flight_recorder),
              static_cast<unsigned long long>(st.dumps));
  const auto spans = memory.spans();
  std::int64_t first = kTicks, last = -1;
  std::size_t ticks = 0, with_reason = 0;
  for (const auto& s : spans) {
    const auto* reason = trail::find_attribute(s.attributes, "trail.dump.reason");
    with_reason += reason != nullptr && std::get<std::string>(*reason) == "joint 2 over current at tick 1200";
    if (s.name != "control.tick") continue;
    ++ticks;
    first = std::min(first, demo::int_attribute(s, "robot.tick"));
    last = std::max(last, demo::int_attribute(s, "robot.tick"));
  }
  std::printf("robot_loop --field: the dump holds ticks %lld..%lld (%zu control ticks, %zu spans)\n",
              static_cast<long long>(first), static_cast<long long>(last), ticks, spans.size());
  check.expect(st.dumps == 1, "one dump (%llu)", static_cast<unsigned long long>(st.dumps));
  check.expect(with_reason == spans.size() && !spans.empty(), "every dumped span carries the reason (%zu of %zu)",
               with_reason, spans.size());
  // The fault tick is in the window; ticks recorded after the dump() call,
  // before the flusher served it, may be too (a few ms).
  check.expect(first < kFaultTick && last >= kFaultTick && last < kFaultTick + 200,
               "the window ends at the fault (ticks %lld..%lld)", static_cast<long long>(first),
               static_cast<long long>(last));
  check.expect(ticks == static_cast<std::size_t>(last - first + 1), "no tick missing inside the window");
  check.expect(st.spans_recorded == st.spans_exported + st.spans_spilled + st.spans_dropped() + st.spans_pending &&
                   st.spans_pending == 0,
               "stats identity, nothing pending");
  return check.finish("robot_loop --field");
}

int main(int argc, char** argv) {
  const bool field = argc > 1 && std::string(argv[1]) == "--field";
  auto memory = std::make_shared<trail::InMemoryExporter>();
  trail::Config config = demo::make_config(memory, "robot_loop");
  if (field) {
    const auto& kinds = config.settings.traces_exporters;
    if (config.settings.spill_dir.empty() && std::find(kinds.begin(), kinds.end(), trail::ExporterKind::otlp) != kinds.end())
      config.settings.spill_dir = "robot-spill";
    if (config.settings.flight_recorder.count() == 0) config.settings.flight_recorder = std::chrono::milliseconds(500);
  }
  if (!trail::init(config)) return 1;
  const bool all_sampled = config.settings.sampler == trail::SamplerKind::always_on ||
                           config.settings.sampler == trail::SamplerKind::parentbased_always_on;

  trail::Session mission("patrol", "rover", "rover-1", {"warehouse"});
  Robot robot;
  {
    Planner planner;
    auto on = mission.activate();
    const auto start = std::chrono::steady_clock::now();
    for (int n = 0; n < kTicks; ++n) {
      const auto due = start + n * kPeriod;
      std::this_thread::sleep_until(due);
      const std::chrono::duration<double, std::micro> late = std::chrono::steady_clock::now() - due;
      jitter.record(late.count());
      robot.tick(n, planner, field);
    }
    planner.stop();  // serves the requests still queued
  }
  mission.end(trail::EndState::success);

  std::printf("robot_loop: %d ticks at 1 kHz, plan every %d ticks\n", kTicks, kPlanEvery);
  if (field) return check_field_run(*memory);
  demo::Outcome outcome = demo::finish_run(*memory, config);
  const auto& spans = outcome.spans;
  const auto& metrics = outcome.metrics;
  const trail::Summary& summary = outcome.summary;
  demo::Checks& check = outcome.check;

  // Cross-thread and cross-"process" parenting, span by span.
  std::vector<const trail::SpanData*> plans, remotes;
  std::size_t ticks = 0, plans_under_ticks = 0, remotes_ok = 0;
  auto find = [&](std::uint64_t id) -> const trail::SpanData* {
    for (const auto& s : spans)
      if (s.span_id.value == id) return &s;
    return nullptr;
  };
  for (const auto& s : spans) {
    if (s.name == "control.tick") ++ticks;
    if (s.name == "planner.plan_path") plans.push_back(&s);
    if (s.name == "map_service.get_map") remotes.push_back(&s);
  }
  for (const auto* p : plans) {
    const auto* parent = find(p->parent_span_id.value);
    if (parent && parent->name == "control.tick" && parent->trace_id == p->trace_id &&
        demo::int_attribute(*parent, "robot.tick") == demo::int_attribute(*p, "robot.tick"))
      ++plans_under_ticks;
  }
  for (const auto* r : remotes) {
    const auto* parent = find(r->parent_span_id.value);
    const bool remote_parent = (r->flags & 0x300u) == 0x300u;  // OTLP SpanFlags: parent is remote
    if (parent && parent->name == "planner.plan_path" && parent->trace_id == r->trace_id && remote_parent &&
        r->kind == trail::SpanKind::server)
      ++remotes_ok;
  }
  if (all_sampled) {
    check.expect(summary.sessions == 1 && summary.traces == 1, "one session, one trace (%zu, %zu)", summary.sessions,
                 summary.traces);
    const std::size_t requests = (kTicks + kPlanEvery - 1) / kPlanEvery;
    check.expect(ticks == kTicks, "control.tick spans == ticks (%zu)", ticks);
    check.expect(plans.size() == requests && plans_under_ticks == requests,
                 "planner spans (other thread) are children of the tick that asked (%zu of %zu)", plans_under_ticks,
                 requests);
    check.expect(remotes.size() == requests && remotes_ok == requests,
                 "remote spans continue the trace from the traceparent (%zu of %zu)", remotes_ok, requests);
    check.expect(spans.size() == 1 + 4 * std::size_t{kTicks} + 3 * requests, "span count (%zu)", spans.size());
  }
  check.expect(demo::histogram_count(metrics, "robot.control_loop.jitter") == kTicks, "one jitter sample per tick");
  return check.finish("robot_loop");
}
