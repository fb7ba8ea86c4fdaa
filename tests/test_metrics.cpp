#include <trail/metrics.hpp>

#include <trail/export/metrics_collect.hpp>
#include <trail/export/otlp_json_metrics.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <vector>

// Counts every heap allocation, to prove the recording fast path allocates
// nothing once a series exists.
#include "support/allocation_counter.hpp"

namespace {

using trail::AttributeValue;
using trail::HistogramDataPoint;
using trail::MetricData;
using trail::NumberDataPoint;

constexpr std::uint64_t kNow = 1'700'000'000'000'000'000ull;

MetricData collect(const trail::detail::MetricInstrument& inst) {
  std::vector<MetricData> out;
  trail::detail::collect_instrument(inst, kNow, out);
  REQUIRE(out.size() == 1);
  return out[0];
}

bool has_attr(const std::vector<trail::Attribute>& attrs, const std::string& key, const AttributeValue& value) {
  for (const auto& a : attrs)
    if (a.key == key && a.value == value) return true;
  return false;
}

template <class Point>
const Point* find_point(const std::vector<Point>& points, const std::string& key, const AttributeValue& value) {
  for (const Point& p : points)
    if (has_attr(p.attributes, key, value)) return &p;
  return nullptr;
}

template <class Point>
const Point* find_no_attr_point(const std::vector<Point>& points) {
  for (const Point& p : points)
    if (p.attributes.empty()) return &p;
  return nullptr;
}

std::uint64_t bucket_total(const HistogramDataPoint& p) {
  std::uint64_t total = 0;
  for (std::uint64_t c : p.bucket_counts) total += c;
  return total;
}

// ---- instruments (static duration, as the registry requires)

trail::Counter<std::int64_t> conc_count{"test.conc.count", "{op}", "concurrent int counter"};
trail::Counter<double> conc_dcount{"test.conc.dcount"};
trail::UpDownCounter<std::int64_t> conc_updown{"test.conc.updown"};
trail::Histogram<double> conc_hist{"test.conc.hist", "ms", "", {10, 20, 30}};
trail::Histogram<std::int64_t> conc_ihist{"test.conc.ihist"};

constexpr int kThreads = 8;
constexpr int kIterations = 100'000;

}  // namespace

