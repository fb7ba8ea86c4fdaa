// OTLP/HTTP over the built-in HTTP/1.1 client: POST {endpoint}/v1/traces and
// /v1/metrics with JSON or protobuf bodies (gzip-compressed on request),
// retried as the OTLP specification says (429, 502, 503, 504 and connection
// failures, with exponential backoff, jitter and Retry-After) within the
// export deadline. A receiver that answers 415 to JSON gets protobuf from then on.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "../ids.hpp"
#include "../version.hpp"
#include "exporter.hpp"
#include "gzip.hpp"
#include "header_provider.hpp"
#include "http_client.hpp"
#include "json_reader.hpp"
#include "otlp_json.hpp"
#include "otlp_json_metrics.hpp"
#include "otlp_proto.hpp"
#include "otlp_proto_metrics.hpp"
#include "settings.hpp"
#include "spill.hpp"
#include "transport.hpp"
#include "url.hpp"

namespace trail {

struct OtlpHttpOptions {
  std::string traces_endpoint = "http://localhost:4318/v1/traces";  // used as is
  std::string metrics_endpoint = "http://localhost:4318/v1/metrics";
  Headers traces_headers;
  Headers metrics_headers;
  std::chrono::milliseconds traces_timeout{10000};   // one HTTP request
  std::chrono::milliseconds metrics_timeout{10000};
  OtlpProtocol traces_protocol = OtlpProtocol::http_json;
  OtlpProtocol metrics_protocol = OtlpProtocol::http_json;
  Compression traces_compression = Compression::none;  // gzip needs zlib (detail::gzip_available)
  Compression metrics_compression = Compression::none;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Request bodies stay under this (the Collector refuses over 20 MiB): a
  // larger batch is split; a single larger span gets its longest values cut.
  std::size_t max_request_bytes = std::size_t{4} << 20;
  // For https endpoints: CA, client certificate and key files per signal
  // (the scheme field is set from the endpoint).
  TransportOptions traces_tls;
  TransportOptions metrics_tls;
  // Makes the byte stream under HTTP; empty: trail's own (plain TCP / TLS).
  TransportFactory transport;
  // Headers asked for before each request (HeaderProvider); empty: none.
  HeaderProvider header_provider;
  // Where requests that cannot be delivered go (TRAIL_SPILL_DIR); null: they are dropped.
  std::shared_ptr<detail::Spill> spill;
};

namespace detail {

// An endpoint as messages show it: no userinfo, no query, no control characters.
inline std::string shown_endpoint(const std::string& endpoint) { return http::excerpt(printable_url(endpoint), 200); }

// Why an endpoint cannot be used, or empty when it can. Makes the client's
// transport now, so that a missing TLS build or a bad certificate file shows
// at init().
inline std::string endpoint_error(const std::string& endpoint, Url& url, HttpClient& client) {
  std::string error;
  if (!parse_url(endpoint, url, error))
    return fmt::format("invalid OTLP endpoint \"{}\": {}", shown_endpoint(endpoint), error);
  if (!client.prepare(url.scheme, error))
    return fmt::format("OTLP endpoint \"{}\": {}", shown_endpoint(endpoint), error);
  return {};
}

// Headers set through a Config skip the OTEL_* parser's checks: CR or LF in
// a value would split the request, so such a header is a permanent error.
inline std::string headers_error(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) return fmt::format("OTLP header name \"{}\" is not a valid token", http::excerpt(name, 64));
    if (!envvar::is_header_value(value))
      return fmt::format("OTLP header \"{}\" has CR, LF or another control character in its value",
                         http::excerpt(name, 64));
  }
  return {};
}

// Calls f(s) on each string value of `attributes` (array items included).
template <class F>
void for_each_string_value(std::vector<Attribute>& attributes, F&& f) {
  for (auto& a : attributes) {
    if (auto* v = std::get_if<std::string>(&a.value)) f(*v);
    if (auto* items = std::get_if<std::vector<std::string>>(&a.value))
      for (auto& item : *items) f(item);
  }
}

// ... of a span: its attributes, its events' attributes, its status message.
template <class F>
void for_each_string_value(SpanData& span, F&& f) {
  f(span.status_message);
  for_each_string_value(span.attributes, f);
  for (auto& event : span.events) for_each_string_value(event.attributes, f);
}

// ... of a metric: its data points' attributes.
template <class F>
void for_each_string_value(MetricData& metric, F&& f) {
  for (auto& p : metric.number_points) for_each_string_value(p.attributes, f);
  for (auto& p : metric.histogram_points) for_each_string_value(p.attributes, f);
}

