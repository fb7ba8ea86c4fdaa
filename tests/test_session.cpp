// Sessions: an agent's run as a chain of episode traces sharing the session
// id, activated for a scope, never lost.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <trail/trail.hpp>

#include "support/recorded.hpp"
#include "support/stderr_capture.hpp"

using trail::find_attribute;
using trail::test::find_span;
using trail::test::recorded;

namespace {

std::string hex(trail::TraceId id) {
  char text[32];
  id.to_hex(text);
  return std::string(text, sizeof text);
}

std::string string_attribute(const trail::SpanData& span, const char* key) {
  const auto* value = find_attribute(span.attributes, key);
  return value != nullptr ? std::get<std::string>(*value) : std::string("<missing>");
}

}  // namespace

TEST_CASE("a session is a root span in a new trace, carrying the session id") {
  recorded();
  trail::TraceId id;
  trail::TraceId trace;
  {
    TRAIL_SPAN("enclosing frame");  // a session never becomes its child
    trail::Session session("episode-1", "guard", "npc-7", {"level-3", "hard"});
    id = session.id();
    trace = session.context().trace_id;
    CHECK(id.valid());
    CHECK(session.episode() == 0);
    CHECK(session.is_open());
    session.end(trail::EndState::success);
    CHECK_FALSE(session.is_open());
  }
  const auto spans = recorded();
  const auto* root = find_span(spans, "session episode-1");
  REQUIRE(root);
  CHECK(root->trace_id == trace);
  CHECK_FALSE(root->trace_id == id);  // the session id is its own, not a trace id
  CHECK_FALSE(root->parent_span_id.valid());
  CHECK(root->kind == trail::SpanKind::internal);
  CHECK(string_attribute(*root, "session.id") == hex(id));
  CHECK(string_attribute(*root, "gen_ai.conversation.id") == hex(id));
  CHECK(string_attribute(*root, "session.name") == "episode-1");
  CHECK(string_attribute(*root, "gen_ai.agent.name") == "guard");
  CHECK(string_attribute(*root, "gen_ai.agent.id") == "npc-7");
  CHECK(std::get<std::vector<std::string>>(*find_attribute(root->attributes, "session.tags")) ==
        std::vector<std::string>{"level-3", "hard"});
  CHECK(string_attribute(*root, "session.end_state") == "success");
  CHECK(root->status_code == trail::StatusCode::unset);  // success leaves the status unset
}

TEST_CASE("sessions interleaved on one thread keep their spans in their own traces") {
  recorded();
  constexpr int count = 50;
  std::vector<trail::Session> sessions;
  sessions.reserve(count);  // moves would be fine too; reserve keeps the test about activation
  for (int i = 0; i < count; ++i) sessions.emplace_back("npc-" + std::to_string(i), "npc");

  TRAIL_SPAN_VAR(frame, "frame");  // active before and after every activation
  const trail::Context frame_ctx = trail::current();
  for (int tick = 0; tick < 2; ++tick) {
    for (int i = 0; i < count; ++i) {
      auto on = sessions[i].activate();
      CHECK(trail::current().trace_id == sessions[i].context().trace_id);
      TRAIL_SPAN_VAR(perceive, "perceive");
      perceive.set("npc", i);
      { TRAIL_SPAN("plan"); }
    }
    CHECK(trail::current().span_id == frame_ctx.span_id);  // restored after each scope
  }
  for (auto& s : sessions) s.end(trail::EndState::success);

  const auto spans = recorded();
  int perceived = 0;
  int planned = 0;
  for (const auto& span : spans) {
    if (span.name == "perceive") {
      const auto npc = std::get<std::int64_t>(*find_attribute(span.attributes, "npc"));
      const trail::Session& owner = sessions[static_cast<std::size_t>(npc)];
      CHECK(span.trace_id == owner.context().trace_id);
      CHECK(span.parent_span_id == owner.context().span_id);  // child of the session's root
      ++perceived;
    } else if (span.name == "plan") {
      const auto parent = std::find_if(spans.begin(), spans.end(),
                                        [&](const trail::SpanData& s) { return s.span_id == span.parent_span_id; });
      REQUIRE(parent != spans.end());
      CHECK(parent->name == "perceive");
      CHECK(span.trace_id == parent->trace_id);
      ++planned;
    }
  }
  CHECK(perceived == 2 * count);
  CHECK(planned == 2 * count);
  CHECK_FALSE(frame_ctx.trace_id == sessions[0].context().trace_id);
}

