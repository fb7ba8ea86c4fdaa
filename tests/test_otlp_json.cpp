// OTLP/JSON trace serializer and the JSON writer under it. Every output is
// parsed back with nlohmann::json, which rejects invalid JSON and invalid
// UTF-8, so "it parses" is a real check.
#include <doctest/doctest.h>

// Before <nlohmann/json.hpp>: settings.hpp calls an unqualified quoted() that
// <iomanip>'s std::quoted would hijack through ADL.
#include <trail/export/otlp_http_exporter.hpp>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <trail/export/otlp_json.hpp>
#include <trail/export/otlp_json_metrics.hpp>

using nlohmann::json;
using trail::detail::append_json_double;
using trail::detail::append_json_string;

namespace {

std::string encoded(std::string_view bytes) {
  std::string out;
  append_json_string(out, bytes);
  return out;
}

// What append_json_string writes between the quotes.
std::string body(std::string_view bytes) {
  const std::string out = encoded(bytes);
  REQUIRE(out.size() >= 2);
  CHECK(out.front() == '"');
  CHECK(out.back() == '"');
  return out.substr(1, out.size() - 2);
}

// Parses the encoding back; fails the test if it is not valid JSON + UTF-8.
std::string round_trip(std::string_view bytes) {
  const std::string out = encoded(bytes);
  json j;
  REQUIRE_NOTHROW(j = json::parse(out));
  REQUIRE(j.is_string());
  return j.get<std::string>();
}

std::string double_text(double v) {
  std::string out;
  append_json_double(out, v);
  return out;
}

const std::string fffd = "\xEF\xBF\xBD";

std::string hex(std::string_view bytes) {
  std::string r;
  for (unsigned char c : bytes) r += fmt::format("{:02x} ", c);
  return r;
}

std::string repeat(const std::string& s, int n) {
  std::string r;
  for (int i = 0; i < n; ++i) r += s;
  return r;
}

}  // namespace

TEST_CASE("plain ASCII is copied, quotes and backslashes escaped") {
  CHECK(encoded("") == "\"\"");
  CHECK(encoded("hello world") == "\"hello world\"");
  CHECK(body("a\"b") == "a\\\"b");
  CHECK(body("a\\b") == "a\\\\b");
  CHECK(body("\"\\\"") == "\\\"\\\\\\\"");
  CHECK(body("/") == "/");
  CHECK(body("\x7f") == "\x7f");  // DEL needs no escape in JSON
  CHECK(round_trip("say \"hi\" \\o/") == "say \"hi\" \\o/");
}

TEST_CASE("every control character is escaped") {
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    const std::string in(1, static_cast<char>(c));
    std::string want;
    switch (c) {
      case '\b': want = "\\b"; break;
      case '\t': want = "\\t"; break;
      case '\n': want = "\\n"; break;
      case '\f': want = "\\f"; break;
      case '\r': want = "\\r"; break;
      default: {
        const char hex[] = "0123456789abcdef";
        want = std::string("\\u00") + hex[c >> 4] + hex[c & 0xf];
      }
    }
    CHECK(body(in) == want);
    CHECK(round_trip("x" + in + "y") == "x" + in + "y");
  }
}

TEST_CASE("a special byte is found at every offset of the 8-byte fast path") {
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f", "\xC3\xA9", "\xFF"};
  for (const std::string& special : specials) {
    for (int before = 0; before < 20; ++before) {
      for (int after = 0; after < 10; ++after) {
        const std::string in = std::string(before, 'a') + special + std::string(after, 'z');
        const std::string out = body(in);
        CAPTURE(before);
        CAPTURE(after);
        CHECK(out.compare(0, before, std::string(before, 'a')) == 0);
        CHECK(out.compare(out.size() - after, after, std::string(after, 'z')) == 0);
        CHECK(out.size() > static_cast<std::size_t>(before + after));
        if (special == "\xFF") {
          CHECK(round_trip(in) == std::string(before, 'a') + fffd + std::string(after, 'z'));
        } else {
          CHECK(round_trip(in) == in);
        }
      }
    }
  }
}

