// Headers asked for before each OTLP/HTTP request (Config::header_provider).
// Its own header so that runtime.hpp's declarations need no exporter.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "settings.hpp"

namespace trail {

// What a header provider is asked for.
struct HeaderRequest {
  const char* signal;  // "traces" or "metrics"
  // The request's own deadline (the export deadline or the request timeout,
  // whichever is first): answer before it; a later answer is not sent.
  std::chrono::steady_clock::time_point deadline;
};

// Headers that change during a run, such as a bearer token obtained by
// exchanging an API key, which expires. Called on the flusher thread before
// every OTLP/HTTP request (retries included), never on a recording thread.
// Sets `headers` (sent after the configured ones, replacing any of the same
// name) and returns true; or returns false with a one-line reason in
// `error` (or throws): that request is not sent and counts as failed, not
// retried. A header whose name is not a token or whose value holds CR, LF or
// another control character is refused the same way (the value is never
// printed). Cache the token and refresh it shortly before it expires: a
// slow provider delays every request.
using HeaderProvider = std::function<bool(const HeaderRequest& request, Headers& headers, std::string& error)>;

}  // namespace trail
