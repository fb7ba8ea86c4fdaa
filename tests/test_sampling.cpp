// Head sampling (OTEL_TRACES_SAMPLER): the six samplers, decided once per
// trace and inherited by its spans, and by a whole session.
#include <doctest/doctest.h>

#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::SamplerKind;
using trail::test::recorded;

namespace {

// Sets a sampler for a test, and the default back after it.
struct UseSampler {
  UseSampler(SamplerKind kind, double ratio = 1.0) { trail::set_sampler(kind, ratio); }
  ~UseSampler() { trail::set_sampler(SamplerKind::parentbased_always_on); }
};

bool root_sampled() {
  TRAIL_SPAN_VAR(root, "root");
  return root.is_recording() && root.context().sampled();
}

// A span continuing a trace from another process whose traceparent says sampled or not.
bool remote_child_sampled(bool parent_sampled) {
  trail::ContextScope remote(trail::extract_traceparent(
      parent_sampled ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                     : "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"));
  TRAIL_SPAN_VAR(child, "remote child");
  return child.is_recording();
}

bool ratio_decision(std::uint64_t trace_lo) { return trail::detail::should_sample(trail::detail::g_settings.sampler, {}, trail::TraceId{0, trace_lo}); }

}  // namespace

TEST_CASE("the default is parentbased_always_on: roots are sampled") {
  CHECK(trail::detail::g_settings.sampler.kind.load() == SamplerKind::parentbased_always_on);
  CHECK(root_sampled());
}

TEST_CASE("always_on and always_off decide every root, and ignore a remote parent's flag") {
  {
    UseSampler use(SamplerKind::always_on);
    CHECK(root_sampled());
    CHECK(remote_child_sampled(true));
    CHECK(remote_child_sampled(false));
  }
  {
    UseSampler use(SamplerKind::always_off);
    CHECK_FALSE(root_sampled());
    CHECK_FALSE(remote_child_sampled(true));
    CHECK_FALSE(remote_child_sampled(false));
  }
  recorded();
}

TEST_CASE("parentbased_* follow a remote parent's sampled flag and use their root sampler for roots") {
  for (auto kind : {SamplerKind::parentbased_always_on, SamplerKind::parentbased_always_off,
                    SamplerKind::parentbased_traceidratio}) {
    INFO(static_cast<int>(kind));
    UseSampler use(kind, 0.0);
    CHECK(remote_child_sampled(true));
    CHECK_FALSE(remote_child_sampled(false));
    CHECK(root_sampled() == (kind == SamplerKind::parentbased_always_on));  // ratio 0: never
  }
  {
    UseSampler use(SamplerKind::parentbased_traceidratio, 1.0);
    CHECK(root_sampled());
    CHECK_FALSE(remote_child_sampled(false));  // the parent wins over the ratio
  }
  recorded();
}

TEST_CASE("traceidratio ignores the parent: the trace id decides") {
  {
    UseSampler use(SamplerKind::traceidratio, 1.0);
    CHECK(remote_child_sampled(false));
  }
  {
    UseSampler use(SamplerKind::traceidratio, 0.0);
    CHECK_FALSE(remote_child_sampled(true));
  }
  recorded();
}

TEST_CASE("traceidratio: ratio 0 samples nothing, 1 everything, and 0.5 about half") {
  constexpr int n = 20000;
  const auto count_sampled = [&] {
    int sampled = 0;
    for (int i = 0; i < n; ++i) sampled += root_sampled();
    return sampled;
  };
  {
    UseSampler use(SamplerKind::traceidratio, 0.0);
    CHECK(count_sampled() == 0);
  }
  {
    UseSampler use(SamplerKind::traceidratio, 1.0);
    CHECK(count_sampled() == n);
  }
  {
    UseSampler use(SamplerKind::traceidratio, 0.5);
    const int sampled = count_sampled();  // binomial: sd ~70, the bounds are 14 sd wide
    CHECK(sampled > n * 45 / 100);
    CHECK(sampled < n * 55 / 100);
  }
  {
    UseSampler use(SamplerKind::traceidratio, 2.0);  // clamped to 1
    CHECK(count_sampled() == n);
  }
  recorded();
}

TEST_CASE("traceidratio is consistent probability sampling on the trace id's low 56 bits") {
  // Kept when the randomness R (low 56 bits) is at least (1 - ratio) * 2^56.
  {
    UseSampler use(SamplerKind::traceidratio, 0.5);
    CHECK(ratio_decision(0x0080000000000000ull));        // R = 2^55: the threshold itself
    CHECK_FALSE(ratio_decision(0x007fffffffffffffull));  // just below
    CHECK_FALSE(ratio_decision(0xff7fffffffffffffull));  // the top byte is not randomness
    CHECK(ratio_decision(0x00ffffffffffffffull));
  }
  {
    UseSampler use(SamplerKind::traceidratio, 0.25);
    CHECK(ratio_decision(0x00c0000000000000ull));
    CHECK_FALSE(ratio_decision(0x00bfffffffffffffull));
  }
  // Consistent: what a lower ratio keeps, every higher ratio keeps too.
  for (std::uint64_t r = 0; r < (std::uint64_t{1} << 56); r += 0x0001234567890abull) {
    trail::set_sampler(SamplerKind::traceidratio, 0.1);
    const bool at_low = ratio_decision(r);
    trail::set_sampler(SamplerKind::traceidratio, 0.3);
    if (at_low) CHECK(ratio_decision(r));
  }
  trail::set_sampler(SamplerKind::parentbased_always_on);
}

TEST_CASE("children inherit their trace's decision, even if the sampler changes meanwhile") {
  recorded();
  {
    UseSampler use(SamplerKind::always_on);
    TRAIL_SPAN_VAR(root, "sampled root");
    trail::set_sampler(SamplerKind::always_off);
    TRAIL_SPAN_VAR(child, "child");
    CHECK(child.is_recording());
    CHECK(child.context().sampled());
  }
  {
    UseSampler use(SamplerKind::always_off);
    TRAIL_SPAN_VAR(root, "unsampled root");
    trail::set_sampler(SamplerKind::always_on);
    TRAIL_SPAN_VAR(child, "unsampled child");
    CHECK_FALSE(child.is_recording());
    CHECK(child.context().valid());  // still a context: its own children stay unsampled
    CHECK_FALSE(child.context().sampled());
  }
  const auto spans = recorded();
  CHECK(spans.size() == 2);  // the sampled root and its child
  CHECK(trail::test::find_span(spans, "unsampled child") == nullptr);
}

TEST_CASE("a session is sampled or not as a whole, decided at its root") {
  recorded();
  UseSampler use(SamplerKind::traceidratio, 0.5);
  int sampled_sessions = 0;
  for (int i = 0; i < 200; ++i) {
    trail::Session session("sampled?");
    bool decision;
    {
      auto on = session.activate();
      decision = trail::current().sampled();
      TRAIL_SPAN_VAR(a, "a");
      TRAIL_SPAN_VAR(b, "b");
      CHECK(a.is_recording() == decision);
      CHECK(b.is_recording() == decision);
    }
    sampled_sessions += decision;
    session.end(trail::EndState::success);
  }
  CHECK(sampled_sessions > 50);  // about 100; fixed wide bounds
  CHECK(sampled_sessions < 150);
  const auto spans = recorded();
  CHECK(spans.size() == static_cast<std::size_t>(3 * sampled_sessions));  // root + a + b
}
