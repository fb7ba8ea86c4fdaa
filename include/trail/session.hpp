// trail::Session: an agent's run (an episode, a match, a mission) as one
// trace. The session's root span starts a new trace whose id is the session
// id; activate() makes it current for a scope, so many sessions share a
// thread (a game updating 500 NPCs per frame).
//
//   trail::Session npc("guard-7", "guard", "npc-7", {"level-3", "hard"});
//   { auto on = npc.activate(); TRAIL_SPAN("perceive"); }   // in npc's trace
//   npc.end(trail::EndState::success);
//
// A session never vanishes: destroyed without end(), or still open when the
// runtime shuts down (detail::end_open_sessions), it ends as indeterminate.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "context.hpp"
#include "span.hpp"
#include "state.hpp"

namespace trail {

// How a session ended; recorded as `session.end_state` and as the root
// span's status: fail -> ERROR, success and indeterminate -> UNSET (the
// OpenTelemetry and GenAI conventions leave success unset).
enum class EndState : std::uint8_t { success, fail, indeterminate };

constexpr std::string_view end_state_name(EndState state) noexcept {
  switch (state) {
    case EndState::success: return "success";
    case EndState::fail: return "fail";
    case EndState::indeterminate: return "indeterminate";
  }
  return "indeterminate";
}

class Session;

namespace detail {

// The process's open sessions (state.hpp), whichever copy of trail opened them.
inline SessionRegistry& sessions() noexcept { return process().sessions; }

// Ends every open session as indeterminate, from the calling thread (whose
// ring receives the end records). Called by the runtime's shutdown; safe
// while owners use or end their sessions concurrently.
void end_open_sessions() noexcept;

// "{prefix} {suffix}" (just the prefix when suffix is empty) in a stack
// buffer: span names built without allocating, cut at a UTF-8 boundary.
template <std::size_t Capacity = 256>
class JoinedName {
 public:
  JoinedName() noexcept = default;
  JoinedName(std::string_view prefix, std::string_view suffix) noexcept {
    append(prefix);
    if (!suffix.empty()) {
      append(" ");
      append(suffix);
    }
  }
  std::string_view view() const noexcept { return std::string_view(text_, size_); }

 private:
  void append(std::string_view part) noexcept {
    std::size_t n = part.size() < capacity - size_ ? part.size() : capacity - size_;
    if (n < part.size())
      while (n > 0 && (static_cast<unsigned char>(part[n]) & 0xC0u) == 0x80u) --n;
    for (std::size_t i = 0; i < n; ++i) text_[size_ + i] = part[i];
    size_ += n;
  }

  static constexpr std::size_t capacity = Capacity;
  char text_[capacity];
  std::size_t size_ = 0;
};

}  // namespace detail

// Makes a session's context current for a scope, then restores what was
// current before: as cheap as a ContextScope (plus the session's trace id).
class SessionScope {
 public:
  SessionScope(const Context& ctx, TraceId session) noexcept
      : saved_(detail::this_thread().current), saved_session_(detail::this_thread().session) {
    detail::ThreadState& ts = detail::this_thread();
    ts.current = ctx;
    ts.session = session;
  }
  ~SessionScope() {
    detail::ThreadState& ts = detail::this_thread();
    ts.current = saved_;
    ts.session = saved_session_;
  }
  SessionScope(const SessionScope&) = delete;
  SessionScope& operator=(const SessionScope&) = delete;

 private:
  Context saved_;
  TraceId saved_session_;
};

class Session {
 public:
  // No session: activating it makes no context current; ending it does nothing.
  Session() noexcept = default;

  // Starts a session: a root span `session {name}` in a new trace, whose
  // sampling decision all the session's spans inherit. Empty agent name / id
  // are left out.
  explicit Session(std::string_view name, std::string_view agent_name = {}, std::string_view agent_id = {},
                   std::initializer_list<std::string_view> tags = {}) noexcept
      : Session(name, agent_name, agent_id, tags.begin(), tags.size()) {}

  Session(std::string_view name, std::string_view agent_name, std::string_view agent_id,
          const std::string_view* tags, std::size_t tag_count) noexcept
      : root_(detail::JoinedName("session", name).view(), SpanKind::internal, Context{}) {
    if (!root_.context().valid()) return;  // tracing off, or this thread cannot record
    state_.store(idle, std::memory_order_relaxed);
    if (!root_.is_recording()) return;     // unsampled: nothing to end at shutdown
    char id[32];
    root_.context().trace_id.to_hex(id);
    root_.set("session.id", std::string_view(id, sizeof id));
    root_.set("gen_ai.conversation.id", std::string_view(id, sizeof id));
    root_.set("session.name", name);
    if (!agent_name.empty()) root_.set("gen_ai.agent.name", agent_name);
    if (!agent_id.empty()) root_.set("gen_ai.agent.id", agent_id);
    if (tag_count > 0) root_.set_array("session.tags", tags, tag_count);
    detail::sessions().lock();
    link();
    detail::sessions().unlock();
  }

