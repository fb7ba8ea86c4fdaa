// Test helper: everything the rings hold now, rebuilt by one Collector that
// lives as long as the test program (as the flusher's would).
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

#include <trail/export/collector.hpp>

namespace trail::test {

inline detail::Collector& collector() {
  static detail::Collector c;
  return c;
}

inline std::vector<SpanData> recorded() {
  std::vector<SpanData> out;
  collector().collect_all(out);
  return out;
}

inline const SpanData* find_span(const std::vector<SpanData>& spans, std::string_view name) {
  auto it = std::find_if(spans.begin(), spans.end(), [&](const SpanData& s) { return s.name == name; });
  return it == spans.end() ? nullptr : &*it;
}

}  // namespace trail::test
