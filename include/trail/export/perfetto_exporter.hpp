// The run as a Perfetto trace (ui.perfetto.dev, trace_processor): TrackEvent
// protobuf written directly. A process track; a track per thread (spans
// outside sessions) and per session (agent), with child tracks where async
// spans overlap without nesting; slices with the attributes as debug
// annotations; counters from the metrics; flows from a parent to a child on
// another thread or track. Written whole at each trail::flush() and at
// shutdown (TRAIL_PERFETTO_FILE, default trail-run.pftrace).
//
// Field numbers: perfetto/protos/perfetto/trace/{trace,trace_packet}.proto,
// track_event/{track_event,track_descriptor,debug_annotation,
// counter_descriptor,process_descriptor,thread_descriptor}.proto.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter.hpp"
#include "protobuf_writer.hpp"
#include "timeline_store.hpp"

namespace trail {
namespace detail {

// A sub-message written by f(w), its length patched in when it closes.
template <class F>
void nested(ProtoWriter& w, std::uint32_t field, F&& f, std::size_t reserve = 1) {
  const ProtoWriter::Mark m = w.open(field, reserve);
  f(w);
  w.close(m);
}

namespace pf {  // field numbers
enum Trace : std::uint32_t { trace_packet = 1 };
enum Packet : std::uint32_t {
  timestamp = 8, trusted_packet_sequence_id = 10, track_event = 11, sequence_flags = 13, track_descriptor = 60
};
enum Track : std::uint32_t { uuid = 1, name = 2, process = 3, thread = 4, parent_uuid = 5, counter = 8 };
enum Process : std::uint32_t { pid = 1, process_name = 6 };
enum Thread : std::uint32_t { thread_pid = 1, tid = 2, thread_name = 5 };
enum Event : std::uint32_t {
  debug_annotations = 4, type = 9, track_uuid = 11, name_string = 23, double_counter_value = 44, flow_ids = 47,
  terminating_flow_ids = 48
};
enum EventType : std::uint32_t { slice_begin = 1, slice_end = 2, counter_value = 4 };
enum Annotation : std::uint32_t { bool_value = 2, int_value = 4, double_value = 5, string_value = 6, annotation_name = 10 };
constexpr std::uint32_t sequence_id = 1;
constexpr std::uint32_t incremental_state_cleared = 1;
}  // namespace pf

inline void append_perfetto_trace(const TimelineStore& store, std::string& out) {
  ProtoWriter trace(out);
  const auto& spans = store.spans();
  const auto& strings = store.strings();
  const std::vector<std::uint32_t> order = store.order_by_start();
  bool first_packet = true;
  auto packet = [&](auto&& body) {
    nested(trace, pf::trace_packet, [&](ProtoWriter& p) {
      p.varint_field(pf::trusted_packet_sequence_id, pf::sequence_id);
      if (first_packet) p.varint_field(pf::sequence_flags, pf::incremental_state_cleared);
      first_packet = false;
      body(p);
    }, 2);  // most packets are under 16 KiB
  };

  // The process: the service.
  std::string service = "trail";
  std::int64_t pid = 1;
  for (const Attribute& a : store.resource()) {
    if (a.key == "service.name" && std::holds_alternative<std::string>(a.value)) service = std::get<std::string>(a.value);
    if (a.key == "process.pid" && std::holds_alternative<std::int64_t>(a.value)) pid = std::get<std::int64_t>(a.value);
  }
  constexpr std::uint64_t process_uuid = 1;
  packet([&](ProtoWriter& p) {
    nested(p, pf::track_descriptor, [&](ProtoWriter& t) {
      t.varint_field(pf::uuid, process_uuid);
      nested(t, pf::process, [&](ProtoWriter& d) {
        d.int64_field(pf::pid, pid);
        d.string_field(pf::process_name, service);
      });
    });
  });

  // Lanes as in the HTML viewer: a session's trace on its own track, other
  // spans on their thread's.
  std::unordered_map<TraceId, std::uint32_t, TraceIdHash> session_root;  // trace -> span
  for (std::uint32_t i = 0; i < spans.size(); ++i)
    if (!spans[i].parent_span_id.valid() && std::string_view(strings[spans[i].name]).substr(0, 8) == "session ")
      session_root.emplace(spans[i].trace_id, i);
  struct Lane {
    std::uint64_t uuid;
    std::vector<std::vector<std::uint64_t>> open;  // per sub-track: ends of the open slices
  };
  std::unordered_map<std::uint64_t, Lane> lanes;  // by uuid
  std::vector<std::uint64_t> track_of(spans.size());
  std::unordered_map<std::uint64_t, std::uint32_t> position;  // span id -> span
  for (std::uint32_t i = 0; i < spans.size(); ++i) position.emplace(spans[i].span_id.value, i);
  auto thread_of = [&](std::uint32_t i) { return store.int_attribute(spans[i].attributes, "thread.id", 0); };
  for (std::uint32_t i : order) {
    const auto& s = spans[i];
    std::uint64_t lane_uuid;
    auto root = session_root.find(s.trace_id);
    if (root != session_root.end()) {
      lane_uuid = (s.trace_id.lo | 1) * 0x9E3779B97F4A7C15ull | (1ull << 63);
      if (!lanes.count(lane_uuid)) {
        const auto& r = spans[root->second];
        std::string name = strings[r.name];
        if (const std::string* agent = store.string_attribute(r.attributes, "gen_ai.agent.id")) name += " " + *agent;
        packet([&](ProtoWriter& p) {
          nested(p, pf::track_descriptor, [&](ProtoWriter& t) {
            t.varint_field(pf::uuid, lane_uuid);
            t.varint_field(pf::parent_uuid, process_uuid);
            t.string_field(pf::name, name);
          });
        });
      }
    } else {
      const std::int64_t tid = thread_of(i);
      lane_uuid = 0x1000 + static_cast<std::uint64_t>(tid);
      if (!lanes.count(lane_uuid)) {
        packet([&](ProtoWriter& p) {
          nested(p, pf::track_descriptor, [&](ProtoWriter& t) {
            t.varint_field(pf::uuid, lane_uuid);
            nested(t, pf::thread, [&](ProtoWriter& d) {
              d.int64_field(pf::thread_pid, pid);
              d.int64_field(pf::tid, tid);
              d.string_field(pf::thread_name, "thread " + std::to_string(tid));
            });
          });
        });
      }
    }
    Lane& lane = lanes.try_emplace(lane_uuid, Lane{lane_uuid, {}}).first->second;
    // The first sub-track where this span nests inside the open slices.
    std::size_t k = 0;
    for (; k < lane.open.size(); ++k) {
      auto& open = lane.open[k];
      while (!open.empty() && open.back() <= s.start) open.pop_back();
      if (open.empty() || open.back() >= s.end) break;
    }
    if (k == lane.open.size()) {
      lane.open.emplace_back();
      if (k > 0) {
        packet([&](ProtoWriter& p) {
          nested(p, pf::track_descriptor, [&](ProtoWriter& t) {
            t.varint_field(pf::uuid, lane_uuid + k * 0x100000001ull);
            t.varint_field(pf::parent_uuid, lane_uuid);
            t.string_field(pf::name, "async " + std::to_string(k));
          });
        });
      }
    }
    lane.open[k].push_back(s.end);
    track_of[i] = lane_uuid + k * 0x100000001ull;
  }

  // Flows: from a parent to a child on another thread or track.
  std::vector<std::vector<std::uint64_t>> flows_out(spans.size());
  std::vector<std::uint64_t> flow_in(spans.size(), 0);
  for (std::uint32_t i = 0; i < spans.size(); ++i) {
    if (!spans[i].parent_span_id.valid()) continue;
    auto it = position.find(spans[i].parent_span_id.value);
    if (it == position.end() || spans[it->second].trace_id != spans[i].trace_id) continue;
    const std::uint32_t p = it->second;
    if (track_of[p] == track_of[i] && thread_of(p) == thread_of(i)) continue;
    flows_out[p].push_back(spans[i].span_id.value);
    flow_in[i] = spans[i].span_id.value;
  }

  // Slices: begins and ends in time order; at one time, ends of earlier
  // slices first, then begins (longer first), then ends of empty slices.
  struct Mark {
    std::uint64_t time;
    std::uint32_t phase;  // 0 end, 1 begin, 2 end of an empty slice
    std::uint64_t rank;
    std::uint32_t span;
  };
  std::vector<Mark> marks;
  marks.reserve(order.size() * 2);
  for (std::uint32_t r = 0; r < order.size(); ++r) {
    const auto& s = spans[order[r]];
    marks.push_back({s.start, 1, r, order[r]});
    marks.push_back({s.end, s.end == s.start ? 2u : 0u, ~std::uint64_t{r}, order[r]});  // later begin, earlier end
  }
  std::sort(marks.begin(), marks.end(), [](const Mark& a, const Mark& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.phase != b.phase) return a.phase < b.phase;
    return a.rank < b.rank;
  });
  char hex[32];
  for (const Mark& m : marks) {
    const auto& s = spans[m.span];
    packet([&](ProtoWriter& p) {
      p.varint_field(pf::timestamp, m.time);
      nested(p, pf::track_event, [&](ProtoWriter& e) {
        e.varint_field(pf::track_uuid, track_of[m.span]);
        if (m.phase != 1) {
          e.varint_field(pf::type, pf::slice_end);
          return;
        }
        e.varint_field(pf::type, pf::slice_begin);
        e.string_field(pf::name_string, strings[s.name]);
        auto annotation = [&](std::string_view key, auto&& value) {
          nested(e, pf::debug_annotations, [&](ProtoWriter& a) {
            a.string_field(pf::annotation_name, key);
            value(a);
          });
        };
        s.trace_id.to_hex(hex);
        annotation("trace_id", [&](ProtoWriter& a) { a.string_field(pf::string_value, std::string_view(hex, 32)); });
        s.span_id.to_hex(hex);
        annotation("span_id", [&](ProtoWriter& a) { a.string_field(pf::string_value, std::string_view(hex, 16)); });
        if (s.status == StatusCode::error)
          annotation("status", [&](ProtoWriter& a) { a.string_field(pf::string_value, "ERROR: " + strings[s.status_message]); });
        for (const auto& attr : store.attribute_sets()[s.attributes]) {
          annotation(strings[attr.key], [&](ProtoWriter& a) {
            switch (attr.type) {
              case TimelineStore::ValueType::string: a.string_field(pf::string_value, strings[static_cast<std::size_t>(attr.i)]); break;
              case TimelineStore::ValueType::boolean: a.varint_field(pf::bool_value, attr.i != 0); break;
              case TimelineStore::ValueType::integer: a.int64_field(pf::int_value, attr.i); break;
              case TimelineStore::ValueType::floating: a.double_field(pf::double_value, attr.d); break;
            }
          });
        }
        for (std::uint64_t id : flows_out[m.span]) e.fixed64_field(pf::flow_ids, id);
        if (flow_in[m.span] != 0) e.fixed64_field(pf::terminating_flow_ids, flow_in[m.span]);
      });
    });
  }

