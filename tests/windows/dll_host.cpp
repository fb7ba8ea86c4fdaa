// Windows DLL exit policy (README "Platforms"): a host loads dll_plugin.dll,
// which runs trail. `dll_host explicit FILE`: the host calls the plugin's
// trail::shutdown() before exit, and every span is in FILE. `dll_host atexit
// FILE`: the host just exits; the DLL's atexit shutdown runs during
// ExitProcess, must return at once (no wait for a flusher that is gone) and
// say so. The CTest timeouts bound both.
#include <windows.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const bool explicit_shutdown = std::strcmp(argv[1], "explicit") == 0;
  HMODULE plugin = ::LoadLibraryA("trail_dll_plugin.dll");
  if (plugin == nullptr) {
    std::printf("cannot load trail_dll_plugin.dll\n");
    return 3;
  }
  using Start = bool (*)(const char*);
  using Stop = void (*)();
  auto start = reinterpret_cast<Start>(reinterpret_cast<void*>(::GetProcAddress(plugin, "plugin_start")));
  auto stop = reinterpret_cast<Stop>(reinterpret_cast<void*>(::GetProcAddress(plugin, "plugin_stop")));
  if (start == nullptr || stop == nullptr || !start(argv[2])) return 4;
  if (!explicit_shutdown) {
    std::printf("exiting without trail::shutdown()\n");
    std::fflush(stdout);
    return 0;
  }
  stop();
  std::ifstream in(argv[2], std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int spans = 0;
  for (std::size_t at = text.find("\"in the dll\""); at != std::string::npos; at = text.find("\"in the dll\"", at + 1))
    ++spans;
  std::printf("%d of 10 spans exported\n", spans);
  return spans == 10 ? 0 : 1;
}
