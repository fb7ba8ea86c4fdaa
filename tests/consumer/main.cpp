#include <trail/trail.hpp>
#include <trail/export/collector.hpp>

int main() {
  { TRAIL_SPAN("installed"); }
  std::vector<trail::SpanData> spans;
  trail::detail::Collector collector;
  collector.collect_all(spans);
  return spans.size() == 1 && spans[0].name == "installed" ? 0 : 1;
}
