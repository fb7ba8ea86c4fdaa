// Test support: the identity trail::stats() keeps at every call and after
// shutdown (see trail::Stats).
#pragma once

#include <trail/export/stats.hpp>

namespace trail::test {

inline bool stats_identity_holds(const Stats& s) {
  return s.spans_recorded == s.spans_exported + s.spans_spilled + s.spans_dropped() + s.spans_pending;
}

}  // namespace trail::test
