// The built-in HTTP/1.1 client used by the OTLP/HTTP exporter: POST only, one
// keep-alive connection, every step bounded by a deadline. It does the HTTP
// framing and parsing; the bytes go through a Transport (transport.hpp): plain
// TCP for http://, TLS for https://, or the user's own.
#pragma once

#include <trail/config.hpp>
#include <trail/export/text.hpp>
#include <trail/export/transport.hpp>
#include <trail/export/url.hpp>
#include <trail/platform/socket.hpp>
#if defined(TRAIL_WITH_TLS)
#include <trail/export/tls_transport.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trail::detail {

struct HttpLimits {
  std::size_t max_status_line = 8192;        // also bounds each chunk-size line
  std::size_t max_header_bytes = 64 * 1024;  // per header block (trailers included)
  std::size_t max_body = 4 * 1024 * 1024;
};

struct HttpHeader {
  std::string name, value;
};

struct HttpResponse {
  bool transport_ok = false;  // false: could not connect / send / read a valid response; `error` says why
  bool refused = false;       // nothing listening: the connection was refused (TransportStatus::refused)
  std::string error;
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const HttpHeader& h : headers)
      if (ascii_iequals(h.name, name)) return &h.value;
    return nullptr;
  }
};

namespace http {

// True if the comma-separated list `value` holds `token` (case-insensitive).
inline bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (ascii_iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The first bytes of a reply, printable (controls, quotes and non-ASCII
// escaped, so a server cannot write terminal escapes or forged lines to
// stderr), for "this is not HTTP" errors and refused requests.
inline std::string excerpt(std::string_view bytes, std::size_t max = 32) {
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline std::int64_t year_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  return static_cast<std::int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
}

// A cursor over an HTTP-date (RFC 9110 section 5.6.7).
class DateCursor {
 public:
  explicit DateCursor(std::string_view s) noexcept : s_(s) {}
  bool done() const noexcept { return s_.empty(); }
  bool lit(std::string_view l) noexcept {
    if (s_.substr(0, l.size()) != l) return false;
    s_.remove_prefix(l.size());
    return true;
  }
  bool number(std::size_t digits, int& out) noexcept {
    if (s_.size() < digits) return false;
    int v = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      if (s_[i] < '0' || s_[i] > '9') return false;
      v = v * 10 + (s_[i] - '0');
    }
    s_.remove_prefix(digits);
    out = v;
    return true;
  }
  bool one_of(const char* const* names, int count, int& index) noexcept {
    for (int i = 0; i < count; ++i)
      if (lit(names[i])) {
        index = i;
        return true;
      }
    return false;
  }
  bool time(int& h, int& m, int& s) noexcept {
    return number(2, h) && lit(":") && number(2, m) && lit(":") && number(2, s) && h <= 23 && m <= 59 && s <= 60;
  }

 private:
  std::string_view s_;
};

// Parses the three HTTP-date forms into Unix seconds.
inline bool parse_http_date(std::string_view v, std::int64_t now_unix_seconds, std::int64_t& out) noexcept {
  static const char* const short_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char* const long_days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  DateCursor c(v);
  int ignored = 0, day = 0, month = 0, year = 0, h = 0, m = 0, s = 0;
  if (c.one_of(long_days, 7, ignored)) {  // rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
    int yy = 0;
    if (!(c.lit(", ") && c.number(2, day) && c.lit("-") && c.one_of(months, 12, month) && c.lit("-") &&
          c.number(2, yy) && c.lit(" ") && c.time(h, m, s) && c.lit(" GMT") && c.done()))
      return false;
    // A two-digit year more than 50 years ahead means the century before (RFC 9110).
    const std::int64_t now_year = year_from_days(now_unix_seconds / 86400);
    std::int64_t y = now_year - now_year % 100 + yy;
    if (y > now_year + 50) y -= 100;
    year = static_cast<int>(y);
  } else if (c.one_of(short_days, 7, ignored)) {
    if (c.lit(", ")) {  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      if (!(c.number(2, day) && c.lit(" ") && c.one_of(months, 12, month) && c.lit(" ") && c.number(4, year) &&
            c.lit(" ") && c.time(h, m, s) && c.lit(" GMT") && c.done()))
        return false;
    } else {  // asctime-date: Sun Nov  6 08:49:37 1994
      if (!(c.lit(" ") && c.one_of(months, 12, month) && c.lit(" ") &&
            (c.number(2, day) || (c.lit(" ") && c.number(1, day))) && c.lit(" ") && c.time(h, m, s) &&
            c.lit(" ") && c.number(4, year) && c.done()))
        return false;
    }
  } else {
    return false;
  }
  static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > month_days[month] || (month == 1 && day == 29 && !leap)) return false;
  out = days_from_civil(year, static_cast<unsigned>(month + 1), static_cast<unsigned>(day)) * 86400 +
        h * 3600 + m * 60 + s;
  return true;
}

}  // namespace http