TEST_CASE("the 8-byte check flags exactly the words holding a byte that needs care") {
  for (int pos = 0; pos < 8; ++pos) {
    for (int b = 0; b < 256; ++b) {
      unsigned char bytes[8];
      std::memset(bytes, 'a', 8);
      bytes[pos] = static_cast<unsigned char>(b);
      std::uint64_t w;
      std::memcpy(&w, bytes, 8);
      CAPTURE(pos);
      CAPTURE(b);
      CHECK(trail::detail::json_word_needs_care(w) == !trail::detail::json_byte_plain(static_cast<unsigned char>(b)));
    }
  }
}

TEST_CASE("valid UTF-8 is preserved byte for byte") {
  const std::string samples[] = {
      "\xC2\x80",          // U+0080, smallest 2-byte
      "caf\xC3\xA9",       // é
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xE2\x82\xAC",      // €
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above them
      "\xEF\xBF\xBD",      // U+FFFD itself
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF0\x9F\x98\x80",  // 😀
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, the largest
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E and \xF0\x9F\xA4\x96 robots",
  };
  for (const auto& s : samples) {
    CAPTURE(s);
    CHECK(body(s) == s);
    CHECK(round_trip(s) == s);
  }
}

TEST_CASE("each maximal subpart of ill-formed UTF-8 becomes one U+FFFD") {
  struct Case {
    std::string in;
    std::string want;  // between the quotes
  };
  const Case cases[] = {
      {"\x80", fffd},                                 // stray continuation byte
      {"\xBF", fffd},                                 //
      {"\x80\x80\x80", repeat(fffd, 3)},              // each stray byte on its own
      {"\xC0\x80", repeat(fffd, 2)},                  // C0/C1 never lead (overlong 2-byte)
      {"\xC1\xBF", repeat(fffd, 2)},                  //
      {"\xC2", fffd},                                 // truncated at the end
      {"\xC2" "A", fffd + "A"},                       // truncated by ASCII
      {"\xE0\x80\x80", repeat(fffd, 3)},              // overlong 3-byte
      {"\xE0\x9F\xBF", repeat(fffd, 3)},              //
      {"\xE0\xA0", fffd},                             // truncated 3-byte: one subpart
      {"\xE2\x82" "b", fffd + "b"},                   //
      {"\xED\xA0\x80", repeat(fffd, 3)},              // surrogate U+D800
      {"\xED\xBF\xBF", repeat(fffd, 3)},              // surrogate U+DFFF
      {"\xED\xA0\x80\xED\xB0\x80", repeat(fffd, 6)},  // CESU-8 surrogate pair
      {"\xF0\x80\x80\x80", repeat(fffd, 4)},          // overlong 4-byte
      {"\xF0\x8F\xBF\xBF", repeat(fffd, 4)},          //
      {"\xF0\x90\x80", fffd},                         // truncated 4-byte: one subpart
      {"\xF0\x90", fffd},                             //
      {"\xF0\x9F\x98" "x", fffd + "x"},               // emoji missing its last byte
      {"\xF4\x90\x80\x80", repeat(fffd, 4)},          // > U+10FFFF
      {"\xF5\x80\x80\x80", repeat(fffd, 4)},          // F5..FF never lead
      {"\xF8\x88\x80\x80\x80", repeat(fffd, 5)},      // old 5-byte form
      {"\xFC\x84\x80\x80\x80\x80", repeat(fffd, 6)},  // old 6-byte form
      {"\xFE", fffd},                                 //
      {"\xFF\xFF", repeat(fffd, 2)},                  //
      {"\xC3\xA9\xC3", "\xC3\xA9" + fffd},            // valid then truncated
      {"\xE2\x82\xE2\x82\xAC", fffd + "\xE2\x82\xAC"},  // truncated then valid
      // The example of Unicode 15, section 3.9 (U+FFFD substitution of maximal subparts).
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + repeat(fffd, 3) + "b" + fffd + "c" + repeat(fffd, 2) + "d"},
  };
  for (const auto& c : cases) {
    CAPTURE(hex(c.in));
    CHECK(body(c.in) == c.want);
    CHECK(round_trip(c.in) == c.want);
    // The same inside a longer string, to go through the 8-byte scan.
    CHECK(body("0123456789" + c.in + "\"9876543210") == "0123456789" + c.want + "\\\"9876543210");
  }
}

