// The one place that starts exporting: includes runtime.hpp and exports to
// the file given on the command line; exits non-zero unless all 4 spans of
// record_work() were exported.
#include <trail/runtime.hpp>
#include <trail/export/file_exporter.hpp>  // runtime.hpp alone has it only in header-only mode

#include <cstdio>
#include <memory>
#include <string_view>

void record_work(std::string_view route);

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TRACES_FILE ROUTE\n", argv[0]);
    return 2;
  }
  trail::Config config;
  config.settings.traces_exporters.clear();
  config.settings.metrics_exporters.clear();
  auto file = std::make_shared<trail::FileExporter>(argv[1], /*truncate=*/true);
  if (!file->is_open()) {
    std::fprintf(stderr, "consumer: %s\n", file->error().c_str());
    return 1;
  }
  config.exporters.push_back(file);
  if (!trail::init(config)) return 1;
  record_work(argv[2]);
  trail::shutdown();
  const trail::Stats stats = trail::stats();
  std::printf("consumer (%s): %llu spans exported to %s\n", argv[2],
              static_cast<unsigned long long>(stats.spans_exported), argv[1]);
  return stats.spans_exported == 4 && stats.spans_dropped() == 0 ? 0 : 1;
}
