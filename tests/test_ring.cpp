// The per-thread SPSC ring: unit behaviour (reserve, commit, wrap-around,
// full, continuation bytes across the wrap) and the concurrent stress test.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::detail::Record;
using trail::detail::RecordType;
using trail::detail::Ring;
using trail::find_attribute;

namespace {

std::unique_ptr<Ring> make_ring(std::uint32_t capacity) {
  return std::unique_ptr<Ring>(Ring::create(capacity, 7, 7, trail::detail::process().ring_pressure));
}

// Writes one span_end record whose span id is `id`; false when full.
bool push(Ring& ring, std::uint64_t id) {
  std::uint64_t pos;
  if (!ring.reserve(1, pos)) return false;
  Record& r = ring.slot(pos);
  r.type = RecordType::span_end;
  r.span_id = id;
  ring.commit(pos + 1);
  return true;
}

// Reads every committed record's span id and releases them.
std::vector<std::uint64_t> pop_all(Ring& ring) {
  std::vector<std::uint64_t> ids;
  const std::uint64_t end = ring.write_position();
  for (std::uint64_t pos = ring.read_position(); pos < end; ++pos) ids.push_back(ring.at(pos).span_id);
  ring.release(end);
  return ids;
}

std::int64_t thread_id_of(const trail::SpanData& s) {
  const auto* v = find_attribute(s.attributes, "thread.id");
  return v != nullptr ? std::get<std::int64_t>(*v) : -1;
}

}  // namespace

TEST_CASE("ring: reserve and commit publish records in order") {
  auto ring = make_ring(64);
  REQUIRE(ring);
  CHECK(ring->capacity() == 64);
  CHECK(ring->thread_id() == 7);
  CHECK(ring->write_position() == 0);

  std::uint64_t pos;
  REQUIRE(ring->reserve(3, pos));
  CHECK(pos == 0);
  ring->slot(0).span_id = 1;
  ring->slot(1).span_id = 2;
  // Reserved but not committed: invisible to the consumer.
  CHECK(ring->write_position() == 0);
  ring->commit(2);
  CHECK(ring->write_position() == 2);
  CHECK(pop_all(*ring) == std::vector<std::uint64_t>{1, 2});
  CHECK(ring->read_position() == 2);
}

TEST_CASE("ring: positions wrap around the capacity") {
  auto ring = make_ring(64);
  std::uint64_t next = 1;
  std::vector<std::uint64_t> seen;
  // 10 laps of 48 records: every slot is reused several times.
  for (int lap = 0; lap < 10; ++lap) {
    for (int i = 0; i < 48; ++i) REQUIRE(push(*ring, next++));
    for (auto id : pop_all(*ring)) seen.push_back(id);
  }
  REQUIRE(seen.size() == 480);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i + 1);
  CHECK(ring->write_position() == 480);
  CHECK(&ring->at(480) == &ring->at(480 % 64));
}

TEST_CASE("ring: full -> reserve fails until the consumer releases") {
  auto ring = make_ring(64);
  trail::detail::process().ring_pressure.pending.store(false);
  for (std::uint64_t i = 1; i <= 64; ++i) REQUIRE(push(*ring, i));
  CHECK(trail::detail::process().ring_pressure.pending.load());  // passed half full: asks for an early drain
  CHECK_FALSE(push(*ring, 65));
  std::uint64_t pos;
  CHECK_FALSE(ring->reserve(1, pos));
  // The consumer frees half of it.
  const std::uint64_t end = 32;
  for (std::uint64_t p = ring->read_position(); p < end; ++p) CHECK(ring->at(p).span_id == p + 1);
  ring->release(end);
  CHECK_FALSE(ring->reserve(33, pos));  // all or nothing
  REQUIRE(ring->reserve(32, pos));
  CHECK(pos == 64);
  ring->commit(pos);  // nothing written after all
  for (std::uint64_t i = 65; i <= 96; ++i) REQUIRE(push(*ring, i));
  CHECK_FALSE(push(*ring, 97));
  const auto rest = pop_all(*ring);
  REQUIRE(rest.size() == 64);
  CHECK(rest.front() == 33);
  CHECK(rest.back() == 96);
}

namespace pressure {
std::atomic<int> wakes{0};
void count_wake() noexcept { wakes.fetch_add(1); }
}  // namespace pressure

TEST_CASE("ring: crossing half full wakes the flusher once, not once per record") {
  auto ring = make_ring(64);
  trail::detail::process().ring_pressure.pending.store(false);
  const auto installed = trail::detail::process().ring_pressure.wake.exchange(&pressure::count_wake);
  pressure::wakes = 0;
  for (std::uint64_t i = 1; i <= 32; ++i) REQUIRE(push(*ring, i));
  CHECK(pressure::wakes == 0);  // half full is not past half
  for (std::uint64_t i = 33; i <= 60; ++i) REQUIRE(push(*ring, i));
  CHECK(pressure::wakes == 1);  // one wake for the crossing, none for the 27 records after it
  trail::detail::process().ring_pressure.pending.store(false);  // the flusher woke and cleared it; the ring is still past half
  REQUIRE(push(*ring, 61));
  CHECK(pressure::wakes == 2);
  trail::detail::process().ring_pressure.wake.store(installed);
  trail::detail::process().ring_pressure.pending.store(false);
}

