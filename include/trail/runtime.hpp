// Starting and stopping the export side: include this where the program
// starts (it brings fmt, zlib, OpenSSL and sockets; trail.hpp does not).
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
//
// Header-only by default: the TU that includes this compiles the whole export
// side (several seconds at -O2). To compile it once instead, define
// TRAIL_RUNTIME_EXTERN in every TU that includes this header (then it only
// declares init, shutdown, flush and stats), and TRAIL_RUNTIME_IMPLEMENTATION
// in exactly one .cpp of the program, which then holds their definitions:
//
//   // trail_runtime.cpp (rarely recompiled)
//   #define TRAIL_RUNTIME_IMPLEMENTATION
//   #include <trail/runtime.hpp>
//
// All TUs of one program (or shared library) must use the same mode.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "trail.hpp"
#include "export/exporter.hpp"
#include "export/genai_content.hpp"
#include "export/header_provider.hpp"
#include "export/settings.hpp"
#include "export/stats.hpp"
#include "export/transport.hpp"

#if defined(TRAIL_RUNTIME_IMPLEMENTATION) || defined(TRAIL_RUNTIME_EXTERN)
#define TRAIL_RUNTIME_LINKAGE
#else
#define TRAIL_RUNTIME_LINKAGE inline
#endif

namespace trail {

struct Config {
  // Starts from the OTEL_* environment variables (bad values are reported on
  // stderr and replaced by defaults); change any field before init.
  Settings settings = detail::settings_from_env();
  // Exporters in addition to the ones settings.traces_exporters and
  // settings.metrics_exporters name; each gets spans and metrics.
  std::vector<std::shared_ptr<Exporter>> exporters;
  InstrumentationScope scope{"trail", version_string};
  // The byte stream under the OTLP/HTTP exporter (see export/transport.hpp);
  // empty: trail's own, plain TCP for http:// and TLS for https://.
  TransportFactory transport;
  // Headers for the OTLP/HTTP exporter asked for before each request, such as
  // a bearer token that expires (see export/header_provider.hpp); static
  // ones go in settings.traces_headers (OTEL_EXPORTER_OTLP_HEADERS).
  HeaderProvider header_provider;
  // Sees each captured GenAI text (settings.genai_capture_content) on the
  // flusher thread before it is exported, to mask or drop what must not
  // leave the process; see export/genai_content.hpp.
  ContentRedactor redact_content;
};

// Starts the flusher with `config` (init(): a Config from the OTEL_*
// variables). False (with a message) when the SDK is disabled, trail is
// already running or still shutting down, or no configured exporter can
// work (recording is then off).
TRAIL_RUNTIME_LINKAGE bool init(const Config& config);
TRAIL_RUNTIME_LINKAGE bool init();

// Stops exporting: ends the sessions still open (as indeterminate), flushes
// what was recorded (within the export timeout) and joins the flusher.
// Idempotent; also runs at process exit.
//
// A Windows DLL: call shutdown() before the DLL is unloaded or the process
// exits. Left to the atexit handler that runs at DLL_PROCESS_DETACH during
// ExitProcess, it returns at once (the flusher thread is already gone), says
// so on stderr, and what was not yet exported is lost; it never waits.
TRAIL_RUNTIME_LINKAGE void shutdown() noexcept;

// Exports everything recorded before the call. True when all of it was
// delivered within `timeout`; false on timeout, failure or when not running.
TRAIL_RUNTIME_LINKAGE bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Spans recorded, exported and dropped by reason, since init; after
// shutdown(), the final counts of that run (zeros before the first init).
// recorded == exported + spilled + dropped() + pending, always (see Stats).
TRAIL_RUNTIME_LINKAGE Stats stats();

}  // namespace trail

#if !defined(TRAIL_RUNTIME_EXTERN) || defined(TRAIL_RUNTIME_IMPLEMENTATION)

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "export/collector.hpp"
#include "export/metrics_collect.hpp"
#include "export/console_exporter.hpp"
#include "export/file_exporter.hpp"
#include "export/flusher.hpp"
#include "export/html_exporter.hpp"
#include "export/perfetto_exporter.hpp"
#include "export/memory_exporter.hpp"
#include "export/otlp_http_exporter.hpp"
#include "platform/process.hpp"

