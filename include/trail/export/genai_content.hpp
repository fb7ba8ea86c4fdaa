// GenAI spans on the export side. Captured message content arrives as the
// recording side wrote it (string arrays, genai.hpp) and leaves as the
// semantic conventions' JSON strings (gen-ai-system-instructions.json,
// gen-ai-input-messages.json, gen-ai-output-messages.json,
// gen-ai-tool-definitions.json), each text passed through the user's
// redaction hook, then cut at a length. With
// OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai/dup the older gen_ai.system is
// written next to gen_ai.provider.name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"
#include "json_reader.hpp"
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

// The user's redaction hook on one text; false when it threw.
inline bool redact_content(std::string_view attribute, std::string& text, const GenAiOptions& o) {
  if (!o.redact) return true;
  bool ok = true;
  TRAIL_TRY { o.redact(attribute, text); }
  TRAIL_CATCH_ALL { ok = false; }
  return ok;
}

// The text cut at the content length, at a UTF-8 boundary.
inline void cut_content(std::string& text, const GenAiOptions& o) {
  if (text.size() <= o.content_max_length) return;
  std::size_t keep = o.content_max_length;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0u) == 0x80u) --keep;
  text.resize(keep);
}

// The text redacted, then cut; false when the redactor threw.
inline bool prepare_content(std::string_view attribute, std::string& text, const GenAiOptions& o) {
  if (!redact_content(attribute, text, o)) return false;
  cut_content(text, o);
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

// A captured value that may be JSON (tool arguments, responses, parameter
// schemas), redacted: embedded as given when it is one JSON document within
// the length, else as a JSON string cut at the length (a cut JSON document
// would break the attribute's JSON); false when the redactor threw.
inline bool append_json_or_string(std::string& json, std::string_view attribute, std::string text,
                                  const GenAiOptions& o) {
  if (!redact_content(attribute, text, o)) return false;
  if (text.size() <= o.content_max_length) {
    JsonReader reader(text);
    if (reader.value() && reader.at_end()) {
      json += text;
      return true;
    }
  }
  cut_content(text, o);
  append_json_string(json, text);
  return true;
}

// One message part from its content, tool call id and tool name (see
// genai::Message): text, tool_call or tool_call_response.
inline bool append_message_part(std::string& json, std::string_view attribute, std::string_view role,
                                const std::string& content, const std::string& call_id, const std::string& tool,
                                const GenAiOptions& o) {
  if (tool.empty() && call_id.empty() && role != "tool") return append_text_part(json, attribute, content, o);
  json += tool.empty() ? "{\"type\":\"tool_call_response\"" : "{\"type\":\"tool_call\"";
  if (!call_id.empty()) {
    json += ",\"id\":";
    append_json_string(json, call_id);
  }
  if (!tool.empty()) {
    json += ",\"name\":";
    append_json_string(json, tool);
    if (content.empty()) {  // no arguments given
      json += '}';
      return true;
    }
    json += ",\"arguments\":";
  } else {
    json += ",\"response\":";
  }
  if (!append_json_or_string(json, attribute, content, o)) return false;
  json += '}';
  return true;
}

// gen_ai.tool.definitions from name, description, parameters, type per tool.
inline bool tool_definitions_json(std::string_view key, const std::vector<std::string>& items, const GenAiOptions& o,
                                  std::string& json) {
  json += '[';
  for (std::size_t i = 0; i + 3 < items.size(); i += 4) {
    if (i) json += ',';
    json += "{\"type\":";
    append_json_string(json, items[i + 3].empty() ? std::string_view("function") : std::string_view(items[i + 3]));
    json += ",\"name\":";
    append_json_string(json, items[i]);
    if (!items[i + 1].empty()) {
      std::string description = items[i + 1];
      if (!prepare_content(key, description, o)) return false;
      json += ",\"description\":";
      append_json_string(json, description);
    }
    if (!items[i + 2].empty()) {
      json += ",\"parameters\":";
      if (!append_json_or_string(json, key, items[i + 2], o)) return false;
    }
    json += '}';
  }
  json += ']';
  return true;
}

// Ends a message's parts, with its finish reason (output messages).
inline void close_message(std::string& json, bool output, const std::string& finish_reason) {
  json += ']';
  if (output && !finish_reason.empty()) {
    json += ",\"finish_reason\":";
    append_json_string(json, finish_reason);
  }
  json += '}';
}

// The JSON string of a captured content attribute; false when it is to be
// left out (a redactor threw).
inline bool content_json(std::string_view key, const std::vector<std::string>& items, const GenAiOptions& o,
                         std::string& json) {
  if (key == "gen_ai.tool.definitions") return tool_definitions_json(key, items, o, json);
  json += '[';
  if (key == "gen_ai.system_instructions") {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) json += ',';
      if (!append_text_part(json, key, items[i], o)) return false;
    }
  } else {  // messages: role, content, finish reason, tool call id, tool name per message (or part)
    const bool output = key == "gen_ai.output.messages";
    std::size_t message = 0;  // where the open message's fields start
    for (std::size_t i = 0; i + 4 < items.size(); i += 5) {
      const bool continues = i > 0 && items[i].empty();  // one more part of the message before
      if (!continues) {
        if (i) close_message(json, output, items[message + 2]);
        if (i) json += ',';
        message = i;
        json += "{\"role\":";
        append_json_string(json, items[i]);
        json += ",\"parts\":[";
      } else {
        json += ',';
      }
      if (!append_message_part(json, key, items[message], items[i + 1], items[i + 3], items[i + 4], o)) return false;
    }
    if (items.size() >= 5) close_message(json, output, items[message + 2]);
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
          a.key == "gen_ai.output.messages" || a.key == "gen_ai.tool.definitions") {
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