  // Counters: one track per metric series (histograms: count and sum).
  std::uint64_t counter_uuid = 0x7000000000000000ull;
  for (const auto& series : store.metrics()) {
    std::string label = series.name;
    for (const Attribute& a : series.attributes) {
      label += label.size() == series.name.size() ? " {" : ", ";
      label += a.key + "=";
      append_attribute_value(a.value, label);
    }
    if (label.size() != series.name.size()) label += '}';
    const bool histogram = series.type == MetricType::histogram;
    for (int part = 0; part < (histogram ? 2 : 1); ++part) {
      const std::uint64_t uuid = ++counter_uuid;
      packet([&](ProtoWriter& p) {
        nested(p, pf::track_descriptor, [&](ProtoWriter& t) {
          t.varint_field(pf::uuid, uuid);
          t.varint_field(pf::parent_uuid, process_uuid);
          t.string_field(pf::name, histogram ? label + (part == 0 ? " count" : " sum") : label);
          nested(t, pf::counter, [](ProtoWriter&) {});
        });
      });
      for (const auto& point : series.points) {
        packet([&](ProtoWriter& p) {
          p.varint_field(pf::timestamp, point.time_unix_nano);
          nested(p, pf::track_event, [&](ProtoWriter& e) {
            e.varint_field(pf::type, pf::counter_value);
            e.varint_field(pf::track_uuid, uuid);
            e.double_field(pf::double_counter_value, part == 0 ? point.value : point.sum);
          });
        });
      }
    }
  }
}

}  // namespace detail

// OTEL_TRACES_EXPORTER=perfetto. Give the same instance the spans and the
// metrics (trail::init does).
class PerfettoExporter : public detail::RunFileExporter {
 public:
  explicit PerfettoExporter(std::string path, std::size_t max_spans = 4000000)
      : RunFileExporter("perfetto exporter", std::move(path), max_spans) {}

 private:
  void render(const detail::TimelineStore& store, std::string& out) const override {
    detail::append_perfetto_trace(store, out);
  }
};

}  // namespace trail