TEST_CASE("concurrent adds and records are exact, and a concurrent reader sees coherent points") {
  std::atomic<int> running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &running] {
      const char* side = t % 2 ? "odd" : "even";
      for (int i = 0; i < kIterations; ++i) {
        conc_count.add(1);
        conc_count.add(2, {{"side", side}, {"ok", true}});
        conc_dcount.add(0.5, {{"side", side}});
        conc_updown.add(i % 2 ? 3 : -2);
        conc_hist.record(static_cast<double>(i % 40 + t), {{"side", side}});
        conc_ihist.record(i % 1000 - t);
      }
      running.fetch_sub(1);
    });
  }
  // The reader runs while the writers do: every point must be internally
  // coherent and counts must never go backwards.
  std::uint64_t last_count = 0;
  int snapshots = 0;
  while (running.load() > 0) {
    std::vector<MetricData> out;
    trail::detail::collect_instrument(conc_hist, kNow, out);
    for (const MetricData& m : out) {
      std::uint64_t total = 0;
      for (const HistogramDataPoint& p : m.histogram_points) {
        CHECK(p.count == bucket_total(p));
        if (p.count > 0) {
          CHECK(p.min <= p.max);
          CHECK(p.min >= 0);
          CHECK(p.max <= 39 + kThreads - 1);
          CHECK(p.sum >= p.min * static_cast<double>(p.count));
        }
        total += p.count;
      }
      CHECK(total >= last_count);
      last_count = total;
    }
    ++snapshots;
  }
  for (auto& th : threads) th.join();
  CHECK(snapshots > 0);

  const std::int64_t n = std::int64_t{kThreads} * kIterations;

  const MetricData count = collect(conc_count);
  CHECK(count.type == trail::MetricType::sum);
  CHECK(count.is_monotonic);
  REQUIRE(count.number_points.size() == 3);
  CHECK(find_no_attr_point(count.number_points)->as_int == n);
  CHECK(find_point(count.number_points, "side", std::string("odd"))->as_int == n);  // 4 threads x 2
  CHECK(find_point(count.number_points, "side", std::string("even"))->as_int == n);

  const MetricData dcount = collect(conc_dcount);
  REQUIRE(dcount.number_points.size() == 2);
  for (const NumberDataPoint& p : dcount.number_points) {
    CHECK(p.is_double);
    CHECK(p.as_double == 0.5 * static_cast<double>(n / 2));
  }

  const MetricData updown = collect(conc_updown);
  CHECK_FALSE(updown.is_monotonic);
  REQUIRE(updown.number_points.size() == 1);
  CHECK(updown.number_points[0].as_int == n / 2 * 3 - n / 2 * 2);

  // Reference histogram computed single-threaded.
  const MetricData hist = collect(conc_hist);
  CHECK(hist.type == trail::MetricType::histogram);
  REQUIRE(hist.histogram_points.size() == 2);
  for (const char* side : {"even", "odd"}) {
    std::vector<std::uint64_t> buckets(4, 0);
    double sum = 0, mn = 1e9, mx = -1e9;
    for (int t = (side[0] == 'o'); t < kThreads; t += 2) {
      for (int i = 0; i < kIterations; ++i) {
        const double v = i % 40 + t;
        buckets[v <= 10 ? 0 : v <= 20 ? 1 : v <= 30 ? 2 : 3]++;
        sum += v;
        mn = std::min(mn, v);
        mx = std::max(mx, v);
      }
    }
    const HistogramDataPoint* p = find_point(hist.histogram_points, "side", std::string(side));
    REQUIRE(p != nullptr);
    CHECK(p->count == static_cast<std::uint64_t>(n / 2));
    CHECK(p->bucket_counts == buckets);
    CHECK(p->explicit_bounds == std::vector<double>{10, 20, 30});
    CHECK(p->sum == sum);
    CHECK(p->min == mn);
    CHECK(p->max == mx);
  }

  const MetricData ihist = collect(conc_ihist);
  REQUIRE(ihist.histogram_points.size() == 1);
  const HistogramDataPoint& ip = ihist.histogram_points[0];
  CHECK(ip.count == static_cast<std::uint64_t>(n));
  CHECK(bucket_total(ip) == ip.count);
  CHECK(ip.min == -(kThreads - 1));
  CHECK(ip.max == 999);
  std::int64_t isum = 0;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kIterations; ++i) isum += i % 1000 - t;
  CHECK(ip.sum == static_cast<double>(isum));
  CHECK(ip.explicit_bounds.size() == 15);  // OTel default boundaries
}

namespace {
trail::Histogram<double> edge_hist{"test.edges", "", "", {0, 5, 10}};
trail::Histogram<std::int64_t> edge_ihist{"test.edges.int", "", "", {1, 2}};
trail::Histogram<double> default_hist{"test.edges.default"};
trail::Histogram<double> messy_hist{"test.edges.messy", "", "", {10, 0, 5, 5, std::nan("")}};
trail::Histogram<double> no_bounds_hist{"test.edges.none", "", "", {}};
}  // namespace

