// Must not compile: a string passed where the event type declares an int64.
// Built with -DTRAIL_EXPECT_OK, the same call with the right type compiles
// (the control that proves the failure is the type check, not a typo).
#include <trail/trail.hpp>

inline constexpr trail::EventType<std::int64_t> nav_query{"nav.query", trail::SpanKind::internal, "nav.nodes"};

int main() {
#if defined(TRAIL_EXPECT_OK)
  TRAIL_EVENT(q, nav_query, 128);
#else
  TRAIL_EVENT(q, nav_query, "128");
#endif
  return 0;
}
