// gzip request compression (OTEL_EXPORTER_OTLP_COMPRESSION=gzip) through
// zlib, an optional dependency: the build defines TRAIL_WITH_ZLIB=1 and links
// zlib when it is found (CMake option TRAIL_WITH_ZLIB, Meson option zlib).
// Without it, gzip_available is false and the exporter sends uncompressed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#if TRAIL_WITH_ZLIB
#include <zlib.h>
#endif

namespace trail::detail {

#if TRAIL_WITH_ZLIB

inline constexpr bool gzip_available = true;

// One deflate stream, reset and reused for every request (no re-allocation
// of zlib's tables). Fastest level: telemetry is compressed on the flusher's
// time budget, and level 1 already takes OTLP bodies to a fraction.
class GzipCompressor {
 public:
  GzipCompressor() = default;
  ~GzipCompressor() {
    if (ready_) deflateEnd(&z_);
  }
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;

  // Replaces `out` with one gzip member holding `in`; false (and why) on failure.
  bool compress(std::string_view in, std::string& out, std::string& error) {
    if (in.size() > 0xffffffffu) {
      error = "gzip: body larger than 4 GiB";
      return false;
    }
    if (!ready_) {
      // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
      const int r = deflateInit2(&z_, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      if (r != Z_OK) {
        error = std::string("gzip: deflateInit2 failed: ") + (z_.msg ? z_.msg : zError(r));
        return false;
      }
      ready_ = true;
    } else {
      deflateReset(&z_);
    }
    out.resize(deflateBound(&z_, static_cast<uLong>(in.size())));
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));  // zlib does not write through it
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    const int r = deflate(&z_, Z_FINISH);  // deflateBound guarantees one call suffices
    if (r != Z_STREAM_END) {
      error = std::string("gzip: deflate failed: ") + (z_.msg ? z_.msg : zError(r));
      out.clear();
      return false;
    }
    out.resize(static_cast<std::size_t>(z_.total_out));
    return true;
  }

 private:
  z_stream z_{};
  bool ready_ = false;
};

#else

inline constexpr bool gzip_available = false;

class GzipCompressor {
 public:
  bool compress(std::string_view, std::string&, std::string& error) {
    error = "gzip: trail was built without zlib";
    return false;
  }
};

#endif

}  // namespace trail::detail
