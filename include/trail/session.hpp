// trail::Session: an agent's run (a match, a mission, an NPC's life) as a
// chain of episodes, each one trace: its root span `session {name}` starts a
// new trace, and new_episode() ends it and starts the next, linked to the
// previous root by a span link. All episodes share the session id
// (`session.id`, `gen_ai.conversation.id`), drawn when the session starts.
// activate() makes the current episode current for a scope, so many sessions
// share a thread (a game updating 500 NPCs per frame).
//
//   trail::Session npc("guard-7", "guard", "npc-7", {"level-3", "hard"});
//   { auto on = npc.activate(); TRAIL_SPAN("perceive"); }   // in npc's trace
//   npc.new_episode(trail::EndState::success);              // round 2: a new trace
//   npc.end(trail::EndState::success);
//
// A session never vanishes: destroyed without end(), or still open when the
// runtime shuts down (detail::end_open_sessions), it ends as indeterminate.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
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

// Up to 16 short strings (a session's tags) kept inline, so that every
// episode root repeats them without allocating; more or longer are cut.
class InlineStrings {
 public:
  InlineStrings() noexcept = default;
  InlineStrings(const std::string_view* items, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count && count_ < max_count; ++i) {
      const JoinedName<64> cut(items[i], {});  // at a UTF-8 boundary
      const std::string_view item = cut.view();
      if (item.size() > sizeof text_ - used_) break;
      for (std::size_t j = 0; j < item.size(); ++j) text_[used_ + j] = item[j];
      lengths_[count_++] = static_cast<std::uint8_t>(item.size());
      used_ += item.size();
    }
  }
  // Views into this object: valid while it lives unchanged.
  std::size_t views(std::string_view (&out)[16]) const noexcept {
    std::size_t at = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      out[i] = std::string_view(text_ + at, lengths_[i]);
      at += lengths_[i];
    }
    return count_;
  }

 private:
  static constexpr std::size_t max_count = 16;
  char text_[256];
  std::uint8_t lengths_[max_count] = {};
  std::size_t count_ = 0;
  std::size_t used_ = 0;
};

// activate() on a session that has ended: said once per process (per copy of trail).
inline std::atomic<bool> ended_activation_said{false};
inline void report_ended_activation() noexcept {
  if (!ended_activation_said.exchange(true, std::memory_order_relaxed))
    std::fputs("trail: activate() on a session that has ended: nothing is recorded under it (said once)\n", stderr);
}

}  // namespace detail

// Makes a session's context current for a scope, then restores what was
// current before: a ContextScope. The context carries the session (its
// annotation), so GenAI spans under it get gen_ai.conversation.id however
// it became current: activate(), a ContextScope, an explicit parent.
using SessionScope = ContextScope;

class Session {
 public:
  // No session: activating it makes no context current; ending it does nothing.
  Session() noexcept = default;

  // Starts a session and its first episode: a root span `session {name}` in
  // a new trace, whose sampling decision all the episode's spans inherit.
  // `name`: the session's name (session.name, and the root spans' names);
  // `agent_name` / `agent_id`: the agent it runs (gen_ai.agent.name / .id,
  // left out when empty); `tags`: session.tags. Every episode root repeats
  // them (names cut at 64 bytes, at most 16 tags of 64 bytes, 256 in all).
  explicit Session(std::string_view name, std::string_view agent_name = {}, std::string_view agent_id = {},
                   std::initializer_list<std::string_view> tags = {}) noexcept
      : Session(name, agent_name, agent_id, tags.begin(), tags.size()) {}

