#include "bench/machine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <vector>

namespace userstore::bench {

const uint64_t* RandomCycle(size_t bytes, size_t* lines) {
  static std::mutex mu;
  static auto* buffers = new std::map<size_t, std::unique_ptr<uint64_t[]>>;
  const size_t n = std::max<size_t>(bytes, 1 << 20) / 64;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<uint64_t[]>& buffer = (*buffers)[n];
  if (!buffer) {
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
    buffer.reset(new uint64_t[n * 8]());
    for (size_t i = 0; i < n; ++i) buffer[size_t{order[i]} * 8] = order[(i + 1) % n];
  }
  *lines = n;
  return buffer.get();
}

}  // namespace userstore::bench
