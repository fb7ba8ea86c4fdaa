// OpenTelemetry enums, with the numeric values OTLP puts on the wire.
#pragma once

#include <cstdint>

namespace trail {

enum class SpanKind : std::uint8_t { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

enum class StatusCode : std::uint8_t { unset = 0, ok = 1, error = 2 };

}  // namespace trail