TEST_CASE("histogram buckets are upper-inclusive: (bound[i-1], bound[i]]") {
  for (double v : {-1.0, 0.0, 0.5, 5.0, 5.000001, 10.0, 11.0, 1e300}) edge_hist.record(v);
  const HistogramDataPoint p = collect(edge_hist).histogram_points.at(0);
  CHECK(p.bucket_counts == std::vector<std::uint64_t>{2, 2, 2, 2});  // {-1,0} {0.5,5} {5.000001,10} {11,1e300}
  CHECK(p.count == 8);
  CHECK(p.min == -1.0);
  CHECK(p.max == 1e300);

  for (std::int64_t v : {0, 1, 2, 3}) edge_ihist.record(v);
  const HistogramDataPoint ip = collect(edge_ihist).histogram_points.at(0);
  CHECK(ip.bucket_counts == std::vector<std::uint64_t>{2, 1, 1});
  CHECK(ip.sum == 6.0);

  default_hist.record(0);
  default_hist.record(10000);
  default_hist.record(10000.5);
  const HistogramDataPoint dp = collect(default_hist).histogram_points.at(0);
  CHECK(dp.explicit_bounds ==
        std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000});
  REQUIRE(dp.bucket_counts.size() == 16);
  CHECK(dp.bucket_counts[0] == 1);
  CHECK(dp.bucket_counts[14] == 1);
  CHECK(dp.bucket_counts[15] == 1);

  messy_hist.record(5);
  const HistogramDataPoint mp = collect(messy_hist).histogram_points.at(0);
  CHECK(mp.explicit_bounds == std::vector<double>{0, 5, 10});  // sorted, deduplicated, finite
  CHECK(mp.bucket_counts == std::vector<std::uint64_t>{0, 1, 0, 0});

  no_bounds_hist.record(-3);
  no_bounds_hist.record(7);
  const HistogramDataPoint np = collect(no_bounds_hist).histogram_points.at(0);
  CHECK(np.explicit_bounds.empty());
  CHECK(np.bucket_counts == std::vector<std::uint64_t>{2});
}

namespace {
trail::Counter<std::int64_t> neg_count{"test.neg.count"};
trail::Counter<double> neg_dcount{"test.neg.dcount"};
trail::Histogram<double> neg_hist{"test.neg.hist"};
trail::UpDownCounter<double> neg_updown{"test.neg.updown"};
}  // namespace

TEST_CASE("invalid measurements are ignored and counted, never fatal") {
  neg_count.add(5);
  neg_count.add(-1);
  neg_count.add(std::numeric_limits<std::int64_t>::min());
  CHECK(neg_count.rejected() == 2);
  CHECK(collect(neg_count).number_points.at(0).as_int == 5);

  neg_dcount.add(1.5);
  neg_dcount.add(-0.5);
  neg_dcount.add(std::nan(""));
  neg_dcount.add(std::numeric_limits<double>::infinity());
  CHECK(neg_dcount.rejected() == 3);
  CHECK(collect(neg_dcount).number_points.at(0).as_double == 1.5);

  neg_hist.record(std::nan(""));
  neg_hist.record(-std::numeric_limits<double>::infinity());
  CHECK(neg_hist.rejected() == 2);
  std::vector<MetricData> out;
  trail::detail::collect_instrument(neg_hist, kNow, out);
  CHECK(out.empty());  // nothing recorded: no series, no metric

  neg_updown.add(-2.5);  // negative is fine for an up-down counter
  neg_updown.add(1.0);
  CHECK(neg_updown.rejected() == 0);
  CHECK(collect(neg_updown).number_points.at(0).as_double == -1.5);
}

namespace {
trail::Counter<std::int64_t> order_count{"test.order"};
}

