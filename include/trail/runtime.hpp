// Starting and stopping the export side: include this where the program
// starts (it brings fmt, nlohmann_json and sockets; trail.hpp does not).
//
//   int main() {
//     trail::init();          // exporters, endpoint, limits from OTEL_* variables
//     ...
//     trail::shutdown();      // also runs at exit; safe to call twice
//   }
//
// After fork(), the child records nothing until it calls trail::init()
// itself: the parent's flusher thread does not exist there, and what the
// parent had recorded but not yet exported stays the parent's to export.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "trail.hpp"
#include "export/collector.hpp"
#include "export/metrics_collect.hpp"
#include "export/console_exporter.hpp"
#include "export/exporter.hpp"
#include "export/file_exporter.hpp"
#include "export/flusher.hpp"
#include "export/html_exporter.hpp"
#include "export/perfetto_exporter.hpp"
#include "export/memory_exporter.hpp"
#include "export/otlp_http_exporter.hpp"
#include "export/settings.hpp"
#include "platform/process.hpp"

namespace trail {

struct Config {
  // Starts from the OTEL_* environment variables (bad values are reported on
  // stderr and replaced by defaults); change any field before init.
  Settings settings = detail::settings_from_env();
  // Exporters in addition to the ones settings.traces_exporters and
  // settings.metrics_exporters name; each gets spans and metrics.
  std::vector<std::shared_ptr<Exporter>> exporters;
  InstrumentationScope scope{"trail", version_string};
};

namespace detail {

// The process-wide export state. Never destroyed: a flusher detached at exit
// may still touch it.
struct Runtime {
  std::mutex mutex;
  std::shared_ptr<Flusher> flusher;
  Stats last_stats;  // of the flusher shutdown() stopped, so stats() still tells
  bool hooks_installed = false;
};

inline Runtime*& runtime_instance() {
  static Runtime* runtime = new Runtime();
  return runtime;
}

inline void report_config_error(const std::string& message) {
  std::fprintf(stderr, "trail: %s\n", message.c_str());
}

inline OtlpHttpOptions otlp_options(const Settings& s) {
  OtlpHttpOptions o;
  o.traces_endpoint = s.traces_endpoint;
  o.metrics_endpoint = s.metrics_endpoint;
  o.traces_headers = s.traces_headers;
  o.metrics_headers = s.metrics_headers;
  o.traces_timeout = s.traces_timeout;
  o.metrics_timeout = s.metrics_timeout;
  o.traces_protocol = s.traces_protocol;
  o.metrics_protocol = s.metrics_protocol;
  o.traces_compression = s.traces_compression;
  o.metrics_compression = s.metrics_compression;
  return o;
}

inline FlusherOptions flusher_options(const Settings& s) {
  FlusherOptions o;
  o.schedule_delay = s.bsp_schedule_delay;
  o.export_timeout = s.bsp_export_timeout;
  o.max_queue_size = s.bsp_max_queue_size;
  o.max_export_batch_size = s.bsp_max_export_batch_size;
  o.metric_export_interval = s.metric_export_interval;
  o.metric_export_timeout = s.metric_export_timeout;
  o.limits = {s.span_attribute_count_limit, s.span_event_count_limit, s.event_attribute_count_limit};
  o.code = {s.code_attributes, s.source_root};
  return o;
}

// Exporters that take both signals: one instance each, shared by the lists.
struct SharedExporters {
  std::shared_ptr<OtlpHttpExporter> otlp;
  std::shared_ptr<HtmlExporter> html;
  std::shared_ptr<PerfettoExporter> perfetto;
};

// The exporters that settings name for one signal.
inline void add_configured_exporters(const std::vector<ExporterKind>& kinds, const Settings& s, bool traces,
                                     SharedExporters& shared, std::vector<std::shared_ptr<Exporter>>& out) {
  auto& otlp = shared.otlp;
  for (ExporterKind kind : kinds) {
    switch (kind) {
      case ExporterKind::otlp:
        if (otlp == nullptr) {
          otlp = std::make_shared<OtlpHttpExporter>(otlp_options(s));
          if (!otlp->error().empty()) report_config_error(otlp->error() + "; OTLP export is off");
        }
        if (otlp->error().empty()) out.push_back(otlp);
        break;
      case ExporterKind::console:
        out.push_back(std::make_shared<ConsoleExporter>());
        break;
      case ExporterKind::file: {
        auto file = std::make_shared<FileExporter>(traces ? s.traces_file : s.metrics_file);
        if (file->is_open()) out.push_back(std::move(file));
        else report_config_error("file exporter: " + file->error());
        break;
      }
      case ExporterKind::html:
        if (shared.html == nullptr) shared.html = std::make_shared<HtmlExporter>(s.html_file);
        out.push_back(shared.html);
        break;
      case ExporterKind::perfetto:
        if (shared.perfetto == nullptr) shared.perfetto = std::make_shared<PerfettoExporter>(s.perfetto_file);
        out.push_back(shared.perfetto);
        break;
    }
  }
}

// In a forked child: drop the parent's flusher (its thread is not here) and
// what the parent recorded, and stop recording until init() is called again.
inline void after_fork_in_child() noexcept {
  set_enabled(false);
  runtime_instance() = new Runtime();  // the parent's mutexes may be held: leave them
  for (Ring* r = g_state.rings.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    r->release(r->write_position());
    if (r != t_state.ring) r->mark_owner_exited();
  }
}

}  // namespace detail

// Stops exporting: ends the sessions still open (as indeterminate), flushes
// what was recorded (within the export timeout) and joins the flusher.
// Idempotent; also runs at process exit.
inline void shutdown() noexcept {
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    flusher = std::move(detail::runtime_instance()->flusher);
  }
  if (!flusher) return;
  // Sessions still open end as indeterminate and go out with the last flush.
  detail::end_open_sessions();
  const bool stopped = flusher->stop();
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    detail::runtime_instance()->last_stats = flusher->stats();
  }
  // A flusher whose thread had to be detached must outlive it: leak it.
  if (!stopped) new std::shared_ptr<detail::Flusher>(std::move(flusher));
}

