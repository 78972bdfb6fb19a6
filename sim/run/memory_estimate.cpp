#include "run/memory_estimate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <unistd.h>

#include <fmt/format.h>

#include "platform/machine.h"

namespace quiesce::run {

namespace {
constexpr double kBase = 17e6;            // bytes, whatever the machine
constexpr double kPerCpu = 0.1e6;         // bytes per CPU besides its caches' tags (core, SystemC thread, OS state)
constexpr double kPerTrackedLine = 90;    // directory entry and transaction-table entry per line a cache holds
constexpr double kPerThread = 500;        // host bytes per preallocated thread
constexpr uint64_t kHostPage = 64 << 10;  // GuestMemory's allocation unit

uint64_t lines(const mem::CacheGeometry& g, uint32_t line_bytes) { return g.size_bytes / line_bytes; }
}  // namespace

MemoryEstimate estimate_host_memory(const scenario::Scenario& s) {
  MemoryEstimate e;
  const double cpus = s.machine.cpus;
  const uint64_t threads = uint64_t{s.machine.cpus} * s.os.max_threads_per_cpu;
  // Every term is linear in the CPU count: the per-region statistics are kept only for the (region,
  // CPU) pairs used, and a directory entry's sharers take memory in proportion to their number.
  const mem::HierarchyConfig& h = s.machine.hierarchy;
  const uint64_t private_lines = lines(h.l1i, h.line_bytes) + lines(h.l1d, h.line_bytes) +
                                 (h.l2_shared ? 0 : lines(h.l2, h.line_bytes));
  const double line_tag = sizeof(mem::Cache::Line);
  const double tags = line_tag * (cpus * static_cast<double>(private_lines) +
                                  (h.l2_shared ? static_cast<double>(lines(h.l2, h.line_bytes)) : 0.0));
  e.terms.push_back({fmt::format("machine.cpus {}: the machine (per CPU: its core, and {} KiB of cache tags for "
                                 "machine.caches)",
                                 s.machine.cpus, (private_lines * sizeof(mem::Cache::Line)) >> 10),
                     static_cast<uint64_t>(kBase + kPerCpu * cpus + tags)});
  // The coherence directory tracks the lines the coherent caches hold: at most all of them, and at
  // most every line of guest memory.
  const uint64_t coherent = h.l2_shared ? lines(h.l1d, h.line_bytes) : lines(h.l2, h.line_bytes);
  const double tracked = std::min(cpus * static_cast<double>(coherent), static_cast<double>(s.machine.memory_bytes / h.line_bytes));
  e.terms.push_back({fmt::format("machine.cpus {} x {} lines of machine.caches.{}: the coherence directory once every "
                                 "cache is full",
                                 s.machine.cpus, coherent, h.l2_shared ? "l1d" : "l2"),
                     static_cast<uint64_t>(kPerTrackedLine * tracked)});
  e.terms.push_back({fmt::format("{} threads (machine.cpus {} x os.max_threads_per_cpu {}): their host state", threads,
                                 s.machine.cpus, s.os.max_threads_per_cpu),
                     static_cast<uint64_t>(kPerThread * static_cast<double>(threads))});
  e.terms.push_back({fmt::format("machine.memory.size_mib {}: the guest page table", s.machine.memory_bytes >> 20),
                     s.machine.memory_bytes / kHostPage * 8});
  // Guest memory touched (host pages allocated on first touch), at most the guest memory itself.
  const uint64_t stacks = threads * std::min<uint64_t>(uint64_t{s.os.stack_kib} << 10, kHostPage);
  uint64_t reps = 0;
  std::string biggest;
  uint64_t biggest_bytes = 0;
  for (const auto& o : s.objects) {
    const auto impl = std::find_if(s.implementations.begin(), s.implementations.end(),
                                   [&](const os::ImplementationSpec& i) { return i.name == o.implementation; });
    if (impl == s.implementations.end()) continue;
    const uint64_t per_rep = std::min(impl->state_bytes, kHostPage);
    const uint64_t n = uint64_t{o.count} * (impl->root == os::RootKind::PerCpu ? s.machine.cpus : 1);
    const uint64_t bytes = n * per_rep + uint64_t{o.count} * std::min(impl->shared_state_bytes, kHostPage);
    reps += bytes;
    if (bytes > biggest_bytes)
      biggest_bytes = bytes,
      biggest = fmt::format("objects.{} ({} x {} state_bytes {}{})", o.name, o.count, o.implementation,
                            impl->state_bytes, impl->root == os::RootKind::PerCpu ? ", per-CPU root" : "");
  }
  const uint64_t touched = std::min(s.machine.memory_bytes, stacks + reps);
  if (touched == s.machine.memory_bytes && stacks + reps > touched)
    e.terms.push_back({fmt::format("guest memory touched: all of machine.memory.size_mib {}", s.machine.memory_bytes >> 20),
                       touched});
  else {
    e.terms.push_back({fmt::format("the stacks of {} threads (machine.cpus {} x os.max_threads_per_cpu {}; os.stack_kib {} "
                                   "each, at most 64 KiB touched)",
                                   threads, s.machine.cpus, s.os.max_threads_per_cpu, s.os.stack_kib),
                       stacks});
    if (reps) e.terms.push_back({"object state, most of it " + biggest, reps});
  }
  std::stable_sort(e.terms.begin(), e.terms.end(), [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  for (const auto& t : e.terms) e.total += t.bytes;
  return e;
}

uint64_t default_memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<uint64_t>(static_cast<double>(pages) * static_cast<double>(page) * 0.8);
}

std::string human_bytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) return fmt::format("{:.1f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.0f} MB", b / 1e6);
  return fmt::format("{:.0f} KB", b / 1e3);
}

void check_host_memory(const scenario::Scenario& s, uint64_t limit, const std::string& option) {
  if (limit == 0) return;
  const MemoryEstimate e = estimate_host_memory(s);
  if (e.total <= limit) return;
  std::string parts;
  for (const auto& t : e.terms) {
    if (t.bytes * 20 < e.total) continue;  // the terms that matter
    parts += fmt::format("{}{} for {}", parts.empty() ? "" : "; ", human_bytes(t.bytes), t.what);
  }
  throw platform::ConfigError(fmt::format("the run would need about {} of host memory, over {}: {} (raise --max-memory, "
                                          "or 0 for no limit, to run it anyway)",
                                          human_bytes(e.total), option, parts));
}

uint64_t parse_memory_size(const std::string& text) {
  size_t used = 0;
  const double v = std::stod(text, &used);
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'B') unit.pop_back();  // "GB", "GiB"
  if (unit.size() > 1 && unit.back() == 'I') unit.pop_back();
  if (unit.size() > 1) throw std::invalid_argument(text);
  const double scale = unit.empty() || unit == "B" ? 1 : unit == "K" ? 1024.0 : unit == "M" ? 1048576.0
                       : unit == "G" ? 1073741824.0 : unit == "T" ? 1099511627776.0 : -1;
  if (scale < 0 || !std::isfinite(v) || v < 0 || v * scale > 1.8e19) throw std::invalid_argument(text);
  return static_cast<uint64_t>(v * scale);
}

}  // namespace quiesce::run
