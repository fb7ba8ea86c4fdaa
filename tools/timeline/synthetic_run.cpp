// Writes the HTML timeline of a synthetic run of about N spans (agents on
// 4 threads, frames of perceive / plan / act, LLM calls spanning frames,
// 1% errors), to measure the viewer at 100 k and 1 M spans
// (scripts/ci/timeline.sh). Not installed.
//
//   timeline_synthetic_run <spans> <out.html>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <trail/export/html_exporter.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: timeline_synthetic_run <spans> <out.html>\n");
    return 2;
  }
  const std::size_t target = std::strtoull(argv[1], nullptr, 10);
  const int agents = 500;
  const std::uint64_t t0 = 1'700'000'000'000'000'000ull, frame_ns = 16'000'000;
  trail::detail::TimelineStore store(target + 1000);
  const trail::Resource resource{{{"service.name", std::string("synthetic")}}};
  std::uint64_t next_id = 1, rng = 0x9E3779B97F4A7C15ull;
  auto random = [&] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  std::vector<trail::SpanData> batch;
  auto span = [&](int agent, std::uint64_t parent, const char* name, std::uint64_t start, std::uint64_t end) {
    trail::SpanData s;
    s.trace_id = trail::TraceId{1, static_cast<std::uint64_t>(agent) + 1};
    s.span_id = trail::SpanId{next_id++};
    s.parent_span_id = trail::SpanId{parent};
    s.name = name;
    s.start_time_unix_nano = start;
    s.end_time_unix_nano = end;
    s.attributes.push_back({"thread.id", static_cast<std::int64_t>(1000 + agent % 4)});
    if (random() % 100 == 0) {
      s.status_code = trail::StatusCode::error;
      s.status_message = "synthetic failure";
    }
    batch.push_back(s);
    return s.span_id.value;
  };
  const std::size_t per_frame = static_cast<std::size_t>(agents) * 4;
  const std::size_t frames = target / per_frame + 1;
  std::vector<std::uint64_t> roots(agents);
  for (int a = 0; a < agents; ++a) roots[a] = next_id + static_cast<std::uint64_t>(a);
  next_id += agents;
  std::size_t made = 0;
  for (std::size_t f = 0; f < frames && made < target; ++f) {
    for (int a = 0; a < agents && made < target; ++a) {
      const std::uint64_t base = t0 + f * frame_ns + static_cast<std::uint64_t>(a) * 20'000;
      const std::uint64_t think = span(a, roots[a], "think", base, base + 15'000);
      span(a, think, "perceive", base + 500, base + 4'000 + random() % 2000);
      const std::uint64_t plan = span(a, think, "plan", base + 6'500, base + 11'000);
      if (random() % 50 == 0) {
        span(a, plan, "chat synthetic-model", base + 7'000, base + 7'000 + (5 + random() % 20) * frame_ns);
        batch.back().attributes.push_back({"gen_ai.request.model", std::string("synthetic-model")});
        batch.back().attributes.push_back({"gen_ai.usage.input_tokens", static_cast<std::int64_t>(random() % 900)});
      } else {
        span(a, think, "act", base + 11'500, base + 14'000);
      }
      made += 4;
    }
    store.add(resource, batch.data(), batch.size());
    batch.clear();
  }
  const std::uint64_t end = t0 + frames * frame_ns + 400 * frame_ns;
  for (int a = 0; a < agents; ++a) {
    trail::SpanData s;
    s.trace_id = trail::TraceId{1, static_cast<std::uint64_t>(a) + 1};
    s.span_id = trail::SpanId{roots[a]};
    s.name = "session agent";
    s.start_time_unix_nano = t0;
    s.end_time_unix_nano = end;
    s.attributes.push_back({"gen_ai.agent.id", "agent-" + std::to_string(a)});
    s.attributes.push_back({"session.end_state", std::string(a % 10 == 0 ? "fail" : "success")});
    s.attributes.push_back({"thread.id", static_cast<std::int64_t>(1000 + a % 4)});
    store.add(s);
  }
  std::string html;
  trail::detail::append_timeline_html(store, html);
  const std::string error = trail::detail::write_file_atomically(argv[2], html);
  if (!error.empty()) {
    std::fprintf(stderr, "timeline_synthetic_run: %s\n", error.c_str());
    return 1;
  }
  std::printf("%s: %zu spans, %zu bytes\n", argv[2], store.spans().size(), html.size());
  return 0;
}