TEST_CASE("random concatenations of known pieces give the concatenated expectations") {
  // Pieces separated by an ASCII byte so that no truncated piece can be
  // completed by the next one.
  const std::pair<std::string, std::string> pieces[] = {
      {"abcdefghij", "abcdefghij"}, {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {std::string(1, '\0'), "\\u0000"},
      {"\x1b", "\\u001b"}, {"\xC3\xA9", "\xC3\xA9"}, {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"}, {"\xE2\x82\xAC", "\xE2\x82\xAC"},
      {"\x80", fffd}, {"\xC0\xAF", fffd + fffd}, {"\xE0\xA0", fffd}, {"\xED\xA0\x80", repeat(fffd, 3)},
      {"\xF0\x90\x80", fffd}, {"\xF4\x90\x80\x80", repeat(fffd, 4)}, {"\xFF", fffd}, {"0123456789012345678", "0123456789012345678"},
  };
  constexpr std::size_t n_pieces = sizeof pieces / sizeof pieces[0];
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string in, want;
    const int count = static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) {
      const auto& piece = pieces[rng() % n_pieces];
      const char sep = static_cast<char>('k' + rng() % 10);
      in += piece.first;
      in += sep;
      want += piece.second;
      want += sep;
    }
    CAPTURE(round);
    REQUIRE(body(in) == want);
  }
}

TEST_CASE("random bytes always give valid JSON and valid UTF-8") {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 4000; ++round) {
    std::string in(rng() % 64, '\0');
    for (auto& c : in) {
      // Bias towards bytes that matter: high bytes, controls, quotes.
      const auto r = rng();
      c = static_cast<char>((r & 3) == 0 ? 0x80 + (r >> 8) % 0x80 : (r >> 8) & 0xff);
    }
    const std::string out = encoded(in);
    json j;
    CAPTURE(round);
    REQUIRE_NOTHROW(j = json::parse(out));
    const std::string decoded = j.get<std::string>();
    // Re-encoding with nlohmann's strict handler throws on invalid UTF-8.
    REQUIRE_NOTHROW((void)json(decoded).dump(-1, ' ', false, json::error_handler_t::strict));
    if (decoded.find(fffd) == std::string::npos) {
      CHECK(decoded == in);  // nothing replaced: the round trip is exact
    }
  }
}

TEST_CASE("a 1 MB string round-trips") {
  std::string in;
  std::mt19937 rng(7);
  const std::string parts[] = {"plain ascii text ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\"q\"", "\\", "\n\t"};
  while (in.size() < (1u << 20)) in += parts[rng() % 7];
  CHECK(round_trip(in) == in);
  const std::string ascii(1u << 20, 'x');
  CHECK(body(ascii) == ascii);
}

