// Test support: a Config exporting OTLP to an HttpTestServer, driven by
// flush(): the schedule is far away, timeouts are short.
#pragma once

#include <trail/runtime.hpp>

#include <chrono>

#include "http_test_server.hpp"

namespace trail::test {

inline Config otlp_config(const HttpTestServer& server) {
  using namespace std::chrono_literals;
  Config c;
  c.settings.traces_exporters = {ExporterKind::otlp};
  c.settings.metrics_exporters = {};
  c.settings.traces_endpoint = server.url("/v1/traces");
  c.settings.metrics_endpoint = server.url("/v1/metrics");
  c.settings.bsp_schedule_delay = 60s;
  c.settings.bsp_export_timeout = 3000ms;
  c.settings.traces_timeout = 1000ms;
  return c;
}

}  // namespace trail::test
