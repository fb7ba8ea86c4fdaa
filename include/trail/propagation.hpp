// W3C Trace Context across processes: the `traceparent` and `tracestate`
// headers a request carries, injected into outgoing carriers and extracted
// from incoming ones.
//
//   auto in = trail::extract(headers["traceparent"], headers["tracestate"]);
//   trail::ContextScope scope(in.context);   // spans here continue the caller's trace
//
// An extracted tracestate is recorded once in the thread's ring: every span
// under the extracted context exports it as its `traceState`.
#pragma once

#include <string_view>

#include "context.hpp"
#include "record.hpp"
#include "span.hpp"

namespace trail {

// Both W3C Trace Context headers, for a carrier (HTTP headers, a message's
// metadata). `tracestate` views the string given to inject() or extract().
struct TraceHeaders {
  Traceparent traceparent;       // empty for an invalid context: send neither header
  std::string_view tracestate;   // empty: omit the header
};

// The headers continuing the trace of `ctx`; `tracestate` (received with the
// trace, see extract()) is passed through unchanged when valid, else dropped.
inline TraceHeaders inject(const Context& ctx, std::string_view tracestate = {}) noexcept {
  TraceHeaders out;
  out.traceparent = inject_traceparent(ctx);
  if (!out.traceparent.empty() && valid_tracestate(tracestate)) out.tracestate = tracestate;
  return out;
}

struct ExtractedContext {
  Context context;               // invalid: start a new trace
  std::string_view tracestate;   // views the header given; empty when invalid or without a valid traceparent
};

// Parses received headers. W3C: a tracestate is only read along with a valid
// traceparent; an invalid one is dropped, a valid one kept to pass on, and
// recorded for the spans under the context (their traceState on export;
// when tracing is off or the ring is full, they go without).
inline ExtractedContext extract(std::string_view traceparent, std::string_view tracestate = {}) noexcept {
  ExtractedContext out;
  out.context = extract_traceparent(traceparent);
  if (out.context.valid() && valid_tracestate(tracestate)) {
    out.tracestate = tracestate;
    if (!tracestate.empty() && detail::enabled())
      out.context.annotation = detail::record_note(detail::NoteKind::trace_state, TraceId{}, tracestate);
  }
  return out;
}

}  // namespace trail
