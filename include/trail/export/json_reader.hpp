// A small validating JSON reader for the few small documents trail reads (a
// receiver's response body). It replaces nlohmann_json on the export side,
// whose parser alone cost about 4 s of compile time in the one translation
// unit that includes runtime.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trail::detail {

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) noexcept : p_(text.data()), end_(text.data() + text.size()) {}

  // Calls on_member(key, reader) for each member of the object that starts
  // here; on_member must consume the value (value(), string(), ...).
  template <class F>
  bool object(F&& on_member) {
    if (!consume('{')) return false;
    if (consume('}')) return true;
    do {
      std::string key;
      if (!string(&key) || !consume(':') || !on_member(key, *this)) return false;
    } while (consume(','));
    return consume('}');
  }

  // A string value; `out` (when set) gets it unescaped, as UTF-8.
  bool string(std::string* out) {
    if (!consume('"')) return false;
    while (p_ < end_ && *p_ != '"') {
      const char c = *p_++;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) *out += c;
        continue;
      }
      if (p_ == end_) return false;
      const char e = *p_++;
      const char* simple = "\"\\/bfnrt";
      const char* mapped = "\"\\/\b\f\n\r\t";
      std::uint32_t cp = 0;
      if (e == 'u') {
        if (!hex4(cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
          std::uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        if (out) append_utf8(*out, cp);
      } else {
        std::size_t i = 0;
        while (simple[i] != '\0' && simple[i] != e) ++i;
        if (simple[i] == '\0') return false;
        if (out) *out += mapped[i];
      }
    }
    return consume('"');
  }

  // A non-negative integer without fraction or exponent; other numbers are
  // valid but not `unsigned_integer` (false in `is_unsigned`).
  bool number(std::uint64_t& value, bool& is_unsigned) {
    skip_space();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') ++p_;
    else
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    is_unsigned = *start != '-';
    if (p_ < end_ && *p_ == '.') {
      is_unsigned = false;
      if (!digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_unsigned = false;
      if (++p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      --p_;
      if (!digits()) return false;
    }
    value = 0;
    if (is_unsigned)
      for (const char* d = start; d < p_; ++d) {
        const std::uint64_t next = value * 10 + static_cast<std::uint64_t>(*d - '0');
        if (next / 10 != value) is_unsigned = false;  // does not fit
        value = next;
      }
    return true;
  }

  // Any value, discarded.
  bool value(int depth = 0) {
    if (depth > 64) return false;
    skip_space();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object([&](const std::string&, JsonReader& r) { return r.value(depth + 1); });
      case '[':
        ++p_;
        if (consume(']')) return true;
        do
          if (!value(depth + 1)) return false;
        while (consume(','));
        return consume(']');
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default: {
        std::uint64_t v;
        bool u;
        return number(v, u);
      }
    }
  }

  char peek() {
    skip_space();
    return p_ < end_ ? *p_ : '\0';
  }

  // True when only white space is left.
  bool at_end() {
    skip_space();
    return p_ == end_;
  }

 private:
  void skip_space() noexcept {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool consume(char c) noexcept {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool literal(std::string_view word) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  // One or more digits after the current character.
  bool digits() noexcept {
    ++p_;
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }
  bool hex4(std::uint32_t& out) noexcept {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      out = out * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace trail::detail
