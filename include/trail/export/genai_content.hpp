// GenAI spans on the export side. Captured message content arrives as the
// recording side wrote it (string arrays, genai.hpp) and leaves as the
// semantic conventions' JSON strings (gen-ai-system-instructions.json,
// gen-ai-input-messages.json, gen-ai-output-messages.json), each text cut at
// a length and passed through the user's redaction hook first. With
// OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup the older gen_ai.system is
// written next to gen_ai.provider.name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"
#include "json_writer.hpp"
#include "span_data.hpp"

namespace trail {

// Called on the flusher thread for each captured text before it is exported:
// `attribute` is where it goes (gen_ai.input.messages, gen_ai.tool.call.result,
// ...), `text` one message part (or the whole tool argument / result), to
// change in place (mask, empty). A throw leaves the attribute out.
using ContentRedactor = std::function<void(std::string_view attribute, std::string& text)>;

namespace detail {

struct GenAiOptions {
  std::uint32_t content_max_length = 16384;  // bytes kept of each captured text, cut at a UTF-8 boundary
  ContentRedactor redact;
  bool emit_old_names = false;  // gen_ai.system too
};

// The text redacted, then cut; false when the redactor threw.
inline bool prepare_content(std::string_view attribute, std::string& text, const GenAiOptions& o) {
  if (o.redact) {
    bool ok = true;
    TRAIL_TRY { o.redact(attribute, text); }
    TRAIL_CATCH_ALL { ok = false; }
    if (!ok) return false;
  }
  if (text.size() > o.content_max_length) {
    std::size_t keep = o.content_max_length;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0u) == 0x80u) --keep;
    text.resize(keep);
  }
  return true;
}

// {"type":"text","content":...}
inline bool append_text_part(std::string& json, std::string_view attribute, std::string text, const GenAiOptions& o) {
  if (!prepare_content(attribute, text, o)) return false;
  json += "{\"type\":\"text\",\"content\":";
  append_json_string(json, text);
  json += '}';
  return true;
}

// The JSON string of a captured content attribute; false when it is to be
// left out (a redactor threw).
inline bool content_json(std::string_view key, const std::vector<std::string>& items, const GenAiOptions& o,
                         std::string& json) {
  json += '[';
  if (key == "gen_ai.system_instructions") {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) json += ',';
      if (!append_text_part(json, key, items[i], o)) return false;
    }
  } else {  // messages: role, content, finish reason per message
    const bool output = key == "gen_ai.output.messages";
    for (std::size_t i = 0; i + 2 < items.size(); i += 3) {
      if (i) json += ',';
      json += "{\"role\":";
      append_json_string(json, items[i]);
      json += ",\"parts\":[";
      if (!append_text_part(json, key, items[i + 1], o)) return false;
      json += ']';
      if (output && !items[i + 2].empty()) {
        json += ",\"finish_reason\":";
        append_json_string(json, items[i + 2]);
      }
      json += '}';
    }
  }
  json += ']';
  return true;
}

// Rewrites the GenAI attributes of a span the recording side marked as GenAI.
inline void rewrite_genai_span(SpanData& s, const GenAiOptions& o) {
  std::string provider;
  for (std::size_t i = 0; i < s.attributes.size();) {
    Attribute& a = s.attributes[i];
    bool keep = true;
    if (const auto* items = std::get_if<std::vector<std::string>>(&a.value)) {
      if (a.key == "gen_ai.system_instructions" || a.key == "gen_ai.input.messages" ||
          a.key == "gen_ai.output.messages") {
        std::string json;
        keep = content_json(a.key, *items, o, json);
        if (keep) a.value = std::move(json);
      }
    } else if (auto* text = std::get_if<std::string>(&a.value)) {
      if (a.key == "gen_ai.tool.call.arguments" || a.key == "gen_ai.tool.call.result")
        keep = prepare_content(a.key, *text, o);
      else if (a.key == "gen_ai.provider.name")
        provider = *text;
    }
    if (keep) {
      ++i;
    } else {
      s.attributes.erase(s.attributes.begin() + static_cast<std::ptrdiff_t>(i));
      ++s.dropped_attributes_count;
    }
  }
  if (o.emit_old_names && !provider.empty() && find_attribute(s.attributes, "gen_ai.system") == nullptr)
    s.attributes.push_back({"gen_ai.system", std::move(provider)});
}

}  // namespace detail

}  // namespace trail