// Starts the flusher with `config`. False (with a message) when the SDK is
// disabled or trail is already running.
inline bool init(const Config& config = Config()) {
  detail::Runtime& rt = *detail::runtime_instance();
  std::lock_guard<std::mutex> lock(rt.mutex);
  if (rt.flusher) {
    detail::report_config_error("init() called while already running; call trail::shutdown() first");
    return false;
  }
  const Settings& s = config.settings;
  if (s.sdk_disabled) {
    set_enabled(false);
    return false;
  }
  set_ring_capacity(s.ring_capacity);
  set_attribute_value_length_limit(s.attribute_value_length_limit);
  set_sampler(s.sampler, s.sampler_ratio);

  detail::SharedExporters shared;
  std::vector<std::shared_ptr<Exporter>> span_exporters;
  std::vector<std::shared_ptr<Exporter>> metric_exporters;
  detail::add_configured_exporters(s.traces_exporters, s, true, shared, span_exporters);
  detail::add_configured_exporters(s.metrics_exporters, s, false, shared, metric_exporters);
  // The whole-run files show the run's metrics whatever OTEL_METRICS_EXPORTER says.
  for (std::shared_ptr<Exporter> e : {std::shared_ptr<Exporter>(shared.html), std::shared_ptr<Exporter>(shared.perfetto)})
    if (e && std::find(metric_exporters.begin(), metric_exporters.end(), e) == metric_exporters.end())
      metric_exporters.push_back(e);
  for (const auto& e : config.exporters) {
    if (e == nullptr) continue;
    span_exporters.push_back(e);
    metric_exporters.push_back(e);
  }

  rt.flusher = std::make_shared<detail::Flusher>(detail::flusher_options(s), Resource{s.resource}, config.scope,
                                                 std::move(span_exporters), std::move(metric_exporters));
  set_enabled(true);
  if (!rt.hooks_installed) {
    rt.hooks_installed = true;
    std::atexit([] { shutdown(); });
    detail::platform::on_fork_child([] { detail::after_fork_in_child(); });
  }
  return true;
}

// Exports everything recorded before the call. True when all of it was
// delivered within `timeout`; false on timeout, failure or when not running.
inline bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    flusher = detail::runtime_instance()->flusher;
  }
  return flusher != nullptr && flusher->flush(timeout);
}

// Spans recorded, exported and dropped by reason, since init; after
// shutdown(), the final counts of that run (zeros before the first init).
inline Stats stats() {
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    flusher = detail::runtime_instance()->flusher;
    if (!flusher) return detail::runtime_instance()->last_stats;
  }
  return flusher->stats();
}

}  // namespace trail