TEST_CASE("doubles follow the proto3 JSON mapping and round-trip") {
  CHECK(double_text(std::numeric_limits<double>::quiet_NaN()) == "\"NaN\"");
  CHECK(double_text(std::numeric_limits<double>::infinity()) == "\"Infinity\"");
  CHECK(double_text(-std::numeric_limits<double>::infinity()) == "\"-Infinity\"");
  CHECK(double_text(1.5) == "1.5");
  CHECK(double_text(0.1) == "0.1");
  CHECK(double_text(42.0) == "42");
  CHECK(double_text(-0.0) == "-0");  // valid JSON; nlohmann reads it back as the integer 0
  const double finite[] = {0.0, 1e300, -1e300, 1e-300, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
                           123456789.125, 1e21, 1e-7, 3.141592653589793};
  for (double v : finite) {
    CAPTURE(v);
    const std::string text = double_text(v);
    json j;
    REQUIRE_NOTHROW(j = json::parse(text));
    REQUIRE(j.is_number());
    CHECK(j.get<double>() == v);
  }
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    const json j = json::parse(double_text(v));
    REQUIRE(j.get<double>() == v);
  }
}

TEST_CASE("short decimals are written without std::to_chars, exactly as it writes them") {
  // Compared with std::to_chars itself: every value with at most 6 decimals
  // around the fast path's edges, the values next to them, random ones.
  std::size_t fast = 0;
  const auto same = [&](double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const std::string want(buf, r.ptr);
    if (trail::detail::short_decimal(v, buf) != 0) ++fast;
    CAPTURE(want);
    CHECK(double_text(v) == want);
  };
  const double scales[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
  for (int i = -20000; i <= 20000; i += 7)
    for (double scale : scales) same(i / scale);
  for (const double v : {0.001, 0.000999, 0.0010000000000000002, 0.1, 0.2, 0.3, 2.5, 99999.0, 100000.0, 123456.0,
                         999999999.999999, 999999999.9999999, 1e9, 1125899906842.624, 0.1 + 0.2}) {
    for (const double w : {v, -v, std::nextafter(v, 0.0), std::nextafter(v, 2e9)}) same(w);
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100000; ++i) {
    const double v = static_cast<double>(rng() % 2000000000000000ull) / scales[rng() % 8];
    same(v);
    same(std::nextafter(v, 1e300));
  }
  char buf[32];
  CHECK(trail::detail::short_decimal(0.1 + 0.2, buf) == 0);  // 0.30000000000000004: to_chars
#if FLT_EVAL_METHOD == 0
  CHECK(fast > 40000);  // the fast path was taken, not just the fallback
  CHECK(trail::detail::short_decimal(2.5, buf) == 3);
#else
  CHECK(fast == 0);  // x87 (i686): every value through std::to_chars
#endif
}

TEST_CASE("64-bit integers are decimal strings") {
  std::string out;
  trail::detail::append_json_u64_string(out, std::numeric_limits<std::uint64_t>::max());
  CHECK(out == "\"18446744073709551615\"");
  out.clear();
  trail::detail::append_json_i64_string(out, std::numeric_limits<std::int64_t>::min());
  CHECK(out == "\"-9223372036854775808\"");
  out.clear();
  trail::detail::append_json_uint(out, 0);
  CHECK(out == "0");
}

TEST_CASE("StringSink appends to what the string holds and writes what std::string would") {
  std::string out = "prefix:";
  const std::string long_text(5000, 'y');
  {
    trail::detail::StringSink sink(out);
    trail::detail::append_json_string(sink, "caf\xC3\xA9\n\xFF");
    sink += ',';
    trail::detail::append_json_string(sink, std::string_view{});  // null data, size 0
    sink += ',';
    trail::detail::append_json_string(sink, long_text);  // forces growth mid-string
    sink += ',';
    trail::detail::append_json_double(sink, 0.5);
    trail::detail::append_json_u64_string(sink, 7);
    CHECK(sink.size() == 7 + 12 + 1 + 2 + 1 + 5002 + 1 + 3 + 3);
  }
  std::string want = "prefix:";
  trail::detail::append_json_string(want, "caf\xC3\xA9\n\xFF");
  want += ",\"\",";
  trail::detail::append_json_string(want, long_text);
  want += ",0.5\"7\"";
  CHECK(out == want);
}

TEST_CASE("decimals are what std::to_chars writes: every digit count, its edges, and random values") {
  std::vector<std::uint64_t> values = {0, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t p = 1; p <= 1000000000000000000ull; p *= 10)
    for (std::uint64_t v : {p - 1, p, p + 1, 2 * p - 1, 9 * p, 9 * p + 1}) values.push_back(v);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values.push_back(x >> (x % 64));  // every magnitude
  }
  const auto expect = [](auto v) {
    char buf[24];
    return std::string(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
  };
  std::size_t wrong = 0;
  std::string sunk;
  std::string want;
  {
    trail::detail::StringSink sink(sunk);
    for (const std::uint64_t v : values) {
      const auto s = static_cast<std::int64_t>(v);
      std::string plain;
      trail::detail::append_json_decimal(plain, v);
      trail::detail::append_json_decimal(plain, s);
      if (plain != expect(v) + expect(s)) ++wrong;
      trail::detail::append_json_decimal(sink, v);
      trail::detail::append_json_decimal(sink, s);
      want += plain;
    }
  }
  CHECK(wrong == 0);
  CHECK(sunk == want);
  std::string min;
  trail::detail::append_json_decimal(min, std::numeric_limits<std::int64_t>::min());
  CHECK(min == "-9223372036854775808");
}

TEST_CASE("StringSink copies every short length exactly, at odd offsets") {
  std::string source;
  for (int i = 0; i < 64; ++i) source += static_cast<char>('A' + i % 58);
  std::string out, want;
  {
    trail::detail::StringSink sink(out);
    for (std::size_t n = 0; n <= 40; ++n) {
      for (std::size_t from = 0; from < 3; ++from) {  // and at odd source and sink offsets
        sink.append(source.data() + from, n);
        want.append(source.data() + from, n);
        sink += '|';
        want += '|';
      }
    }
    trail::detail::append_json_uint(sink, std::numeric_limits<std::uint64_t>::max());  // digits written in place
    trail::detail::append_json_i64_string(sink, -42);
    want += "18446744073709551615\"-42\"";
  }
  CHECK(out == want);
}

namespace {

trail::SpanData make_root() {
  trail::SpanData s;
  s.trace_id = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  s.span_id = {0x00000000000000a1ull};
  s.name = "episode";
  s.kind = trail::SpanKind::server;
  s.start_time_unix_nano = 1700000000000000000ull;
  s.end_time_unix_nano = 18446744073709551615ull;
  s.attributes = {
      {"agent.name", std::string("npc \"7\"")},
      {"done", true},
      {"nodes", std::int64_t{-9223372036854775807 - 1}},
      {"score", 0.25},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"pinf", std::numeric_limits<double>::infinity()},
      {"ninf", -std::numeric_limits<double>::infinity()},
      {"tools", std::vector<std::string>{"search", "caf\xC3\xA9", ""}},
      {"empty", std::vector<std::string>{}},
  };
  s.flags = 0x301;  // sampled | HAS_IS_REMOTE | IS_REMOTE
  s.trace_state = "vendor=a:1,other=b";
  s.status_code = trail::StatusCode::ok;
  return s;
}

trail::SpanData make_child() {
  trail::SpanData s;
  s.trace_id = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  s.span_id = {0xffffffffffffffffull};
  s.parent_span_id = {0x00000000000000a1ull};
  s.name = "tool\ncall";
  s.kind = trail::SpanKind::client;
  s.start_time_unix_nano = 5;
  s.end_time_unix_nano = 6;
  s.dropped_attributes_count = 3;
  trail::SpanEvent e;
  e.name = "retry";
  e.time_unix_nano = 1234567890123456789ull;
  e.attributes = {{"attempt", std::int64_t{2}}, {"why", std::string("timeout \xFF")}};
  e.dropped_attributes_count = 1;
  s.events.push_back(e);
  s.events.push_back(trail::SpanEvent{"bare", 7, {}, 0});
  s.dropped_events_count = 4;
  s.status_code = trail::StatusCode::error;
  s.status_message = "no path";
  return s;
}

}  // namespace