  Session(Session&& other) noexcept { take(other); }
  Session& operator=(Session&& other) noexcept {
    if (this != &other) {
      end(EndState::indeterminate);
      take(other);
    }
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { end(EndState::indeterminate); }

  // Makes the session current on this thread for the returned scope: every
  // span opened inside belongs to the session's trace.
  //   auto on = session.activate();
  SessionScope activate() const noexcept { return SessionScope(root_.context(), root_.context().trace_id); }

  // Makes `ctx` (a span of this session, captured with trail::current() and
  // handed to this thread) current, as part of the session.
  SessionScope activate(const Context& ctx) const noexcept { return SessionScope(ctx, root_.context().trace_id); }

  // Ends the session once: later calls, and the destructor, do nothing.
  // `message` describes a failure (the status description of a fail).
  void end(EndState state, std::string_view message = {}) noexcept {
    if (!acquire()) return;
    finish(state, message);
    detail::sessions().lock();
    unlink();
    detail::sessions().unlock();
  }

  // Sets an attribute on the session's root span (see SpanBase::set).
  template <class T>
  Session& set(const char* key, const T& value) noexcept {
    if (acquire()) {
      root_.set(key, value);
      state_.store(idle, std::memory_order_release);
    }
    return *this;
  }

  bool is_open() const noexcept { return state_.load(std::memory_order_acquire) != ended; }
  // The session id: its trace id (invalid when tracing was off).
  TraceId id() const noexcept { return root_.context().trace_id; }
  // The root span's context, e.g. to inject into a request.
  const Context& context() const noexcept { return root_.context(); }

 private:
  friend void detail::end_open_sessions() noexcept;

  // state_: idle (open), busy (owner or shutdown is writing to the root), ended.
  enum : std::uint8_t { idle, busy, ended };

  // idle -> busy, waiting out a short busy; false once ended.
  bool acquire() noexcept {
    std::uint8_t expected = idle;
    while (!state_.compare_exchange_weak(expected, busy, std::memory_order_acquire, std::memory_order_relaxed)) {
      if (expected == ended) return false;
      if (expected == busy) detail::platform::yield();
      expected = idle;
    }
    return true;
  }

  // Called holding busy; leaves the session ended.
  void finish(EndState state, std::string_view message) noexcept {
    root_.set("session.end_state", end_state_name(state));
    if (state == EndState::fail) root_.set_status(StatusCode::error, message.empty() ? "session failed" : message);
    root_.end();
    state_.store(ended, std::memory_order_release);
  }

  // Registry links: read and written under the sessions' lock only.
  void link() noexcept {
    prev_ = nullptr;
    next_ = detail::sessions().head;
    if (next_ != nullptr) next_->prev_ = this;
    detail::sessions().head = this;
    linked_ = true;
  }
  void unlink() noexcept {
    if (!linked_) return;
    if (prev_ != nullptr) prev_->next_ = next_;
    else detail::sessions().head = next_;
    if (next_ != nullptr) next_->prev_ = prev_;
    prev_ = next_ = nullptr;
    linked_ = false;
  }

  // Under the lock, so that shutdown sees either `other` or this, never a half-moved session.
  void take(Session& other) noexcept {
    detail::sessions().lock();
    root_ = static_cast<AsyncSpan&&>(other.root_);
    state_.store(other.state_.exchange(ended, std::memory_order_acq_rel), std::memory_order_relaxed);
    if (other.linked_) {
      other.unlink();
      link();
    }
    detail::sessions().unlock();
  }

  AsyncSpan root_;
  std::atomic<std::uint8_t> state_{ended};
  bool linked_ = false;
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
};

namespace detail {

// Unlinks before finishing: once `ended` is published the owner may free the
// session, so the store in finish() is the last touch. An owner that ended
// it first is still waiting for this lock to unlink it, so it is alive.
inline void end_open_sessions() noexcept {
  sessions().lock();
  while (Session* s = sessions().head) {
    const bool ours = s->acquire();
    s->unlink();
    if (ours) s->finish(EndState::indeterminate, {});
  }
  sessions().unlock();
}

}  // namespace detail

}  // namespace trail