namespace trail {
namespace detail {

// The process-wide export state, one for every copy of trail in the process
// (state.hpp): the first init() starts the one flusher. Never destroyed: a
// flusher detached at exit may still touch it.
struct Runtime {
  std::mutex mutex;
  std::shared_ptr<Flusher> flusher;
  Stats last_stats;  // of the flusher shutdown() stopped, so stats() still tells
  bool hooks_installed = false;
  bool shutting_down = false;  // init() waits for shutdown() to finish
  // Flushers whose thread shutdown() had to detach: closed, kept alive (and
  // reachable, so that leak checkers stay quiet) for their thread.
  std::vector<std::shared_ptr<Flusher>> abandoned;
  std::atomic<bool> running{false};  // read without the mutex at process exit
  // In a fork() child: the parent's Runtime and ConsumerState, never used or
  // destroyed (threads the child does not have may hold their mutexes), kept
  // reachable so that leak checkers stay quiet when the child exits.
  Runtime* parent = nullptr;
  void* parent_consumers = nullptr;
};

inline Runtime* runtime_instance() { return &process_object<Runtime>(&ProcessState::runtime); }

inline void report_config_error(const std::string& message) {
  std::fprintf(stderr, "trail: %s\n", message.c_str());
}

inline OtlpHttpOptions otlp_options(const Config& config) {
  const Settings& s = config.settings;
  OtlpHttpOptions o;
  o.traces_tls.certificate = s.traces_certificate;
  o.traces_tls.client_certificate = s.traces_client_certificate;
  o.traces_tls.client_key = s.traces_client_key;
  o.metrics_tls.certificate = s.metrics_certificate;
  o.metrics_tls.client_certificate = s.metrics_client_certificate;
  o.metrics_tls.client_key = s.metrics_client_key;
  o.transport = config.transport;
  o.header_provider = config.header_provider;
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
  o.max_request_bytes = s.otlp_max_request_bytes;
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
  o.limits = {s.span_attribute_count_limit, s.span_event_count_limit, s.event_attribute_count_limit,
              s.span_link_count_limit, s.link_attribute_count_limit};
  o.code = {s.code_attributes, s.source_root};
  o.genai.content_max_length = s.genai_content_max_length;
  o.genai.emit_old_names = s.genai_emit_old_names;
  o.flight_recorder = s.flight_recorder;
  o.flight_recorder_max_bytes = s.flight_recorder_max_bytes;
  return o;
}

// Exporters that take both signals: one instance each, shared by the lists.
struct SharedExporters {
  std::shared_ptr<Spill> spill;  // for the OTLP exporter (TRAIL_SPILL_DIR); may be null
  std::shared_ptr<OtlpHttpExporter> otlp;
  std::shared_ptr<HtmlExporter> html;
  std::shared_ptr<PerfettoExporter> perfetto;
};

// The exporters that settings name for one signal; why one cannot work goes to `problems`.
inline void add_configured_exporters(const std::vector<ExporterKind>& kinds, const Config& config, bool traces,
                                     SharedExporters& shared, std::vector<std::shared_ptr<Exporter>>& out,
                                     std::vector<std::string>& problems) {
  const Settings& s = config.settings;
  auto& otlp = shared.otlp;
  for (ExporterKind kind : kinds) {
    switch (kind) {
      case ExporterKind::otlp:
        if (otlp == nullptr) {
          OtlpHttpOptions options = otlp_options(config);
          options.spill = shared.spill;
          otlp = std::make_shared<OtlpHttpExporter>(std::move(options));
          if (!otlp->error().empty()) problems.push_back(otlp->error());
        }
        if (otlp->error().empty()) out.push_back(otlp);
        break;
      case ExporterKind::console:
        out.push_back(std::make_shared<ConsoleExporter>());
        break;
      case ExporterKind::file: {
        auto file = std::make_shared<FileExporter>(traces ? s.traces_file : s.metrics_file);
        if (file->is_open()) out.push_back(std::move(file));
        else problems.push_back("file exporter: " + file->error());
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
// what the parent recorded, draw new ids, and stop recording until init()
// is called again.
inline void after_fork_in_child() noexcept {
  set_enabled(false);
  ProcessState& p = process();
  // The parent's mutexes may be held (its flusher was running): leave them;
  // free the spin locks.
  auto* runtime = new Runtime();
  runtime->parent = static_cast<Runtime*>(p.runtime);
  runtime->parent_consumers = p.consumers;
  auto* consumers = new ConsumerState();
  if (p.consumers != nullptr) consumers->retired = static_cast<ConsumerState*>(p.consumers)->retired;
  p.runtime = runtime;
  p.consumers = consumers;
  p.lock.unlock();
  p.sessions.unlock();
  p.dumps.busy.store(false, std::memory_order_relaxed);
  p.dumps.recorder_running.store(false, std::memory_order_relaxed);  // the parent's flusher had it
  // Producers wake no flusher until init() installs the child's own.
  p.ring_pressure.wake.store(nullptr);
  p.ring_pressure.target.store(nullptr);
  p.ring_pressure.wakes_in_progress.store(0);
  for (Ring* r = p.rings.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    r->skip_all();
    if (r != this_thread().ring) r->mark_owner_exited();
  }
  // The only thread here; its generator state is a copy of the parent's
  // (the process seed was redrawn by state.hpp's own fork handler).
  if (this_thread().ring != nullptr) seed_ids(this_thread());
}

}  // namespace detail

TRAIL_RUNTIME_LINKAGE void shutdown() noexcept {
  if (detail::platform::threads_terminated_by_exit()) {
    if (!detail::runtime_instance()->running.exchange(false)) return;
    std::fputs("trail: process exit with trail still running in a DLL; the flusher is gone and spans not yet "
               "exported are lost: call trail::shutdown() before exit\n",
               stderr);
    return;
  }
  detail::Runtime& rt = *detail::runtime_instance();
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(rt.mutex);
    flusher = std::move(rt.flusher);
    if (!flusher) return;
    rt.running.store(false);
    rt.shutting_down = true;
  }
  // Sessions still open end as indeterminate and go out with the last flush.
  detail::end_open_sessions();
  const bool stopped = flusher->stop();
  // Whatever the flusher left (its thread may be stuck): counted, and fenced off.
  const Stats final_stats = flusher->close();
  std::lock_guard<std::mutex> lock(rt.mutex);
  rt.last_stats = final_stats;
  rt.shutting_down = false;
  TRAIL_TRY {
    if (!stopped) rt.abandoned.push_back(std::move(flusher));  // must outlive its detached thread
  }
  TRAIL_CATCH_ALL {
    new std::shared_ptr<detail::Flusher>(std::move(flusher));  // out of memory: leak it rather than destroy it
  }
}

TRAIL_RUNTIME_LINKAGE bool init(const Config& config) {
  detail::Runtime& rt = *detail::runtime_instance();
  std::lock_guard<std::mutex> lock(rt.mutex);
  if (!detail::process().shared) {
    detail::report_config_error("init() in a copy of trail that does not match the process's: not started");
    return false;
  }
  detail::process().init_called.store(true, std::memory_order_relaxed);
  if (rt.flusher || rt.shutting_down) {
    // Also what a plugin's own init() meets when the host (or another
    // plugin) started trail first: its spans go to the running flusher.
    detail::report_config_error(rt.flusher ? "init() called while already running; call trail::shutdown() first"
                                           : "init() called while shutdown() is still running; try again after it");
    return false;
  }
  // A flusher shutdown() gave up on may still be inside a call of an exporter
  // this Config shares: two threads must never call one exporter at once.
  for (const auto& old : rt.abandoned)
    for (const auto& e : config.exporters)
      if (e != nullptr && old->calling(e.get())) {
        detail::report_config_error(
            "init() refused: one of its exporters is still inside a call from the run that shutdown() gave up on; "
            "try again once that call has returned");
        return false;
      }
  Settings s = config.settings;
  detail::ErrorSink out_of_range;
  detail::clamp_settings(s, out_of_range);  // a Config may hold anything
  for (const auto& line : out_of_range) std::fprintf(stderr, "%s\n", line.c_str());
  Resource resource{s.resource};  // repaired once for the run, said once
  detail::repair(resource);
  if (resource.dropped_attributes_count != 0)
    detail::report_config_error(std::to_string(resource.dropped_attributes_count) +
                                " resource attribute(s) with an empty or repeated key (after UTF-8 repair) are left "
                                "out of every export; check OTEL_RESOURCE_ATTRIBUTES");
  if (s.sdk_disabled) {
    set_enabled(false);
    return false;
  }
  set_ring_capacity(s.ring_capacity);
  set_attribute_value_length_limit(s.attribute_value_length_limit);
  set_sampler(s.sampler, s.sampler_ratio);
  set_capture_message_content(s.genai_capture_content);

  detail::SharedExporters shared;
  // Opened by the flusher (disk I/O is its job), so problems show just after init.
  if (!s.spill_dir.empty()) shared.spill = std::make_shared<detail::Spill>(s.spill_dir, s.spill_max_bytes);
  std::vector<std::shared_ptr<Exporter>> span_exporters;
  std::vector<std::shared_ptr<Exporter>> metric_exporters;
  std::vector<std::string> problems;
  detail::add_configured_exporters(s.traces_exporters, config, true, shared, span_exporters, problems);
  detail::add_configured_exporters(s.metrics_exporters, config, false, shared, metric_exporters, problems);
  // The whole-run files show the run's metrics whatever OTEL_METRICS_EXPORTER says.
  for (std::shared_ptr<Exporter> e : {std::shared_ptr<Exporter>(shared.html), std::shared_ptr<Exporter>(shared.perfetto)})
    if (e && std::find(metric_exporters.begin(), metric_exporters.end(), e) == metric_exporters.end())
      metric_exporters.push_back(e);
  for (const auto& e : config.exporters) {
    if (e == nullptr) continue;
    span_exporters.push_back(e);
    metric_exporters.push_back(e);
  }
  if (span_exporters.empty() && metric_exporters.empty() && !problems.empty()) {
    // Exporters were asked for and none can work: say why, in one line, and record nothing.
    std::string line = "not started, no exporter can work: ";
    for (std::size_t i = 0; i < problems.size(); ++i) line += (i ? "; " : "") + problems[i];
    detail::report_config_error(line);
    set_enabled(false);
    return false;
  }
  for (const auto& problem : problems) detail::report_config_error(problem + "; that exporter is off");
  if (shared.spill && !shared.otlp)
    detail::report_config_error("TRAIL_SPILL_DIR is set but no OTLP exporter is configured: nothing is spilled");

  detail::FlusherOptions options = detail::flusher_options(s);
  if (shared.otlp) options.spill = shared.spill;
  options.genai.redact = config.redact_content;
  rt.flusher = std::make_shared<detail::Flusher>(std::move(options), std::move(resource), config.scope,
                                                 std::move(span_exporters), std::move(metric_exporters));
  rt.running.store(true);
  set_enabled(true);
  if (!rt.hooks_installed) {
    rt.hooks_installed = true;
    std::atexit([] { shutdown(); });
    detail::platform::on_fork_child([] { detail::after_fork_in_child(); });
  }
  return true;
}

TRAIL_RUNTIME_LINKAGE bool init() { return init(Config()); }

TRAIL_RUNTIME_LINKAGE bool flush(std::chrono::milliseconds timeout) {
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    flusher = detail::runtime_instance()->flusher;
  }
  return flusher != nullptr && flusher->flush(timeout);
}

TRAIL_RUNTIME_LINKAGE Stats stats() {
  std::shared_ptr<detail::Flusher> flusher;
  {
    std::lock_guard<std::mutex> lock(detail::runtime_instance()->mutex);
    flusher = detail::runtime_instance()->flusher;
    if (!flusher) return detail::runtime_instance()->last_stats;
  }
  return flusher->stats();
}

}  // namespace trail

#endif  // the definitions