TEST_CASE("an ExportTraceServiceRequest has every field in OTLP/JSON form") {
  trail::Resource resource;
  resource.attributes = {{"service.name", std::string("bot")}, {"service.instance.id", std::int64_t{42}}};
  trail::InstrumentationScope scope{"trail", "0.1.0"};
  const std::vector<trail::SpanData> spans = {make_root(), make_child()};

  const std::string text = trail::to_otlp_json(resource, scope, spans);
  CHECK(text.find_first_of(" \n\t") == text.find("npc ") + 3);  // compact: the first space is inside a value
  json j;
  REQUIRE_NOTHROW(j = json::parse(text));

  REQUIRE(j.size() == 1);
  REQUIRE(j["resourceSpans"].size() == 1);
  const json& rs = j["resourceSpans"][0];
  CHECK(rs["resource"] == json::parse(R"({"attributes":[
      {"key":"service.name","value":{"stringValue":"bot"}},
      {"key":"service.instance.id","value":{"intValue":"42"}}]})"));
  REQUIRE(rs["scopeSpans"].size() == 1);
  const json& ss = rs["scopeSpans"][0];
  CHECK(ss["scope"] == json::parse(R"({"name":"trail","version":"0.1.0"})"));
  REQUIRE(ss["spans"].size() == 2);

  const json& root = ss["spans"][0];
  CHECK(root["traceId"] == "0123456789abcdeffedcba9876543210");
  CHECK(root["spanId"] == "00000000000000a1");
  CHECK_FALSE(root.contains("parentSpanId"));
  CHECK(root["traceState"] == "vendor=a:1,other=b");
  CHECK(root["flags"] == 0x301);
  CHECK(root["name"] == "episode");
  CHECK(root["kind"] == 2);
  CHECK(root["startTimeUnixNano"] == "1700000000000000000");
  CHECK(root["endTimeUnixNano"] == "18446744073709551615");
  CHECK(root["attributes"] == json::parse(R"([
      {"key":"agent.name","value":{"stringValue":"npc \"7\""}},
      {"key":"done","value":{"boolValue":true}},
      {"key":"nodes","value":{"intValue":"-9223372036854775808"}},
      {"key":"score","value":{"doubleValue":0.25}},
      {"key":"nan","value":{"doubleValue":"NaN"}},
      {"key":"pinf","value":{"doubleValue":"Infinity"}},
      {"key":"ninf","value":{"doubleValue":"-Infinity"}},
      {"key":"tools","value":{"arrayValue":{"values":[
          {"stringValue":"search"},{"stringValue":"café"},{"stringValue":""}]}}},
      {"key":"empty","value":{"arrayValue":{"values":[]}}}])"));
  CHECK_FALSE(root.contains("droppedAttributesCount"));
  CHECK_FALSE(root.contains("events"));
  CHECK_FALSE(root.contains("droppedEventsCount"));
  CHECK(root["status"] == json::parse(R"({"code":1})"));
  CHECK(root.size() == 10);

  const json& child = ss["spans"][1];
  CHECK(child["traceId"] == "0123456789abcdeffedcba9876543210");
  CHECK(child["spanId"] == "ffffffffffffffff");
  CHECK(child["parentSpanId"] == "00000000000000a1");
  CHECK_FALSE(child.contains("traceState"));
  CHECK_FALSE(child.contains("flags"));
  CHECK_FALSE(child.contains("attributes"));
  CHECK(child["name"] == "tool\ncall");
  CHECK(child["kind"] == 3);
  CHECK(child["startTimeUnixNano"] == "5");
  CHECK(child["endTimeUnixNano"] == "6");
  CHECK(child["droppedAttributesCount"] == 3);
  CHECK(child["events"] == json::parse(R"([
      {"timeUnixNano":"1234567890123456789","name":"retry",
       "attributes":[{"key":"attempt","value":{"intValue":"2"}},
                     {"key":"why","value":{"stringValue":"timeout \ufffd"}}],
       "droppedAttributesCount":1},
      {"timeUnixNano":"7","name":"bare"}])"));
  CHECK(child["droppedEventsCount"] == 4);
  CHECK(child["status"] == json::parse(R"({"code":2,"message":"no path"})"));
  CHECK(child.size() == 11);
}

