// The offline spill (TRAIL_SPILL_DIR): OTLP requests the exporter could not
// deliver (endpoint unreachable, retries exhausted) are kept on disk and sent
// again, oldest first, once the endpoint answers: later in this run, or by
// the next program that uses the same directory.
//
// On disk, in the directory:
//   trail-spill.lock                       held (platform::FileLock) by the one
//                                          process that uses the directory
//   trail-<20-digit unix ns>-<seq>.spill   segments, written append-only:
//     "TRAILSP1", then records, each
//       magic "TSR1" | size u32 | crc u32 | version u8 | signal u8 |
//       protocol u8 | flags u8 (bit 0: gzip) | items u32 | body
//     size = 8 + body bytes; crc = CRC-32 of the size field, the meta and
//     the body; integers little endian. Each record is synced to the disk
//     before the next is written, so a crash (kill -9, power loss) loses at
//     most the record being written; a torn or corrupt record is skipped with
//     one line and reading resumes at the next valid record.
//   <segment>.ack                          progress, append-only 16-byte
//                                          entries "TSA1" | offset u64 | crc
//     One entry (synced) after the receiver accepted the record that ends at
//     offset; a segment is deleted once every record in it was accepted.
//
// "Accepted" means the receiver answered 2xx (a partial success included:
// the items it refused are counted as rejected and never sent again) or
// refused the request for good (another 4xx: sending it again cannot help).
// Unreachable, 429 and 5xx keep the record. So each record reaches the
// receiver once, except when the process dies between the receiver's answer
// and the ack entry: then that one record is sent again.
//
// Bounded: segments and ack files stay under max_bytes; to make room the
// oldest segment goes first, its spans counted as dropped (spill_full).
//
// Every call but counts() is the flusher thread's (disk I/O happens there
// only); counts() may be called from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../platform/file.hpp"
#include "crc32.hpp"
#include "settings.hpp"