// Cuts the longest string values of `item` (a SpanData or a MetricData), at
// UTF-8 boundaries, until size_of(item) <= limit or nothing is left to cut;
// returns how many values were cut.
template <class T, class SizeOf>
std::uint32_t cut_longest_values(T& item, std::size_t limit, SizeOf&& size_of) {
  std::uint32_t cut = 0;
  for (std::size_t size = size_of(item); size > limit;) {
    std::string* longest = nullptr;
    for_each_string_value(item, [&](std::string& s) {
      if (longest == nullptr || s.size() > longest->size()) longest = &s;
    });
    if (longest == nullptr || longest->empty()) break;
    std::size_t keep = longest->size() > size - limit + 64 ? longest->size() - (size - limit + 64) : 0;
    while (keep > 0 && (static_cast<unsigned char>((*longest)[keep]) & 0xC0u) == 0x80u) --keep;
    longest->resize(keep);
    ++cut;
    size = size_of(item);
  }
  return cut;
}

// " (sent: Authorization, X-Scope)": the names of the credentials-like
// headers a request carried (never their values), for a 401/403 message.
inline std::string header_names(const std::vector<HttpHeader>& headers) {
  std::string names;
  for (const HttpHeader& h : headers) {
    if (ascii_iequals(h.name, "User-Agent") || ascii_iequals(h.name, "Content-Encoding")) continue;
    names += names.empty() ? " (headers sent: " : ", ";
    names += http::excerpt(h.name, 64);
  }
  return names.empty() ? " (no header was set)" : names + ")";
}

// Where a redirect points, as a message may show it: the Location's host
// first, then the URL without userinfo or query.
inline std::string redirect_target(const std::string* location) {
  if (location == nullptr) return "without a Location";
  const std::string shown = http::excerpt(printable_url(*location), 200);
  const std::size_t sep = shown.find("://");
  if (sep == std::string::npos) return "to \"" + shown + "\" on the same host";
  std::string host = shown.substr(sep + 3, shown.find_first_of("/?", sep + 3) - (sep + 3));
  if (host.rfind("***@", 0) == 0) host.erase(0, 4);
  return "to host " + host + " (" + shown + ")";
}

// Splits `metrics` in two halves: of the metrics, or of a single metric's
// data points. False when it is one metric with at most one point.
inline bool split_metrics(const std::vector<MetricData>& metrics, std::vector<MetricData>& first,
                          std::vector<MetricData>& second) {
  if (metrics.size() > 1) {
    const auto half = metrics.begin() + static_cast<std::ptrdiff_t>(metrics.size() / 2);
    first.assign(metrics.begin(), half);
    second.assign(half, metrics.end());
    return true;
  }
  if (metrics.empty()) return false;
  const MetricData& m = metrics.front();
  if (m.number_points.size() + m.histogram_points.size() < 2) return false;
  first.assign(1, m);
  second.assign(1, m);
  const auto halve = [](auto& all, auto& tail) {
    const std::size_t half = all.size() / 2;
    tail.erase(tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(half));
    all.resize(half);
  };
  halve(first[0].number_points, second[0].number_points);
  halve(first[0].histogram_points, second[0].histogram_points);
  return true;
}

// The data points of `metrics` (what a metrics request's rejected count counts).
inline std::size_t data_points(const std::vector<MetricData>& metrics) noexcept {
  std::size_t n = 0;
  for (const auto& m : metrics) n += m.number_points.size() + m.histogram_points.size();
  return n;
}

inline std::vector<HttpHeader> http_headers(const Headers& headers) {
  std::vector<HttpHeader> out;
  out.push_back({"User-Agent", std::string("trail/") + version_string});
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out;
}

// partialSuccess.rejected{Spans,DataPoints} of a 200 response; 0 when absent
// or when the body is not the JSON we expect.
inline std::uint64_t rejected_count(const std::string& body, const char* field, std::string& message) {
  std::uint64_t rejected = 0;
  std::string text;
  bool has_message = false;
  JsonReader json(body);
  const bool valid = json.object([&](const std::string& key, JsonReader& r) {
    if (key != "partialSuccess" || r.peek() != '{') return r.value();
    return r.object([&](const std::string& name, JsonReader& v) {
      if (name == "errorMessage" && v.peek() == '"') {
        text.clear();
        has_message = true;
        return v.string(&text);
      }
      if (name != field) return v.value();
      bool is_unsigned = false;
      if (v.peek() != '"') return v.number(rejected, is_unsigned) && (is_unsigned || (rejected = 0, true));
      std::string digits;
      if (!v.string(&digits)) return false;
      rejected = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return rejected = 0, true;
        rejected = rejected * 10 + static_cast<std::uint64_t>(c - '0');
      }
      return true;
    });
  });
  if (!valid || !json.at_end()) return 0;
  if (has_message) message = text;
  return rejected;
}