TEST_CASE("empty batch, empty resource and scope without version") {
  std::string out = "garbage-before:";
  trail::detail::write_trace_request(out, trail::Resource{}, trail::InstrumentationScope{"s", ""}, nullptr, 0);
  CHECK(out == R"(garbage-before:{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"s"},"spans":[]}]}]})");
}

TEST_CASE("the buffer is appended to and reusable") {
  const std::vector<trail::SpanData> spans = {make_child()};
  std::string out;
  trail::detail::write_trace_request(out, {}, {}, spans.data(), spans.size());
  const std::string first = out;
  out.clear();
  trail::detail::write_trace_request(out, {}, {}, spans.data(), spans.size());
  CHECK(out == first);
  CHECK(json::parse(out)["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"] == "trail");
}

TEST_CASE("a request written over a reused buffer's bytes is the same as one written fresh") {
  const std::vector<trail::SpanData> spans = {make_child(), make_root()};
  std::string fresh;
  trail::detail::write_trace_request(fresh, {}, {}, spans.data(), spans.size());
  for (const std::size_t held : {std::size_t{0}, std::size_t{10}, fresh.size(), 3 * fresh.size() + 5000}) {
    std::string reused(held, 'x');
    trail::detail::write_trace_request(reused, {}, {}, spans.data(), spans.size(), 0);
    CHECK(reused == fresh);
  }
  std::string grown = "kept:";  // written from an offset: what is before it stays
  grown.resize(20000, 'y');
  trail::detail::write_trace_request(grown, {}, {}, spans.data(), spans.size(), 5);
  CHECK(grown == "kept:" + fresh);
}