TEST_CASE("ring: continuation bytes across the wrap point") {
  auto ring = make_ring(64);
  for (std::uint64_t i = 0; i < 60; ++i) REQUIRE(push(*ring, i));
  pop_all(*ring);
  std::string text(300, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('A' + i % 57);
  const std::uint32_t lines = trail::detail::continuation_count(static_cast<std::uint32_t>(text.size()), 0);
  CHECK(lines == 5);
  std::uint64_t pos;
  REQUIRE(ring->reserve(lines, pos));
  CHECK(pos == 60);
  ring->write_bytes(pos, text.data(), static_cast<std::uint32_t>(text.size()));  // lines 60..64 = slots 60..63, 0
  ring->commit(pos + lines);
  std::string back;
  ring->read_bytes(pos, static_cast<std::uint32_t>(text.size()), back);
  CHECK(back == text);
  ring->release(pos + lines);
}

TEST_CASE("spans: a full ring drops and counts, and a long string survives the wrap") {
  trail::test::recorded();  // rings of earlier tests drained
  trail::detail::Collector collector;
  const auto before = collector.counts();
  std::string long_value(200, 'x');
  for (std::size_t i = 0; i < long_value.size(); ++i) long_value[i] = static_cast<char>('a' + i % 26);
  std::uint64_t recorded = 0, dropped = 0, records_dropped = 0;
  std::vector<trail::SpanData> spans;
  trail::set_ring_capacity(64);
  std::thread([&] {
    for (int i = 0; i < 100; ++i) {
      TRAIL_SPAN("fill");
    }
    Ring* ring = trail::detail::this_thread().ring;
    REQUIRE(ring != nullptr);
    CHECK(ring->capacity() == 64);
    recorded = ring->spans_recorded();
    dropped = ring->spans_dropped();
    {
      TRAIL_SPAN_VAR(s, "no room");
      s.set("k", std::string(50, 'k'));  // a record of its own (not packed): dropped and counted
    }
    records_dropped = ring->records_dropped();
    collector.collect(spans);  // frees the ring: positions now 64
    // 64 + 58: the 5-line attribute starts at slot 58 and wraps to slot 0.
    for (int i = 0; i < 58; ++i) {
      TRAIL_SPAN("pad");
    }
    {
      TRAIL_SPAN_VAR(s, "wrapped");
      s.set("long", long_value);
    }
  }).join();
  trail::set_ring_capacity(16384);
  CHECK(recorded == 64);
  CHECK(dropped == 36);
  CHECK(records_dropped == 1);
  collector.collect_all(spans);
  const auto after = collector.counts();
  CHECK(after.spans_recorded - before.spans_recorded == 64 + 58 + 1);
  CHECK(after.spans_dropped_ring_full - before.spans_dropped_ring_full == 37);
  CHECK(after.records_dropped_ring_full - before.records_dropped_ring_full == 1);
  CHECK(std::count_if(spans.begin(), spans.end(), [](auto& s) { return s.name == "fill"; }) == 64);
  CHECK(std::count_if(spans.begin(), spans.end(), [](auto& s) { return s.name == "pad"; }) == 58);
  const auto* wrapped = trail::test::find_span(spans, "wrapped");
  REQUIRE(wrapped != nullptr);
  CHECK(std::get<std::string>(*find_attribute(wrapped->attributes, "long")) == long_value);
}

TEST_CASE("spans: a span whose pending attributes and end do not fit is dropped whole and counted") {
  trail::test::recorded();
  trail::detail::Collector collector;
  const auto before = collector.counts();
  std::vector<trail::SpanData> spans;
  trail::set_ring_capacity(64);
  std::thread([&] {
    for (int i = 0; i < 63; ++i) {
      TRAIL_SPAN("fill");
    }
    Ring* ring = trail::detail::this_thread().ring;
    REQUIRE(ring != nullptr);
    {
      TRAIL_SPAN_VAR(s, "two lines, one free");  // pack + end: dropped as a whole, no orphan record
      s.set("a", 1);
      s.set("b", 2.0);
    }
    CHECK(ring->spans_dropped() == 1);
    CHECK(ring->records_dropped() == 0);
    {
      TRAIL_SPAN("one line, one free");
    }
    {
      TRAIL_SPAN_VAR(s, "full mid-span");
      for (int i = 0; i < 4; ++i) s.set("n", i);  // the fourth writes the first pack: no room
    }
    CHECK(ring->spans_dropped() == 2);
    CHECK(ring->records_dropped() == 1);
    CHECK(ring->write_position() == 64);
    collector.collect(spans);  // frees the ring
    {
      TRAIL_SPAN_VAR(s, "after the drain");
      for (int i = 0; i < 7; ++i) s.set("n", i);
    }
  }).join();
  trail::set_ring_capacity(16384);
  collector.collect_all(spans);
  const auto after = collector.counts();
  CHECK(after.spans_recorded - before.spans_recorded == 63 + 1 + 1);
  CHECK(after.spans_dropped_ring_full - before.spans_dropped_ring_full == 2);
  CHECK(after.records_dropped_ring_full - before.records_dropped_ring_full == 1);
  CHECK(spans.size() == 65);
  CHECK(trail::test::find_span(spans, "one line, one free") != nullptr);
  CHECK(trail::test::find_span(spans, "two lines, one free") == nullptr);
  const auto* last = trail::test::find_span(spans, "after the drain");
  REQUIRE(last != nullptr);
  CHECK(std::get<std::int64_t>(*find_attribute(last->attributes, "n")) == 6);
  CHECK(collector.deferred() == 0);
}

TEST_CASE("stress: 8 threads x 200,000 spans while a consumer drains") {
  constexpr int kThreads = 8;
  constexpr std::uint64_t kSpans = 200'000;
  trail::test::recorded();  // earlier tests' rings drained
  trail::detail::Collector collector;
  const auto counts_before = collector.counts();

  struct PerThread {
    std::int64_t tid = 0;
    std::uint64_t recorded = 0, dropped = 0;  // the ring's own counters, read by its thread at the end
    std::uint64_t consumed = 0;
    std::uint64_t last_start = 0;
    std::uint64_t out_of_order = 0;
  };
  std::vector<PerThread> per(kThreads);
  std::atomic<int> registered{0};
  std::atomic<int> finished{0};
  std::atomic<bool> go{false};

  trail::set_ring_capacity(4096);
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      per[t].tid = static_cast<std::int64_t>(trail::detail::current_thread_id());
      trail::detail::thread_state();  // registers the ring before timing starts
      registered.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      Ring* ring = trail::detail::this_thread().ring;
      const auto pace_until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      for (std::uint64_t i = 0; i < kSpans; ++i) {
        TRAIL_SPAN("stress");
        // Threads 0 and 4 wait (boundedly) while their ring is 3/4 full, so
        // all their spans go through it; the others never wait, and drop.
        if (t % 4 == 0 && i % 64 == 63) {
          while (ring->write_position() - ring->read_position() > ring->capacity() / 4 * 3 &&
                 std::chrono::steady_clock::now() < pace_until)
            std::this_thread::yield();
        }
      }
      per[t].recorded = ring->spans_recorded();
      per[t].dropped = ring->spans_dropped();
      finished.fetch_add(1);
    });
  }
  // The main thread consumes; every wait has a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (registered.load() < kThreads && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  trail::set_ring_capacity(16384);

  std::vector<std::uint64_t> span_ids;
  span_ids.reserve(kThreads * kSpans);
  std::uint64_t foreign = 0;
  std::vector<trail::SpanData> batch;
  auto consume = [&] {
    for (const auto& s : batch) {
      const std::int64_t tid = thread_id_of(s);
      auto it = std::find_if(per.begin(), per.end(), [&](const PerThread& p) { return p.tid == tid; });
      if (s.name != "stress" || it == per.end()) {
        ++foreign;
        continue;
      }
      span_ids.push_back(s.span_id.value);
      ++it->consumed;
      if (s.start_time_unix_nano < it->last_start) ++it->out_of_order;
      it->last_start = s.start_time_unix_nano;
    }
    batch.clear();
  };

  go.store(true);
  bool timed_out = false;
  while (finished.load() < kThreads) {
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      break;
    }
    if (collector.collect(batch) == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    consume();
  }
  for (auto& p : producers) p.join();
  REQUIRE_FALSE(timed_out);
  collector.collect_all(batch);
  consume();

  CHECK(foreign == 0);
  std::uint64_t total_recorded = 0, total_dropped = 0, total_consumed = 0;
  for (const auto& p : per) {
    CAPTURE(p.tid);
    CHECK(p.recorded + p.dropped == kSpans);
    CHECK(p.consumed == p.recorded);
    CHECK(p.out_of_order == 0);
    total_recorded += p.recorded;
    total_dropped += p.dropped;
    total_consumed += p.consumed;
  }
  const auto counts = collector.counts();
  CHECK(counts.spans_recorded - counts_before.spans_recorded == total_consumed);
  CHECK(counts.spans_recorded - counts_before.spans_recorded +
            (counts.spans_dropped_ring_full - counts_before.spans_dropped_ring_full) ==
        kThreads * kSpans);
  CHECK(total_recorded + total_dropped == kThreads * kSpans);
  MESSAGE("consumed " << total_consumed << ", dropped " << total_dropped);

  // Exactly once: as many distinct ids as spans consumed.
  REQUIRE(span_ids.size() == total_consumed);
  std::sort(span_ids.begin(), span_ids.end());
  CHECK(std::adjacent_find(span_ids.begin(), span_ids.end()) == span_ids.end());
}
