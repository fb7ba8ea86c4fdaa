// Custom metrics: counters, up-down counters, gauges and histograms, recorded
// with atomics only and collected by the flusher as OTLP metrics.
//
//   inline trail::Counter<std::int64_t> tokens{"agent.tokens", "{token}", "Tokens spent"};
//   inline trail::Histogram<double> latency{"robot.loop.latency", "ms", "Loop latency"};
//   tokens.add(42, {{"model", "gpt-4o"}, {"ok", true}});
//   latency.record(3.2);
//
// An instrument keeps one series per distinct attribute set (attribute order
// does not matter). The first measurement of a series allocates it (and
// copies its attribute strings, so values need only live for the call);
// every later one is a hash, a table probe and a few relaxed atomic adds:
// no lock, no allocation, safe from any number of threads.
//
// Lifetime: instruments register themselves in one process-wide list when
// constructed and never leave it, so they must have static storage duration
// (namespace-scope or function-local `static` / `inline` variables). Their
// series live until the process exits (bounded by the cardinality limit).
// The registry is process-wide, shared by every shared library built with
// trail; an instrument declared in two of them is two instruments with one
// name: declare each in exactly one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <new>
#include <string_view>
#include <type_traits>

#include "clock.hpp"
#include "config.hpp"
#include "state.hpp"

namespace trail {

// A measurement attribute: the key and a string, bool, int64 or double value.
// Strings are views; they are copied when a series is first seen.
class MetricAttribute {
 public:
  enum class Type : std::uint8_t { string, boolean, int64, float64 };

  constexpr MetricAttribute(std::string_view key, std::string_view value) noexcept
      : key_(key), type_(Type::string), text_(value.data()), size_(value.size()) {}
  // Without this a string literal would pick the bool constructor.
  constexpr MetricAttribute(std::string_view key, const char* value) noexcept
      : MetricAttribute(key, std::string_view(value)) {}
  constexpr MetricAttribute(std::string_view key, bool value) noexcept : key_(key), type_(Type::boolean), i_(value) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  constexpr MetricAttribute(std::string_view key, I value) noexcept
      : key_(key), type_(Type::int64), i_(static_cast<std::int64_t>(value)) {}
  template <class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
  constexpr MetricAttribute(std::string_view key, F value) noexcept
      : key_(key), type_(Type::float64), d_(static_cast<double>(value)) {}

  constexpr std::string_view key() const noexcept { return key_; }
  constexpr Type type() const noexcept { return type_; }
  constexpr std::string_view as_string() const noexcept { return {text_, size_}; }
  constexpr bool as_bool() const noexcept { return i_ != 0; }
  constexpr std::int64_t as_int64() const noexcept { return i_; }
  constexpr double as_double() const noexcept { return d_; }

