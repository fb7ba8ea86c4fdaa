// A DLL that runs trail itself (init, a recording thread), for dll_host.cpp.
#include <trail/runtime.hpp>

#include <memory>
#include <thread>

extern "C" __declspec(dllexport) bool plugin_start(const char* traces_file) {
  trail::Config config;
  config.settings.traces_exporters = {};
  config.settings.metrics_exporters = {};
  config.exporters.push_back(std::make_shared<trail::FileExporter>(traces_file, /*truncate=*/true));
  if (!trail::init(config)) return false;
  std::thread([] {
    for (int i = 0; i < 10; ++i) {
      TRAIL_SPAN("in the dll");
    }
  }).join();
  return true;
}

extern "C" __declspec(dllexport) void plugin_stop() { trail::shutdown(); }
