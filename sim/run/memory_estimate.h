// The host memory a scenario run will take, estimated before it is built, so that a configuration
// that cannot fit is refused at once (`quiesce run --max-memory`) instead of swapping the host.
//
// Terms (measured on this simulator, peak RSS; every one linear in the CPU count):
//   machine    17 MB + per CPU 0.1 MB (core, SystemC thread, OS-model state) and its cache tags,
//              32 bytes per line of its L1I, L1D and private L2 (152 KiB at the default geometry;
//              a shared L2's tags once)
//   directory  90 bytes (directory and transaction-table entries) per line of each CPU's coherent
//              cache (its L2, or its L1D under a shared L2): every cache full of distinct lines, at
//              most every line of guest memory.
//              A line's sharers take memory in proportion to their number, and the statistics per
//              region and CPU exist only for the pairs used: before both, 256 CPUs took 350 MB,
//              512 CPUs 1.14 GB and 1,024 CPUs 3.2 GB (compare/base.yaml); now 123, 232, 451 MB
//   threads    0.5 KB of host state per preallocated thread (machine.cpus x os.max_threads_per_cpu)
//   pages      the guest page table: 8 bytes per 64 KiB of machine.memory.size_mib
//   guest      guest memory that runs touch, at 64 KiB host pages, at most the guest memory:
//              each thread's stack top (min(os.stack_kib, 64 KiB)) and each rep's state
//              (min(state_bytes, 64 KiB) per rep: instances, times the CPUs for per-CPU roots)
// It is an estimate of what a run that uses its threads and objects touches: refusing needs it
// to be well above the limit, which defaults to 80% of the machine's physical memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace quiesce::run {

struct MemoryTerm {
  std::string what;  // "machine.cpus 1024: the machine (...)"
  uint64_t bytes;
};

struct MemoryEstimate {
  std::vector<MemoryTerm> terms;  // largest first
  uint64_t total = 0;
};

MemoryEstimate estimate_host_memory(const scenario::Scenario& s);

// 80% of the machine's physical memory (0 if unknown: no limit).
uint64_t default_memory_limit();

// "1.5 GB", "730 MB".
std::string human_bytes(uint64_t bytes);

// Throws platform::ConfigError (exit code 2) when the estimate exceeds `limit` (0: no check), naming
// the terms and the keys that drive them. `option` names the limit ("--max-memory 19.1 GB").
void check_host_memory(const scenario::Scenario& s, uint64_t limit, const std::string& option);

// "8G", "512M", "2048K", "1e9" (bytes), "0" (no limit): bytes; throws std::invalid_argument.
uint64_t parse_memory_size(const std::string& text);

}  // namespace quiesce::run
