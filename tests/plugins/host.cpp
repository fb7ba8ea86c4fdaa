// The host of the plugin matrix: loads two instrumented plugins and checks
// that every span, its own and theirs, is exported exactly once with its
// parents intact across the library boundaries.
//
//   host <plugin-a.so> <plugin-b.so> <local|global> <init|noinit> <host-first|plugin-first|mismatch>
//
// mismatch: plugin b was built with another ABI version; it must say so and
// record nothing, and everything else must still work.
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <trail/runtime.hpp>

#include "../support/dynamic_library.hpp"

namespace {

using LoadFn = void (*)(const char*);
using InitFn = int (*)();
using RunFn = void (*)(void (*)(void (*)(void*), void*), void (*)(void*), void*);

struct Plugin {
  LoadFn load = nullptr;
  InitFn init = nullptr;
  RunFn run = nullptr;
};

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  ++failures;
}

bool open_plugin(const char* path, bool global, Plugin& out) {
  std::string error;
  void* handle = trail::test::open_library(path, global, error);
  if (handle == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", path, error.c_str());
    return false;
  }
  out.load = trail::test::library_function<LoadFn>(handle, "plugin_load");
  out.init = trail::test::library_function<InitFn>(handle, "plugin_init");
  out.run = trail::test::library_function<RunFn>(handle, "plugin_run");
  return out.load != nullptr && out.init != nullptr && out.run != nullptr;
}

Plugin plugin_b;

// Called by plugin A inside its span: runs plugin B there.
void run_b(void (*)(void*), void* data) { plugin_b.run(nullptr, *static_cast<void (**)(void*)>(data), nullptr); }

// Called by plugin B inside its span: a host span there.
void host_callback(void*) { TRAIL_SPAN("host.callback"); }

bool start(const std::shared_ptr<trail::InMemoryExporter>& exporter) {
  trail::Config config;
  config.settings.traces_exporters.clear();
  config.settings.metrics_exporters.clear();
  config.exporters.push_back(exporter);
  return trail::init(config);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: host <plugin-a> <plugin-b> <local|global> <init|noinit> <host-first|plugin-first>\n");
    return 2;
  }
  const bool global = std::strcmp(argv[3], "global") == 0;
  const bool plugins_init = std::strcmp(argv[4], "init") == 0;
  const bool mismatch = std::strcmp(argv[5], "mismatch") == 0;
  const bool host_first = mismatch || std::strcmp(argv[5], "host-first") == 0;
  auto exporter = std::make_shared<trail::InMemoryExporter>();

  if (host_first) {
    expect(start(exporter), "host init");
    TRAIL_SPAN("host.early");
  }
  Plugin a;
  if (!open_plugin(argv[1], global, a) || !open_plugin(argv[2], global, plugin_b)) return 2;
  a.load("a");
  plugin_b.load("b");
  if (!host_first) expect(start(exporter), "host init after the plugins recorded");
  if (plugins_init) {
    expect(a.init() == 0, "plugin a's init() while running returns false");
    expect(plugin_b.init() == 0, "plugin b's init() while running returns false");
  }
  {
    TRAIL_SPAN("host.root");
    void (*callback)(void*) = host_callback;
    a.run(run_b, nullptr, &callback);
  }
  expect(trail::flush(), "flush");

  std::map<std::string, trail::SpanData> by_name;
  const auto spans = exporter->spans();
  for (const auto& s : spans) {
    expect(by_name.emplace(s.name, s).second, "span " + s.name + " exported once");
  }
  std::vector<const char*> expected = {"a.load", "host.root", "a.work", "host.callback", "a.thread"};
  if (!mismatch) expected.insert(expected.end(), {"b.load", "b.work", "b.thread"});
  const std::size_t count = expected.size() + (host_first ? 1 : 0);
  expect(spans.size() == count, "exported " + std::to_string(spans.size()) + " spans, expected " + std::to_string(count));
  for (const char* name : expected) expect(by_name.count(name) == 1, std::string("span ") + name + " exported");
  const auto parent_of = [&](const char* child, const char* parent) {
    if (!by_name.count(child) || !by_name.count(parent)) return;
    const auto& c = by_name[child];
    const auto& p = by_name[parent];
    expect(c.parent_span_id == p.span_id && c.trace_id == p.trace_id, std::string(child) + " is a child of " + parent);
  };
  parent_of("a.work", "host.root");
  parent_of("b.work", "a.work");
  parent_of("host.callback", mismatch ? "a.work" : "b.work");
  parent_of("b.thread", "b.work");
  parent_of("a.thread", "a.work");
  const trail::Stats stats = trail::stats();
  expect(stats.spans_exported == count, "stats: " + std::to_string(stats.spans_exported) + " spans exported");
  trail::shutdown();
  std::printf("%s %s %s: %zu spans, %s\n", argv[3], argv[4], argv[5], spans.size(), failures ? "FAILED" : "ok");
  return failures == 0 ? 0 : 1;
}
