// Compiled with TRAIL_DISABLED: the object file must reference no trail symbol.
#include <trail/trail.hpp>

int work(int x) {
  TRAIL_FUNCTION();
  TRAIL_SPAN("expand");
  TRAIL_SPAN_VAR(s, "score");
  s.set("nodes", x);
  s.event("pruned");
  s.error("no path");
  return x * 2;
}
