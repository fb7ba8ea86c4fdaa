// The Perfetto trace, parsed back with a protobuf wire-format reader written
// here (independent of the writer): track descriptors, slices, debug
// annotations, flows and counters, by field number as perfetto's protos
// define them.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <trail/export/perfetto_exporter.hpp>

#include "support/sample_run.hpp"

namespace {

// One field of a message: a varint / fixed value or length-delimited bytes.
struct Field {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t value = 0;
  std::string bytes;
};

std::vector<Field> parse(const std::string& data) {
  std::vector<Field> fields;
  std::size_t i = 0;
  auto varint = [&]() {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      REQUIRE(i < data.size());
      REQUIRE(shift < 64);
      const auto b = static_cast<unsigned char>(data[i++]);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < data.size()) {
    const std::uint64_t key = varint();
    Field f;
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.wire_type = static_cast<std::uint32_t>(key & 7);
    switch (f.wire_type) {
      case 0: f.value = varint(); break;
      case 1:
        REQUIRE(i + 8 <= data.size());
        for (int k = 0; k < 8; ++k) f.value |= std::uint64_t{static_cast<unsigned char>(data[i + k])} << (8 * k);
        i += 8;
        break;
      case 2: {
        const std::uint64_t n = varint();
        REQUIRE(i + n <= data.size());
        f.bytes = data.substr(i, n);
        i += n;
        break;
      }
      default: FAIL("unexpected wire type " << f.wire_type);
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

const Field* get(const std::vector<Field>& fields, std::uint32_t number) {
  for (const auto& f : fields)
    if (f.number == number) return &f;
  return nullptr;
}

std::vector<const Field*> all(const std::vector<Field>& fields, std::uint32_t number) {
  std::vector<const Field*> out;
  for (const auto& f : fields)
    if (f.number == number) out.push_back(&f);
  return out;
}

struct Track {
  std::uint64_t parent = 0;
  std::string name;
  bool process = false, thread = false, counter = false;
  std::int64_t tid = 0;
};

struct Slice {
  std::string name;
  std::uint64_t track = 0, begin = 0, end = 0;
  std::map<std::string, Field> annotations;  // name -> value field
  std::vector<std::uint64_t> flows_out, flows_in;
};

struct Parsed {
  std::map<std::uint64_t, Track> tracks;
  std::vector<Slice> slices;
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, double>>> counters;  // track -> (time, value)
};

Parsed read_trace(const std::string& bytes) {
  Parsed out;
  std::map<std::uint64_t, std::vector<std::size_t>> open;  // track -> open slices
  bool first = true;
  for (const Field& packet_field : parse(bytes)) {
    REQUIRE(packet_field.number == 1);  // Trace.packet
    const auto packet = parse(packet_field.bytes);
    REQUIRE(get(packet, 10) != nullptr);  // trusted_packet_sequence_id
    if (first) CHECK(get(packet, 13)->value == 1);  // SEQ_INCREMENTAL_STATE_CLEARED
    first = false;
    if (const Field* td = get(packet, 60)) {
      const auto t = parse(td->bytes);
      Track track;
      if (const Field* p = get(t, 5)) track.parent = p->value;
      if (const Field* n = get(t, 2)) track.name = n->bytes;
      track.process = get(t, 3) != nullptr;
      if (const Field* th = get(t, 4)) {
        track.thread = true;
        const auto d = parse(th->bytes);
        track.tid = static_cast<std::int64_t>(get(d, 2)->value);
        track.name = get(d, 5)->bytes;
      }
      track.counter = get(t, 8) != nullptr;
      const std::uint64_t uuid = get(t, 1)->value;
      CHECK(out.tracks.count(uuid) == 0);
      out.tracks[uuid] = track;
    }
    if (const Field* te = get(packet, 11)) {
      const auto e = parse(te->bytes);
      const std::uint64_t ts = get(packet, 8)->value;
      const std::uint64_t track = get(e, 11)->value;
      REQUIRE(out.tracks.count(track) == 1);  // described before use
      const std::uint64_t type = get(e, 9)->value;
      if (type == 1) {
        Slice s;
        s.name = get(e, 23)->bytes;
        s.track = track;
        s.begin = ts;
        for (const Field* a : all(e, 4)) {
          const auto fields = parse(a->bytes);
          REQUIRE(fields.size() == 2);
          s.annotations[get(fields, 10)->bytes] = fields[1];
        }
        for (const Field* f : all(e, 47)) s.flows_out.push_back(f->value);
        for (const Field* f : all(e, 48)) s.flows_in.push_back(f->value);
        open[track].push_back(out.slices.size());
        out.slices.push_back(s);
      } else if (type == 2) {
        REQUIRE(!open[track].empty());  // an end closes the innermost open slice of its track
        out.slices[open[track].back()].end = ts;
        open[track].pop_back();
      } else if (type == 4) {
        double v;
        const std::uint64_t bits = get(e, 44)->value;
        std::memcpy(&v, &bits, sizeof v);
        out.counters[track].push_back({ts, v});
      }
    }
  }
  for (const auto& [track, stack] : open) CHECK(stack.empty());
  return out;
}

const Slice* slice(const Parsed& p, const std::string& name, std::size_t nth = 0) {
  for (const auto& s : p.slices)
    if (s.name == name && nth-- == 0) return &s;
  return nullptr;
}

constexpr std::uint64_t kBase = 1'700'000'000'000'000'000ull;

}  // namespace

TEST_CASE("perfetto: tracks per thread and per session under the process, nested slices, annotations") {
  const auto run = trail::test::sample_run();
  trail::detail::TimelineStore store;
  store.add(run.resource, run.spans.data(), run.spans.size());
  for (const auto& m : run.metric_exports) store.add(run.resource, m);
  std::string bytes;
  trail::detail::append_perfetto_trace(store, bytes);
  const Parsed p = read_trace(bytes);

  std::uint64_t process = 0;
  std::map<std::int64_t, std::uint64_t> threads;
  std::uint64_t session = 0;
  for (const auto& [uuid, t] : p.tracks) {
    if (t.process) process = uuid;
    if (t.thread) threads[t.tid] = uuid;
    if (t.name == "session guard npc-1") session = uuid;
  }
  REQUIRE(process != 0);
  CHECK(threads.size() == 2);
  REQUIRE(threads.count(7) == 1);
  REQUIRE(threads.count(8) == 1);
  CHECK(p.tracks.at(threads[7]).name == "thread 7");
  REQUIRE(session != 0);
  CHECK(p.tracks.at(session).parent == process);

  REQUIRE(p.slices.size() == run.spans.size());
  const Slice* frame = slice(p, "frame");
  REQUIRE(frame != nullptr);
  CHECK(frame->track == threads[7]);
  CHECK(frame->begin == kBase);
  CHECK(frame->end == kBase + 10'000'000);
  CHECK(slice(p, "job")->track == threads[8]);
  CHECK(slice(p, "update")->track == threads[7]);

  // The session's spans are on its track; the LLM call outlives its parent
  // and overlaps the next plan, so it is on a child track of the session.
  CHECK(slice(p, "session guard")->track == session);
  CHECK(slice(p, "plan", 0)->track == session);
  CHECK(slice(p, "plan", 1)->track == session);
  const Slice* llm = slice(p, "chat model-x");
  REQUIRE(llm != nullptr);
  CHECK(llm->track != session);
  CHECK(p.tracks.at(llm->track).parent == session);
  CHECK(llm->end - llm->begin == 45'000'000);
  CHECK(llm->annotations.at("gen_ai.request.model").bytes == "model-x");
  CHECK(llm->annotations.at("gen_ai.usage.input_tokens").value == 812);
  CHECK(llm->annotations.at("span_id").bytes == "0000000000000033");
  CHECK(llm->annotations.at("trace_id").bytes == "0000000000000abc0000000000000003");
  const Slice* tool = slice(p, "execute_tool find_path");
  CHECK(tool->annotations.at("status").bytes == "ERROR: no path");
  double score;
  std::memcpy(&score, &tool->annotations.at("score").value, sizeof score);
  CHECK(score == 0.5);
  CHECK(tool->annotations.at("ok").number == 2);  // bool_value
}

TEST_CASE("perfetto: flows from a parent to children on another thread or track") {
  const auto run = trail::test::sample_run();
  trail::detail::TimelineStore store;
  store.add(run.resource, run.spans.data(), run.spans.size());
  std::string bytes;
  trail::detail::append_perfetto_trace(store, bytes);
  const Parsed p = read_trace(bytes);
  // "worker" (thread 8) under "plan" #2 (thread 7); the LLM call on its child track under "plan" #1.
  const Slice* worker = slice(p, "worker");
  REQUIRE(worker->flows_in.size() == 1);
  CHECK(slice(p, "plan", 1)->flows_out == worker->flows_in);
  const Slice* llm = slice(p, "chat model-x");
  REQUIRE(llm->flows_in.size() == 1);
  CHECK(slice(p, "plan", 0)->flows_out == llm->flows_in);
  CHECK(slice(p, "update")->flows_in.empty());  // same thread, same track
}

TEST_CASE("perfetto: counters from gauges and histograms (count and sum), a point per export") {
  const auto run = trail::test::sample_run();
  trail::PerfettoExporter exporter("test_perfetto.pftrace");
  trail::test::export_sample(exporter, run);
  exporter.shutdown();
  std::ifstream in("test_perfetto.pftrace", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::remove("test_perfetto.pftrace");
  const Parsed p = read_trace(s.str());
  std::map<std::string, std::uint64_t> by_name;
  for (const auto& [uuid, t] : p.tracks)
    if (t.counter) by_name[t.name] = uuid;
  REQUIRE(by_name.size() == 3);
  REQUIRE(by_name.count("queue.depth") == 1);
  using Points = std::vector<std::pair<std::uint64_t, double>>;
  CHECK(p.counters.at(by_name["queue.depth"]) == Points{{kBase + 50'000'000, 3.0}, {kBase + 100'000'000, 6.0}});
  CHECK(p.counters.at(by_name["frame.time count"]) == Points{{kBase + 50'000'000, 2.0}, {kBase + 100'000'000, 4.0}});
  CHECK(p.counters.at(by_name["frame.time sum"]) == Points{{kBase + 50'000'000, 5.0}, {kBase + 100'000'000, 10.0}});
  CHECK(p.slices.size() == run.spans.size());
}
