#include "bench/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace userstore::bench {

MemorySnapshot TakeMemorySnapshot() {
  MemorySnapshot snap;
  long pages_total = 0;
  long pages_resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  snap.rss_bytes = static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
  const struct mallinfo2 mi = mallinfo2();
  snap.heap_bytes = static_cast<int64_t>(mi.uordblks + mi.hblkhd);
  return snap;
}

const char* HugePageMode() {
  static const std::string mode = [] {
    std::string thp = "unknown";
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    if (std::getline(in, line)) {
      const size_t open = line.find('[');
      const size_t close = line.find(']');
      if (open != std::string::npos && close > open) thp = line.substr(open + 1, close - open - 1);
    }
    std::string out = "thp=" + thp;
    if (const char* tunables = std::getenv("GLIBC_TUNABLES")) {
      out += std::string(" GLIBC_TUNABLES=") + tunables;
    }
    return out;
  }();
  return mode.c_str();
}

}  // namespace userstore::bench