TEST_CASE("end states become the root span's status and session.end_state") {
  recorded();
  {
    trail::Session ok("won");
    trail::Session failed("lost");
    trail::Session unknown("unknown");
    ok.end(trail::EndState::success);
    failed.end(trail::EndState::fail, "ran out of health");
    unknown.end(trail::EndState::indeterminate);
  }
  { trail::Session failed_quietly("quiet"); failed_quietly.end(trail::EndState::fail); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 4);
  const auto* ok = find_span(spans, "session won");
  const auto* failed = find_span(spans, "session lost");
  const auto* unknown = find_span(spans, "session unknown");
  const auto* quiet = find_span(spans, "session quiet");
  REQUIRE(ok);
  REQUIRE(failed);
  REQUIRE(unknown);
  REQUIRE(quiet);
  CHECK(string_attribute(*ok, "session.end_state") == "success");
  CHECK(ok->status_code == trail::StatusCode::unset);
  CHECK(string_attribute(*failed, "session.end_state") == "fail");
  CHECK(failed->status_code == trail::StatusCode::error);
  CHECK(failed->status_message == "ran out of health");
  CHECK(string_attribute(*unknown, "session.end_state") == "indeterminate");
  CHECK(unknown->status_code == trail::StatusCode::unset);
  CHECK(quiet->status_code == trail::StatusCode::error);
  CHECK(quiet->status_message == "session failed");
}

TEST_CASE("a session destroyed without end() ends as indeterminate") {
  recorded();
  { trail::Session forgotten("forgotten"); }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].name == "session forgotten");
  CHECK(string_attribute(spans[0], "session.end_state") == "indeterminate");
}

TEST_CASE("ending twice is harmless: the first end wins") {
  recorded();
  {
    trail::Session s("twice");
    s.end(trail::EndState::fail, "first");
    s.end(trail::EndState::success);
    s.set("after.end", 1);  // ignored
  }
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(string_attribute(spans[0], "session.end_state") == "fail");
  CHECK(spans[0].status_message == "first");
  CHECK(find_attribute(spans[0].attributes, "after.end") == nullptr);
}

TEST_CASE("end_open_sessions ends the open ones as indeterminate, and they are collected") {
  recorded();
  trail::Session open_a("open-a");
  trail::Session open_b("open-b");
  trail::Session done("done");
  done.end(trail::EndState::success);
  open_a.set("score", 7);
  trail::detail::end_open_sessions();
  CHECK_FALSE(open_a.is_open());
  CHECK_FALSE(open_b.is_open());
  CHECK(trail::detail::sessions().head == nullptr);
  open_a.end(trail::EndState::success);  // too late: already ended
  const auto spans = recorded();
  REQUIRE(spans.size() == 3);
  for (const char* name : {"session open-a", "session open-b"}) {
    const auto* s = find_span(spans, name);
    REQUIRE(s);
    CHECK(string_attribute(*s, "session.end_state") == "indeterminate");
  }
  CHECK(std::get<std::int64_t>(*find_attribute(find_span(spans, "session open-a")->attributes, "score")) == 7);
  CHECK(string_attribute(*find_span(spans, "session done"), "session.end_state") == "success");
}

TEST_CASE("a moved session stays registered once, under its new owner") {
  recorded();
  auto owner = std::make_unique<trail::Session>("moved");
  const trail::TraceId id = owner->id();
  const trail::TraceId trace = owner->context().trace_id;
  trail::Session taken(std::move(*owner));
  CHECK_FALSE(owner->is_open());
  owner.reset();  // the moved-from session ends nothing
  CHECK(taken.id() == id);
  CHECK(recorded().empty());
  trail::detail::end_open_sessions();
  const auto spans = recorded();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].trace_id == trace);
}

