// Export-side configuration read from the standard OTEL_* environment variables
// (OpenTelemetry sdk-environment-variables.md) plus trail's own TRAIL_* ones.
//
// Parsing rules, from the specification:
// - an empty value (after trimming spaces and tabs) counts as unset;
// - enum values are case-insensitive; booleans accept only "true" / "false";
// - integers are plain decimal digits, 0 .. 2^31-1: no sign, no junk, no overflow;
// - durations and timeouts are milliseconds; a timeout of 0 means "indefinite",
//   stored as Settings::indefinite (2^31-1 ms, as the spec suggests) so that
//   `now + timeout` can never overflow.
// A bad value never throws: it is reported once (one line in the ErrorSink) and
// the default is used.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../platform/process.hpp"
#include "../sampler.hpp"
#include "../version.hpp"
#include "span_data.hpp"
#include "text.hpp"

namespace trail {

// The code.* attributes each span carries (TRAIL_CODE_ATTRIBUTES). They are
// about 40 % of a span on the wire with an absolute path, so the default is
// the file's name: code.function.name and code.line.number find the site.
//   full      code.file.path as the compiler spelled __FILE__ (often absolute)
//   relative  code.file.path with source_root (TRAIL_SOURCE_ROOT) cut off the
//             front; paths outside it stay as they are
//   basename  code.file.path is the file name only (the default)
//   off       no code.* attributes (thread.id stays)
enum class CodeAttributes : std::uint8_t { full, relative, basename, off };

// One entry of OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER ("none" = empty list).
enum class ExporterKind : std::uint8_t { otlp, console, file, html, perfetto };

// OTLP/HTTP body encoding (OTEL_EXPORTER_OTLP_PROTOCOL): http/json is trail's
// default; http/protobuf is what some backends require.
enum class OtlpProtocol : std::uint8_t { http_json, http_protobuf };

// Request body compression (OTEL_EXPORTER_OTLP_COMPRESSION).
enum class Compression : std::uint8_t { none, gzip };

// HTTP request headers in order; names are RFC 9110 tokens, values hold no CR, LF or NUL.
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace detail {
inline std::vector<Attribute> default_resource();
}  // namespace detail

struct Settings {
  // OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT unset: strings are never truncated.
  static constexpr std::uint32_t no_limit = 0xffffffffu;
  // What a timeout of 0 ("indefinite" in the spec) becomes.
  static constexpr std::chrono::milliseconds indefinite{2147483647};

  bool sdk_disabled = false;  // OTEL_SDK_DISABLED

  // service.name (OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES, else
  // "unknown_service:<executable>"), telemetry.sdk.*, then OTEL_RESOURCE_ATTRIBUTES.
  std::vector<Attribute> resource = detail::default_resource();

  // OTLP/HTTP exporter: final URLs (not validated here), headers and timeouts per signal.
  std::string traces_endpoint = "http://localhost:4318/v1/traces";
  std::string metrics_endpoint = "http://localhost:4318/v1/metrics";
  Headers traces_headers;
  Headers metrics_headers;
  std::chrono::milliseconds traces_timeout{10000};
  std::chrono::milliseconds metrics_timeout{10000};
  OtlpProtocol traces_protocol = OtlpProtocol::http_json;
  OtlpProtocol metrics_protocol = OtlpProtocol::http_json;
  Compression traces_compression = Compression::none;
  Compression metrics_compression = Compression::none;
  // TRAIL_OTLP_MAX_REQUEST_BYTES: larger batches are split (the Collector refuses over 20 MiB).
  std::uint32_t otlp_max_request_bytes = 4u << 20;
  // TLS for https endpoints, PEM file paths per signal: CA certificates to
  // trust (empty: the system store), client certificate and key for mTLS.
  std::string traces_certificate, traces_client_certificate, traces_client_key;
  std::string metrics_certificate, metrics_client_certificate, metrics_client_key;

  // Exporter selection; an empty list means "none".
  std::vector<ExporterKind> traces_exporters{ExporterKind::otlp};
  std::vector<ExporterKind> metrics_exporters{ExporterKind::otlp};
  std::string traces_file = "trail-traces.jsonl";    // TRAIL_TRACES_FILE
  std::string metrics_file = "trail-metrics.jsonl";  // TRAIL_METRICS_FILE
  std::string html_file = "trail-run.html";          // TRAIL_HTML_FILE: the timeline viewer
  std::string perfetto_file = "trail-run.pftrace";   // TRAIL_PERFETTO_FILE

