// An instrumented plugin, loaded twice (two copies of one file) by host.cpp.
// Built with hidden or default visibility; only these entry points are
// exported.
#include <string>
#include <thread>

#include <trail/runtime.hpp>

#include "../support/dynamic_library.hpp"

#define PLUGIN_API TRAIL_TEST_EXPORT

namespace {
std::string g_name = "plugin";
}

// Names this copy and records its first span: called before the host touches
// trail in the plugin-first order, so that this copy creates the process state.
PLUGIN_API void plugin_load(const char* name) {
  g_name = name;
  trail::Span span(g_name + ".load");
}

// A plugin that calls init() itself, after the host did: false, nothing changes.
PLUGIN_API int plugin_init() {
  trail::Config config;
  config.settings.traces_exporters.clear();
  config.settings.metrics_exporters.clear();
  return trail::init(config) ? 1 : 0;
}

// A span under the caller's current span; inside it, `next` (the other
// plugin's plugin_run, or nullptr) and the host's `callback`, then a thread
// that parents its span to this one explicitly.
PLUGIN_API void plugin_run(void (*next)(void (*)(void*), void*), void (*callback)(void*), void* data) {
  trail::Span span(g_name + ".work");
  span.set("plugin", g_name);
  if (next != nullptr) next(nullptr, data);
  if (callback != nullptr) callback(data);
  const trail::Context parent = trail::current();
  std::thread([&] {
    trail::ContextScope scope(parent);
    trail::Span child(g_name + ".thread");
  }).join();
}