TEST_CASE("partialSuccess of a response body: counts, messages, and bodies that are not what we expect") {
  using trail::detail::rejected_count;
  std::string message;
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad \"span\" \u00e9\ud83d\ude00"}})",
                       "rejectedSpans", message) == 3);
  CHECK(message == "bad \"span\" \xc3\xa9\xf0\x9f\x98\x80");
  message.clear();
  CHECK(rejected_count(R"( {"x":[1,-2.5e3,{"y":null}],"partialSuccess":{"rejectedDataPoints":7,"z":true}} )",
                       "rejectedDataPoints", message) == 7);
  CHECK(message.empty());
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":7}})", "rejectedDataPoints", message) == 0);
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":-1}})", "rejectedSpans", message) == 0);
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":1.5}})", "rejectedSpans", message) == 0);
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":"1x"}})", "rejectedSpans", message) == 0);
  CHECK(rejected_count(R"({"partialSuccess":{}})", "rejectedSpans", message) == 0);
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":2})", "rejectedSpans", message) == 0);  // truncated
  CHECK(rejected_count(R"({"partialSuccess":{"rejectedSpans":2}} x)", "rejectedSpans", message) == 0);
  CHECK(rejected_count("NOT JSON", "rejectedSpans", message) == 0);
  CHECK(rejected_count("", "rejectedSpans", message) == 0);
  CHECK(message.empty());
}

