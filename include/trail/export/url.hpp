// Minimal URL parsing for the OTLP/HTTP endpoint: http://host[:port][/path].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trail::detail {

struct Url {
  std::string scheme;      // lowercase: "http" or "https"
  std::string host;        // IPv6 literals without brackets
  std::uint16_t port = 0;  // 80 / 443 when the URL gives none
  std::string target;      // path + query, "/" if empty; the fragment is dropped
};

// Accepts http:// and https:// (so that the caller can say "https is not supported"
// rather than "bad URL"). `out` is left untouched on failure. Error messages never
// echo the URL: it may hold secrets, and the caller knows where it came from.
inline bool parse_url(std::string_view text, Url& out, std::string& error) {
  const auto fail = [&error](std::string message) {
    error = std::move(message);
    return false;
  };
  if (text.empty()) return fail("URL is empty");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7f)
      return fail("URL contains whitespace or a control character at offset " + std::to_string(i));
  }

  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return fail("URL has no scheme (expected http://host[:port][/path])");
  std::string scheme(text.substr(0, sep));
  for (char& c : scheme)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::uint16_t port = 0;
  if (scheme == "http") port = 80;
  else if (scheme == "https") port = 443;
  else return fail("unsupported URL scheme '" + scheme + "' (only http is supported)");

  const std::string_view rest = text.substr(sep + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view remainder =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return fail("URL must not contain user information (user@host); send credentials as headers");

  std::string_view host;
  std::string_view after_host;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("URL has an unterminated '[' in its host");
    host = authority.substr(1, close - 1);
    after_host = authority.substr(close + 1);
    if (host.empty()) return fail("URL has an empty host");
    if (host.find(':') == std::string_view::npos) return fail("URL has an invalid IPv6 address in brackets");
    for (char c : host) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
                      c == '.';
      if (!ok) return fail("URL has an invalid IPv6 address in brackets");
    }
    if (!after_host.empty() && after_host.front() != ':')
      return fail("URL has unexpected characters after the IPv6 address");
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != authority.rfind(':')) return fail("URL has an IPv6 address without brackets (use http://[::1]:4318)");
    host = authority.substr(0, colon);
    after_host = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    if (host.empty()) return fail("URL has an empty host");
    for (char c : host) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                      c == '.' || c == '_';
      if (!ok) return fail(std::string("URL host contains the invalid character '") + c + "'");
    }
  }

  if (!after_host.empty()) {  // ":port"
    const std::string_view digits = after_host.substr(1);
    if (digits.empty()) return fail("URL has an empty port");
    std::uint32_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return fail("URL port '" + std::string(digits) + "' is not a number");
      value = value * 10 + static_cast<std::uint32_t>(c - '0');
      if (value > 65535) break;
    }
    if (value == 0 || value > 65535)
      return fail("URL port " + std::string(digits) + " is out of range (1-65535)");
    port = static_cast<std::uint16_t>(value);
  }

  remainder = remainder.substr(0, remainder.find('#'));
  std::string target;
  if (remainder.empty() || remainder.front() == '?') target = "/";
  target += remainder;

  out.scheme = std::move(scheme);
  out.host = std::string(host);
  out.port = port;
  out.target = std::move(target);
  return true;
}

// The URL as it may be printed: scheme, host, port and path only. Userinfo
// and the query may hold credentials (user:pass@, ?api_key=); the fragment
// goes too. Not validated: also for URLs that parse_url refuses.
inline std::string printable_url(std::string_view text) {
  std::string out;
  const std::size_t sep = text.find("://");
  std::string_view rest = text;
  if (sep != std::string_view::npos) {
    out.append(text.substr(0, sep + 3));
    rest = text.substr(sep + 3);
  }
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    authority.remove_prefix(at + 1);
  }
  out.append(authority);
  if (authority_end != std::string_view::npos) {
    const std::string_view tail = rest.substr(authority_end);
    const std::size_t query = tail.find_first_of("?#");
    out.append(tail.substr(0, query));
    if (query != std::string_view::npos) out += "?***";
  }
  return out;
}

}  // namespace trail::detail