// Retry-After: delta-seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime form).
// Returns the delay from `now_unix_seconds`, at least zero; nullopt when unparsable.
inline std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                 std::int64_t now_unix_seconds) noexcept {
  constexpr std::int64_t max_seconds = 1'000'000'000;  // saturate rather than overflow
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > max_seconds) break;
    }
  } else {
    std::int64_t when = 0;
    if (!http::parse_http_date(value, now_unix_seconds, when)) return std::nullopt;
    seconds = when - now_unix_seconds;
  }
  seconds = std::clamp<std::int64_t>(seconds, 0, max_seconds);
  return std::chrono::milliseconds(seconds * 1000);
}

// trail's default TransportFactory: plain TCP for http://, TLS over TCP for
// https:// when trail was built with TLS (TRAIL_WITH_TLS).
inline std::unique_ptr<Transport> make_transport(const TransportOptions& options, std::string& error) {
  if (options.scheme == "http") return std::make_unique<TcpTransport>();
  if (options.scheme == "https") {
#if defined(TRAIL_WITH_TLS)
    return make_tls_transport(std::make_unique<TcpTransport>(), options, error);
#else
    error =
        "https needs TLS, which this build of trail does not have: install OpenSSL (Debian: libssl-dev) and build "
        "with TLS (CMake: -DTRAIL_WITH_TLS=ON, Meson: -Dtls=enabled), or send to a local OpenTelemetry Collector "
        "over http://";
    return nullptr;
#endif
  }
  error = "unsupported URL scheme '" + options.scheme + "'";
  return nullptr;
}