  Session(std::string_view name, std::string_view agent_name, std::string_view agent_id,
          const std::string_view* tags, std::size_t tag_count) noexcept
      : name_(name, {}), agent_name_(agent_name, {}), agent_id_(agent_id, {}), tags_(tags, tag_count) {
    if (!detail::enabled()) return;
    detail::ThreadState* ts = detail::thread_state();
    if (ts == nullptr) return;  // this thread cannot record
    id_ = ts->ids.trace_id();
    start_episode(Context{});
    if (!root_.context().valid()) return;
    state_.store(idle, std::memory_order_relaxed);
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

  // Makes the session's current episode current on this thread for the
  // returned scope: every span opened inside belongs to its trace.
  //   auto on = session.activate();
  // On a session that has ended, spans opened inside are not recorded (and
  // that is said once on stderr): they would belong to a finished trace.
  SessionScope activate() const noexcept { return activate(root_.context()); }

  // Makes `ctx` (a span of this session, captured with trail::current() and
  // handed to this thread) current, as part of the session.
  SessionScope activate(const Context& ctx) const noexcept {
    // The episode's note was lost to a full ring: written again now, under
    // the same id, so that the spans under it still get the conversation id.
    // Only for that episode's context (another one's note was not lost).
    std::uint32_t lost = unwritten_note_.load(std::memory_order_relaxed);
    if (lost != 0 && ctx.annotation == lost &&
        unwritten_note_.compare_exchange_strong(lost, 0, std::memory_order_relaxed) &&
        !detail::write_note(lost, detail::NoteKind::session, id_, {})) {
      std::uint32_t none = 0;  // failed again: retried later, unless a newer episode's note was lost since
      unwritten_note_.compare_exchange_strong(none, lost, std::memory_order_relaxed);
    }
    if (!ctx.valid() || state_.load(std::memory_order_acquire) != ended) return SessionScope(ctx);
    detail::report_ended_activation();
    Context unsampled = ctx;
    unsampled.trace_flags = 0;
    unsampled.annotation = 0;
    return SessionScope(unsampled);
  }

  // Ends the current episode as `state` (its root span's session.end_state
  // and status, as end() does) and starts the next one: a new root span in
  // a new trace, linked to the previous root, with the same session id and
  // attributes plus session.episode. Spans already open stay in their
  // episode; activate() after the call makes the new one current. False
  // (and nothing changes) when the session has ended.
  bool new_episode(EndState state = EndState::success, std::string_view message = {}) noexcept {
    if (!acquire()) return false;
    const Context previous = root_.context();
    end_root(state, message);
    ++episode_;
    start_episode(previous);
    state_.store(idle, std::memory_order_release);
    return true;
  }

  // Ends the session (its current episode) once: later calls, and the
  // destructor, do nothing. `message` describes a failure (the status
  // description of a fail).
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
  // The session id, the same for all episodes (invalid when tracing was off):
  // not a trace id, each episode has its own trace.
  TraceId id() const noexcept { return id_; }
  // The current episode's root span context, e.g. to inject into a request.
  const Context& context() const noexcept { return root_.context(); }
  // The current episode's number: 0 for the first, then 1, 2, ...
  std::uint32_t episode() const noexcept { return episode_; }

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

  // A new trace for episode episode_, its root carrying the session's
  // annotation (a note with the session id, for gen_ai.conversation.id on
  // the GenAI spans under it), linked to the previous episode's root.
  void start_episode(const Context& previous) noexcept {
    Context origin;  // invalid: a new trace, but with the session's annotation
    origin.annotation = detail::new_annotation();
    const bool written = detail::write_note(origin.annotation, detail::NoteKind::session, id_, {});
    unwritten_note_.store(written ? 0 : origin.annotation, std::memory_order_relaxed);
    root_ = AsyncSpan(detail::JoinedName("session", name_.view()).view(), SpanKind::internal, origin);
    if (!root_.is_recording()) return;  // unsampled
    char id[32];
    id_.to_hex(id);
    root_.set("session.id", std::string_view(id, sizeof id));
    root_.set("gen_ai.conversation.id", std::string_view(id, sizeof id));
    root_.set("session.name", name_.view());
    root_.set("session.episode", static_cast<std::int64_t>(episode_));
    if (!agent_name_.view().empty()) root_.set("gen_ai.agent.name", agent_name_.view());
    if (!agent_id_.view().empty()) root_.set("gen_ai.agent.id", agent_id_.view());
    std::string_view tags[16];
    if (const std::size_t n = tags_.views(tags)) root_.set_array("session.tags", tags, n);
    if (previous.valid()) root_.link(previous, {{"session.link", "previous_episode"}});
  }

  // The current episode's end: session.end_state and the status.
  void end_root(EndState state, std::string_view message) noexcept {
    root_.set("session.end_state", end_state_name(state));
    if (state == EndState::fail) root_.set_status(StatusCode::error, message.empty() ? "session failed" : message);
    root_.end();
  }

  // Called holding busy; leaves the session ended.
  void finish(EndState state, std::string_view message) noexcept {
    end_root(state, message);
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
    id_ = other.id_;
    episode_ = other.episode_;
    name_ = other.name_;
    agent_name_ = other.agent_name_;
    agent_id_ = other.agent_id_;
    tags_ = other.tags_;
    unwritten_note_.store(other.unwritten_note_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
    state_.store(other.state_.exchange(ended, std::memory_order_acq_rel), std::memory_order_relaxed);
    if (other.linked_) {
      other.unlink();
      link();
    }
    detail::sessions().unlock();
  }

  AsyncSpan root_;
  TraceId id_;
  std::uint32_t episode_ = 0;
  detail::JoinedName<64> name_;
  detail::JoinedName<64> agent_name_;
  detail::JoinedName<64> agent_id_;
  detail::InlineStrings tags_;
  std::atomic<std::uint8_t> state_{ended};
  // The current episode's note id when it did not fit in the ring (0: it
  // was written); activate() with that episode's context writes it again.
  mutable std::atomic<std::uint32_t> unwritten_note_{0};
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
