// What a whole-run file (the HTML timeline, the Perfetto trace) is written
// from: every span of the run, kept compactly (interned strings and attribute
// sets, about 80 bytes a span), and each metric series' points over time.
// Bounded: past `max_spans` spans are counted, not kept. RunFileExporter is
// the exporter around it: keeps everything, writes the file whole.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../platform/file.hpp"
#include "exporter.hpp"
#include "metrics_data.hpp"
#include "span_data.hpp"
#include "summary.hpp"

namespace trail::detail {

class TimelineStore {
 public:
  enum class ValueType : std::uint8_t { string, boolean, integer, floating };

  struct StoredAttribute {
    std::uint32_t key;  // string index
    ValueType type;
    std::int64_t i;     // boolean, integer; string index for strings
    double d;           // floating
  };

  struct StoredEvent {
    std::uint32_t name;
    std::uint64_t time_unix_nano;
    std::uint32_t attributes;  // attribute set index
  };

  struct StoredSpan {
    TraceId trace_id;
    SpanId span_id;
    SpanId parent_span_id;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint32_t name = 0;
    std::uint32_t status_message = 0;
    std::uint32_t attributes = 0;  // attribute set index
    std::uint32_t events_begin = 0;
    std::uint32_t events_count = 0;
    SpanKind kind = SpanKind::internal;
    StatusCode status = StatusCode::unset;
  };

  struct MetricPoint {
    std::uint64_t time_unix_nano;
    double value;  // sum / gauge value; histogram: count
    double sum;    // histogram only
  };

  struct MetricSeries {
    std::string name;
    std::string unit;
    std::string description;
    MetricType type = MetricType::sum;
    std::vector<Attribute> attributes;
    std::vector<MetricPoint> points;
    std::vector<double> bounds;            // histogram: of the last point
    std::vector<std::uint64_t> buckets;    // histogram: of the last point
  };

  explicit TimelineStore(std::size_t max_spans = 4000000) : max_spans_(max_spans) {
    intern("");
    attribute_sets_.emplace_back();  // set 0: no attributes
  }

  void add(const Resource& resource, const SpanData* spans, std::size_t count) {
    if (resource_.empty()) resource_ = resource.attributes;
    for (std::size_t i = 0; i < count; ++i) {
      if (spans_.size() >= max_spans_) {
        dropped_ += count - i;
        return;
      }
      add(spans[i]);
    }
  }

  void add(const SpanData& s) {
    StoredSpan& out = spans_.emplace_back();
    out.trace_id = s.trace_id;
    out.span_id = s.span_id;
    out.parent_span_id = s.parent_span_id;
    out.start = s.start_time_unix_nano;
    out.end = std::max(s.end_time_unix_nano, s.start_time_unix_nano);
    out.name = intern(s.name);
    out.status_message = intern(s.status_message);
    out.attributes = attribute_set(s.attributes);
    out.events_begin = static_cast<std::uint32_t>(events_.size());
    out.events_count = static_cast<std::uint32_t>(s.events.size());
    for (const SpanEvent& e : s.events) events_.push_back({intern(e.name), e.time_unix_nano, attribute_set(e.attributes)});
    out.kind = s.kind;
    out.status = s.status_code;
  }

  // One point per series per metric export (the values are cumulative).
  void add(const Resource& resource, const std::vector<MetricData>& metrics) {
    if (resource_.empty()) resource_ = resource.attributes;
    for (const MetricData& m : metrics) {
      for (const NumberDataPoint& p : m.number_points)
        series(m, p.attributes).points.push_back({p.time_unix_nano, p.is_double ? p.as_double : static_cast<double>(p.as_int), 0});
      for (const HistogramDataPoint& p : m.histogram_points) {
        MetricSeries& s = series(m, p.attributes);
        s.points.push_back({p.time_unix_nano, static_cast<double>(p.count), p.sum});
        s.bounds = p.explicit_bounds;
        s.buckets = p.bucket_counts;
      }
    }
  }

  const std::vector<StoredSpan>& spans() const noexcept { return spans_; }
  const std::vector<StoredEvent>& events() const noexcept { return events_; }
  const std::deque<std::string>& strings() const noexcept { return strings_; }
  const std::vector<std::vector<StoredAttribute>>& attribute_sets() const noexcept { return attribute_sets_; }
  const std::vector<MetricSeries>& metrics() const noexcept { return series_; }
  const std::vector<Attribute>& resource() const noexcept { return resource_; }
  std::uint64_t dropped() const noexcept { return dropped_; }

  // The span indices by start time (longer first on a tie, so parents come
  // before the children that start with them).
  std::vector<std::uint32_t> order_by_start() const {
    std::vector<std::uint32_t> order(spans_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const StoredSpan& x = spans_[a];
      const StoredSpan& y = spans_[b];
      if (x.start != y.start) return x.start < y.start;
      return x.end > y.end;
    });
    return order;
  }

  // The value of integer attribute `key` in set `set`, or `fallback`.
  std::int64_t int_attribute(std::uint32_t set, std::string_view key, std::int64_t fallback) const {
    for (const StoredAttribute& a : attribute_sets_[set])
      if (a.type == ValueType::integer && strings_[a.key] == key) return a.i;
    return fallback;
  }

  const std::string* string_attribute(std::uint32_t set, std::string_view key) const {
    for (const StoredAttribute& a : attribute_sets_[set])
      if (a.type == ValueType::string && strings_[a.key] == key) return &strings_[static_cast<std::size_t>(a.i)];
    return nullptr;
  }