TEST_CASE("items a receiver rejects the whole request for are left out and counted, never sent") {
  trail::SpanData span;
  span.trace_id = trail::TraceId{1, 2};
  span.span_id = trail::SpanId{3};
  span.name = "repaired";
  span.attributes.push_back({"", std::string("empty key")});
  span.attributes.push_back({"a\xff", std::string("first")});
  span.attributes.push_back({"a\xfe", std::string("same key after UTF-8 repair")});
  span.attributes.push_back({"ok", std::int64_t{1}});
  span.events.resize(2);
  span.events[0].name = "";  // no name: rejected by receivers
  span.events[1].name = "named";
  span.events[1].attributes.push_back({"", true});
  trail::Resource resource;
  resource.attributes.push_back({"service.name", std::string("svc")});
  resource.attributes.push_back({"", std::string("bad entry")});
  resource.attributes.push_back({"service.name", std::string("repeated")});

  const auto body = nlohmann::json::parse(trail::to_otlp_json(resource, trail::InstrumentationScope{}, {span}));
  const auto& res = body["resourceSpans"][0]["resource"];
  REQUIRE(res["attributes"].size() == 1);
  CHECK(res["attributes"][0]["value"]["stringValue"] == "svc");
  CHECK(res["droppedAttributesCount"] == 2);
  const auto& s = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  REQUIRE(s["attributes"].size() == 2);
  CHECK(s["attributes"][0]["key"] == "a\xEF\xBF\xBD");
  CHECK(s["attributes"][0]["value"]["stringValue"] == "first");
  CHECK(s["attributes"][1]["key"] == "ok");
  CHECK(s["droppedAttributesCount"] == 2);
  REQUIRE(s["events"].size() == 1);
  CHECK(s["events"][0]["name"] == "named");
  CHECK(s["events"][0]["droppedAttributesCount"] == 1);
  CHECK(s["droppedEventsCount"] == 1);

  // Found while the batch is written (not checked before): the span is
  // written again, repaired, in place of what was written of it; the
  // spans around it come out as they do alone. Link keys too.
  trail::SpanData clean = span;
  clean.name = "clean";
  clean.attributes = {{"k", std::string("v")}};
  clean.events.clear();
  trail::SpanData linked = clean;
  linked.links.resize(1);
  linked.links[0].trace_id = trail::TraceId{4, 5};
  linked.links[0].span_id = trail::SpanId{6};
  linked.links[0].attributes.push_back({"\xC3", std::string("x")});
  linked.links[0].attributes.push_back({"fine", std::string("y")});
  const auto batch = nlohmann::json::parse(trail::to_otlp_json(resource, trail::InstrumentationScope{},
                                                               {clean, span, linked, clean}));
  const auto& spans = batch["resourceSpans"][0]["scopeSpans"][0]["spans"];
  REQUIRE(spans.size() == 4);
  CHECK(spans[0] == spans[3]);
  CHECK(spans[0]["name"] == "clean");
  CHECK(spans[1] == s);
  const auto& link = spans[2]["links"][0];
  REQUIRE(link["attributes"].size() == 2);
  CHECK(link["attributes"][0]["key"] == fffd);
  CHECK(link["attributes"][1]["key"] == "fine");
  CHECK_FALSE(link.contains("droppedAttributesCount"));
  linked.links[0].attributes.push_back({"\xC4", std::string("same key after repair")});
  const auto dropped = nlohmann::json::parse(trail::to_otlp_json(resource, trail::InstrumentationScope{}, {linked}));
  CHECK(dropped["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["links"][0]["droppedAttributesCount"] == 1);

  std::vector<trail::MetricData> metrics(1);
  metrics[0].name = "m";
  metrics[0].type = trail::MetricType::gauge;
  metrics[0].number_points.resize(1);
  metrics[0].number_points[0].attributes.push_back({"", std::string("x")});
  metrics[0].number_points[0].attributes.push_back({"k", std::string("v")});
  std::string out;
  trail::write_metrics_request(out, resource, trail::InstrumentationScope{}, metrics);
  const auto m = nlohmann::json::parse(out);
  const auto& point = m["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"][0];
  REQUIRE(point["attributes"].size() == 1);
  CHECK(point["attributes"][0]["key"] == "k");
}
