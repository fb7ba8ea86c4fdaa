// Head sampling (OTEL_TRACES_SAMPLER): decided once, when a trace starts or
// continues from a remote parent; local children inherit the decision.
#pragma once

#include <atomic>
#include <cstdint>

#include "context.hpp"

namespace trail {

enum class SamplerKind : std::uint8_t {
  always_on,
  always_off,
  traceidratio,
  parentbased_always_on,
  parentbased_always_off,
  parentbased_traceidratio,
};

namespace detail {

struct SamplerState {
  std::atomic<SamplerKind> kind{SamplerKind::parentbased_always_on};
  // traceidratio: sampled when the trace id's low 56 bits are below this.
  std::atomic<std::uint64_t> threshold{std::uint64_t{1} << 56};
};

inline SamplerState g_sampler;

constexpr std::uint64_t ratio_threshold(double ratio) noexcept {
  if (!(ratio > 0)) return 0;  // also NaN
  if (ratio >= 1) return std::uint64_t{1} << 56;
  return static_cast<std::uint64_t>(ratio * static_cast<double>(std::uint64_t{1} << 56));
}

// The decision for a span whose parent is `parent` (invalid for a root) in
// trace `trace`. Called for roots and remote parents only.
inline bool should_sample(const Context& parent, TraceId trace) noexcept {
  const SamplerKind kind = g_sampler.kind.load(std::memory_order_relaxed);
  const bool parent_based = kind == SamplerKind::parentbased_always_on || kind == SamplerKind::parentbased_always_off ||
                            kind == SamplerKind::parentbased_traceidratio;
  if (parent_based && parent.valid()) return parent.sampled();
  switch (kind) {
    case SamplerKind::always_on:
    case SamplerKind::parentbased_always_on:
      return true;
    case SamplerKind::always_off:
    case SamplerKind::parentbased_always_off:
      return false;
    case SamplerKind::traceidratio:
    case SamplerKind::parentbased_traceidratio:
      return (trace.lo & ((std::uint64_t{1} << 56) - 1)) < g_sampler.threshold.load(std::memory_order_relaxed);
  }
  return true;
}

}  // namespace detail

// Sets the sampler for traces started from now on. `ratio` is used by the
// traceidratio kinds and clamped to [0, 1].
inline void set_sampler(SamplerKind kind, double ratio = 1.0) noexcept {
  detail::g_sampler.threshold.store(detail::ratio_threshold(ratio), std::memory_order_relaxed);
  detail::g_sampler.kind.store(kind, std::memory_order_relaxed);
}

}  // namespace trail