  std::uint32_t intern(std::string_view s) {
    auto it = string_index_.find(s);
    if (it != string_index_.end()) return it->second;
    const auto index = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(s);  // a deque: the key below views it for good
    string_index_.emplace(strings_.back(), index);
    return index;
  }

 private:
  std::uint32_t attribute_set(const std::vector<Attribute>& attributes) {
    if (attributes.empty()) return 0;
    scratch_.clear();
    for (const Attribute& a : attributes) {
      StoredAttribute s{intern(a.key), ValueType::string, 0, 0};
      if (const auto* v = std::get_if<std::string>(&a.value)) {
        s.i = intern(*v);
      } else if (const auto* b = std::get_if<bool>(&a.value)) {
        s.type = ValueType::boolean;
        s.i = *b;
      } else if (const auto* n = std::get_if<std::int64_t>(&a.value)) {
        s.type = ValueType::integer;
        s.i = *n;
      } else if (const auto* d = std::get_if<double>(&a.value)) {
        s.type = ValueType::floating;
        s.d = *d;
      } else {
        text_.clear();
        append_attribute_value(a.value, text_);
        s.i = intern(text_);
      }
      scratch_.push_back(s);
    }
    key_.clear();  // the fields' bytes (not the struct's: its padding is indeterminate)
    for (const StoredAttribute& a : scratch_) {
      char bytes[sizeof a.key + sizeof a.type + sizeof a.i + sizeof a.d];
      std::memcpy(bytes, &a.key, sizeof a.key);
      std::memcpy(bytes + sizeof a.key, &a.type, sizeof a.type);
      std::memcpy(bytes + sizeof a.key + sizeof a.type, &a.i, sizeof a.i);
      std::memcpy(bytes + sizeof a.key + sizeof a.type + sizeof a.i, &a.d, sizeof a.d);
      key_.append(bytes, sizeof bytes);
    }
    auto it = set_index_.find(key_);
    if (it != set_index_.end()) return it->second;
    const auto index = static_cast<std::uint32_t>(attribute_sets_.size());
    attribute_sets_.push_back(scratch_);
    set_index_.emplace(key_, index);
    return index;
  }

  MetricSeries& series(const MetricData& m, const std::vector<Attribute>& attributes) {
    key_ = m.name;
    for (const Attribute& a : attributes) {
      key_ += '\x1f';
      key_ += a.key;
      key_ += '=';
      append_attribute_value(a.value, key_);
    }
    auto it = series_index_.find(key_);
    if (it != series_index_.end()) return series_[it->second];
    series_index_.emplace(key_, series_.size());
    MetricSeries& s = series_.emplace_back();
    s.name = m.name;
    s.unit = m.unit;
    s.description = m.description;
    s.type = m.type;
    s.attributes = attributes;
    return s;
  }

  std::size_t max_spans_;
  std::uint64_t dropped_ = 0;
  std::vector<Attribute> resource_;
  std::vector<StoredSpan> spans_;
  std::vector<StoredEvent> events_;
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, std::uint32_t> string_index_;
  std::vector<std::vector<StoredAttribute>> attribute_sets_;
  std::unordered_map<std::string, std::uint32_t> set_index_;
  std::vector<MetricSeries> series_;
  std::unordered_map<std::string, std::size_t> series_index_;
  std::vector<StoredAttribute> scratch_;
  std::string key_;
  std::string text_;
};

// Writes `text` to `path` through a temporary file and a rename, so a
// reader never sees half a file. Empty on success, else the reason.
inline std::string write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) return "cannot open \"" + temp + "\": " + std::strerror(errno);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(temp.c_str());
    return "cannot write \"" + temp + "\": " + std::strerror(written ? errno : saved);
  }
  const std::string reason = platform::replace_file(temp.c_str(), path.c_str());
  if (!reason.empty()) {
    std::remove(temp.c_str());
    return "cannot rename \"" + temp + "\" to \"" + path + "\": " + reason;
  }
  return {};
}

// Keeps the run in a TimelineStore and writes the whole file (through
// render) at each flush and at shutdown.
class RunFileExporter : public Exporter {
 public:
  RunFileExporter(const char* what, std::string path, std::size_t max_spans)
      : what_(what), path_(std::move(path)), store_(max_spans) {}

  const std::string& path() const noexcept { return path_; }

  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline&) override {
    store_.add(batch.resource, batch.data, batch.size);
    dirty_ = true;
    return {};
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline&) override {
    store_.add(batch.resource, batch.metrics);
    dirty_ = true;
    return {};
  }

  ExportResult force_flush(const ExportDeadline&) override { return write(); }

  void shutdown() noexcept override {
    TRAIL_TRY {
      const ExportResult r = dirty_ || !written_ ? write() : ExportResult{};
      if (!r.ok()) std::fprintf(stderr, "trail: %s: %s\n", what_, r.message.c_str());
    }
    TRAIL_CATCH_ALL { std::fprintf(stderr, "trail: %s: %s\n", what_, detail::current_exception_text().c_str()); }
  }

 private:
  virtual void render(const TimelineStore& store, std::string& out) const = 0;

  ExportResult write() {
    std::string text;
    render(store_, text);
    const std::string error = write_file_atomically(path_, text);
    if (!error.empty()) return {ExportResult::Status::failure, 0, error};
    dirty_ = false;
    written_ = true;
    return {};
  }

  const char* what_;
  std::string path_;
  TimelineStore store_;
  bool dirty_ = false;
  bool written_ = false;
};

}  // namespace trail::detail