// One connection, reused (keep-alive); not thread-safe: meant for the one flusher thread.
class HttpClient {
 public:
  explicit HttpClient(HttpLimits limits = {}, TransportFactory factory = make_transport,
                      TransportOptions options = {})
      : limits_(limits), factory_(std::move(factory)), options_(std::move(options)) {}
  ~HttpClient() { close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Makes the transport for `scheme` ahead of the first request, so that a
  // configuration problem (no TLS, a bad certificate file) shows at once.
  bool prepare(const std::string& scheme, std::string& error) noexcept {
    TRAIL_TRY {
      return use_scheme(scheme, error);
    } TRAIL_CATCH_ALL {
      return false;
    }
  }

  // Sends one POST and reads its response, all before `deadline`. Never throws.
  // Caller headers named Host, Content-Type, Content-Length, Transfer-Encoding or
  // Connection are ignored: the client sets those itself.
  HttpResponse post(const Url& url, const std::vector<HttpHeader>& headers, std::string_view content_type,
                    std::string_view body, std::chrono::steady_clock::time_point deadline) noexcept {
    HttpResponse r;
    TRAIL_TRY { post_impl(r, url, headers, content_type, body, deadline); }
    TRAIL_CATCH_ALL {  // std::bad_alloc, mostly; the connection state is unknown now
      close();
      HttpResponse failed;
      TRAIL_TRY { failed.error = "HTTP client error: out of memory or internal failure"; }
      TRAIL_CATCH_ALL {}
      return failed;
    }
    return r;
  }

  void close() noexcept {
    if (transport_ != nullptr) transport_->close();
    connected_ = false;
    in_.clear();
    in_pos_ = 0;
  }

 private:
  // closed_early: the peer closed before sending any byte of the response.
  enum class Step { ok, failed, closed_early };
  enum class Io { ok, eof, reset, failed };

  bool use_scheme(const std::string& scheme, std::string& error) {
    if (transport_ != nullptr && options_.scheme == scheme) return true;
    close();
    transport_.reset();
    options_.scheme = scheme;
    if (factory_) transport_ = factory_(options_, error);
    if (transport_ == nullptr && error.empty()) error = "no transport for '" + scheme + "' URLs";
    return transport_ != nullptr;
  }

  void post_impl(HttpResponse& r, const Url& url, const std::vector<HttpHeader>& headers,
                 std::string_view content_type, std::string_view body,
                 std::chrono::steady_clock::time_point deadline) {
    if (!use_scheme(url.scheme, r.error)) return;
    std::string head;
    if (!build_head(url, headers, content_type, body.size(), head, r.error)) return;
    if (connected_ && (host_ != url.host || port_ != url.port || !transport_->idle_usable())) close();

    for (int attempt = 0;; ++attempt) {
      const bool reused = connected_;
      if (!reused) {
        const TransportStatus connected = transport_->connect(url.host, url.port, deadline, r.error);
        if (connected != TransportStatus::ok) {
          r.refused = connected == TransportStatus::refused;
          return;
        }
        connected_ = true;
        host_ = url.host;
        port_ = url.port;
      }
      Step step = send_all(head, body, deadline, r.error);
      if (step == Step::ok) step = read_response(r, deadline);
      if (step == Step::ok) {
        r.transport_ok = true;
        return;
      }
      close();
      if (step == Step::closed_early && reused && attempt == 0) {  // stale keep-alive: once more, fresh
        r = HttpResponse{};
        continue;
      }
      return;
    }
  }

  static bool build_head(const Url& url, const std::vector<HttpHeader>& headers, std::string_view content_type,
                         std::size_t body_size, std::string& head, std::string& error) {
    const auto has_ctl = [](std::string_view s) {
      return std::any_of(s.begin(), s.end(), [](char c) {
        return c == '\r' || c == '\n' || c == '\0';
      });
    };
    if (url.host.empty() || url.target.empty() || url.target.front() != '/' ||
        url.target.find_first_of(" \t\r\n") != std::string::npos || has_ctl(url.host))
      return error = "invalid URL for an HTTP request", false;
    if (has_ctl(content_type)) return error = "invalid Content-Type value", false;
    std::size_t size = 128 + url.host.size() + url.target.size() + content_type.size();
    for (const HttpHeader& h : headers) {
      if (!is_token(h.name))
        return error = "invalid HTTP header name '" + http::excerpt(h.name) + "'", false;
      if (has_ctl(h.value)) return error = "invalid value for HTTP header '" + h.name + "'", false;
      size += h.name.size() + h.value.size() + 4;
    }
    head.reserve(size);
    head += "POST ";
    head += url.target;
    head += " HTTP/1.1\r\nHost: ";
    const bool ipv6 = url.host.find(':') != std::string::npos;
    if (ipv6) head += '[';
    head += url.host;
    if (ipv6) head += ']';
    if (url.port != 80) {
      head += ':';
      head += std::to_string(url.port);
    }
    head += "\r\nContent-Type: ";
    head += content_type;
    head += "\r\nContent-Length: ";
    head += std::to_string(body_size);
    head += "\r\nConnection: keep-alive\r\n";
    for (const HttpHeader& h : headers) {
      if (ascii_iequals(h.name, "host") || ascii_iequals(h.name, "content-type") ||
          ascii_iequals(h.name, "content-length") || ascii_iequals(h.name, "transfer-encoding") ||
          ascii_iequals(h.name, "connection"))
        continue;
      head += h.name;
      head += ": ";
      head += trim_ows(h.value);
      head += "\r\n";
    }
    head += "\r\n";
    return true;
  }

  Step send_all(std::string_view head, std::string_view body, std::chrono::steady_clock::time_point deadline,
                std::string& error) {
    const ConstBuffer buffers[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
    switch (transport_->write(buffers, body.empty() ? 1 : 2, deadline, error)) {
      case TransportStatus::ok:
        return Step::ok;
      case TransportStatus::eof:
      case TransportStatus::reset:
        error = "connection closed by the server while sending the request";
        return Step::closed_early;
      case TransportStatus::timeout:
        error = "timed out sending the HTTP request";
        return Step::failed;
      case TransportStatus::failed:
      case TransportStatus::refused:
        break;
    }
    return Step::failed;
  }

  // Reads more bytes into in_.
  Io fill(std::chrono::steady_clock::time_point deadline, std::string& error) {
    if (in_pos_ > 0 && in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > 64 * 1024) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    constexpr std::size_t chunk = 16 * 1024;
    const std::size_t old = in_.size();
    in_.resize(old + chunk);
    std::size_t received = 0;
    const TransportStatus status = transport_->read(&in_[old], chunk, received, deadline, error);
    in_.resize(old + received);
    switch (status) {
      case TransportStatus::ok:
        return Io::ok;
      case TransportStatus::eof:
        return error = "connection closed by the server", Io::eof;
      case TransportStatus::reset:
        return error = "connection reset by the server", Io::reset;
      case TransportStatus::timeout:
        return error = "timed out waiting for the HTTP response", Io::failed;
      case TransportStatus::failed:
      case TransportStatus::refused:
        break;
    }
    return Io::failed;
  }

  std::size_t buffered() const noexcept { return in_.size() - in_pos_; }

  // One line (LF or CRLF ended) of at most `limit` bytes, terminator excluded.
  bool read_line(std::size_t limit, const char* what, std::chrono::steady_clock::time_point deadline,
                 std::string_view& line, std::string& error) {
    std::size_t scanned = in_pos_;
    for (;;) {
      const std::size_t nl = in_.find('\n', scanned);
      if (nl != std::string::npos) {
        std::size_t len = nl - in_pos_;
        if (len > limit) break;
        line = std::string_view(in_).substr(in_pos_, len);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        in_pos_ = nl + 1;
        return true;
      }
      if (buffered() > limit) break;
      scanned = in_.size();
      const std::size_t offset = scanned - in_pos_;
      if (fill(deadline, error) != Io::ok) {
        if (error.rfind("connection", 0) == 0) error += std::string(" in the middle of the ") + what;
        return false;
      }
      scanned = in_pos_ + offset;  // fill() may have compacted the buffer
    }
    error = std::string(what) + " longer than " + std::to_string(limit) + " bytes";
    return false;
  }

  // Status line of one response. closed_early when nothing at all arrived.
  Step read_status(int& status, bool& http10, std::chrono::steady_clock::time_point deadline, std::string& error) {
    constexpr std::string_view prefix = "HTTP/";
    while (buffered() < prefix.size()) {
      const std::size_t had = buffered();
      const Io io = fill(deadline, error);
      if (io != Io::ok) {
        if (had != 0 || io == Io::failed) return Step::failed;
        error = "connection closed by the server before it sent a response";
        return Step::closed_early;
      }
      if (std::string_view(in_).substr(in_pos_, prefix.size()) !=
          prefix.substr(0, std::min(prefix.size(), buffered())))
        break;  // not HTTP: say so now rather than wait for a line end
    }
    const std::string_view start = std::string_view(in_).substr(in_pos_);
    if (start.substr(0, prefix.size()) != prefix)
      return error = "not an HTTP response (received \"" + http::excerpt(start) + "\")", Step::failed;
    std::string_view line;
    if (!read_line(limits_.max_status_line, "HTTP status line", deadline, line, error)) return Step::failed;
    // HTTP/1.x SP 3DIGIT [SP reason]
    const bool shaped = line.size() >= 12 && line.substr(0, 7) == "HTTP/1." && line[7] >= '0' && line[7] <= '9' &&
                        line[8] == ' ' && std::all_of(line.begin() + 9, line.begin() + 12, [](char c) {
                          return c >= '0' && c <= '9';
                        }) && (line.size() == 12 || line[12] == ' ');
    if (!shaped) return error = "malformed HTTP status line \"" + http::excerpt(line) + "\"", Step::failed;
    http10 = line[7] == '0';
    status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100) return error = "invalid HTTP status " + std::to_string(status), Step::failed;
    return Step::ok;
  }

  // Header lines up to the empty line; `out` may be null to discard them (1xx, trailers).
  bool read_headers(std::vector<HttpHeader>* out, const char* what, std::chrono::steady_clock::time_point deadline,
                    std::string& error) {
    std::size_t budget = limits_.max_header_bytes;
    HttpHeader* last = nullptr;
    for (;;) {
      const std::size_t before = in_pos_;
      std::string_view line;
      if (!read_line(budget, what, deadline, line, error)) {
        if (error.find("longer than") != std::string::npos)
          error = std::string(what) + " longer than " + std::to_string(limits_.max_header_bytes) + " bytes";
        return false;
      }
      budget -= std::min(budget, in_pos_ - before);
      if (line.empty()) return true;
      if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding: join with a space
        if (out != nullptr && last == nullptr) return error = "malformed HTTP header line", false;
        if (last != nullptr) (last->value += ' ') += trim_ows(line);
        continue;
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 ||
          !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), is_token_char))
        return error = "malformed HTTP header line \"" + http::excerpt(line) + "\"", false;
      if (out != nullptr) {
        out->push_back({std::string(line.substr(0, colon)), std::string(trim_ows(line.substr(colon + 1)))});
        last = &out->back();
      }
    }
  }

  bool read_exact(std::size_t n, std::string& body, std::chrono::steady_clock::time_point deadline,
                  std::string& error) {
    while (buffered() < n) {
      if (fill(deadline, error) != Io::ok) {
        if (error.rfind("connection", 0) == 0) error += " in the middle of the response body";
        return false;
      }
    }
    body.append(in_, in_pos_, n);
    in_pos_ += n;
    return true;
  }

  bool body_too_large(std::size_t size, std::string& error) const {
    if (size <= limits_.max_body) return false;
    error = "HTTP response body larger than " + std::to_string(limits_.max_body) + " bytes";
    return true;
  }

  bool read_chunked(std::string& body, std::chrono::steady_clock::time_point deadline, std::string& error) {
    for (;;) {
      std::string_view line;
      if (!read_line(limits_.max_status_line, "HTTP chunk size line", deadline, line, error)) return false;
      const std::string_view digits = trim_ows(line.substr(0, line.find(';')));  // extensions ignored
      if (digits.empty() || digits.size() > 15 ||
          digits.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
        return error = "invalid HTTP chunk size \"" + http::excerpt(line) + "\"", false;
      std::size_t size = 0;
      for (char c : digits)
        size = size * 16 + static_cast<std::size_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      if (size == 0) return read_headers(nullptr, "HTTP trailers", deadline, error);
      if (body_too_large(body.size() + size, error)) return false;
      if (!read_exact(size, body, deadline, error)) return false;
      if (!read_line(2, "HTTP chunk end", deadline, line, error)) return false;
      if (!line.empty()) return error = "missing CRLF after an HTTP chunk", false;
    }
  }

  Step read_response(HttpResponse& r, std::chrono::steady_clock::time_point deadline) {
    bool http10 = false;
    for (bool first = true;; first = false) {  // interim 1xx responses are skipped
      const Step step = read_status(r.status, http10, deadline, r.error);
      if (step != Step::ok) return first ? step : Step::failed;
      if (r.status >= 200) break;
      if (r.status == 101) return r.error = "unexpected HTTP 101 Switching Protocols", Step::failed;
      if (!read_headers(nullptr, "HTTP headers", deadline, r.error)) return Step::failed;
    }
    if (!read_headers(&r.headers, "HTTP headers", deadline, r.error)) return Step::failed;

    bool keep_alive = true;
    bool chunked = false;
    std::optional<std::size_t> length;
    for (const HttpHeader& h : r.headers) {
      if (ascii_iequals(h.name, "connection")) {
        if (http::has_token(h.value, "close")) keep_alive = false;
        if (http10 && http::has_token(h.value, "keep-alive")) http10 = false;
      } else if (ascii_iequals(h.name, "transfer-encoding")) {
        if (!ascii_iequals(trim_ows(h.value), "chunked"))
          return r.error = "unsupported HTTP Transfer-Encoding '" + http::excerpt(h.value) + "'", Step::failed;
        chunked = true;
      } else if (ascii_iequals(h.name, "content-length")) {
        const std::string& v = h.value;
        if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
          return r.error = "invalid HTTP Content-Length '" + http::excerpt(v) + "'", Step::failed;
        const auto n = static_cast<std::size_t>(std::stoull(v));
        if (length && *length != n) return r.error = "conflicting HTTP Content-Length headers", Step::failed;
        length = n;
      }
    }
    if (http10) keep_alive = false;

    if (r.status == 204 || r.status == 304) {
      // no body, whatever the headers say
    } else if (chunked) {
      if (!read_chunked(r.body, deadline, r.error)) return Step::failed;
      if (length) keep_alive = false;  // both framings: a smuggling smell (RFC 9112 6.3)
    } else if (length) {
      if (body_too_large(*length, r.error)) return Step::failed;
      r.body.reserve(*length);
      if (!read_exact(*length, r.body, deadline, r.error)) return Step::failed;
    } else {  // no framing: the body ends when the server closes
      keep_alive = false;
      for (;;) {
        r.body.append(in_, in_pos_, std::string::npos);
        in_pos_ = in_.size();
        if (body_too_large(r.body.size(), r.error)) return Step::failed;
        const Io io = fill(deadline, r.error);
        if (io == Io::eof) break;
        if (io != Io::ok) return Step::failed;
      }
      r.error.clear();
    }
    if (!keep_alive || buffered() != 0) close();  // stray bytes after the response: do not trust the stream
    return Step::ok;
  }

  HttpLimits limits_;
  TransportFactory factory_;
  TransportOptions options_;  // options_.scheme: what transport_ was made for
  std::unique_ptr<Transport> transport_;
  bool connected_ = false;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string in_;          // received, from in_pos_ on not yet consumed
  std::size_t in_pos_ = 0;
};

}  // namespace trail::detail