 private:
  // Plain members, not a union: every member is always initialized, so
  // copies never read an inactive member (g++ warned about exactly that).
  std::string_view key_;
  Type type_;
  const char* text_ = nullptr;
  std::size_t size_ = 0;
  std::int64_t i_ = 0;  // also holds bools
  double d_ = 0;
};

// OpenTelemetry's default cardinality limit per instrument.
inline constexpr std::uint32_t kDefaultCardinalityLimit = 2000;

namespace detail {

enum class InstrumentKind : std::uint8_t { counter, up_down_counter, gauge, histogram };

inline bool metric_finite(double v) noexcept { return v - v == 0; }  // false for NaN and +-inf

// ---- attribute-set hashing: order-independent (a sum of per-attribute hashes)

inline std::uint64_t metric_mix(std::uint64_t h) noexcept {  // murmur3 fmix64
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

// Word-at-a-time; short strings (the usual keys and values) take one or two loads.
inline std::uint64_t metric_hash_bytes(const char* p, std::size_t n) noexcept {
  constexpr std::uint64_t k = 0x9e3779b97f4a7c15ull;
  std::uint64_t h = n * k;
  for (; n > 8; n -= 8, p += 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * k;
    h ^= h >> 32;
  }
  std::uint64_t w = 0;
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    w = a | (std::uint64_t{b} << 32);
  } else if (n > 0) {
    w = static_cast<unsigned char>(p[0]) | (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  return (h ^ w) * k;
}

inline std::uint64_t metric_value_bits(const MetricAttribute& a) noexcept {
  switch (a.type()) {
    case MetricAttribute::Type::string: {
      const std::string_view s = a.as_string();
      return metric_hash_bytes(s.data(), s.size());
    }
    case MetricAttribute::Type::float64: {
      const double d = a.as_double();
      std::uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return bits;
    }
    default:
      return static_cast<std::uint64_t>(a.as_int64());
  }
}

inline std::uint64_t metric_hash_attributes(const MetricAttribute* attrs, std::size_t n) noexcept {
  std::uint64_t sum = n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view key = attrs[i].key();
    const std::uint64_t kh = metric_hash_bytes(key.data(), key.size()) + static_cast<std::uint64_t>(attrs[i].type());
    sum += metric_mix(kh ^ (metric_value_bits(attrs[i]) * 0xd6e8feb86659fd93ull));
  }
  return metric_mix(sum);
}

// Inline, overlapping word compares: keys and values are short, and a
// memcmp call would cost as much as the rest of the lookup.
inline bool metric_text_equal(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    for (std::size_t i = 0;; i += 8) {
      if (i + 8 > n) i = n - 8;
      std::uint64_t x, y;
      std::memcpy(&x, p + i, 8);
      std::memcpy(&y, q + i, 8);
      if (x != y) return false;
      if (i + 8 == n) return true;
    }
  }
  if (n >= 4) {
    std::uint32_t x0, y0, x1, y1;
    std::memcpy(&x0, p, 4);
    std::memcpy(&y0, q, 4);
    std::memcpy(&x1, p + n - 4, 4);
    std::memcpy(&y1, q + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != q[i]) return false;
  return true;
}

inline bool metric_attribute_equal(const MetricAttribute& a, const MetricAttribute& b) noexcept {
  if (a.type() != b.type() || !metric_text_equal(a.key(), b.key())) return false;
  switch (a.type()) {
    case MetricAttribute::Type::string: return metric_text_equal(a.as_string(), b.as_string());
    case MetricAttribute::Type::float64: return metric_value_bits(a) == metric_value_bits(b);  // NaN == NaN
    default: return a.as_int64() == b.as_int64();
  }
}

// ---- a series: one attribute set's aggregation state

// cells[] layout by kind (int64 values are stored as their two's complement
// bits, doubles as their IEEE bits):
//   counter, up-down counter   [0] value
//   gauge                      [0] value, [1] 1 once a value was stored
//   histogram                  [0] sum, [1] min, [2] max, [3..] bucket counts
struct MetricSeries {
  MetricSeries* next;                  // collection list; immutable once published
  std::uint64_t hash;
  std::uint64_t start_unix_nano;
  const MetricAttribute* attributes;   // copies, owned by this allocation
  std::uint32_t attribute_count;
  bool overflow;                       // the otel.metric.overflow=true series

  std::atomic<std::uint64_t>* cells() noexcept { return reinterpret_cast<std::atomic<std::uint64_t>*>(this + 1); }
  const std::atomic<std::uint64_t>* cells() const noexcept {
    return reinterpret_cast<const std::atomic<std::uint64_t>*>(this + 1);
  }

  // Same set in any order; keys are expected to be distinct within a set.
  bool matches(const MetricAttribute* attrs, std::size_t n) const noexcept {
    if (n != attribute_count) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (metric_attribute_equal(attrs[i], attributes[i])) continue;  // same order: the common case
      bool found = false;
      for (std::size_t j = 0; j < n && !found; ++j) found = metric_attribute_equal(attrs[i], attributes[j]);
      if (!found) return false;
    }
    return true;
  }
};
static_assert(sizeof(MetricSeries) % alignof(std::atomic<std::uint64_t>) == 0);

inline std::uint64_t metric_double_bits(double d) noexcept {
  std::uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
inline double metric_bits_double(std::uint64_t b) noexcept {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

template <class T>
inline std::uint64_t metric_to_bits(T v) noexcept {
  if constexpr (std::is_same_v<T, double>) return metric_double_bits(v);
  else return static_cast<std::uint64_t>(v);
}
template <class T>
inline T metric_from_bits(std::uint64_t b) noexcept {
  if constexpr (std::is_same_v<T, double>) return metric_bits_double(b);
  else return static_cast<std::int64_t>(b);
}

template <class T>
inline void metric_cell_add(std::atomic<std::uint64_t>& cell, T v, std::memory_order order) noexcept {
  if constexpr (std::is_same_v<T, double>) {
    std::uint64_t cur = cell.load(std::memory_order_relaxed);
    while (!cell.compare_exchange_weak(cur, metric_double_bits(metric_bits_double(cur) + v), order,
                                       std::memory_order_relaxed)) {
    }
  } else {
    cell.fetch_add(static_cast<std::uint64_t>(v), order);  // wraps like int64 addition
  }
}

// Stores v when Less(v, current): min (Less = <) and max (Less = >).
template <class T, bool Min>
inline void metric_cell_extreme(std::atomic<std::uint64_t>& cell, T v) noexcept {
  std::uint64_t cur = cell.load(std::memory_order_relaxed);
  while (Min ? v < metric_from_bits<T>(cur) : v > metric_from_bits<T>(cur)) {
    if (cell.compare_exchange_weak(cur, metric_to_bits(v), std::memory_order_relaxed)) return;
  }
}

// ---- the instrument: metadata, series table, registry link

class MetricInstrument;
// Process-wide registry (shared by every copy of trail, state.hpp): an
// intrusive list with an atomic head, so instruments may register during any
// static initialization.
inline std::atomic<MetricInstrument*>& metric_instruments() noexcept { return process().metric_instruments; }

class MetricInstrument {
 public:
  MetricInstrument(const MetricInstrument&) = delete;
  MetricInstrument& operator=(const MetricInstrument&) = delete;

  std::string_view name() const noexcept { return name_; }
  std::string_view unit() const noexcept { return unit_; }
  std::string_view description() const noexcept { return description_; }
  InstrumentKind kind() const noexcept { return kind_; }
  bool is_double() const noexcept { return is_double_; }
  std::uint32_t cardinality_limit() const noexcept { return limit_; }
  // Histogram bucket boundaries (strictly increasing, finite).
  const double* bounds() const noexcept { return bounds_; }
  std::uint32_t bound_count() const noexcept { return bound_count_; }
  // Measurements ignored: negative or non-finite where not allowed, or out of memory.
  std::uint64_t rejected() const noexcept { return rejected_.load(std::memory_order_relaxed); }

  // Newest series first; each published with release, read it with acquire.
  const MetricSeries* series_head() const noexcept { return series_.load(std::memory_order_acquire); }
  const MetricInstrument* next_instrument() const noexcept { return next_; }

 protected:
  MetricInstrument(std::string_view name, std::string_view unit, std::string_view description, InstrumentKind kind,
                   bool is_double, std::uint32_t cardinality_limit, const double* bounds = nullptr,
                   std::size_t bound_count = 0) noexcept
      : name_(name),
        unit_(unit),
        description_(description),
        kind_(kind),
        is_double_(is_double),
        // Keeps the probe table's size (2x the limit, a power of two) sane.
        limit_(cardinality_limit < (1u << 24) ? cardinality_limit : (1u << 24)) {
    std::size_t cap = 2;  // >= 2 * (limit + 1), so probing always meets an empty slot
    while (cap < 2 * (static_cast<std::size_t>(limit_) + 1)) cap *= 2;
    mask_ = cap - 1;
    if (kind == InstrumentKind::histogram) init_bounds(bounds, bound_count);
    cell_count_ = kind == InstrumentKind::histogram ? 3 + bound_count_ + 1
                  : kind == InstrumentKind::gauge   ? 2
                                                    : 1;
    std::atomic<MetricInstrument*>& registry = metric_instruments();
    next_ = registry.load(std::memory_order_relaxed);
    while (!registry.compare_exchange_weak(next_, this, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }
  // Never destroyed before exit in practice (static duration); the heap it
  // owns stays reachable from the registry and is left to the OS.
  ~MetricInstrument() = default;

  // The series for this attribute set: found with a hash and a probe, or
  // made on first use; the overflow series past the cardinality limit;
  // null only when out of memory.
  TRAIL_FORCE_INLINE MetricSeries* series(const MetricAttribute* attrs, std::size_t n) noexcept {
    if (n == 0) {
      if (MetricSeries* s = empty_.load(std::memory_order_acquire); TRAIL_LIKELY(s != nullptr)) return s;
      return series_slow(attrs, 0, metric_hash_attributes(attrs, 0));
    }
    const std::uint64_t h = metric_hash_attributes(attrs, n);
    if (const auto* slots = table_.load(std::memory_order_acquire); TRAIL_LIKELY(slots != nullptr)) {
      for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
        MetricSeries* s = slots[i].load(std::memory_order_acquire);
        if (s == nullptr) break;
        if (s->hash == h && s->matches(attrs, n)) return s;
      }
    }
    return series_slow(attrs, n, h);
  }

  void reject() noexcept { rejected_.fetch_add(1, std::memory_order_relaxed); }

  // Histogram bucket of v: the first bound >= v (buckets are upper-inclusive),
  // bound_count_ (the last bucket) when above every bound.
  std::uint32_t bucket_of(double v) const noexcept {
    std::uint32_t lo = 0, n = bound_count_;
    while (n > 0) {
      const std::uint32_t half = n / 2;
      if (bounds_[lo + half] < v) {
        lo += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    return lo;
  }

 private:
  using Slot = std::atomic<MetricSeries*>;

  void init_bounds(const double* bounds, std::size_t n) noexcept {
    double* b = n ? new (std::nothrow) double[n] : nullptr;
    if (b == nullptr) return;
    // Sorted, deduplicated, finite: the bucket search relies on it.
    std::uint32_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = bounds[i];
      if (!metric_finite(v)) continue;
      std::uint32_t j = m;
      while (j > 0 && b[j - 1] > v) --j;
      if (j > 0 && b[j - 1] == v) continue;
      for (std::uint32_t k = m; k > j; --k) b[k] = b[k - 1];
      b[j] = v;
      ++m;
    }
    bounds_ = b;
    bound_count_ = m;
  }

  TRAIL_NOINLINE MetricSeries* series_slow(const MetricAttribute* attrs, std::size_t n, std::uint64_t h) noexcept {
    Slot* slots = table();
    if (slots == nullptr) return fail();
    MetricSeries* mine = nullptr;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      MetricSeries* s = slots[i].load(std::memory_order_acquire);
      if (s == nullptr) {
        if (mine == nullptr) {
          if (!reserve()) return overflow_series();
          mine = make(attrs, n, h, false);
          if (mine == nullptr) {
            count_.fetch_sub(1, std::memory_order_relaxed);
            return fail();
          }
        }
        if (slots[i].compare_exchange_strong(s, mine, std::memory_order_acq_rel, std::memory_order_acquire)) {
          publish(mine);
          if (n == 0) empty_.store(mine, std::memory_order_release);
          return mine;
        }
        // Lost the slot: s is the winner, maybe our own set from another thread.
      }
      if (s->hash == h && s->matches(attrs, n)) {
        if (mine != nullptr) {
          ::operator delete(mine);
          count_.fetch_sub(1, std::memory_order_relaxed);
        }
        if (n == 0) empty_.store(s, std::memory_order_release);
        return s;
      }
    }
  }

  // Allocated on the first series, not at construction: most instruments of
  // a program may never be used.
  Slot* table() noexcept {
    Slot* t = table_.load(std::memory_order_acquire);
    if (t != nullptr) return t;
    Slot* fresh = new (std::nothrow) Slot[mask_ + 1]();
    if (fresh == nullptr) return nullptr;
    if (table_.compare_exchange_strong(t, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) return fresh;
    delete[] fresh;
    return t;
  }

  bool reserve() noexcept {
    std::uint32_t c = count_.load(std::memory_order_relaxed);
    do {
      if (c >= limit_) return false;
    } while (!count_.compare_exchange_weak(c, c + 1, std::memory_order_relaxed));
    return true;
  }

  TRAIL_NOINLINE MetricSeries* overflow_series() noexcept {
    MetricSeries* s = overflow_.load(std::memory_order_acquire);
    if (s != nullptr) return s;
    static constexpr MetricAttribute overflow_attr{"otel.metric.overflow", true};
    MetricSeries* mine = make(&overflow_attr, 1, 0, true);
    if (mine == nullptr) return fail();
    if (overflow_.compare_exchange_strong(s, mine, std::memory_order_acq_rel, std::memory_order_acquire)) {
      publish(mine);
      return mine;
    }
    ::operator delete(mine);
    return s;
  }

  MetricSeries* fail() noexcept {
    reject();
    return nullptr;
  }

  // One allocation: header, cells, attribute copies, their string bytes.
  MetricSeries* make(const MetricAttribute* attrs, std::size_t n, std::uint64_t h, bool overflow) noexcept {
    std::size_t bytes = sizeof(MetricSeries) + cell_count_ * sizeof(std::uint64_t) + n * sizeof(MetricAttribute);
    for (std::size_t i = 0; i < n; ++i) {
      bytes += attrs[i].key().size();
      if (attrs[i].type() == MetricAttribute::Type::string) bytes += attrs[i].as_string().size();
    }
    void* mem = ::operator new(bytes, std::nothrow);
    if (mem == nullptr) return nullptr;
    auto* s = static_cast<MetricSeries*>(mem);
    auto* cells = s->cells();
    for (std::uint32_t c = 0; c < cell_count_; ++c) new (&cells[c]) std::atomic<std::uint64_t>(0);
    if (kind_ == InstrumentKind::histogram) {
      constexpr double inf = std::numeric_limits<double>::infinity();
      constexpr std::int64_t imax = std::numeric_limits<std::int64_t>::max();
      cells[1].store(is_double_ ? metric_double_bits(inf) : metric_to_bits(imax), std::memory_order_relaxed);
      cells[2].store(is_double_ ? metric_double_bits(-inf) : metric_to_bits(-imax - 1), std::memory_order_relaxed);
    }
    auto* copies = reinterpret_cast<MetricAttribute*>(cells + cell_count_);
    char* text = reinterpret_cast<char*>(copies + n);
    auto copy = [&text](std::string_view v) {
      if (!v.empty()) std::memcpy(text, v.data(), v.size());
      const std::string_view owned(text, v.size());
      text += v.size();
      return owned;
    };
    for (std::size_t i = 0; i < n; ++i) {
      const std::string_view key = copy(attrs[i].key());
      new (&copies[i]) MetricAttribute(attrs[i].type() == MetricAttribute::Type::string
                                           ? MetricAttribute(key, copy(attrs[i].as_string()))
                                           : rekey(attrs[i], key));
    }
    s->next = nullptr;
    s->hash = h;
    s->start_unix_nano = realtime_ns();
    s->attributes = copies;
    s->attribute_count = static_cast<std::uint32_t>(n);
    s->overflow = overflow;
    return s;
  }

  static MetricAttribute rekey(const MetricAttribute& a, std::string_view key) noexcept {
    switch (a.type()) {
      case MetricAttribute::Type::boolean: return {key, a.as_bool()};
      case MetricAttribute::Type::int64: return {key, a.as_int64()};
      case MetricAttribute::Type::float64: return {key, a.as_double()};
      default: return {key, a.as_string()};
    }
  }

  void publish(MetricSeries* s) noexcept {
    s->next = series_.load(std::memory_order_relaxed);
    while (!series_.compare_exchange_weak(s->next, s, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }

  // Hot: read on every measurement.
  std::atomic<MetricSeries*> empty_{nullptr};
  std::atomic<Slot*> table_{nullptr};
  std::size_t mask_ = 0;
  const double* bounds_ = nullptr;
  std::uint32_t bound_count_ = 0;
  std::uint32_t cell_count_ = 1;
  // Cold.
  std::atomic<MetricSeries*> overflow_{nullptr};
  std::atomic<MetricSeries*> series_{nullptr};
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::string_view name_, unit_, description_;
  InstrumentKind kind_;
  bool is_double_;
  std::uint32_t limit_;
  MetricInstrument* next_ = nullptr;
};

template <class T>
constexpr bool kMetricValueType = std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>;

}  // namespace detail

// The OpenTelemetry default explicit bucket boundaries.
inline constexpr std::initializer_list<double> kDefaultHistogramBounds = {
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};

namespace detail {

// A sum: Counter (monotonic) and UpDownCounter share everything but the
// check on the increment.
template <class T, bool Monotonic>
class SumInstrument : public MetricInstrument {
  static_assert(kMetricValueType<T>, "sums take std::int64_t or double");

 public:
  // name, unit and description must outlive the instrument (string literals).
  explicit SumInstrument(std::string_view name, std::string_view unit = {}, std::string_view description = {},
                         std::uint32_t cardinality_limit = kDefaultCardinalityLimit) noexcept
      : MetricInstrument(name, unit, description, Monotonic ? InstrumentKind::counter : InstrumentKind::up_down_counter,
                         std::is_same_v<T, double>, cardinality_limit) {}

  void add(T value) noexcept { add(value, nullptr, 0); }
  void add(T value, std::initializer_list<MetricAttribute> attrs) noexcept { add(value, attrs.begin(), attrs.size()); }
  void add(T value, const MetricAttribute* attrs, std::size_t n) noexcept {
    if (accept(value))
      if (MetricSeries* s = series(attrs, n)) apply(*s, value);
  }

  // One series, looked up once: add() then skips hashing the attributes.
  class Bound {
   public:
    void add(T value) noexcept {
      if (series_ != nullptr && sum_->accept(value)) sum_->apply(*series_, value);
    }

   private:
    friend class SumInstrument;
    Bound(SumInstrument* sum, MetricSeries* series) noexcept : sum_(sum), series_(series) {}
    SumInstrument* sum_;
    MetricSeries* series_;
  };
  Bound bind(std::initializer_list<MetricAttribute> attrs) noexcept {
    return Bound(this, series(attrs.begin(), attrs.size()));
  }

 private:
  bool accept(T value) noexcept {
    if constexpr (std::is_same_v<T, double>) {
      if (TRAIL_UNLIKELY(!metric_finite(value))) return reject(), false;
    }
    if constexpr (Monotonic) {
      if (TRAIL_UNLIKELY(!(value >= 0))) return reject(), false;
    }
    return true;
  }
  static void apply(MetricSeries& s, T value) noexcept { metric_cell_add(s.cells()[0], value, std::memory_order_relaxed); }
};

}  // namespace detail

// Monotonic sum (OTel Counter): negative or non-finite increments are ignored
// and counted in rejected().
template <class T>
class Counter : public detail::SumInstrument<T, true> {
 public:
  using detail::SumInstrument<T, true>::SumInstrument;
};

// Non-monotonic sum (OTel UpDownCounter): any finite increment.
template <class T>
class UpDownCounter : public detail::SumInstrument<T, false> {
 public:
  using detail::SumInstrument<T, false>::SumInstrument;
};

// Last value (OTel synchronous Gauge); exported with the collection time.
template <class T>
class Gauge : public detail::MetricInstrument {
  static_assert(detail::kMetricValueType<T>, "Gauge<std::int64_t> or Gauge<double>");

 public:
  explicit Gauge(std::string_view name, std::string_view unit = {}, std::string_view description = {},
                 std::uint32_t cardinality_limit = kDefaultCardinalityLimit) noexcept
      : MetricInstrument(name, unit, description, detail::InstrumentKind::gauge, std::is_same_v<T, double>,
                         cardinality_limit) {}

  void record(T value) noexcept { record(value, nullptr, 0); }
  void record(T value, std::initializer_list<MetricAttribute> attrs) noexcept {
    record(value, attrs.begin(), attrs.size());
  }
  void record(T value, const MetricAttribute* attrs, std::size_t n) noexcept {
    detail::MetricSeries* s = series(attrs, n);
    if (s == nullptr) return;
    auto* cells = s->cells();
    cells[0].store(detail::metric_to_bits(value), std::memory_order_relaxed);
    // Readers export a series only after its first value.
    if (TRAIL_UNLIKELY(cells[1].load(std::memory_order_relaxed) == 0)) cells[1].store(1, std::memory_order_release);
  }
};

// Explicit-bucket histogram: bucket i counts values in (bound[i-1], bound[i]],
// the last one values above every bound; plus sum, min and max. Non-finite
// values are ignored and counted in rejected().
template <class T>
class Histogram : public detail::MetricInstrument {
  static_assert(detail::kMetricValueType<T>, "Histogram<std::int64_t> or Histogram<double>");

 public:
  explicit Histogram(std::string_view name, std::string_view unit = {}, std::string_view description = {},
                     std::initializer_list<double> bounds = kDefaultHistogramBounds,
                     std::uint32_t cardinality_limit = kDefaultCardinalityLimit) noexcept
      : MetricInstrument(name, unit, description, detail::InstrumentKind::histogram, std::is_same_v<T, double>,
                         cardinality_limit, bounds.begin(), bounds.size()) {}

  void record(T value) noexcept { record(value, nullptr, 0); }
  void record(T value, std::initializer_list<MetricAttribute> attrs) noexcept {
    record(value, attrs.begin(), attrs.size());
  }
  void record(T value, const MetricAttribute* attrs, std::size_t n) noexcept {
    if (accept(value))
      if (detail::MetricSeries* s = series(attrs, n)) apply(*s, value);
  }

  // One series, looked up once: record() then skips hashing the attributes.
  class Bound {
   public:
    void record(T value) noexcept {
      if (series_ != nullptr && histogram_->accept(value)) histogram_->apply(*series_, value);
    }

   private:
    friend class Histogram;
    Bound(Histogram* histogram, detail::MetricSeries* series) noexcept : histogram_(histogram), series_(series) {}
    Histogram* histogram_;
    detail::MetricSeries* series_;
  };
  Bound bind(std::initializer_list<MetricAttribute> attrs) noexcept {
    return Bound(this, series(attrs.begin(), attrs.size()));
  }

 private:
  bool accept(T value) noexcept {
    if constexpr (std::is_same_v<T, double>) {
      if (TRAIL_UNLIKELY(!detail::metric_finite(value))) return reject(), false;
    }
    return true;
  }
  void apply(detail::MetricSeries& s, T value) noexcept {
    auto* cells = s.cells();
    detail::metric_cell_extreme<T, true>(cells[1], value);
    detail::metric_cell_extreme<T, false>(cells[2], value);
    detail::metric_cell_add(cells[0], value, std::memory_order_relaxed);
    // Last and release: a reader that sees this count sees the sum, min and
    // max above; the point's count is the sum of the buckets it read.
    cells[3 + bucket_of(static_cast<double>(value))].fetch_add(1, std::memory_order_release);
  }
};

}  // namespace trail
