// userstore_bench's main: Google Benchmark's flags plus
//   --users=N[,N...]   store sizes (default: $USERSTORE_BENCH_USERS, else
//                      100000); e.g. --users=100000,1000000 for the real run.
//   --prebuild=false   build each fixture when a benchmark first needs it
//                      instead of all of them up front (faster filtered runs;
//                      memory figures then depend on what ran before).
// The run's context (the setup block of docs/benchmarks.md) records the CPU,
// compiler, flags, sizes and huge-page mode.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/memory.h"
#include "bench/userstore_bench.h"

#ifndef USERSTORE_BENCH_BUILD_TYPE
#define USERSTORE_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef USERSTORE_BENCH_COMPILER
#define USERSTORE_BENCH_COMPILER __VERSION__
#endif
#ifndef USERSTORE_BENCH_CXX_FLAGS
#define USERSTORE_BENCH_CXX_FLAGS "unknown"
#endif

namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

bool ParseUsers(const std::string& text, std::vector<size_t>* out) {
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(part, &n) || n == 0 || n >= (1ull << 32)) return false;
    out->push_back(static_cast<size_t>(n));
  }
  return !out->empty();
}

}  // namespace

int main(int argc, char** argv) {
  std::string command_line = argv[0];
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  std::string users_text = "100000";
  if (const char* env = std::getenv("USERSTORE_BENCH_USERS")) users_text = env;
  bool prebuild = true;
  bool list_only = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_list_tests", 22) == 0) list_only = true;
    if (std::strncmp(argv[i], "--users=", 8) == 0) {
      users_text = argv[i] + 8;
    } else if (std::strcmp(argv[i], "--prebuild=false") == 0) {
      prebuild = false;
    } else if (std::strcmp(argv[i], "--prebuild=true") == 0) {
      prebuild = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  std::vector<size_t> users;
  if (!ParseUsers(users_text, &users)) {
    std::fprintf(stderr, "bad --users=%s (want N[,N...], each 1 <= N < 2^32)\n",
                 users_text.c_str());
    return 2;
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("cpu_model", CpuModel());
  benchmark::AddCustomContext("hardware_threads",
                              std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("compiler", USERSTORE_BENCH_COMPILER);
  benchmark::AddCustomContext("build_type", USERSTORE_BENCH_BUILD_TYPE);
  benchmark::AddCustomContext("cxx_flags", USERSTORE_BENCH_CXX_FLAGS);
  benchmark::AddCustomContext("users", users_text);
  benchmark::AddCustomContext("command_line", command_line);
  benchmark::AddCustomContext("huge_pages", userstore::bench::HugePageMode());
  userstore::bench::RegisterBenchmarks(users);
  userstore::bench::RegisterDurableBenchmarks(users);
  userstore::bench::RegisterImportBenchmarks(users);
  userstore::bench::RegisterExportBenchmarks(users);
  userstore::bench::RegisterEventBenchmarks(users);
  userstore::bench::RegisterFilterBenchmarks(users);
  if (prebuild && !list_only) userstore::bench::PrebuildFixtures(users);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
