// Instrumented code: includes trail.hpp only (no fmt, no nlohmann_json).
#include <trail/trail.hpp>

#include <string_view>

void record_work(std::string_view route) {
  TRAIL_SPAN_VAR(work, "consumer.work");
  work.set("consumer.route", route);
  for (int i = 0; i < 3; ++i) {
    TRAIL_SPAN_VAR(step, "consumer.step");
    step.set("consumer.step.index", i);
  }
}