TEST_CASE("attribute order does not matter; types and values do; strings are copied") {
  order_count.add(1, {{"a", 1}, {"b", "x"}, {"c", 2.5}});
  order_count.add(2, {{"b", "x"}, {"c", 2.5}, {"a", 1}});
  order_count.add(4, {{"c", 2.5}, {"a", 1}, {"b", "x"}});
  order_count.add(8, {{"a", 1.0}, {"b", "x"}, {"c", 2.5}});    // a is a double now: another set
  order_count.add(16, {{"a", 1}, {"b", "y"}, {"c", 2.5}});     // b differs
  {
    std::string temp = "dyn";
    temp += "amic";
    order_count.add(32, {{"s", temp}});
    temp.assign("XXXXXXX");  // the series kept its own copy
  }
  const std::string again = "dynamic";
  order_count.add(64, {{"s", again}});

  const MetricData m = collect(order_count);
  REQUIRE(m.number_points.size() == 4);
  const NumberDataPoint* p = find_point(m.number_points, "a", std::int64_t{1});
  REQUIRE(p != nullptr);
  // Two sets have a=1 (int): b=x and b=y.
  std::int64_t sum_bx = 0, sum_by = 0;
  for (const NumberDataPoint& q : m.number_points) {
    if (has_attr(q.attributes, "a", std::int64_t{1}) && has_attr(q.attributes, "b", std::string("x"))) sum_bx = q.as_int;
    if (has_attr(q.attributes, "b", std::string("y"))) sum_by = q.as_int;
  }
  CHECK(sum_bx == 7);
  CHECK(sum_by == 16);
  CHECK(find_point(m.number_points, "a", 1.0)->as_int == 8);
  CHECK(find_point(m.number_points, "s", std::string("dynamic"))->as_int == 96);
}

namespace {
constexpr std::uint32_t kLimit = 50;
trail::Counter<std::int64_t> card_count{"test.cardinality", "", "", kLimit};
trail::Histogram<double> card_hist{"test.cardinality.hist", "", "", {1}, 3};
}  // namespace

TEST_CASE("past the cardinality limit, new sets go to one otel.metric.overflow series") {
  for (int i = 0; i < static_cast<int>(kLimit) + 10; ++i) card_count.add(1, {{"id", i}});
  card_count.add(100, {{"id", 0}});         // existing series: still its own
  card_count.add(1000, {{"id", 55}});       // new set past the limit: overflow
  card_count.add(10000);                    // the empty set is a set too

  const MetricData m = collect(card_count);
  CHECK(m.number_points.size() == kLimit + 1);
  const NumberDataPoint* overflow = find_point(m.number_points, "otel.metric.overflow", true);
  REQUIRE(overflow != nullptr);
  CHECK(overflow->attributes.size() == 1);
  CHECK(overflow->as_int == 10 + 1000 + 10000);
  CHECK(find_point(m.number_points, "id", std::int64_t{0})->as_int == 101);
  std::int64_t total = 0;
  int regular = 0;
  for (const NumberDataPoint& p : m.number_points) {
    total += p.as_int;
    if (&p != overflow) {
      ++regular;
      CHECK(p.as_int >= 1);
    }
  }
  CHECK(regular == static_cast<int>(kLimit));
  CHECK(total == static_cast<std::int64_t>(kLimit) + 10 + 100 + 1000 + 10000);

  for (int i = 0; i < 5; ++i) card_hist.record(i, {{"id", i}});
  const MetricData h = collect(card_hist);
  CHECK(h.histogram_points.size() == 4);
  const HistogramDataPoint* hover = find_point(h.histogram_points, "otel.metric.overflow", true);
  REQUIRE(hover != nullptr);
  CHECK(hover->count == 2);
  CHECK(hover->min == 3);
  CHECK(hover->max == 4);
}

namespace {
trail::Counter<std::int64_t> race_count{"test.cardinality.race", "", "", kLimit};
}

TEST_CASE("concurrent first uses of many sets: no lost measurement, no duplicate series, bounded") {
  constexpr int kSets = static_cast<int>(kLimit) + 10;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int r = 0; r < kRounds; ++r)
        for (int i = 0; i < kSets; ++i) race_count.add(1, {{"id", (i + t * 7) % kSets}, {"k", "v"}});
    });
  }
  for (auto& th : threads) th.join();

  const MetricData m = collect(race_count);
  std::int64_t total = 0;
  int regular = 0, overflow = 0;
  std::vector<int> seen(kSets, 0);
  for (const NumberDataPoint& p : m.number_points) {
    total += p.as_int;
    if (has_attr(p.attributes, "otel.metric.overflow", true)) {
      ++overflow;
      continue;
    }
    ++regular;
    for (const auto& a : p.attributes)
      if (a.key == "id") ++seen.at(static_cast<std::size_t>(std::get<std::int64_t>(a.value)));
  }
  CHECK(total == std::int64_t{kThreads} * kRounds * kSets);
  CHECK(regular == static_cast<int>(kLimit));
  CHECK(overflow == 1);
  for (int n : seen) CHECK(n <= 1);  // one series per set, whichever thread made it
}

