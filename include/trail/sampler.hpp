// Head sampling (OTEL_TRACES_SAMPLER): decided once, when a trace starts or
// continues from a remote parent; local children inherit the decision.
//
// OpenTelemetry semantics: the parentbased_* kinds follow a parent's sampled
// flag (remote: sampled -> on, unsampled -> off; local: the same) and use
// their root sampler for roots. always_on / always_off / traceidratio ignore a
// remote parent's flag. traceidratio is consistent probability sampling: it
// keeps a trace when the randomness in its id's low 56 bits (W3C level 2) is
// at least the rejection threshold (1 - ratio) * 2^56, so every service with
// a ratio at least as high keeps the same traces.
//
// One deliberate simplification: a local child never asks the sampler again,
// it inherits its parent's decision (for traceidratio the answer would be the
// same; for always_on / always_off it differs only if the sampler changed
// while the trace was open). So a session is sampled or not as a whole.
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

constexpr std::uint64_t randomness_span = std::uint64_t{1} << 56;

// Process-wide, mirrored into each copy of trail (state.hpp).
struct SamplerState {
  std::atomic<SamplerKind> kind{SamplerKind::parentbased_always_on};
  // traceidratio: rejection threshold; kept when the low 56 bits are >= it.
  std::atomic<std::uint64_t> threshold{0};
};

// (1 - ratio) * 2^56, computed as 2^56 - ratio * 2^56 to keep precision for
// small ratios; 0 keeps everything, 2^56 nothing.
constexpr std::uint64_t rejection_threshold(double ratio) noexcept {
  if (!(ratio > 0)) return randomness_span;  // also NaN
  if (ratio >= 1) return 0;
  return randomness_span - static_cast<std::uint64_t>(ratio * static_cast<double>(randomness_span));
}

inline bool ratio_sampled(const SamplerState& sampler, TraceId trace) noexcept {
  return (trace.lo & (randomness_span - 1)) >= sampler.threshold.load(std::memory_order_relaxed);
}

// The decision for a span whose parent is `parent` (invalid for a root) in
// trace `trace`. Called for roots and remote parents only.
inline bool should_sample(const SamplerState& sampler, const Context& parent, TraceId trace) noexcept {
  const SamplerKind kind = sampler.kind.load(std::memory_order_relaxed);
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
      return ratio_sampled(sampler, trace);
  }
  return true;
}

}  // namespace detail

}  // namespace trail
