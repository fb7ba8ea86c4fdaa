// Keeps what it is given, for tests and for programs that inspect their own
// traces (a summary at exit, an in-game overlay).
#pragma once

#include <mutex>
#include <vector>

#include "exporter.hpp"

namespace trail {

class InMemoryExporter : public Exporter {
 public:
  ExportResult export_spans(const SpanBatch& batch, const ExportDeadline&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    spans_.insert(spans_.end(), batch.begin(), batch.end());
    resource_ = batch.resource;
    return {};
  }

  ExportResult export_metrics(const MetricBatch& batch, const ExportDeadline&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.push_back(batch.metrics);
    return {};
  }

  std::vector<SpanData> spans() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return spans_;
  }
  // Each export's metrics, oldest first (cumulative: the last is the total).
  std::vector<std::vector<MetricData>> metric_exports() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return metrics_;
  }
  Resource resource() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return resource_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    spans_.clear();
    metrics_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<SpanData> spans_;
  std::vector<std::vector<MetricData>> metrics_;
  Resource resource_;
};

}  // namespace trail
