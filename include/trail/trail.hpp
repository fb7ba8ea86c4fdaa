// trail: tracing for agents. The one header instrumented code includes.
//
//   void plan() {
//     TRAIL_FUNCTION();             // span named after the function
//     TRAIL_SPAN_VAR(s, "score");   // a span to add data to
//     s.set("nodes", 128);
//   }
//
// Standard headers only: cheap to compile. Exporting (trail::init) lives in
// <trail/runtime.hpp>, included where the program starts.
#pragma once

#include "clock.hpp"
#include "context.hpp"
#include "dump.hpp"
#include "enums.hpp"
#include "event_type.hpp"
#include "ids.hpp"
#include "propagation.hpp"
#include "sampler.hpp"
#include "session.hpp"
#include "span.hpp"
#include "state.hpp"
#include "version.hpp"
