// Context: the active span, handed across threads, and W3C Trace Context
// (traceparent / tracestate) to continue a trace in another process.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include <trail/trail.hpp>

#include "support/recorded.hpp"

using trail::test::find_span;
using trail::test::recorded;

namespace {

constexpr const char* valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

}  // namespace

TEST_CASE("work handed to another thread parents to the span that scheduled it") {
  recorded();
  trail::Context scheduled;
  std::thread worker;
  {
    TRAIL_SPAN("schedule");
    scheduled = trail::current();
    worker = std::thread([ctx = trail::current()] {
      CHECK_FALSE(trail::current().valid());  // a new thread starts with no context
      trail::ContextScope scope(ctx);
      TRAIL_SPAN("job");
    });
  }
  worker.join();
  const auto spans = recorded();
  const auto* schedule = find_span(spans, "schedule");
  const auto* job = find_span(spans, "job");
  REQUIRE(schedule);
  REQUIRE(job);
  CHECK(job->parent_span_id == schedule->span_id);
  CHECK(job->trace_id == schedule->trace_id);
  CHECK(scheduled.span_id == schedule->span_id);
}

TEST_CASE("ContextScope restores the previous context, nested or not") {
  trail::Context a;
  a.trace_id = {1, 2};
  a.span_id = {3};
  trail::Context b;
  b.trace_id = {4, 5};
  b.span_id = {6};
  CHECK_FALSE(trail::current().valid());
  {
    trail::ContextScope sa(a);
    CHECK(trail::current().span_id == a.span_id);
    {
      trail::ContextScope sb(b);
      CHECK(trail::current().span_id == b.span_id);
    }
    CHECK(trail::current().span_id == a.span_id);
  }
  CHECK_FALSE(trail::current().valid());
}

TEST_CASE("inject then extract a traceparent round-trips the context") {
  trail::Context ctx;
  ctx.trace_id = {0x0af7651916cd43ddull, 0x8448eb211c80319cull};
  ctx.span_id = {0xb7ad6b7169203331ull};
  ctx.trace_flags = 1;
  const trail::Traceparent tp = trail::inject_traceparent(ctx);
  CHECK(tp.view() == valid);
  const trail::Context back = trail::extract_traceparent(tp.view());
  CHECK(back.valid());
  CHECK(back.remote);
  CHECK(back.trace_id == ctx.trace_id);
  CHECK(back.span_id == ctx.span_id);
  CHECK(back.sampled());
  ctx.trace_flags = 0;
  CHECK(trail::inject_traceparent(ctx).view() == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  CHECK(trail::inject_traceparent(trail::Context{}).empty());  // nothing to propagate
}

TEST_CASE("a span continuing an extracted traceparent joins the remote trace") {
  recorded();
  {
    trail::ContextScope remote(trail::extract_traceparent(valid));
    TRAIL_SPAN("handle request");
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].trace_id == trail::extract_traceparent(valid).trace_id);
  CHECK(spans[0].parent_span_id == trail::SpanId{0xb7ad6b7169203331ull});
  CHECK(spans[0].flags == 0x301u);  // sampled, parent known to be remote
}

TEST_CASE("every invalid traceparent is ignored: a new trace starts") {
  const char* invalid[] = {
      "",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",    // too short
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011",  // version 00 is exactly 55 chars
      "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",    // short trace id
      "00-0af7651916cd43dd8448eb211c80319cc-b7ad6b716920333-01",   // misplaced separator
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",   // upper-case trace id
      "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",   // upper-case span id
      "0A-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // upper-case version
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0A",   // upper-case flags
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",   // all-zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",   // all-zero span id
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // version ff is forbidden
      "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // bad separator
      "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",   // bad separator
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01",   // bad separator
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",   // non-hex flags
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333x-01",   // non-hex span id
      "0x-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // non-hex version
      "00-0af7651916cd43dd 448eb211c80319c-b7ad6b7169203331-01",   // whitespace inside
      "00- 0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // whitespace after a separator
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",  // future version: extra data needs a '-'
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",      // future version, too short
  };
  for (const char* header : invalid) {
    INFO(header);
    CHECK_FALSE(trail::extract_traceparent(header).valid());
    CHECK_FALSE(trail::extract(header, "vendor=value").context.valid());
    CHECK(trail::extract(header, "vendor=value").tracestate.empty());  // dropped with its traceparent
  }
  recorded();
  {
    trail::ContextScope remote(trail::extract_traceparent(invalid[5]));
    TRAIL_SPAN("fresh root");
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK_FALSE(spans[0].parent_span_id.valid());
}

TEST_CASE("valid traceparents: a future version with extra fields, surrounding whitespace") {
  // A later version may append "-<more>"; only the known fields and the sampled bit are kept.
  const trail::Context future =
      trail::extract_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff-what-the-future-holds");
  CHECK(future.valid());
  CHECK(future.trace_flags == 1);
  const trail::Context future_bare =
      trail::extract_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  CHECK(future_bare.valid());
  CHECK_FALSE(future_bare.sampled());
  // Optional whitespace around an HTTP header value is not part of it.
  CHECK(trail::extract_traceparent(std::string(" \t") + valid + "  ").valid());
}

TEST_CASE("tracestate is passed through unchanged when valid, dropped when invalid") {
  const char* valid_states[] = {
      "",
      "vendor=value",
      "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
      "  congo=t61rcWkgMzE ,\trojo=00f067aa0ba902b7  ",  // optional whitespace around members
      "a=1,,b=2",                                          // empty members are allowed
      "a=1,",                                              // a trailing one too
      "tenant@system=x",                                   // multi-tenant key
      "0tenant@sys=x",                                     // a tenant id may start with a digit
      "k_-*/9=v a!~",                                      // every key and value character class
  };
  for (const char* state : valid_states) {
    INFO(state);
    CHECK(trail::valid_tracestate(state));
    const trail::ExtractedContext in = trail::extract(valid, state);
    CHECK(in.context.valid());
    CHECK(in.tracestate == state);
    const trail::TraceHeaders out = trail::inject(in.context, in.tracestate);
    CHECK(out.traceparent.view() == valid);
    CHECK(out.tracestate == state);
  }
  std::string max_members;
  for (int i = 0; i < 32; ++i) max_members += (i ? ",k" : "k") + std::to_string(i) + "=v";
  CHECK(trail::valid_tracestate(max_members));

  const std::string too_many = max_members + ",k32=v";
  const std::string long_value = "k=" + std::string(257, 'v');
  const std::string long_key = std::string(257, 'k') + "=v";
  const std::string long_system = "t@" + std::string(15, 's') + "=v";
  const std::string invalid_states[] = {
      too_many,        long_value,       long_key,        long_system,
      "novalue",       "k=",             "=v",            "Upper=v",
      "1key=v",        "k=a=b",          "k=v,k=w",       "k@=v",
      "@s=v",          "t@1s=v",         "k=v\x7f",       "k=caf\xC3\xA9",
      "k=v,bad key=v",
  };
  for (const std::string& state : invalid_states) {
    INFO(state);
    CHECK_FALSE(trail::valid_tracestate(state));
    const trail::ExtractedContext in = trail::extract(valid, state);
    CHECK(in.context.valid());  // the traceparent still counts
    CHECK(in.tracestate.empty());
    CHECK(trail::inject(in.context, state).tracestate.empty());
  }
  // No context, nothing to inject: tracestate goes only with a traceparent.
  CHECK(trail::inject(trail::Context{}, "vendor=value").tracestate.empty());
}