  // Batch span processor (OTEL_BSP_*); batch size <= queue size always holds.
  std::chrono::milliseconds bsp_schedule_delay{5000};
  std::chrono::milliseconds bsp_export_timeout{30000};
  std::uint32_t bsp_max_queue_size = 2048;
  std::uint32_t bsp_max_export_batch_size = 512;

  // Span limits; OTEL_ATTRIBUTE_COUNT_LIMIT is the fallback for the attribute counts.
  std::uint32_t span_attribute_count_limit = 128;
  std::uint32_t span_event_count_limit = 128;
  std::uint32_t event_attribute_count_limit = 128;
  std::uint32_t span_link_count_limit = 128;
  std::uint32_t link_attribute_count_limit = 128;
  std::uint32_t attribute_value_length_limit = no_limit;

  // Sampling; sampler_ratio is used by the *traceidratio samplers only.
  SamplerKind sampler = SamplerKind::parentbased_always_on;
  double sampler_ratio = 1.0;

  // Periodic metric reader.
  std::chrono::milliseconds metric_export_interval{60000};
  std::chrono::milliseconds metric_export_timeout{30000};

  // Records per thread ring (TRAIL_RING_CAPACITY): a power of two in [64, 2^24].
  std::uint32_t ring_capacity = 16384;

  // code.* attributes (TRAIL_CODE_ATTRIBUTES, TRAIL_SOURCE_ROOT).
  CodeAttributes code_attributes = CodeAttributes::basename;
  std::string source_root;

  // GenAI (genai.hpp). Message content is recorded only when asked:
  // OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (or span_only /
  // span_and_event); each captured text is cut at genai_content_max_length
  // bytes (TRAIL_GENAI_CONTENT_MAX_LENGTH). OTEL_SEMCONV_STABILITY_OPT_IN
  // with gen_ai/dup also writes the older gen_ai.system next to
  // gen_ai.provider.name, unless it also has gen_ai_latest_experimental.
  bool genai_capture_content = false;
  std::uint32_t genai_content_max_length = 16384;
  bool genai_emit_old_names = false;

  // Offline spill (TRAIL_SPILL_DIR, TRAIL_SPILL_MAX_BYTES): requests the OTLP
  // exporter cannot deliver go to this directory and are sent again once the
  // endpoint answers (also by a later run). Empty: off.
  std::string spill_dir;
  std::uint64_t spill_max_bytes = std::uint64_t{64} << 20;