namespace {
trail::Gauge<double> gauge{"test.gauge", "ms", "frame time"};
trail::Gauge<std::int64_t> igauge{"test.gauge.int"};
trail::Gauge<double> unused_gauge{"test.gauge.unused"};
}  // namespace

TEST_CASE("a gauge exports its last value") {
  gauge.record(16.6);
  gauge.record(8.3);
  gauge.record(33.3, {{"scene", "menu"}});
  igauge.record(-7);
  igauge.record(42);

  const MetricData m = collect(gauge);
  CHECK(m.type == trail::MetricType::gauge);
  REQUIRE(m.number_points.size() == 2);
  CHECK(find_no_attr_point(m.number_points)->as_double == 8.3);
  CHECK(find_point(m.number_points, "scene", std::string("menu"))->as_double == 33.3);
  for (const NumberDataPoint& p : m.number_points) {
    CHECK(p.time_unix_nano == kNow);
    CHECK(p.start_time_unix_nano > 1'600'000'000'000'000'000ull);  // the series' first use, wall clock
  }
  CHECK(collect(igauge).number_points.at(0).as_int == 42);

  std::vector<MetricData> out;
  trail::detail::collect_instrument(unused_gauge, kNow, out);
  CHECK(out.empty());
}

TEST_CASE("collect_metrics walks the process-wide registry") {
  const std::vector<MetricData> all = trail::collect_metrics(kNow);
  auto has = [&](const std::string& name) {
    for (const MetricData& m : all)
      if (m.name == name) return true;
    return false;
  };
  CHECK(has("test.gauge"));
  CHECK(has("test.order"));
  CHECK_FALSE(has("test.gauge.unused"));
  for (const MetricData& m : all) {
    for (const NumberDataPoint& p : m.number_points) CHECK(p.time_unix_nano == kNow);
    for (const HistogramDataPoint& p : m.histogram_points) CHECK(p.count == bucket_total(p));
  }
}

namespace {
trail::Counter<std::int64_t> json_count{"agent.tokens", "{token}", "Tokens spent"};
trail::UpDownCounter<double> json_updown{"agent.queue.depth", "{item}", ""};
trail::Gauge<double> json_gauge{"game.frame.time", "ms", "Frame time"};
trail::Histogram<double> json_hist{"robot.loop.latency", "ms", "Loop latency", {1, 2}};
}  // namespace

