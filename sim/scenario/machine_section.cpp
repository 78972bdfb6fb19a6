#include "scenario/machine_section.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace quiesce::scenario {
namespace {

// Bounds that keep every value meaningful and every allocation small; a
// latency beyond 100000 cycles (50 us at 2 GHz) is a typo, not a machine.
constexpr uint32_t kMaxLatency = 100000;
constexpr uint32_t kMaxBanks = 1024;
constexpr uint64_t kMaxCacheKib = 64 << 10;  // 64 MiB per cache

uint32_t latency(MapReader& r, std::string_view key, uint32_t def) { return r.uint<uint32_t>(key, def, 0, kMaxLatency); }

// size_kib, ways, latency; the set count must be a whole power of two (cache.h indexes sets by mask).
void read_cache(MapReader& c, mem::CacheGeometry& g, uint32_t line_bytes) {
  g.size_bytes = c.pow2<uint64_t>("size_kib", g.size_bytes >> 10, 1, kMaxCacheKib) << 10;
  g.ways = c.uint<uint32_t>("ways", g.ways, 1, 64);
  g.latency = latency(c, "latency", g.latency);
  const uint64_t lines = g.size_bytes / line_bytes;
  if (lines < g.ways || lines % g.ways != 0 || !std::has_single_bit(lines / g.ways))
    c.fail(c.has("ways") || !c.has("size_kib") ? "ways" : "size_kib",
           fmt::format("{} ways of {}-byte lines do not divide {} KiB into a power-of-two number of sets", g.ways,
                       line_bytes, g.size_bytes >> 10));
}

void read_caches(MapReader c, mem::HierarchyConfig& h) {
  h.line_bytes = c.pow2<uint32_t>("line_bytes", h.line_bytes, 32, 1024);
  const std::pair<const char*, mem::CacheGeometry*> l1s[] = {{"l1i", &h.l1i}, {"l1d", &h.l1d}};
  for (auto [key, geometry] : l1s) {
    MapReader l1 = c.map(key);
    read_cache(l1, *geometry, h.line_bytes);
    l1.finish();
  }
  MapReader l2 = c.map("l2");
  read_cache(l2, h.l2, h.line_bytes);
  h.l2_shared = l2.boolean("shared", h.l2_shared);
  h.l2_banks = l2.uint<uint32_t>("banks", h.l2_banks, 1, kMaxBanks);
  h.l2_occupancy = latency(l2, "occupancy", h.l2_occupancy);
  l2.finish();
  c.finish();
}

void read_coherence(MapReader c, mem::HierarchyConfig& h) {
  c.choice("protocol", "mesi", {"mesi"});  // the only protocol so far; the key reserves the choice
  h.c2c_latency = latency(c, "c2c_latency", h.c2c_latency);
  h.larx_exclusive = c.boolean("larx_exclusive", h.larx_exclusive);
  h.larx_hold_cycles = latency(c, "larx_hold_cycles", h.larx_hold_cycles);
  h.store_buffer = c.uint<uint32_t>("store_buffer", h.store_buffer, 1, 1024);
  h.store_latency = latency(c, "store_latency", h.store_latency);
  c.finish();
}

void read_core(MapReader c, ppc::CoreTiming& t) {
  const std::pair<const char*, uint32_t*> fields[] = {
      {"alu", &t.alu},     {"mul32", &t.mul32},   {"mul64", &t.mul64},       {"div32", &t.div32},
      {"div64", &t.div64}, {"cr", &t.cr},         {"spr", &t.spr},           {"larx", &t.larx},
      {"stcx", &t.stcx},   {"sync", &t.sync},     {"lwsync", &t.lwsync},     {"isync", &t.isync},
      {"cache_op", &t.cache_op}, {"taken_branch_penalty", &t.taken_branch_penalty}, {"syscall", &t.syscall},
      {"interrupt", &t.interrupt}, {"rfid", &t.rfid}};
  for (auto [key, field] : fields) *field = latency(c, key, *field);
  c.finish();
}

}  // namespace

platform::MachineConfig read_machine(MapReader m) {
  platform::MachineConfig cfg;
  auto& h = cfg.hierarchy;
  cfg.cpus = m.uint<unsigned>("cpus", cfg.cpus, 1, 1024);
  cfg.clock_hz = m.real("clock_ghz", cfg.clock_hz / 1e9, 0.1, 10) * 1e9;
  cfg.quantum_cycles = m.uint<uint64_t>("quantum_cycles", cfg.quantum_cycles, 1, 1'000'000'000);
  cfg.lookahead = m.boolean("lookahead", cfg.lookahead);
  h.sync_on_coherence = m.boolean("sync_on_coherence", h.sync_on_coherence);
  h.sync_on_contended = m.boolean("sync_on_contended", h.sync_on_contended);
  cfg.stack_bytes = m.uint<uint64_t>("stack_kib", cfg.stack_bytes >> 10, 4, uint64_t{1} << 20) << 10;
  cfg.max_instructions = m.uint<uint64_t>("max_instructions", cfg.max_instructions, 0, std::numeric_limits<uint64_t>::max());
  h.check_invariants = m.boolean("check_invariants", h.check_invariants);

  MapReader memory = m.map("memory");
  cfg.memory_bytes = memory.uint<uint64_t>("size_mib", cfg.memory_bytes >> 20, 1, uint64_t{1} << 20) << 20;
  h.memory_latency = latency(memory, "latency", h.memory_latency);
  h.memory_banks = memory.uint<uint32_t>("banks", h.memory_banks, 1, kMaxBanks);
  h.memory_occupancy = latency(memory, "occupancy", h.memory_occupancy);
  memory.finish();

  read_caches(m.map("caches"), h);

  MapReader net = m.map("interconnect");
  h.interconnect_latency = latency(net, "latency", h.interconnect_latency);
  h.interconnect_occupancy = latency(net, "occupancy", h.interconnect_occupancy);
  net.finish();

  MapReader dir = m.map("directory");
  h.directory_latency = latency(dir, "latency", h.directory_latency);
  h.directory_banks = dir.uint<uint32_t>("banks", h.directory_banks, 1, kMaxBanks);
  h.directory_occupancy = latency(dir, "occupancy", h.directory_occupancy);
  dir.finish();

  read_coherence(m.map("coherence"), h);
  read_core(m.map("core"), cfg.core);
  m.finish();

  // Each CPU's stack is carved from the top of RAM (Machine checks this too, without a place).
  if (cfg.stack_bytes * cfg.cpus >= cfg.memory_bytes) {
    const std::string msg = fmt::format("{} CPU stacks of {} KiB do not fit in {} MiB of memory", cfg.cpus,
                                        cfg.stack_bytes >> 10, cfg.memory_bytes >> 20);
    if (m.has("cpus") || !(m.has("stack_kib") || memory.has("size_mib"))) m.fail("cpus", msg);
    if (m.has("stack_kib")) m.fail("stack_kib", msg);
    memory.fail("size_mib", msg);
  }
  return cfg;
}

}  // namespace quiesce::scenario