TEST_CASE("shutdown racing owners that use and end their sessions: each ends exactly once") {
  recorded();
  constexpr int owners = 4;
  constexpr int per_owner = 50;
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < owners; ++t) {
    threads.emplace_back([&started] {
      std::vector<trail::Session> mine;
      for (int i = 0; i < per_owner; ++i) mine.emplace_back("raced");
      started.fetch_add(1);
      for (int i = 0; i < per_owner; ++i) {
        {
          auto on = mine[i].activate();
          TRAIL_SPAN("work");
        }
        mine[i].set("step", i);
        if (i % 2 == 0) mine[i].end(trail::EndState::success);
      }
      // the odd ones end here, unless shutdown ended them first
    });
  }
  while (started.load() < owners) std::this_thread::yield();
  trail::detail::end_open_sessions();
  for (auto& t : threads) t.join();
  trail::detail::end_open_sessions();
  const auto spans = recorded();
  int roots = 0;
  for (const auto& s : spans) roots += s.name == "session raced";
  CHECK(roots == owners * per_owner);
  CHECK(trail::detail::sessions().head == nullptr);
}

TEST_CASE("an unsampled session is unsampled as a whole, and nothing is exported for it") {
  recorded();
  trail::set_sampler(trail::SamplerKind::always_off);
  trail::Session quiet("quiet");
  trail::set_sampler(trail::SamplerKind::always_on);  // decided at the root: still off
  {
    auto on = quiet.activate();
    CHECK(trail::current().valid());
    TRAIL_SPAN_VAR(child, "child");
    CHECK_FALSE(child.is_recording());
  }
  quiet.end(trail::EndState::success);
  trail::set_sampler(trail::SamplerKind::parentbased_always_on);
  CHECK(recorded().empty());
}

TEST_CASE("a span of a session captured on one thread parents work on another") {
  recorded();
  trail::Session session("planner");
  trail::Context scheduled;
  {
    auto on = session.activate();
    TRAIL_SPAN("schedule");
    scheduled = trail::current();
  }
  std::thread worker([&] {
    auto on = session.activate(scheduled);
    TRAIL_SPAN("job");
  });
  worker.join();
  session.end(trail::EndState::success);
  const auto spans = recorded();
  const auto* job = find_span(spans, "job");
  REQUIRE(job);
  CHECK(job->trace_id == session.context().trace_id);
  CHECK(job->parent_span_id == scheduled.span_id);
}

TEST_CASE("shutdown ending sessions never touches one its owner freed after seeing it ended") {
  // Owners delete their session the moment it reads as ended; the registry
  // must be done with it by then (ASan: use after free, TSan: race).
  recorded();
  constexpr int threads = 4, rounds = 200;
  std::atomic<int> running{threads};
  std::vector<std::thread> owners;
  for (int t = 0; t < threads; ++t) {
    owners.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        auto session = std::make_unique<trail::Session>("raced");
        while (session->is_open()) std::this_thread::yield();
        session.reset();
      }
      --running;
    });
  }
  while (running.load() > 0) trail::detail::end_open_sessions();
  for (auto& t : owners) t.join();
  CHECK(trail::detail::sessions().head == nullptr);
  recorded();
}