TEST_CASE("OTLP/JSON ExportMetricsServiceRequest, parsed back field by field") {
  json_count.add(9'007'199'254'740'993);  // 2^53 + 1: survives only as a string
  json_count.add(42, {{"model", "gpt-4o"}, {"ok", true}, {"n", 3}, {"t", 0.5}});
  json_updown.add(-1.25);
  json_gauge.record(16.5);
  json_hist.record(0.5, {{"k", "a\"b"}});
  json_hist.record(2.0, {{"k", "a\"b"}});
  json_hist.record(9.0, {{"k", "a\"b"}});

  std::vector<MetricData> metrics;
  for (const trail::detail::MetricInstrument* i :
       std::initializer_list<const trail::detail::MetricInstrument*>{&json_count, &json_updown, &json_gauge, &json_hist})
    trail::detail::collect_instrument(*i, kNow, metrics);
  REQUIRE(metrics.size() == 4);

  trail::Resource resource;
  resource.attributes.push_back({"service.name", std::string("bot")});
  trail::InstrumentationScope scope;
  scope.version = "0.1.0";
  std::string body = "unchanged prefix:";
  trail::write_metrics_request(body, resource, scope, metrics);
  REQUIRE(body.rfind("unchanged prefix:", 0) == 0);
  const nlohmann::json j = nlohmann::json::parse(body.substr(17));

  REQUIRE(j["resourceMetrics"].size() == 1);
  const auto& rm = j["resourceMetrics"][0];
  CHECK(rm["resource"]["attributes"][0]["key"] == "service.name");
  CHECK(rm["resource"]["attributes"][0]["value"]["stringValue"] == "bot");
  REQUIRE(rm["scopeMetrics"].size() == 1);
  CHECK(rm["scopeMetrics"][0]["scope"]["name"] == "trail");
  CHECK(rm["scopeMetrics"][0]["scope"]["version"] == "0.1.0");
  const auto& ms = rm["scopeMetrics"][0]["metrics"];
  REQUIRE(ms.size() == 4);

  // Counter: monotonic cumulative sum, asInt as a decimal string.
  const auto& c = ms[0];
  CHECK(c["name"] == "agent.tokens");
  CHECK(c["unit"] == "{token}");
  CHECK(c["description"] == "Tokens spent");
  CHECK(c["sum"]["aggregationTemporality"] == 2);
  CHECK(c["sum"]["isMonotonic"] == true);
  REQUIRE(c["sum"]["dataPoints"].size() == 2);
  bool saw_plain = false, saw_attrs = false;
  for (const auto& p : c["sum"]["dataPoints"]) {
    CHECK(p["startTimeUnixNano"].is_string());
    CHECK(p["timeUnixNano"] == std::to_string(kNow));
    CHECK(p["asInt"].is_string());
    CHECK_FALSE(p.contains("asDouble"));
    if (!p.contains("attributes")) {
      saw_plain = true;
      CHECK(p["asInt"] == "9007199254740993");
      continue;
    }
    saw_attrs = true;
    CHECK(p["asInt"] == "42");
    REQUIRE(p["attributes"].size() == 4);
    for (const auto& a : p["attributes"]) {
      if (a["key"] == "model") CHECK(a["value"]["stringValue"] == "gpt-4o");
      else if (a["key"] == "ok") CHECK(a["value"]["boolValue"] == true);
      else if (a["key"] == "n") CHECK(a["value"]["intValue"] == "3");
      else if (a["key"] == "t") CHECK(a["value"]["doubleValue"] == 0.5);
      else FAIL("unexpected key " << a["key"]);
    }
  }
  CHECK(saw_plain);
  CHECK(saw_attrs);

  // UpDownCounter: non-monotonic sum, asDouble as a number, empty description omitted.
  const auto& u = ms[1];
  CHECK(u["name"] == "agent.queue.depth");
  CHECK_FALSE(u.contains("description"));
  CHECK(u["sum"]["isMonotonic"] == false);
  CHECK(u["sum"]["aggregationTemporality"] == 2);
  CHECK(u["sum"]["dataPoints"][0]["asDouble"] == -1.25);
  CHECK_FALSE(u["sum"]["dataPoints"][0].contains("asInt"));

  // Gauge: data points only.
  const auto& g = ms[2];
  CHECK(g["name"] == "game.frame.time");
  CHECK_FALSE(g.contains("sum"));
  CHECK_FALSE(g["gauge"].contains("aggregationTemporality"));
  CHECK(g["gauge"]["dataPoints"][0]["asDouble"] == 16.5);

  // Histogram: count and bucketCounts as strings, bounds as numbers.
  const auto& h = ms[3];
  CHECK(h["name"] == "robot.loop.latency");
  CHECK(h["histogram"]["aggregationTemporality"] == 2);
  const auto& hp = h["histogram"]["dataPoints"][0];
  CHECK(hp["attributes"][0]["key"] == "k");
  CHECK(hp["attributes"][0]["value"]["stringValue"] == "a\"b");
  CHECK(hp["count"] == "3");
  CHECK(hp["sum"] == 11.5);
  CHECK(hp["min"] == 0.5);
  CHECK(hp["max"] == 9.0);
  CHECK(hp["bucketCounts"] == nlohmann::json::array({"1", "1", "1"}));
  CHECK(hp["explicitBounds"] == nlohmann::json::array({1.0, 2.0}));
  CHECK(hp["startTimeUnixNano"].is_string());
}

TEST_CASE("OTLP/JSON: empty histogram point omits min/max; empty request is valid") {
  MetricData m;
  m.name = "h";
  m.type = trail::MetricType::histogram;
  HistogramDataPoint p;
  p.bucket_counts = {0};
  m.histogram_points.push_back(p);
  std::string body;
  trail::write_metrics_request(body, trail::Resource{}, trail::InstrumentationScope{}, {m});
  const nlohmann::json j = nlohmann::json::parse(body);
  const auto& hp = j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]["dataPoints"][0];
  CHECK(hp["count"] == "0");
  CHECK_FALSE(hp.contains("min"));
  CHECK_FALSE(hp.contains("max"));
  CHECK(hp["bucketCounts"] == nlohmann::json::array({"0"}));

  std::string empty;
  trail::write_metrics_request(empty, trail::Resource{}, trail::InstrumentationScope{}, {});
  const nlohmann::json e = nlohmann::json::parse(empty);
  CHECK(e["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].empty());
}

namespace {
trail::Counter<std::int64_t> alloc_count{"test.alloc.count"};
trail::Counter<double> alloc_dcount{"test.alloc.dcount"};
trail::Histogram<double> alloc_hist{"test.alloc.hist"};
trail::Gauge<double> alloc_gauge{"test.alloc.gauge"};
}  // namespace

TEST_CASE("no heap allocation once a series exists" * doctest::skip(!trail::test::counts_allocations)) {
  const long at_start = static_cast<long>(trail::test::allocations());
  std::string model = "a model name longer than any small-string buffer";
  const long after_string = static_cast<long>(trail::test::allocations());
  CHECK(after_string == at_start + 1);  // the counting operator new is live

  auto record_all = [&model](int i) {
    alloc_count.add(1);
    alloc_count.add(i, {{"model", model}, {"ok", true}, {"id", 7}});
    alloc_dcount.add(0.25, {{"ok", false}});
    alloc_hist.record(i * 0.5);
    alloc_hist.record(i * 0.5, {{"ok", true}, {"model", model}});
    alloc_gauge.record(i, {{"x", 1.5}});
  };
  record_all(0);  // first use: series (and tables) are made
  const long after_first = static_cast<long>(trail::test::allocations());
  CHECK(after_first > after_string);

  for (int i = 1; i < 10'000; ++i) record_all(i);
  CHECK(static_cast<long>(trail::test::allocations()) == after_first);
}

TEST_CASE("a bound series is the same series, without the lookup") {
  static trail::Counter<std::int64_t> bound_count{"test.bound.count"};
  static trail::Histogram<double> bound_latency{"test.bound.latency", "ms", "", {1, 10}};
  auto tokens = bound_count.bind({{"model", "m"}, {"ok", true}});
  tokens.add(5);
  bound_count.add(2, {{"ok", true}, {"model", "m"}});  // the same set, looked up
  tokens.add(-1);                                         // rejected, as unbound
  auto latency = bound_latency.bind({{"loop", "control"}});
  latency.record(0.5);
  latency.record(20);
  const MetricData counter = collect(bound_count);
  REQUIRE(counter.number_points.size() == 1);
  CHECK(counter.number_points[0].as_int == 7);
  CHECK(bound_count.rejected() == 1);
  const MetricData histogram = collect(bound_latency);
  REQUIRE(histogram.histogram_points.size() == 1);
  CHECK(histogram.histogram_points[0].bucket_counts == std::vector<std::uint64_t>{1, 0, 1});
  CHECK(histogram.histogram_points[0].max == 20);

  const auto before = trail::test::allocations();
  for (int i = 0; i < 1000; ++i) {
    tokens.add(1);
    latency.record(3);
  }
  if (trail::test::counts_allocations) CHECK(trail::test::allocations() == before);
}