namespace trail::detail {

enum class SpillSignal : std::uint8_t { traces = 1, metrics = 2 };

// One OTLP request as it was (or would have been) sent.
struct SpillRecord {
  SpillSignal signal = SpillSignal::traces;
  OtlpProtocol protocol = OtlpProtocol::http_json;
  bool gzip = false;         // the body is gzip-compressed (Content-Encoding: gzip)
  std::uint32_t items = 0;   // spans, or metric data points
  std::string body;
};

// What the spill did in this process (spans: the traces records' items).
struct SpillCounts {
  std::uint64_t spans_replayed = 0;           // sent from the spill, accepted by the receiver
  std::uint64_t spans_replay_rejected = 0;    // sent from the spill, refused by the receiver
  std::uint64_t spans_dropped_spill_full = 0; // removed with the oldest segments to stay under max_bytes
  std::uint64_t records_corrupt = 0;          // torn or corrupt stretches skipped (their spans are unknown)
  std::uint64_t spans_backlog = 0;            // in the directory now, waiting to be sent
  std::uint64_t bytes = 0;                    // the directory's segments and ack files
};

namespace spill_format {
constexpr char segment_magic[8] = {'T', 'R', 'A', 'I', 'L', 'S', 'P', '1'};
constexpr std::uint32_t record_magic = 0x31525354u;  // "TSR1"
constexpr std::uint32_t ack_magic = 0x31415354u;     // "TSA1"
constexpr std::size_t record_head = 12;              // magic, size, crc
constexpr std::size_t record_meta = 8;               // version, signal, protocol, flags, items
constexpr std::size_t ack_entry = 16;
constexpr std::uint64_t max_record = (std::uint64_t{1} << 30) + record_meta;  // request bodies are at most 1 GiB

inline void put32(char* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
inline void put64(char* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
inline std::uint32_t get32(const char* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint64_t get64(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The first valid record at or after `from` in `data`: its meta in `out`
// (body left empty), its span [begin, end). False when there is none.
inline bool find_record(std::string_view data, std::size_t from, SpillRecord& out, std::size_t& begin,
                        std::size_t& end) {
  char magic[4];
  put32(magic, record_magic);
  const std::string_view m(magic, 4);
  for (std::size_t pos = data.find(m, from); pos != std::string_view::npos; pos = data.find(m, pos + 1)) {
    if (data.size() - pos < record_head + record_meta) return false;
    const char* p = data.data() + pos;
    const std::uint64_t size = get32(p + 4);
    if (size < record_meta || size > max_record || size > data.size() - pos - record_head) continue;
    if (crc32(p + record_head, size, crc32(p + 4, 4)) != get32(p + 8)) continue;
    const auto version = static_cast<unsigned char>(p[12]);
    const auto signal = static_cast<unsigned char>(p[13]);
    const auto protocol = static_cast<unsigned char>(p[14]);
    if (version != 1 || signal < 1 || signal > 2 || protocol > 1) continue;
    out.signal = static_cast<SpillSignal>(signal);
    out.protocol = static_cast<OtlpProtocol>(protocol);
    out.gzip = (static_cast<unsigned char>(p[15]) & 1u) != 0;
    out.items = get32(p + 16);
    begin = pos;
    end = pos + record_head + static_cast<std::size_t>(size);
    return true;
  }
  return false;
}
}  // namespace spill_format

inline bool read_whole_file(const std::string& path, std::string& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out.clear();
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) out.append(buffer, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

class Spill {
 public:
  static constexpr std::uint64_t default_max_bytes = std::uint64_t{64} << 20;

  Spill(std::string directory, std::uint64_t max_bytes)
      : dir_(std::move(directory)),
        max_bytes_(max_bytes),
        segment_bytes_(std::clamp<std::uint64_t>(max_bytes / 16, std::uint64_t{64} << 10, std::uint64_t{16} << 20)) {}
  ~Spill() { close_active(); }
  Spill(const Spill&) = delete;
  Spill& operator=(const Spill&) = delete;

  const std::string& directory() const noexcept { return dir_; }

  // Opens the directory on first use (creating it when missing), takes its
  // lock and indexes what earlier runs left. False when it cannot, said in
  // one line on stderr the first time: the caller then drops what it would
  // have spilled, as without a spill.
  bool open() {
    if (state_ == State::unopened) {
      state_ = open_directory() ? State::open : State::unusable;
      if (state_ == State::unusable)
        std::fprintf(stderr,
                     "trail: cannot spill to TRAIL_SPILL_DIR \"%s\": %s; spans that cannot be delivered are dropped "
                     "(reason export_failed)\n",
                     dir_.c_str(), error_.c_str());
    }
    return state_ == State::open;
  }
  // Why open() failed.
  const std::string& error() const noexcept { return error_; }

  bool has_backlog() const noexcept {
    return std::any_of(segments_.begin(), segments_.end(), [](const Segment& s) { return s.records > 0; });
  }

  // Appends `r` as one record, synced to the disk. True when written, or when
  // it could not fit even in an empty directory (counted as spill_full);
  // false with `error` on an I/O error (the record is lost).
  bool append(const SpillRecord& r, std::string& error) {
    using namespace spill_format;
    const std::uint64_t size = record_head + record_meta + r.body.size();
    const std::uint64_t spans = r.signal == SpillSignal::traces ? r.items : 0;
    if (size + sizeof segment_magic > max_bytes_) {
      add(spans_dropped_spill_full_, spans);
      report_full(spans, "a request larger than TRAIL_SPILL_MAX_BYTES");
      return true;
    }
    for (;;) {  // room for the record (and a new segment's header): the oldest segments go first
      const bool fresh = file_ == nullptr || segments_.back().file_bytes + size > segment_bytes_;
      if (bytes_ + size + (fresh ? sizeof segment_magic : 0) <= max_bytes_ || segments_.empty()) break;
      drop_oldest();
    }
    if ((file_ == nullptr || segments_.back().file_bytes + size > segment_bytes_) && !start_segment(error)) return false;
    char head[record_head + record_meta];
    put32(head, record_magic);
    put32(head + 4, static_cast<std::uint32_t>(record_meta + r.body.size()));
    head[12] = 1;
    head[13] = static_cast<char>(r.signal);
    head[14] = static_cast<char>(r.protocol);
    head[15] = static_cast<char>(r.gzip ? 1 : 0);
    put32(head + 16, r.items);
    put32(head + 8, crc32(r.body.data(), r.body.size(), crc32(head + record_head, record_meta, crc32(head + 4, 4))));
    Segment& s = segments_.back();
    const bool written = std::fwrite(head, 1, sizeof head, file_) == sizeof head &&
                         std::fwrite(r.body.data(), 1, r.body.size(), file_) == r.body.size() &&
                         platform::sync_file(file_);
    s.file_bytes += size;  // what may be there, for the bound
    bytes_ += size;
    publish_bytes();
    if (!written) {
      error = "cannot write to spill segment \"" + s.path + "\": " + errno_text();
      close_active();  // what follows goes to a new segment; readers skip the torn record
      return false;
    }
    ++s.records;
    s.spans += spans;
    add(spans_backlog_, spans);
    return true;
  }

  // The oldest record not yet accepted, in `out`; false when there is none.
  // The active segment is closed first: from then on new records go to a
  // new one.
  bool next(SpillRecord& out) {
    while (!segments_.empty()) {
      if (file_ != nullptr && segments_.size() == 1) {
        close_active();  // may remove it (a header only): look again
        continue;
      }
      Segment& s = segments_.front();
      if (s.records > 0 && loaded_path_ != s.path) {
        if (!read_whole_file(s.path, loaded_)) {
          std::fprintf(stderr, "trail: cannot read spill segment \"%s\": %s; skipping it\n", s.path.c_str(),
                       errno_text().c_str());
          add(records_corrupt_, 1);
          remove_front();
          continue;
        }
        loaded_path_ = s.path;
      }
      std::size_t begin = 0, end = 0;
      if (s.records > 0 && spill_format::find_record(loaded_, static_cast<std::size_t>(s.cursor), out, begin, end)) {
        out.body.assign(loaded_, begin + spill_format::record_head + spill_format::record_meta,
                        end - begin - spill_format::record_head - spill_format::record_meta);
        current_end_ = end;
        current_items_ = out.signal == SpillSignal::traces ? out.items : 0;
        return true;
      }
      remove_front();  // every record in it was sent (or the file changed under us)
    }
    return false;
  }

  // The record next() returned is done: the receiver accepted it (`rejected`
  // of its spans refused). Written to the ack file before anything else.
  void accepted(std::uint64_t rejected) {
    Segment& s = segments_.front();
    rejected = std::min<std::uint64_t>(rejected, current_items_);
    add(spans_replayed_, current_items_ - rejected);
    add(spans_replay_rejected_, rejected);
    s.cursor = current_end_;
    s.spans -= std::min(s.spans, current_items_);
    sub(spans_backlog_, current_items_);
    if (--s.records == 0) {
      remove_front();
      return;
    }
    write_ack(s);
  }

  SpillCounts counts() const noexcept {
    SpillCounts c;
    c.spans_replayed = spans_replayed_.load(std::memory_order_relaxed);
    c.spans_replay_rejected = spans_replay_rejected_.load(std::memory_order_relaxed);
    c.spans_dropped_spill_full = spans_dropped_spill_full_.load(std::memory_order_relaxed);
    c.records_corrupt = records_corrupt_.load(std::memory_order_relaxed);
    c.spans_backlog = spans_backlog_.load(std::memory_order_relaxed);
    c.bytes = published_bytes_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  enum class State : std::uint8_t { unopened, open, unusable };

  struct Segment {
    std::string path;
    std::uint64_t file_bytes = 0;
    std::uint64_t ack_bytes = 0;
    std::uint64_t cursor = sizeof spill_format::segment_magic;  // past everything accepted
    std::uint64_t records = 0;  // valid records not yet accepted
    std::uint64_t spans = 0;    // their spans
  };

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
  static void sub(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) - std::min(n, c.load(std::memory_order_relaxed)), std::memory_order_relaxed);
  }
  void publish_bytes() noexcept { published_bytes_.store(bytes_, std::memory_order_relaxed); }
  static std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }
  std::string path_of(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }

  bool open_directory() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (!fs::is_directory(dir_, ec)) {
      error_ = "not a directory and cannot be created" + (ec ? ": " + ec.message() : std::string());
      return false;
    }
    bool busy = false;
    std::string why;
    if (!lock_.acquire(path_of("trail-spill.lock"), busy, why)) {
      error_ = busy ? "another process is using it" : "cannot write there: " + why;
      return false;
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() > 12 && name.compare(0, 6, "trail-") == 0 &&
          (name.compare(name.size() - 6, 6, ".spill") == 0 || name.compare(name.size() - 10, 10, ".spill.ack") == 0))
        names.push_back(name);
    }
    if (ec) {
      error_ = "cannot list it: " + ec.message();
      return false;
    }
    std::sort(names.begin(), names.end());  // fixed-width times: oldest first
    for (const std::string& name : names) {
      if (name.compare(name.size() - 4, 4, ".ack") == 0) {
        if (!std::binary_search(names.begin(), names.end(), name.substr(0, name.size() - 4)))
          std::remove(path_of(name).c_str());  // its segment is gone
        continue;
      }
      index_segment(name);
      last_time_ = std::max<std::uint64_t>(last_time_, std::strtoull(name.c_str() + 6, nullptr, 10));
    }
    publish_bytes();
    return true;
  }

  // Adds what an earlier run left in `name` to the index.
  void index_segment(const std::string& name) {
    using namespace spill_format;
    Segment s;
    s.path = path_of(name);
    if (!read_whole_file(s.path, loaded_)) {
      std::fprintf(stderr, "trail: cannot read spill segment \"%s\": %s; skipping it\n", s.path.c_str(),
                   errno_text().c_str());
      return;
    }
    s.file_bytes = loaded_.size();
    std::string acks;
    if (read_whole_file(s.path + ".ack", acks)) {
      s.ack_bytes = acks.size();
      for (std::size_t at = 0; at + ack_entry <= acks.size(); at += ack_entry) {
        const char* p = acks.data() + at;
        if (get32(p) == ack_magic && crc32(p + 4, 8) == get32(p + 12)) s.cursor = std::max(s.cursor, get64(p + 4));
      }
    }
    if (loaded_.compare(0, sizeof segment_magic, std::string_view(segment_magic, sizeof segment_magic)) != 0) {
      std::fprintf(stderr, "trail: spill segment \"%s\" has no valid header; recovering its records by their checksums\n",
                   s.path.c_str());
      if (s.cursor == sizeof segment_magic) s.cursor = 0;  // nothing accepted yet: from the first byte
    }
    std::size_t at = static_cast<std::size_t>(std::min<std::uint64_t>(s.cursor, loaded_.size()));
    std::uint64_t skipped = 0;
    SpillRecord meta;
    for (std::size_t begin = 0, end = 0; find_record(loaded_, at, meta, begin, end); at = end) {
      skipped += begin - at;
      ++s.records;
      if (meta.signal == SpillSignal::traces) s.spans += meta.items;
    }
    skipped += loaded_.size() - at;
    if (skipped > 0) {
      add(records_corrupt_, 1);
      std::fprintf(stderr,
                   "trail: spill segment \"%s\": skipped %llu byte(s) that are not a valid record (a torn write or "
                   "corruption); %llu record(s) recovered\n",
                   s.path.c_str(), static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(s.records));
    }
    loaded_path_.clear();
    if (s.records == 0) {
      std::remove(s.path.c_str());
      std::remove((s.path + ".ack").c_str());
      return;
    }
    bytes_ += s.file_bytes + s.ack_bytes;
    add(spans_backlog_, s.spans);
    segments_.push_back(std::move(s));
  }

  bool start_segment(std::string& error) {
    close_active();
    const auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    last_time_ = std::max(now, last_time_ + 1);  // names sort in write order even if the clock steps back
    char name[64];
    std::snprintf(name, sizeof name, "trail-%020llu-%06u.spill", static_cast<unsigned long long>(last_time_),
                  static_cast<unsigned>(++sequence_ % 1000000));
    Segment s;
    s.path = path_of(name);
    file_ = std::fopen(s.path.c_str(), "wb");
    if (file_ == nullptr) {
      error = "cannot create spill segment \"" + s.path + "\": " + errno_text();
      return false;
    }
    if (std::fwrite(spill_format::segment_magic, 1, sizeof spill_format::segment_magic, file_) !=
            sizeof spill_format::segment_magic ||
        !platform::sync_file(file_)) {
      error = "cannot write to spill segment \"" + s.path + "\": " + errno_text();
      std::fclose(file_);
      file_ = nullptr;
      std::remove(s.path.c_str());
      return false;
    }
    platform::sync_directory(dir_);
    s.file_bytes = sizeof spill_format::segment_magic;
    bytes_ += s.file_bytes;
    publish_bytes();
    segments_.push_back(std::move(s));
    return true;
  }

  void close_active() noexcept {
    if (file_ == nullptr) return;
    std::fclose(file_);
    file_ = nullptr;
    if (!segments_.empty() && segments_.back().records == 0) {  // only a header: nothing to keep
      segments_.back().spans = 0;
      remove_back();
    }
  }

  void write_ack(Segment& s) {
    using namespace spill_format;
    char entry[ack_entry];
    put32(entry, ack_magic);
    put64(entry + 4, s.cursor);
    put32(entry + 12, crc32(entry + 4, 8));
    std::FILE* f = std::fopen((s.path + ".ack").c_str(), "ab");
    const bool ok = f != nullptr && std::fwrite(entry, 1, sizeof entry, f) == sizeof entry && platform::sync_file(f);
    if (f != nullptr) std::fclose(f);
    if (!ok) {
      // This run goes on past the record; a later run would send it again.
      std::fprintf(stderr, "trail: cannot record progress in \"%s.ack\": %s\n", s.path.c_str(), errno_text().c_str());
      return;
    }
    s.ack_bytes += ack_entry;
    bytes_ += ack_entry;
    publish_bytes();
  }

  void remove_files(Segment& s) {
    std::remove(s.path.c_str());
    if (s.ack_bytes > 0) std::remove((s.path + ".ack").c_str());
    platform::sync_directory(dir_);
    bytes_ -= std::min(bytes_, s.file_bytes + s.ack_bytes);
    sub(spans_backlog_, s.spans);
    if (loaded_path_ == s.path) {
      loaded_path_.clear();
      loaded_.clear();
      loaded_.shrink_to_fit();
    }
    publish_bytes();
  }

  void remove_front() {
    if (file_ != nullptr && segments_.size() == 1) {
      std::fclose(file_);
      file_ = nullptr;
    }
    remove_files(segments_.front());
    segments_.pop_front();
  }

  void remove_back() {
    remove_files(segments_.back());
    segments_.pop_back();
  }

  void drop_oldest() {
    const std::uint64_t spans = segments_.front().spans;
    add(spans_dropped_spill_full_, spans);
    report_full(spans, "the oldest segment");
    remove_front();
  }

  void report_full(std::uint64_t spans, const char* what) {
    if (full_reported_) return;
    full_reported_ = true;
    std::fprintf(stderr,
                 "trail: spill directory \"%s\" reached TRAIL_SPILL_MAX_BYTES (%llu bytes): dropped %s, %llu span(s) "
                 "(later drops are counted in stats().spans_dropped_spill_full)\n",
                 dir_.c_str(), static_cast<unsigned long long>(max_bytes_), what, static_cast<unsigned long long>(spans));
  }

  const std::string dir_;
  const std::uint64_t max_bytes_;
  const std::uint64_t segment_bytes_;  // a segment is closed past this: the bound drops whole segments
  State state_ = State::unopened;
  std::string error_;
  platform::FileLock lock_;
  std::deque<Segment> segments_;  // oldest first; with file_, the last one is being written
  std::FILE* file_ = nullptr;
  std::uint64_t bytes_ = 0;
  std::uint64_t last_time_ = 0;
  unsigned sequence_ = 0;
  std::string loaded_;  // the segment being replayed
  std::string loaded_path_;
  std::size_t current_end_ = 0;  // of the record next() returned
  std::uint64_t current_items_ = 0;
  bool full_reported_ = false;

  std::atomic<std::uint64_t> spans_replayed_{0};
  std::atomic<std::uint64_t> spans_replay_rejected_{0};
  std::atomic<std::uint64_t> spans_dropped_spill_full_{0};
  std::atomic<std::uint64_t> records_corrupt_{0};
  std::atomic<std::uint64_t> spans_backlog_{0};
  std::atomic<std::uint64_t> published_bytes_{0};
};

}  // namespace trail::detail