// How one signal's requests are encoded; `protocol` changes once on a 415.
struct OtlpEncoding {
  OtlpProtocol protocol;
  bool gzip;
  const char* signal;  // "traces", "metrics": for messages
  const char* env_part;  // "TRACES", "METRICS": in the per-signal variables' names
};

inline const char* content_type(OtlpProtocol p) {
  return p == OtlpProtocol::http_json ? "application/json" : "application/x-protobuf";
}

// Whether a response body is protobuf: its Content-Type says, else it is in
// the encoding of the request (as the OTLP specification requires).
inline bool protobuf_response(const HttpResponse& response, OtlpProtocol sent) {
  const std::string* type = response.header("Content-Type");
  if (type == nullptr) return sent == OtlpProtocol::http_protobuf;
  const std::string_view media = trim_ows(std::string_view(*type).substr(0, type->find(';')));
  return ascii_iequals(media, "application/x-protobuf") || ascii_iequals(media, "application/protobuf");
}

// What a refusing receiver said (its body, or the google.rpc.Status message
// of a protobuf one), printable.
inline std::string refusal_text(const HttpResponse& response, const OtlpEncoding& encoding) {
  return http::excerpt(
      protobuf_response(response, encoding.protocol) ? proto_status_text(response.body) : response.body, 200);
}

}  // namespace detail

class OtlpHttpExporter : public Exporter {
 public:
  explicit OtlpHttpExporter(OtlpHttpOptions options = {})
      : options_(std::move(options)),
        traces_client_(std::make_unique<detail::HttpClient>(detail::HttpLimits{}, transport_factory(options_),
                                                            options_.traces_tls)) {
    // One connection for both signals (as the receiver sees one client),
    // unless their TLS settings differ.
    const TransportOptions& t = options_.traces_tls;
    const TransportOptions& m = options_.metrics_tls;
    if (t.certificate != m.certificate || t.client_certificate != m.client_certificate ||
        t.client_key != m.client_key)
      metrics_own_client_ =
          std::make_unique<detail::HttpClient>(detail::HttpLimits{}, transport_factory(options_), m);
    metrics_client_ = metrics_own_client_ ? metrics_own_client_.get() : traces_client_.get();
    error_ = detail::endpoint_error(options_.traces_endpoint, traces_url_, *traces_client_);
    if (error_.empty()) error_ = detail::endpoint_error(options_.metrics_endpoint, metrics_url_, *metrics_client_);
    if (error_.empty()) error_ = detail::headers_error(options_.traces_headers);
    if (error_.empty()) error_ = detail::headers_error(options_.metrics_headers);
    traces_headers_ = detail::http_headers(options_.traces_headers);
    metrics_headers_ = detail::http_headers(options_.metrics_headers);
    const bool want_gzip = options_.traces_compression == Compression::gzip ||
                           options_.metrics_compression == Compression::gzip;
    if (want_gzip && !detail::gzip_available)
      std::fputs("trail: gzip compression was asked for (OTEL_EXPORTER_OTLP_COMPRESSION) but trail was built "
                 "without zlib; sending uncompressed (install zlib, e.g. zlib1g-dev, and rebuild)\n",
                 stderr);
    traces_encoding_ = {options_.traces_protocol,
                        detail::gzip_available && options_.traces_compression == Compression::gzip, "traces", "TRACES"};
    metrics_encoding_ = {options_.metrics_protocol,
                         detail::gzip_available && options_.metrics_compression == Compression::gzip, "metrics", "METRICS"};
    if (traces_encoding_.gzip) traces_headers_.push_back({"Content-Encoding", "gzip"});
    if (metrics_encoding_.gzip) metrics_headers_.push_back({"Content-Encoding", "gzip"});
    spill_ = options_.spill;
    jitter_.seed(static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^
                 reinterpret_cast<std::uintptr_t>(this));
  }