  // Flight recorder (TRAIL_FLIGHT_RECORDER in seconds,
  // TRAIL_FLIGHT_RECORDER_MAX_BYTES): keep the last spans this long, export
  // nothing until trail::dump(reason). Zero: off.
  std::chrono::milliseconds flight_recorder{0};
  std::uint64_t flight_recorder_max_bytes = std::uint64_t{64} << 20;
};

namespace detail {

// Returns the value of an environment variable, nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;
// One line per problem, without a trailing newline.
using ErrorSink = std::vector<std::string>;

// "unknown_service:" + the executable's base name (semantic conventions:
// process.executable.name is the base name of /proc/self/exe's target).
inline std::string default_service_name() {
  const std::string name = platform::executable_name();
  return name.empty() ? std::string("unknown_service") : "unknown_service:" + name;
}

inline std::vector<Attribute> default_resource() {
  std::vector<Attribute> r;
  r.push_back(Attribute{"service.name", default_service_name()});
  r.push_back(Attribute{"telemetry.sdk.name", std::string("trail")});
  r.push_back(Attribute{"telemetry.sdk.language", std::string("cpp")});
  r.push_back(Attribute{"telemetry.sdk.version", std::string(version_string)});
  return r;
}

// Parsing helpers, in their own namespace so that generic names
// (percent_decode) cannot collide with other trail::detail headers.
namespace envvar {

inline void set_attribute(std::vector<Attribute>& attrs, std::string key, std::string value) {
  for (auto& a : attrs) {
    if (a.key == key) {
      a.value = std::move(value);
      return;
    }
  }
  attrs.push_back(Attribute{std::move(key), std::move(value)});
}

// Splits on ',' and trims each member; empty members are kept (callers skip them).
inline std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto comma = s.find(',');
    out.push_back(trim_ows(s.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// W3C Baggage style percent-decoding ('+' stays '+'). False on a malformed
// escape or a raw control character, which neither format allows unencoded.
inline bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c < 0x20 || c == 0x7f) {
      return false;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return true;
}

// Header values may hold visible characters, spaces and tabs only: CR, LF, NUL
// and other controls could split or smuggle requests.
inline bool is_header_value(std::string_view s) noexcept {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// A value as it appears in a message: quoted, controls escaped (so a message is
// always one line), long values shortened.
inline std::string quoted(std::string_view v) {
  constexpr std::size_t max_shown = 120;
  std::string out = "\"";
  for (std::size_t i = 0; i < v.size() && i < max_shown; ++i) {
    const auto u = static_cast<unsigned char>(v[i]);
    if (u < 0x20 || u == 0x7f || v[i] == '"' || v[i] == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(v[i]);
    }
  }
  if (v.size() > max_shown) out += "...";
  out += '"';
  return out;
}

// Reads variables through the injected lookup and reports problems. Every
// report is exactly one line.
class EnvReader {
 public:
  EnvReader(const EnvLookup& getenv_fn, ErrorSink& errors) : getenv_fn_(getenv_fn), errors_(errors) {}

  // The trimmed value, or nullopt when unset or empty.
  std::optional<std::string> get(const char* name) {
    const char* raw = getenv_fn_ ? getenv_fn_(name) : nullptr;
    if (raw == nullptr) return std::nullopt;
    const std::string_view v = trim_ows(raw);
    if (v.empty()) return std::nullopt;
    return std::string(v);
  }

  void report(std::string line) noexcept {
    TRAIL_TRY { errors_.push_back(std::move(line)); }
    TRAIL_CATCH_ALL {}  // out of memory: the message is lost, the default still applies
  }

  // "trail: invalid value "abc" for VAR (expected ...); using the default X"
  void invalid(const char* name, std::string_view value, std::string_view expected, std::string_view fallback) {
    report("trail: invalid value " + envvar::quoted(value) + " for " + name + " (expected " + std::string(expected) +
           "); " + std::string(fallback));
  }

 private:
  const EnvLookup& getenv_fn_;
  ErrorSink& errors_;
};

// An unsigned decimal number: digits with an optional '.' (at least one
// digit in all) and an optional exponent (e, optional sign, digits); no sign,
// no hex, no inf / nan, no junk. The grammar std::from_chars accepts for
// non-negative numbers, without it: libc++ lacks floating-point from_chars
// before version 20, and strtod depends on the locale. Correctly rounded for
// up to 15 significant digits and exponents within +-22 (Clinger's fast path:
// one exact division or product), within an ulp or two otherwise.
inline bool parse_unsigned_decimal(std::string_view s, double& out) noexcept {
  std::size_t i = 0;
  std::uint64_t mantissa = 0;
  int digits = 0, exponent = 0;
  bool any_digit = false, point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any_digit = true;
    if (mantissa == 0 && c == '0') {  // leading zeros are not significant
      if (point) --exponent;
      continue;
    }
    if (digits < 19) {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      ++digits;
      if (point) --exponent;
    } else if (!point) {
      ++exponent;  // digits past the 19th only scale the value
    }
  }
  if (!any_digit) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    if (i == s.size()) return false;
    int e = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      if (e < 100000) e = e * 10 + (s[i] - '0');
    exponent += negative ? -e : e;
  }
  if (i != s.size()) return false;
  static constexpr double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const auto m = static_cast<double>(mantissa);
  if (mantissa == 0) out = 0.0;
  else if (exponent >= 0 && exponent <= 22) out = m * powers[exponent];
  else if (exponent < 0 && exponent >= -22) out = m / powers[-exponent];
  else out = m * std::pow(10.0, exponent);
  return true;
}

inline std::string using_default(std::uint64_t v) { return "using the default " + std::to_string(v); }

// Strict decimal: digits only, 0 .. 2^31-1.
inline bool parse_uint31(std::string_view s, std::uint32_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 2147483647u) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

inline void read_bool(EnvReader& env, const char* name, bool& out) {
  const auto v = env.get(name);
  if (!v) return;
  out = ascii_iequals(*v, "true");  // anything else is false (spec), but only "false" silently
  if (!out && !ascii_iequals(*v, "false")) env.invalid(name, *v, "true or false", "using the default false");
}

enum class IntKind { count, positive_count, duration, timeout };

// Integer-valued variable; returns true when the variable was set and valid.
template <class T>
bool read_int(EnvReader& env, const char* name, T& out, IntKind kind) {
  const auto v = env.get(name);
  if (!v) return false;
  std::uint32_t n = 0;
  const bool ok = parse_uint31(*v, n) && !(kind == IntKind::positive_count && n == 0);
  if (!ok) {
    const char* expected = kind == IntKind::count            ? "a non-negative integer, at most 2147483647"
                           : kind == IntKind::positive_count ? "a positive integer, at most 2147483647"
                           : kind == IntKind::duration       ? "a non-negative integer of milliseconds"
                                                             : "a non-negative integer of milliseconds, 0 = no limit";
    std::uint64_t def;
    if constexpr (std::is_same_v<T, std::chrono::milliseconds>) def = static_cast<std::uint64_t>(out.count());
    else def = out;
    env.invalid(name, *v, expected, def == Settings::no_limit ? "using the default: no limit" : using_default(def));
    return false;
  }
  if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    out = (kind == IntKind::timeout && n == 0) ? Settings::indefinite : std::chrono::milliseconds(n);
  } else {
    out = n;
  }
  return true;
}

inline void read_string(EnvReader& env, const char* name, std::string& out) {
  if (auto v = env.get(name)) out = std::move(*v);
}

// OTEL_RESOURCE_ATTRIBUTES: key=value pairs, percent-decoded. Any malformed
// entry discards the whole variable (resource/sdk.md); nullopt then.
inline std::optional<std::vector<std::pair<std::string, std::string>>> read_resource_attributes(EnvReader& env) {
  constexpr const char* name = "OTEL_RESOURCE_ATTRIBUTES";
  const auto v = env.get(name);
  if (!v) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::size_t index = 0;
  for (const auto member : split_list(*v)) {
    ++index;
    if (member.empty()) continue;
    const auto eq = member.find('=');
    std::string key, value;
    const char* problem = nullptr;
    if (eq == std::string_view::npos) problem = "missing '='";
    else if (!percent_decode(trim_ows(member.substr(0, eq)), key) ||
             !percent_decode(trim_ows(member.substr(eq + 1)), value))
      problem = "bad percent-escape or control character";
    else if (key.empty()) problem = "empty key";
    if (problem) {
      env.invalid(name, *v,
                  "key=value pairs separated by ',', percent-encoded; entry " + std::to_string(index) + ": " +
                      problem,
                  "ignoring the whole variable");
      return std::nullopt;
    }
    attrs.emplace_back(std::move(key), std::move(value));  // a repeated key: the last wins
  }
  return attrs;
}

inline void set_header(Headers& headers, std::string name, std::string value) {
  for (auto& h : headers) {
    if (ascii_iequals(h.first, name)) {  // header names are case-insensitive
      h.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

// OTEL_EXPORTER_OTLP_*HEADERS: name=value pairs, percent-decoded, merged into
// `headers`. The spec says nothing about errors here (only the resource variable
// is all-or-nothing), so a bad entry refuses that header only: the others,
// often credentials, still go out. Messages name the header, never its value,
// since header values are usually secrets.
inline void read_headers(EnvReader& env, const char* name, Headers& headers) {
  const auto v = env.get(name);
  if (!v) return;
  std::size_t index = 0;
  for (const auto member : split_list(*v)) {
    ++index;
    if (member.empty()) continue;
    const auto refuse = [&](std::string_view header, const char* why) {
      std::string line = "trail: refused header ";
      line += header.empty() ? std::string("entry ") + std::to_string(index) : envvar::quoted(header);
      line += std::string(" in ") + name + " (" + why + "); it is not sent";
      env.report(std::move(line));
    };
    const auto eq = member.find('=');
    if (eq == std::string_view::npos) {
      refuse({}, "expected name=value");
      continue;
    }
    std::string hname, hvalue;
    if (!percent_decode(trim_ows(member.substr(0, eq)), hname)) {
      refuse({}, "bad percent-escape or control character in the name");
      continue;
    }
    if (!is_token(hname)) {
      refuse(hname, "not a valid header name (RFC 9110 token)");
      continue;
    }
    if (!percent_decode(trim_ows(member.substr(eq + 1)), hvalue)) {
      refuse(hname, "bad percent-escape or control character in the value");
      continue;
    }
    if (!is_header_value(hvalue)) {
      refuse(hname, "value contains CR, LF, NUL or another control character");
      continue;
    }
    set_header(headers, std::move(hname), std::move(hvalue));
  }
}

// Base endpoint + "/v1/<signal>", without a double slash.
inline std::string join_endpoint(std::string_view base, std::string_view path) {
  if (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path);
}

inline const char* protocol_name(OtlpProtocol p) { return p == OtlpProtocol::http_json ? "http/json" : "http/protobuf"; }

// Each returns true when the variable was set and valid.
inline bool read_protocol(EnvReader& env, const char* name, OtlpProtocol& out) {
  const auto v = env.get(name);
  if (!v) return false;
  if (ascii_iequals(*v, "http/json") || ascii_iequals(*v, "http/protobuf")) {
    out = ascii_iequals(*v, "http/json") ? OtlpProtocol::http_json : OtlpProtocol::http_protobuf;
    return true;
  }
  if (ascii_iequals(*v, "grpc"))
    env.report("trail: " + std::string(name) + " is \"grpc\", which trail does not speak (OTLP/HTTP only); using " +
               protocol_name(out));
  else
    env.invalid(name, *v, "http/json or http/protobuf", std::string("using ") + protocol_name(out));
  return false;
}

inline bool read_compression(EnvReader& env, const char* name, Compression& out) {
  const auto v = env.get(name);
  if (!v) return false;
  if (ascii_iequals(*v, "gzip") || ascii_iequals(*v, "none")) {
    out = ascii_iequals(*v, "gzip") ? Compression::gzip : Compression::none;
    return true;
  }
  env.invalid(name, *v, "gzip or none", out == Compression::gzip ? "using gzip" : "using none");
  return false;
}

// The value of a case-insensitive name in `known`, if it is there.
template <class T, std::size_t N>
bool find_named(const std::pair<std::string_view, T> (&known)[N], std::string_view name, T& out) {
  for (const auto& [text, value] : known) {
    if (ascii_iequals(name, text)) {
      out = value;
      return true;
    }
  }
  return false;
}

inline void read_sampler(EnvReader& env, Settings& s) {
  static constexpr std::pair<std::string_view, SamplerKind> known[] = {
      {"always_on", SamplerKind::always_on},
      {"always_off", SamplerKind::always_off},
      {"traceidratio", SamplerKind::traceidratio},
      {"parentbased_always_on", SamplerKind::parentbased_always_on},
      {"parentbased_always_off", SamplerKind::parentbased_always_off},
      {"parentbased_traceidratio", SamplerKind::parentbased_traceidratio},
  };
  const auto v = env.get("OTEL_TRACES_SAMPLER");
  if (!v) return;  // the argument only counts when a sampler is named (spec)
  if (!find_named(known, *v, s.sampler)) {
    env.invalid("OTEL_TRACES_SAMPLER", *v,
                "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or "
                "parentbased_traceidratio",
                "using the default parentbased_always_on");
    return;
  }
  if (s.sampler != SamplerKind::traceidratio && s.sampler != SamplerKind::parentbased_traceidratio) return;
  const auto arg = env.get("OTEL_TRACES_SAMPLER_ARG");
  if (!arg) return;
  double ratio = -1;
  if (!parse_unsigned_decimal(*arg, ratio) || ratio > 1.0)
    env.invalid("OTEL_TRACES_SAMPLER_ARG", *arg, "a sampling probability between 0 and 1", "using the default 1.0");
  else
    s.sampler_ratio = ratio;
}

inline void read_exporters(EnvReader& env, const char* name, std::vector<ExporterKind>& out) {
  const auto v = env.get(name);
  if (!v) return;
  std::vector<ExporterKind> list;
  std::string problems;
  bool none = false;
  std::size_t entries = 0;
  for (const auto entry : split_list(*v)) {
    if (entry.empty()) continue;
    ++entries;
    std::optional<ExporterKind> kind;
    if (ascii_iequals(entry, "otlp")) kind = ExporterKind::otlp;
    else if (ascii_iequals(entry, "console")) kind = ExporterKind::console;
    else if (ascii_iequals(entry, "file")) kind = ExporterKind::file;
    else if (ascii_iequals(entry, "html")) kind = ExporterKind::html;
    else if (ascii_iequals(entry, "perfetto")) kind = ExporterKind::perfetto;
    else if (ascii_iequals(entry, "none")) none = true;
    else problems += (problems.empty() ? "" : ", ") + envvar::quoted(entry);
    if (kind && std::find(list.begin(), list.end(), *kind) == list.end()) list.push_back(*kind);
  }
  if (none && !list.empty()) problems += std::string(problems.empty() ? "" : ", ") + "\"none\" mixed with exporters";
  if (!problems.empty()) {
    const bool fallback = list.empty() && !none;  // nothing usable: the enum rule, ignore the setting
    env.invalid(name, *v, "a comma-separated list of otlp, console, file, html, perfetto or none",
                fallback ? "using the default otlp" : "skipping " + problems);
    if (fallback) return;
  }
  out = std::move(list);  // empty after "none": no exporter
}

inline void read_genai(EnvReader& env, Settings& s) {
  if (const auto v = env.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")) {
    // true / false, and the values of the newer form (spans are what trail writes).
    constexpr std::pair<std::string_view, bool> known[] = {{"true", true},         {"false", false},
                                                           {"span_only", true},    {"span_and_event", true},
                                                           {"event_only", false},  {"no_content", false}};
    if (!find_named(known, *v, s.genai_capture_content))
      env.invalid("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", *v,
                  "true, false, span_only, span_and_event, event_only or no_content", "using the default: false");
  }
  read_int(env, "TRAIL_GENAI_CONTENT_MAX_LENGTH", s.genai_content_max_length, IntKind::count);
  // A comma-separated list; trail knows gen_ai/dup (its own: the older names
  // too) and gen_ai_latest_experimental (the conventions': the latest names
  // only, which wins over gen_ai/dup).
  if (const auto v = env.get("OTEL_SEMCONV_STABILITY_OPT_IN")) {
    std::string_view list = *v;
    bool dup = false, latest_only = false;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view item = trim_ows(list.substr(0, comma));
      dup = dup || ascii_iequals(item, "gen_ai/dup");
      latest_only = latest_only || ascii_iequals(item, "gen_ai_latest_experimental");
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    s.genai_emit_old_names = dup && !latest_only;
  }
}

inline void read_code_attributes(EnvReader& env, Settings& s) {
  static constexpr std::pair<std::string_view, CodeAttributes> known[] = {
      {"full", CodeAttributes::full},
      {"relative", CodeAttributes::relative},
      {"basename", CodeAttributes::basename},
      {"off", CodeAttributes::off},
  };
  read_string(env, "TRAIL_SOURCE_ROOT", s.source_root);
  const auto v = env.get("TRAIL_CODE_ATTRIBUTES");
  if (!v || find_named(known, *v, s.code_attributes)) return;
  env.invalid("TRAIL_CODE_ATTRIBUTES", *v, "full, relative, basename or off", "using the default basename");
}

// A byte count, at most 2^31-1 from the environment (a Config may set more).
inline void read_bytes(EnvReader& env, const char* name, std::uint64_t& out) {
  std::uint32_t n = 0;
  if (read_int(env, name, n, IntKind::positive_count)) out = n;
}

// Seconds, fractions allowed; 0 = off.
inline void read_seconds(EnvReader& env, const char* name, std::chrono::milliseconds& out) {
  const auto v = env.get(name);
  if (!v) return;
  double seconds = -1;
  if (!parse_unsigned_decimal(*v, seconds) || seconds > 2147483.0) {
    env.invalid(name, *v, "a number of seconds, 0 = off", "using " + std::to_string(out.count() / 1000.0) + " s");
    return;
  }
  out = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

inline void read_ring_capacity(EnvReader& env, std::uint32_t& out) {
  constexpr const char* name = "TRAIL_RING_CAPACITY";
  constexpr std::uint32_t min = 64, max = 1u << 24;
  std::uint32_t n = 0;
  const auto v = env.get(name);
  if (!v) return;
  if (!parse_uint31(*v, n)) {
    env.invalid(name, *v, "a power of two between 64 and 16777216 records", using_default(out));
    return;
  }
  std::uint32_t fixed = min;
  while (fixed < n && fixed < max) fixed <<= 1;  // round up to a power of two, clamp to [min, max]
  if (fixed != n)
    env.invalid(name, *v, "a power of two between 64 and 16777216 records", "using " + std::to_string(fixed));
  out = fixed;
}

inline void read_all(EnvReader& env, Settings& s) {
  read_bool(env, "OTEL_SDK_DISABLED", s.sdk_disabled);

  // Resource: defaults < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME.
  if (auto attrs = read_resource_attributes(env))
    for (auto& [key, value] : *attrs) set_attribute(s.resource, std::move(key), std::move(value));
  if (auto service = env.get("OTEL_SERVICE_NAME")) set_attribute(s.resource, "service.name", std::move(*service));

  // OTLP exporter: signal-specific variables override the generic ones.
  const auto base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (base) {
    s.traces_endpoint = join_endpoint(*base, "/v1/traces");
    s.metrics_endpoint = join_endpoint(*base, "/v1/metrics");
  }
  read_string(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", s.traces_endpoint);
  read_string(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", s.metrics_endpoint);

  Headers generic;
  read_headers(env, "OTEL_EXPORTER_OTLP_HEADERS", generic);
  s.traces_headers = generic;
  s.metrics_headers = std::move(generic);
  read_headers(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", s.traces_headers);
  read_headers(env, "OTEL_EXPORTER_OTLP_METRICS_HEADERS", s.metrics_headers);

  std::chrono::milliseconds timeout = s.traces_timeout;
  read_int(env, "OTEL_EXPORTER_OTLP_TIMEOUT", timeout, IntKind::timeout);
  s.traces_timeout = s.metrics_timeout = timeout;
  read_int(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", s.traces_timeout, IntKind::timeout);
  read_int(env, "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", s.metrics_timeout, IntKind::timeout);

  OtlpProtocol protocol = s.traces_protocol;
  if (read_protocol(env, "OTEL_EXPORTER_OTLP_PROTOCOL", protocol)) s.traces_protocol = s.metrics_protocol = protocol;
  read_protocol(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", s.traces_protocol);
  read_protocol(env, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", s.metrics_protocol);

  Compression compression = s.traces_compression;
  if (read_compression(env, "OTEL_EXPORTER_OTLP_COMPRESSION", compression))
    s.traces_compression = s.metrics_compression = compression;
  read_compression(env, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", s.traces_compression);
  read_compression(env, "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", s.metrics_compression);

  read_int(env, "TRAIL_OTLP_MAX_REQUEST_BYTES", s.otlp_max_request_bytes, IntKind::positive_count);

  // Certificate files: the signal's variable, else the generic one.
  const std::pair<const char*, std::string Settings::*> tls_files[] = {
      {"CERTIFICATE", &Settings::traces_certificate},
      {"CLIENT_CERTIFICATE", &Settings::traces_client_certificate},
      {"CLIENT_KEY", &Settings::traces_client_key},
      {"CERTIFICATE", &Settings::metrics_certificate},
      {"CLIENT_CERTIFICATE", &Settings::metrics_client_certificate},
      {"CLIENT_KEY", &Settings::metrics_client_key},
  };
  for (std::size_t i = 0; i < std::size(tls_files); ++i) {
    const std::string suffix = tls_files[i].first;
    const std::string signal = i < 3 ? "TRACES_" : "METRICS_";
    std::string& field = s.*(tls_files[i].second);
    read_string(env, ("OTEL_EXPORTER_OTLP_" + suffix).c_str(), field);
    read_string(env, ("OTEL_EXPORTER_OTLP_" + signal + suffix).c_str(), field);
  }

  read_exporters(env, "OTEL_TRACES_EXPORTER", s.traces_exporters);
  read_exporters(env, "OTEL_METRICS_EXPORTER", s.metrics_exporters);
  read_string(env, "TRAIL_TRACES_FILE", s.traces_file);
  read_string(env, "TRAIL_METRICS_FILE", s.metrics_file);
  read_code_attributes(env, s);
  read_genai(env, s);
  read_string(env, "TRAIL_HTML_FILE", s.html_file);
  read_string(env, "TRAIL_PERFETTO_FILE", s.perfetto_file);

  read_int(env, "OTEL_BSP_SCHEDULE_DELAY", s.bsp_schedule_delay, IntKind::duration);
  read_int(env, "OTEL_BSP_EXPORT_TIMEOUT", s.bsp_export_timeout, IntKind::timeout);
  read_int(env, "OTEL_BSP_MAX_QUEUE_SIZE", s.bsp_max_queue_size, IntKind::positive_count);
  if (read_int(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", s.bsp_max_export_batch_size, IntKind::positive_count) &&
      s.bsp_max_export_batch_size > s.bsp_max_queue_size) {
    const auto queue = std::to_string(s.bsp_max_queue_size);
    env.invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", std::to_string(s.bsp_max_export_batch_size),
                "at most OTEL_BSP_MAX_QUEUE_SIZE, " + queue, "using " + queue);
  }
  // Clamped as the spec says; a default batch under a small queue follows silently.
  s.bsp_max_export_batch_size = std::min(s.bsp_max_export_batch_size, s.bsp_max_queue_size);

  std::uint32_t attribute_count = s.span_attribute_count_limit;
  if (read_int(env, "OTEL_ATTRIBUTE_COUNT_LIMIT", attribute_count, IntKind::count))
    s.span_attribute_count_limit = s.event_attribute_count_limit = s.link_attribute_count_limit = attribute_count;
  read_int(env, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", s.span_attribute_count_limit, IntKind::count);
  read_int(env, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", s.event_attribute_count_limit, IntKind::count);
  read_int(env, "OTEL_SPAN_EVENT_COUNT_LIMIT", s.span_event_count_limit, IntKind::count);
  read_int(env, "OTEL_SPAN_LINK_COUNT_LIMIT", s.span_link_count_limit, IntKind::count);
  read_int(env, "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", s.link_attribute_count_limit, IntKind::count);
  read_int(env, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", s.attribute_value_length_limit, IntKind::count);
  read_int(env, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", s.attribute_value_length_limit, IntKind::count);

  read_sampler(env, s);

  read_int(env, "OTEL_METRIC_EXPORT_INTERVAL", s.metric_export_interval, IntKind::duration);
  read_int(env, "OTEL_METRIC_EXPORT_TIMEOUT", s.metric_export_timeout, IntKind::timeout);

  read_ring_capacity(env, s.ring_capacity);

  read_string(env, "TRAIL_SPILL_DIR", s.spill_dir);
  read_bytes(env, "TRAIL_SPILL_MAX_BYTES", s.spill_max_bytes);
  read_seconds(env, "TRAIL_FLIGHT_RECORDER", s.flight_recorder);
  read_bytes(env, "TRAIL_FLIGHT_RECORDER_MAX_BYTES", s.flight_recorder_max_bytes);

  // Without OTEL_METRICS_EXPORTER, metrics follow an explicit traces choice
  // without otlp (console, file, none): a run without a collector must not
  // wait at exit on the metrics endpoint.
  if (env.get("OTEL_TRACES_EXPORTER") && !env.get("OTEL_METRICS_EXPORTER") &&
      std::find(s.traces_exporters.begin(), s.traces_exporters.end(), ExporterKind::otlp) == s.traces_exporters.end())
    s.metrics_exporters = s.traces_exporters;
}

}  // namespace envvar

// Bounds for values that would exhaust memory or spin the flusher, from the
// environment or a Config alike: clamped, one line each in `errors`.
inline void clamp_settings(Settings& s, ErrorSink& errors) {
  const auto clamp = [&](const char* name, auto& value, auto min, auto max, const char* unit) {
    const auto original = value;
    if (value < min) value = min;
    if (value > max) value = max;
    if (value == original) return;
    const auto number = [](auto v) {
      if constexpr (std::is_same_v<decltype(v), std::chrono::milliseconds>) return std::to_string(v.count());
      else return std::to_string(v);
    };
    errors.push_back("trail: " + std::string(name) + " " + number(original) + " is outside [" + number(min) + ", " +
                     number(max) + "] " + unit + "; using " + number(value));
  };
  using std::chrono::milliseconds;
  clamp("OTEL_BSP_MAX_QUEUE_SIZE", s.bsp_max_queue_size, 1u, 1u << 20, "spans");
  clamp("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", s.bsp_max_export_batch_size, 1u, s.bsp_max_queue_size, "spans");
  clamp("OTEL_BSP_SCHEDULE_DELAY", s.bsp_schedule_delay, milliseconds(10), Settings::indefinite, "ms");
  clamp("OTEL_METRIC_EXPORT_INTERVAL", s.metric_export_interval, milliseconds(100), Settings::indefinite, "ms");
  clamp("TRAIL_OTLP_MAX_REQUEST_BYTES", s.otlp_max_request_bytes, 1u << 16, 1u << 30, "bytes");
  clamp("TRAIL_SPILL_MAX_BYTES", s.spill_max_bytes, std::uint64_t{1} << 16, std::uint64_t{1} << 40, "bytes");
  clamp("TRAIL_FLIGHT_RECORDER_MAX_BYTES", s.flight_recorder_max_bytes, std::uint64_t{1} << 16,
        std::uint64_t{1} << 40, "bytes");
}

// Reads every variable through `getenv_fn`; problems go to `errors`, one line
// each. A parsing problem never throws; only running out of memory while
// building the defaults themselves could (std::bad_alloc).
inline Settings settings_from_env(const EnvLookup& getenv_fn, ErrorSink& errors) {
  envvar::EnvReader env(getenv_fn, errors);
  TRAIL_TRY {
    Settings s;
    envvar::read_all(env, s);
    clamp_settings(s, errors);
    return s;
  }
  TRAIL_CATCH_ALL {  // bad_alloc, or an exception from a user-supplied lookup
    env.report("trail: could not read the environment; using the defaults");
  }
  return Settings{};
}

// The process environment; problems are printed to stderr.
inline Settings settings_from_env() {
  ErrorSink errors;
  const EnvLookup lookup = [](const char* name) -> const char* { return std::getenv(name); };
  Settings s = settings_from_env(lookup, errors);
  for (const auto& line : errors) std::fprintf(stderr, "%s\n", line.c_str());
  return s;
}

}  // namespace detail
}  // namespace trail
