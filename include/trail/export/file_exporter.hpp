// Writes each batch as one line of OTLP/JSON: an ExportTraceServiceRequest or
// ExportMetricsServiceRequest per line, the format the OpenTelemetry
// Collector's `otlpjsonfile` receiver reads. Traces without a live server.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "exporter.hpp"
#include "otlp_json.hpp"
#include "otlp_json_metrics.hpp"

namespace trail {

class FileExporter : public Exporter {
 public:
  // Appends to `path`; truncate = true starts the file afresh.
  explicit FileExporter(std::string path, bool truncate = false) : path_(std::move(path)) {
    // Binary mode: one '\n' per line on every platform (no CRLF on Windows).
    file_ = std::fopen(path_.c_str(), truncate ? "wb" : "ab");
    if (file_ == nullptr) error_ = "cannot open \"" + path_ + "\": " + std::strerror(errno);
  }
  ~FileExporter() override { FileExporter::shutdown(); }
  FileExporter(const FileExporter&) = delete;
  FileExporter& operator=(const FileExporter&) = delete;

  bool is_open() const noexcept { return file_ != nullptr; }
  const std::string& error() const noexcept { return error_; }
  const std::string& path() const noexcept { return path_; }

  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline&) override {
    buffer_.clear();
    detail::write_trace_request(buffer_, batch.resource, batch.scope, batch.data, batch.size);
    return write_line();
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline&) override {
    buffer_.clear();
    write_metrics_request(buffer_, batch.resource, batch.scope, batch.metrics);
    return write_line();
  }

  void shutdown() noexcept override {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }

 private:
  ExportResult write_line() {
    if (file_ == nullptr) return {ExportResult::Status::failure, 0, error_};
    buffer_ += '\n';
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() || std::fflush(file_) != 0)
      return {ExportResult::Status::failure, 0, "cannot write \"" + path_ + "\": " + std::strerror(errno)};
    return {};
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::string error_;
  std::string buffer_;
};

}  // namespace trail