  // Empty when the endpoints are usable; otherwise why not (every export fails).
  const std::string& error() const noexcept { return error_; }

  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline& deadline) override {
    return export_span_range(batch, batch.data, batch.size, deadline);
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline& deadline) override {
    return export_metric_range(batch, batch.metrics, deadline);
  }

  // Replays the spill, oldest record first, for about 20 ms (then returns, so
  // that live export goes on); while the endpoint is unreachable, one probe
  // (the oldest record) every 0.5 s to 5 s.
  Clock::time_point background(const ExportDeadline& deadline) override {
    constexpr auto never = Clock::time_point::max();
    if (!spill_ready()) return never;
    if (!spill_->has_backlog()) {
      offline_ = false;
      return never;
    }
    if (offline_ && Clock::now() < next_probe_) return next_probe_;
    const auto slice_end = std::min(deadline.get(), Clock::now() + std::chrono::milliseconds(20));
    detail::SpillRecord record;
    while (!deadline.shutting_down() && spill_->next(record)) {
      if (!replay(record, deadline)) {
        probe_backoff_ = offline_ ? std::min(probe_backoff_ * 2, max_probe_backoff) : min_probe_backoff;
        go_offline();
        return next_probe_;
      }
      offline_ = false;
      if (Clock::now() >= slice_end) return Clock::now() + std::chrono::milliseconds(10);
    }
    return never;
  }

  void shutdown() noexcept override {
    traces_client_->close();
    metrics_client_->close();
  }

  // Requests sent, retries included (for tests and stats).
  std::uint64_t attempts() const noexcept { return attempts_; }
  // String values cut so that a single span or data point fit max_request_bytes.
  std::uint64_t values_cut() const noexcept { return values_cut_; }

  // The encoding each signal uses now (http/json switches to http/protobuf on a 415).
  OtlpProtocol traces_protocol() const noexcept { return traces_encoding_.protocol; }
  OtlpProtocol metrics_protocol() const noexcept { return metrics_encoding_.protocol; }

 private:
  static bool retryable(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

  static TransportFactory transport_factory(const OtlpHttpOptions& o) {
    return o.transport ? o.transport : TransportFactory(detail::make_transport);
  }

  // The request body in `encoding`: encoded by `encode`, then compressed.
  template <class Encode>
  bool prepare(const detail::OtlpEncoding& encoding, const Encode& encode, std::string& error) {
    encode(encoding.protocol, body_);  // writes the whole body (over what body_ held: no zero-fill)
    payload_ = &body_;
    if (!encoding.gzip) return true;
    if (!gzip_.compress(body_, zipped_, error)) return false;
    payload_ = &zipped_;
    return true;
  }

  static void encode_spans(OtlpProtocol protocol, const SpanBatch& batch, const SpanData* spans, std::size_t n,
                           std::string& body) {
    if (protocol == OtlpProtocol::http_json)
      detail::write_trace_request(body, batch.resource, batch.scope, spans, n, 0);
    else
      detail::write_trace_request_proto(body, batch.resource, batch.scope, spans, n, 0);
  }

  // One request per range while it fits max_request_bytes; else halves, down
  // to single spans, whose longest values are cut to fit.
  ExportResult export_span_range(const SpanBatch& batch, const SpanData* spans, std::size_t n,
                                 const ExportDeadline& deadline) {
    const OtlpProtocol protocol = traces_encoding_.protocol;
    encode_spans(protocol, batch, spans, n, range_body_);
    SpanData cut_span;
    if (range_body_.size() > options_.max_request_bytes) {
      if (n > 1) {
        const std::size_t half = n / 2;
        const ExportResult first = export_span_range(batch, spans, half, deadline);
        return merge(first, half, export_span_range(batch, spans + half, n - half, deadline), n - half);
      }
      cut_span = *spans;
      spans = &cut_span;
      const std::uint32_t cut = detail::cut_longest_values(cut_span, options_.max_request_bytes, [&](const SpanData& s) {
        encode_spans(protocol, batch, &s, 1, range_body_);
        return range_body_.size();
      });
      values_cut_ += cut;
      std::fprintf(stderr, "trail: span \"%s\" was larger than the request limit of %zu bytes; cut %u value(s)\n",
                   detail::http::excerpt(cut_span.name, 64).c_str(), options_.max_request_bytes, cut);
    }
    // The body is encoded already; a 415 switch to protobuf encodes again.
    // range_body_ gets the previous body's bytes in the swap: the next
    // batch is written over them.
    bool encoded = true;
    const auto encode = [&](OtlpProtocol p, std::string& body) {
      if (p == protocol && encoded) body.swap(range_body_);
      else encode_spans(p, batch, spans, n, body);
      encoded = false;
    };
    return send(*traces_client_, traces_url_, traces_headers_, options_.traces_timeout, "rejectedSpans",
                traces_encoding_, encode, deadline, detail::SpillSignal::traces, n);
  }

  static void encode_metrics(OtlpProtocol protocol, const MetricBatch& batch, const std::vector<MetricData>& metrics,
                             std::string& body) {
    body.clear();
    if (protocol == OtlpProtocol::http_json)
      write_metrics_request(body, batch.resource, batch.scope, metrics);
    else
      detail::write_metrics_request_proto(body, batch.resource, batch.scope, metrics);
  }

  // As export_span_range: halves (metrics, then one metric's points) while a
  // request would pass max_request_bytes; a single point gets its longest
  // attribute values cut.
  ExportResult export_metric_range(const MetricBatch& batch, const std::vector<MetricData>& metrics,
                                   const ExportDeadline& deadline) {
    const OtlpProtocol protocol = metrics_encoding_.protocol;
    encode_metrics(protocol, batch, metrics, range_body_);
    std::vector<MetricData> cut_metric;
    const std::vector<MetricData>* sent = &metrics;
    if (range_body_.size() > options_.max_request_bytes) {
      std::vector<MetricData> first, second;
      if (detail::split_metrics(metrics, first, second)) {
        const ExportResult a = export_metric_range(batch, first, deadline);
        return merge(a, detail::data_points(first), export_metric_range(batch, second, deadline),
                     detail::data_points(second));
      }
      cut_metric = metrics;
      sent = &cut_metric;
      const std::uint32_t cut = detail::cut_longest_values(cut_metric.front(), options_.max_request_bytes,
                                                           [&](const MetricData&) {
                                                             encode_metrics(protocol, batch, cut_metric, range_body_);
                                                             return range_body_.size();
                                                           });
      values_cut_ += cut;
      std::fprintf(stderr, "trail: a point of metric \"%s\" was larger than the request limit of %zu bytes; cut %u value(s)\n",
                   detail::http::excerpt(cut_metric.front().name, 64).c_str(), options_.max_request_bytes, cut);
    }
    const auto encode = [&](OtlpProtocol p, std::string& body) {
      if (p == protocol && !range_body_.empty()) body.swap(range_body_);
      else encode_metrics(p, batch, *sent, body);
      range_body_.clear();
    };
    return send(*metrics_client_, metrics_url_, metrics_headers_, options_.metrics_timeout, "rejectedDataPoints",
                metrics_encoding_, encode, deadline, detail::SpillSignal::metrics, detail::data_points(*sent));
  }

  // The result of a batch sent as two requests.
  static ExportResult merge(const ExportResult& a, std::size_t na, const ExportResult& b, std::size_t nb) {
    ExportResult out;
    for (const auto& [r, n] : {std::pair<const ExportResult&, std::size_t>(a, na), {b, nb}}) {
      switch (r.status) {
        case ExportResult::Status::success:
          out.rejected += r.rejected;
          out.failed += r.failed;
          out.spilled += r.spilled;
          break;
        case ExportResult::Status::rejected: out.rejected += n; break;
        case ExportResult::Status::failure: out.failed += n; break;
      }
      if (out.message.empty()) out.message = r.message;
    }
    if (out.failed == na + nb) out.status = ExportResult::Status::failure;
    else if (out.rejected == na + nb) out.status = ExportResult::Status::rejected;
    // Printed already only when every part that went wrong was.
    const auto clean = [](const ExportResult& r) { return r.ok() && r.rejected == 0 && r.failed == 0; };
    out.reported = (clean(a) || a.reported) && (clean(b) || b.reported) && !(clean(a) && clean(b));
    return out;
  }

  // The headers of one request: the configured ones (`base`), then the
  // provider's, which replace those of the same name. In provided_.
  bool provide_headers(const detail::OtlpEncoding& encoding, const std::vector<detail::HttpHeader>& base,
                       Clock::time_point deadline, std::string& error) {
    Headers extra;
    std::string why;
    bool ok = false;
    TRAIL_TRY { ok = options_.header_provider(HeaderRequest{encoding.signal, deadline}, extra, why); }
    TRAIL_CATCH_ALL {
      ok = false;
      why = "it threw: " + detail::current_exception_text();
    }
    std::string problem;  // printable: the provider's own words are escaped
    if (!ok) problem = why.empty() ? "no reason given" : detail::http::excerpt(why, 200);
    else problem = detail::headers_error(extra);
    if (problem.empty() && Clock::now() >= deadline) problem = "it answered after the request's deadline";
    if (!problem.empty()) {
      error = fmt::format("the OTLP header provider failed for {}: {}; the request was not sent", encoding.signal,
                          problem);
      return false;
    }
    provided_.clear();
    for (const detail::HttpHeader& h : base) {
      const bool replaced = std::any_of(extra.begin(), extra.end(), [&h](const auto& e) {
        return detail::ascii_iequals(e.first, h.name);
      });
      if (!replaced) provided_.push_back(h);
    }
    for (auto& [name, value] : extra) provided_.push_back({std::move(name), std::move(value)});
    return true;
  }

  // A refusal that every later request would get too, until the user changes
  // the configuration (401/403, a redirect): one line per run, at once,
  // then only counted (ExportResult::reported).
  // `with_body`: quote what the receiver said (a redirect's body is just HTML).
  ExportResult refused_until_reconfigured(bool& reported_already, const detail::Url& url,
                                          const detail::HttpResponse& response, const detail::OtlpEncoding& encoding,
                                          bool with_body, const std::string& what) {
    const std::string status = detail::refusal_text(response, encoding);
    ExportResult result{ExportResult::Status::rejected, 0,
                        fmt::format("HTTP {} (not retryable): \"{}\"", response.status, status)};
    result.reported = true;
    if (reported_already) return result;
    reported_already = true;
    const std::string& endpoint = &url == &traces_url_ ? options_.traces_endpoint : options_.metrics_endpoint;
    const std::string said = with_body && !status.empty()
                                 ? "; the receiver said \"" + status + "\""
                                 : std::string();
    std::fprintf(stderr,
                 "trail: the OTLP %s endpoint %s %s%s. Not retried; later refusals are counted in trail::stats(), "
                 "not printed\n",
                 encoding.signal, detail::shown_endpoint(endpoint).c_str(), what.c_str(), said.c_str());
    return result;
  }

  // The first failure of this exporter's life, at once: the endpoint and
  // what to do (later ones are the flusher's, once retries are exhausted).
  void report_first_failure(const detail::Url& url, const std::string& error) {
    if (failure_reported_) return;
    failure_reported_ = true;
    const std::string& endpoint = &url == &traces_url_ ? options_.traces_endpoint : options_.metrics_endpoint;
    std::fprintf(stderr,
                 "trail: cannot export to %s: %s; retrying within the export timeout. Is an OTLP receiver "
                 "listening there? Set OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_TRACES_EXPORTER=console, file or none\n",
                 detail::shown_endpoint(endpoint).c_str(), error.c_str());
  }

  bool spill_ready() { return spill_ != nullptr && spill_->open(); }

  // Nothing live until a replay gets through: requests go to the spill.
  void go_offline() {
    offline_ = true;
    next_probe_ = Clock::now() + probe_backoff_;
  }

  // The request in payload_ could not be delivered (`why`): into the spill
  // when there is one, else a failure.
  ExportResult undelivered(detail::SpillSignal signal, const detail::OtlpEncoding& encoding, std::size_t items,
                           std::string why) {
    if (!spill_ready()) return {ExportResult::Status::failure, 0, std::move(why)};
    const detail::SpillRecord record{signal, encoding.protocol, encoding.gzip, static_cast<std::uint32_t>(items),
                                     *payload_};
    std::string error;
    if (!spill_->append(record, error)) return {ExportResult::Status::failure, 0, why + "; " + error};
    if (!offline_) go_offline();
    ExportResult r;
    r.spilled = items;
    r.message = why;
    return r;
  }

  // Sends one spilled record once; false when the endpoint is still away
  // (unreachable, 429, 5xx): the record stays. Any other answer settles it.
  bool replay(const detail::SpillRecord& r, const ExportDeadline& deadline) {
    const bool traces = r.signal == detail::SpillSignal::traces;
    auto headers = detail::http_headers(traces ? options_.traces_headers : options_.metrics_headers);
    if (r.gzip) headers.push_back({"Content-Encoding", "gzip"});
    const auto request_deadline =
        std::min(deadline.get(), Clock::now() + (traces ? options_.traces_timeout : options_.metrics_timeout));
    const std::vector<detail::HttpHeader>* sent_headers = &headers;
    if (options_.header_provider) {
      std::string error;  // the record stays; the provider is asked again at the next probe
      if (!provide_headers(traces ? traces_encoding_ : metrics_encoding_, headers, request_deadline, error)) return false;
      sent_headers = &provided_;
    }
    ++attempts_;
    const auto response = (traces ? *traces_client_ : *metrics_client_)
                              .post(traces ? traces_url_ : metrics_url_, *sent_headers,
                                    detail::content_type(r.protocol), r.body, request_deadline);
    if (!response.transport_ok || retryable(response.status)) return false;
    std::string message;
    std::uint64_t rejected = r.items;
    if (response.status >= 200 && response.status < 300) {
      rejected = detail::protobuf_response(response, r.protocol)
                     ? detail::proto_rejected_count(response.body, message)
                     : detail::rejected_count(response.body, traces ? "rejectedSpans" : "rejectedDataPoints", message);
    } else {
      message = fmt::format("HTTP {} (not retryable): \"{}\"", response.status, detail::http::excerpt(response.body, 200));
    }
    if (rejected > 0 && !replay_refusal_reported_) {
      replay_refusal_reported_ = true;
      std::fprintf(stderr, "trail: the receiver refused %llu item(s) replayed from the spill: %s (later refusals are "
                   "counted in stats().spans_replay_rejected)\n",
                   static_cast<unsigned long long>(rejected), detail::http::excerpt(message, 200).c_str());
    }
    spill_->accepted(rejected);
    return true;
  }

  template <class Encode>
  ExportResult send(detail::HttpClient& client, const detail::Url& url, const std::vector<detail::HttpHeader>& headers,
                    std::chrono::milliseconds timeout, const char* rejected_field, detail::OtlpEncoding& encoding,
                    const Encode& encode, const ExportDeadline& deadline, detail::SpillSignal signal,
                    std::size_t items) {
    if (!error_.empty()) return {ExportResult::Status::failure, 0, error_};
    std::string encode_error;
    if (!prepare(encoding, encode, encode_error)) return {ExportResult::Status::failure, 0, encode_error};
    // With a spill, an endpoint that is away costs at most a second of the
    // flusher's time per request (at shutdown: one attempt of at most a
    // second), and none while it is known to be away.
    const bool spilling = spill_ready();
    if (spilling && offline_) return undelivered(signal, encoding, items, "the endpoint is unreachable");
    const auto spill_after = Clock::now() + std::chrono::seconds(1);
    auto backoff = options_.initial_backoff;
    std::string last_error;
    for (int attempt = 1;; ++attempt) {
      const auto now = Clock::now();
      const auto end = deadline.get();
      if (now >= end)
        return undelivered(signal, encoding, items,
                           fmt::format("gave up after {} attempt(s) at the export deadline: {}", attempt - 1, last_error));
      auto request_deadline = std::min(end, now + timeout);
      if (spilling && deadline.shutting_down()) request_deadline = std::min(request_deadline, now + std::chrono::seconds(1));
      const std::vector<detail::HttpHeader>* sent_headers = &headers;
      if (options_.header_provider) {
        std::string provider_error;
        if (!provide_headers(encoding, headers, request_deadline, provider_error))
          return {ExportResult::Status::failure, 0, provider_error};
        sent_headers = &provided_;
      }
      ++attempts_;
      const auto response = client.post(url, *sent_headers, detail::content_type(encoding.protocol), *payload_,
                                        request_deadline);
      std::optional<std::chrono::milliseconds> retry_after;
      if (!response.transport_ok) {
        last_error = response.error;
        // Nothing listening (refused outright, every time so far): at shutdown, no retry schedule.
        if (!response.refused) refused_only_ = false;
        report_first_failure(url, last_error);
        if (refused_only_ && deadline.shutting_down())
          return undelivered(signal, encoding, items, fmt::format("{}; not retrying at shutdown", last_error));
      } else if (response.status >= 200 && response.status < 300) {
        refused_only_ = false;
        ExportResult result;
        result.rejected = detail::protobuf_response(response, encoding.protocol)
                              ? detail::proto_rejected_count(response.body, result.message)
                              : detail::rejected_count(response.body, rejected_field, result.message);
        result.message = detail::http::excerpt(result.message, 200);
        return result;
      } else if (response.status == 415 && encoding.protocol == OtlpProtocol::http_json) {
        // The receiver takes protobuf only (Arize Phoenix does): switch this
        // signal for the rest of the run, say so once, resend at once.
        encoding.protocol = OtlpProtocol::http_protobuf;
        std::fprintf(stderr,
                     "trail: the OTLP %s endpoint (%s:%u) answered 415 Unsupported Media Type to JSON; sending "
                     "http/protobuf to it from now on\n",
                     encoding.signal, url.host.c_str(), static_cast<unsigned>(url.port));
        if (!prepare(encoding, encode, encode_error)) return {ExportResult::Status::failure, 0, encode_error};
        last_error = "HTTP 415 to JSON";
        continue;
      } else if (response.status == 401 || response.status == 403) {
        refused_only_ = false;
        return refused_until_reconfigured(
            auth_reported_, url, response, encoding,
            true,
            fmt::format("answered HTTP {} ({}): the credentials are missing, wrong or not allowed there{}. Set "
                        "OTEL_EXPORTER_OTLP_HEADERS (or OTEL_EXPORTER_OTLP_{}_HEADERS), e.g. "
                        "\"Authorization=Bearer%20<token>\", or a trail::Config::header_provider for a token "
                        "that expires",
                        response.status, response.status == 401 ? "Unauthorized" : "Forbidden",
                        detail::header_names(*sent_headers), encoding.env_part));
      } else if (response.status >= 300 && response.status < 400) {
        refused_only_ = false;  // a redirect for OTLP means a wrong endpoint: never followed
        return refused_until_reconfigured(
            redirect_reported_, url, response, encoding, false,
            fmt::format("answered HTTP {}, a redirect {}; redirects are not followed (an OTLP endpoint that "
                        "redirects is the wrong URL): set OTEL_EXPORTER_OTLP_ENDPOINT (or "
                        "OTEL_EXPORTER_OTLP_{}_ENDPOINT) to the one the backend documents",
                        response.status, detail::redirect_target(response.header("Location")), encoding.env_part));
      } else if (retryable(response.status)) {
        refused_only_ = false;
        last_error = fmt::format("HTTP {}", response.status);
        report_first_failure(url, last_error);
        if (const std::string* value = response.header("Retry-After"))
          retry_after = detail::parse_retry_after(*value, static_cast<std::int64_t>(std::time(nullptr)));
      } else {
        refused_only_ = false;
        return {ExportResult::Status::rejected, 0,
                fmt::format("HTTP {} (not retryable): \"{}\"", response.status, detail::refusal_text(response, encoding))};
      }
      // Exponential backoff with full jitter in [backoff/2, backoff]; the
      // receiver's Retry-After, when longer, wins.
      const auto half = backoff.count() / 2;
      auto delay = std::chrono::milliseconds(half + static_cast<std::int64_t>(jitter_.next() % static_cast<std::uint64_t>(half + 1)));
      if (retry_after && *retry_after > delay) delay = *retry_after;
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (spilling && (deadline.shutting_down() || Clock::now() + delay >= spill_after))
        return undelivered(signal, encoding, items, fmt::format("gave up after {} attempt(s): {}", attempt, last_error));
      if (Clock::now() + delay >= deadline.get())
        return {ExportResult::Status::failure, 0,
                fmt::format("gave up after {} attempt(s): {}; the next retry would pass the export deadline", attempt,
                            last_error)};
      sleep_until(Clock::now() + delay, deadline);
    }
  }

  // Sleeps in short slices so that shutdown's earlier deadline is noticed
  // (and shutdown itself, when nothing ever listened).
  void sleep_until(Clock::time_point until, const ExportDeadline& deadline) const {
    for (;;) {
      if (refused_only_ && deadline.shutting_down()) return;
      const auto now = Clock::now();
      const auto end = std::min(until, deadline.get());
      if (now >= end) return;
      std::this_thread::sleep_for(std::min<Clock::duration>(end - now, std::chrono::milliseconds(20)));
    }
  }

  OtlpHttpOptions options_;
  detail::Url traces_url_;
  detail::Url metrics_url_;
  std::vector<detail::HttpHeader> traces_headers_;
  std::vector<detail::HttpHeader> metrics_headers_;
  std::unique_ptr<detail::HttpClient> traces_client_;
  std::unique_ptr<detail::HttpClient> metrics_own_client_;  // when the metrics' TLS settings differ
  detail::HttpClient* metrics_client_;
  std::string error_;
  detail::OtlpEncoding traces_encoding_{};
  detail::OtlpEncoding metrics_encoding_{};
  detail::GzipCompressor gzip_;
  std::string body_;
  std::string range_body_;  // a batch encoded to measure it, handed to send() without encoding again
  std::string zipped_;
  const std::string* payload_ = &body_;  // body_ or zipped_: what goes out
  detail::IdGenerator jitter_;
  std::uint64_t attempts_ = 0;
  std::uint64_t values_cut_ = 0;
  bool failure_reported_ = false;
  bool auth_reported_ = false;      // a 401/403 was printed
  bool redirect_reported_ = false;  // a 3xx was printed
  std::vector<detail::HttpHeader> provided_;  // the last request's headers, with the provider's
  bool refused_only_ = true;  // no attempt got further than a refused connection
  // The spill: while offline_, requests go there without an attempt; a
  // replay every probe_backoff_ finds out when the endpoint is back.
  static constexpr std::chrono::milliseconds min_probe_backoff{500};
  static constexpr std::chrono::milliseconds max_probe_backoff{5000};
  std::shared_ptr<detail::Spill> spill_;
  bool offline_ = false;
  Clock::time_point next_probe_{};
  std::chrono::milliseconds probe_backoff_ = min_probe_backoff;
  bool replay_refusal_reported_ = false;
};

}  // namespace trail
