// The plain TCP Transport of this platform: detail::TcpTransport.
#pragma once

#if defined(_WIN32)
#include "socket_windows.hpp"
#else
#include "socket_posix.hpp"
#endif
