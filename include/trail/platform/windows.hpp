// <windows.h> without its min/max macros and rarely used parts, for the
// platform headers only. A program that includes <windows.h> itself first
// keeps whatever it asked for.
#pragma once

#if defined(_WIN32)
#if !defined(NOMINMAX)
#define NOMINMAX
#define TRAIL_UNDEF_NOMINMAX
#endif
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define TRAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#if defined(TRAIL_UNDEF_NOMINMAX)
#undef NOMINMAX
#undef TRAIL_UNDEF_NOMINMAX
#endif
#if defined(TRAIL_UNDEF_WIN32_LEAN_AND_MEAN)
#undef WIN32_LEAN_AND_MEAN
#undef TRAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#endif
