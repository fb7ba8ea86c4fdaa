// trail-timeline: turns OTLP JSON lines files (trail's trail-traces.jsonl /
// trail-metrics.jsonl, the Collector's otlpjsonfile output) into the
// self-contained HTML timeline, and optionally a Perfetto trace.
//
//   trail-timeline [-o run.html] [--perfetto run.pftrace] file.jsonl...
//
// A line that is not OTLP/JSON is reported (file:line: reason) and skipped;
// the rest is still written, and the exit status is 1.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <trail/export/html_exporter.hpp>
#include <trail/export/otlp_json_reader.hpp>
#include <trail/export/perfetto_exporter.hpp>

namespace {

int usage(std::FILE* out, int status) {
  std::fprintf(out,
               "usage: trail-timeline [-o out.html] [--perfetto out.pftrace] file.jsonl...\n"
               "  reads OTLP/JSON lines (traces and metrics) and writes the HTML timeline\n"
               "  (default: the first file's name with .html)\n");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string html_path, perfetto_path;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-o" || arg == "--perfetto") && i + 1 < argc) (arg == "-o" ? html_path : perfetto_path) = argv[++i];
    else if (arg == "-h" || arg == "--help") return usage(stdout, 0);
    else if (arg.rfind("-", 0) == 0) return usage(stderr, 2);
    else inputs.push_back(arg);
  }
  if (inputs.empty()) return usage(stderr, 2);
  if (html_path.empty()) {
    html_path = inputs.front();
    const auto dot = html_path.rfind('.');
    const auto slash = html_path.rfind('/');
    if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) html_path.resize(dot);
    html_path += ".html";
  }

  trail::detail::TimelineStore store;
  std::size_t spans = 0, bad = 0;
  for (const std::string& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "trail-timeline: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        const trail::OtlpJsonLine parsed = trail::read_otlp_json_line(line);
        for (const auto& group : parsed.spans) {
          store.add(trail::Resource{group.resource}, group.spans.data(), group.spans.size());
          spans += group.spans.size();
        }
        for (const auto& group : parsed.metrics) store.add(trail::Resource{group.resource}, group.metrics);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "trail-timeline: %s:%zu: not OTLP/JSON, skipped: %s\n", path.c_str(), number, e.what());
        ++bad;
      }
    }
  }

  std::string text;
  trail::detail::append_timeline_html(store, text);
  std::string error = trail::detail::write_file_atomically(html_path, text);
  if (error.empty() && !perfetto_path.empty()) {
    text.clear();
    trail::detail::append_perfetto_trace(store, text);
    error = trail::detail::write_file_atomically(perfetto_path, text);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "trail-timeline: %s\n", error.c_str());
    return 1;
  }
  std::printf("%s: %zu spans, %zu metric series%s\n", html_path.c_str(), spans, store.metrics().size(),
              store.dropped() ? " (span limit reached: some not kept)" : "");
  if (!perfetto_path.empty()) std::printf("%s: Perfetto trace\n", perfetto_path.c_str());
  return bad == 0 ? 0 : 1;
}
