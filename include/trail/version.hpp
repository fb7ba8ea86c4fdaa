// trail's version, for telemetry.sdk.version and for users who need to check it
// at compile time. Keep in step with project(VERSION) in CMakeLists.txt.
#pragma once

#define TRAIL_VERSION_MAJOR 0
#define TRAIL_VERSION_MINOR 1
#define TRAIL_VERSION_PATCH 0
#define TRAIL_VERSION (TRAIL_VERSION_MAJOR * 10000 + TRAIL_VERSION_MINOR * 100 + TRAIL_VERSION_PATCH)

namespace trail {

inline constexpr const char* version_string = "0.1.0";

}  // namespace trail