TEST_CASE("new_episode starts a new trace linked to the previous episode's root; the session id stays") {
  recorded();
  trail::Session session("match", "guard", "npc-1", {"pvp", "night"});
  const trail::Context first = session.context();
  { auto on = session.activate(); TRAIL_SPAN("round 1 work"); }
  CHECK(session.new_episode(trail::EndState::fail, "lost the round"));
  const trail::Context second = session.context();
  CHECK(session.episode() == 1);
  CHECK_FALSE(second.trace_id == first.trace_id);
  { auto on = session.activate(); TRAIL_SPAN("round 2 work"); }
  session.end(trail::EndState::success);
  CHECK_FALSE(session.new_episode());  // ended: nothing changes

  const auto spans = recorded();
  const trail::SpanData* roots[2] = {nullptr, nullptr};
  for (const auto& s : spans) {
    if (s.name != "session match") continue;
    if (s.trace_id == first.trace_id) roots[0] = &s;
    if (s.trace_id == second.trace_id) roots[1] = &s;
  }
  REQUIRE(roots[0]);
  REQUIRE(roots[1]);
  for (const trail::SpanData* root : roots) {
    CHECK(string_attribute(*root, "session.id") == hex(session.id()));
    CHECK(string_attribute(*root, "gen_ai.conversation.id") == hex(session.id()));
    CHECK(string_attribute(*root, "session.name") == "match");
    CHECK(string_attribute(*root, "gen_ai.agent.name") == "guard");
    CHECK(string_attribute(*root, "gen_ai.agent.id") == "npc-1");
    CHECK(std::get<std::vector<std::string>>(*find_attribute(root->attributes, "session.tags")) ==
          std::vector<std::string>{"pvp", "night"});
  }
  CHECK(std::get<std::int64_t>(*find_attribute(roots[0]->attributes, "session.episode")) == 0);
  CHECK(std::get<std::int64_t>(*find_attribute(roots[1]->attributes, "session.episode")) == 1);
  CHECK(string_attribute(*roots[0], "session.end_state") == "fail");
  CHECK(roots[0]->status_code == trail::StatusCode::error);
  CHECK(roots[0]->status_message == "lost the round");
  CHECK(string_attribute(*roots[1], "session.end_state") == "success");
  // The second episode's root links to the first's.
  CHECK(roots[0]->links.empty());
  REQUIRE(roots[1]->links.size() == 1);
  CHECK(roots[1]->links[0].trace_id == first.trace_id);
  CHECK(roots[1]->links[0].span_id == first.span_id);
  CHECK(std::get<std::string>(*find_attribute(roots[1]->links[0].attributes, "session.link")) == "previous_episode");
  CHECK(find_span(spans, "round 1 work")->trace_id == first.trace_id);
  CHECK(find_span(spans, "round 2 work")->trace_id == second.trace_id);
  CHECK(find_span(spans, "round 2 work")->parent_span_id == second.span_id);
}

TEST_CASE("a session open for many episodes: each episode is its own trace, shutdown ends the last") {
  recorded();
  trail::Session npc("patrol");
  std::vector<trail::TraceId> traces;
  for (int i = 0; i < 5; ++i) {
    traces.push_back(npc.context().trace_id);
    { auto on = npc.activate(); TRAIL_SPAN("tick"); }
    npc.new_episode();
  }
  trail::detail::end_open_sessions();  // as shutdown does
  CHECK_FALSE(npc.is_open());
  const auto spans = recorded();
  int roots = 0;
  for (const auto& s : spans) {
    if (s.name != "session patrol") continue;
    ++roots;
    CHECK(string_attribute(s, "session.id") == hex(npc.id()));
  }
  CHECK(roots == 6);
  for (std::size_t i = 1; i < traces.size(); ++i) CHECK_FALSE(traces[i] == traces[i - 1]);
}

TEST_CASE("activate() on an ended session records nothing under it and says so once") {
  recorded();
  trail::Session session("over");
  session.end(trail::EndState::success);
  trail::detail::ended_activation_said = false;  // an earlier test may have had it said
  const std::string said = trail::test::capture_stderr([&] {
    for (int i = 0; i < 3; ++i) {
      auto on = session.activate();
      TRAIL_SPAN("late work");
    }
  });
  const auto spans = recorded();
  CHECK(find_span(spans, "late work") == nullptr);
  CHECK(find_span(spans, "session over") != nullptr);
  CHECK(said.find("activate() on a session that has ended") != std::string::npos);
  CHECK(said.find("activate()") == said.rfind("activate()"));  // once
  { TRAIL_SPAN("after the scope"); }
  CHECK(find_span(recorded(), "after the scope") != nullptr);  // recording goes on outside it
}
