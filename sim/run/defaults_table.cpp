#include "run/defaults_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hotswap/hotswap_spec.h"
#include "hotswap/strategy_registry.h"
#include "os_model/clustered_object_manager.h"
#include "os_model/os_spec.h"
#include "platform/machine.h"

namespace quiesce::run {

namespace {

// The documents cited. Where a number could not be confirmed in one of them the row says
// "assumed (PPC970-like)" (the machine) or "assumed" (the OS model and the hot-swap layer).
constexpr const char* kLlvmG5 = "LLVM llvm/lib/Target/PowerPC/PPCScheduleG5.td (the PowerPC 970 itinerary)";
constexpr const char* kAppleG5 = "Apple, PowerPC G5 White Paper (July 2003), p. 7 and Technical Specifications p. 14";
constexpr const char* kLinuxCputable =
    "Linux arch/powerpc/kernel/cputable.c: PPC970, PPC970FX, PPC970MP icache_bsize = dcache_bsize = 128";
constexpr const char* kNptelPower4 =
    "NPTEL course 106104024, lecture 40, \"POWER4 caches\" "
    "(archive.nptel.ac.in/content/storage2/courses/106104024/lecture40/40_4.htm)";
constexpr const char* kClemsonPower5 =
    "M. Smotherman, Power5 memory hierarchy (people.computing.clemson.edu/~mark/330/power5.html), "
    "latency table: cycles (2004) and lmbench (2005)";
constexpr const char* kWikipedia970 = "Wikipedia, \"PowerPC 970\" (the 970MP has a 1 MB L2 on each core)";
constexpr const char* kBenchRun =
    "measured in this repository: bench/run's accuracy section (bench/NOTES.md; scenarios/README.md, quantum_cycles)";
constexpr const char* kAssumedMachine = "assumed (PPC970-like)";
constexpr const char* kAssumed = "assumed";

std::string text(uint64_t v) { return fmt::format("{}", v); }
std::string text(double v) { return fmt::format("{}", v); }
std::string text(bool v) { return v ? "true" : "false"; }

// A strategy parameter's default as `quiesce strategies` prints it.
std::string param_text(const hotswap::StrategyParam& p) {
  if (p.integer && std::isfinite(p.default_value) && p.default_value == std::floor(p.default_value))
    return fmt::format("{}", static_cast<int64_t>(p.default_value));
  return fmt::format("{}", p.default_value);
}

std::string llvm(const char* classes) { return fmt::format("{}, {}", kLlvmG5, classes); }

}  // namespace

bool assumed(const DefaultEntry& e) { return e.source.rfind("assumed", 0) == 0; }

std::vector<DefaultEntry> defaults_table() {
  const platform::MachineConfig m{};
  const ppc::CoreTiming& c = m.core;
  const mem::HierarchyConfig& h = m.hierarchy;
  const os::OsConfig os{};
  const hotswap::TransferSpec tr{};
  const hotswap::HotSwapSpec hs{};
  std::vector<DefaultEntry> t;
  auto row = [&](std::string key, std::string value, std::string unit, std::string source, std::string source_value = "",
                 std::string note = "") {
    t.push_back({std::move(key), std::move(value), std::move(unit), std::move(source), std::move(source_value),
                 std::move(note)});
  };

  // ---- machine
  row("machine.clock_ghz", text(m.clock_hz / 1e9), "GHz", fmt::format("{} (\"Maximum core frequency: 2GHz\")", kAppleG5),
      "2", "the 970FX reached 2.7 GHz (Wikipedia, \"PowerPC 970\")");
  row("machine.quantum_cycles", text(m.quantum_cycles), "cycles", kBenchRun, "",
      "a setting of the simulation, not of the machine: how late a CPU may see another's handoffs");

  row("machine.memory.latency", text(uint64_t{h.memory_latency}), "cycles", kClemsonPower5, "220",
      fmt::format("POWER5 load-to-use from memory: 220 (2004), 403 (lmbench, 2005). Ours is the DRAM access alone; "
                  "a load from memory composes to {} (l2 + 2 x interconnect + directory + memory)",
                  h.l2.latency + 2 * h.interconnect_latency + h.directory_latency + h.memory_latency));
  row("machine.memory.banks", text(uint64_t{h.memory_banks}), "banks", kAssumedMachine);
  row("machine.memory.occupancy", text(uint64_t{h.memory_occupancy}), "cycles", kAssumedMachine);

  row("machine.caches.line_bytes", text(uint64_t{h.line_bytes}), "bytes", kLinuxCputable, "128");
  row("machine.caches.l1i.size_kib", text(h.l1i.size_bytes >> 10), "KiB", kAppleG5, "64",
      "\"a large, direct-mapped 64K L1 cache\"");
  row("machine.caches.l1i.ways", text(uint64_t{h.l1i.ways}), "ways", kAppleG5, "1",
      fmt::format("the 970's L1I is direct-mapped (1 way); ours {}", h.l1i.ways));
  row("machine.caches.l1i.latency", text(uint64_t{h.l1i.latency}), "cycles", kAssumedMachine, "",
      "extra fetch cycles on a new line, beyond the pipeline's own");
  row("machine.caches.l1d.size_kib", text(h.l1d.size_bytes >> 10), "KiB", kAppleG5, "32", "\"32K L1 data cache\"");
  row("machine.caches.l1d.ways", text(uint64_t{h.l1d.ways}), "ways", kNptelPower4, "2",
      "POWER4's L1D (32 KB, 2-way, 128-byte lines), the core the 970 derives from");
  row("machine.caches.l1d.latency", text(uint64_t{h.l1d.latency}), "cycles",
      llvm("G5Model LoadLatency and IIC_LdStLoad"), "3");
  row("machine.caches.l2.size_kib", text(h.l2.size_bytes >> 10), "KiB", kAppleG5, "512",
      "\"512K internal L2 cache\" (970, 970FX); 1 MB per core on the 970MP");
  row("machine.caches.l2.ways", text(uint64_t{h.l2.ways}), "ways", kNptelPower4, "8",
      "POWER4's shared L2 (1.5 MB, 8-way); the 970's own associativity is not confirmed");
  row("machine.caches.l2.latency", text(uint64_t{h.l2.latency}), "cycles", kClemsonPower5, "13",
      "POWER5's L2: 13 (2004); lmbench (2005) measured 32");
  row("machine.caches.l2.shared", text(h.l2_shared), "", kWikipedia970, "", "one private L2 per core");
  row("machine.caches.l2.banks", text(uint64_t{h.l2_banks}), "banks", kAssumedMachine, "", "shared L2 only");
  row("machine.caches.l2.occupancy", text(uint64_t{h.l2_occupancy}), "cycles", kAssumedMachine, "", "shared L2 only");

  row("machine.interconnect.latency", text(uint64_t{h.interconnect_latency}), "cycles", kAssumedMachine);
  row("machine.interconnect.occupancy", text(uint64_t{h.interconnect_occupancy}), "cycles", kAssumedMachine);
  row("machine.directory.latency", text(uint64_t{h.directory_latency}), "cycles", kAssumedMachine);
  row("machine.directory.banks", text(uint64_t{h.directory_banks}), "banks", kAssumedMachine);
  row("machine.directory.occupancy", text(uint64_t{h.directory_occupancy}), "cycles", kAssumedMachine);

  row("machine.coherence.c2c_latency", text(uint64_t{h.c2c_latency}), "cycles", kAssumedMachine, "",
      fmt::format("a load of a line another CPU holds modified composes to {} (l2 + 3 x interconnect + directory + "
                  "c2c)",
                  h.l2.latency + 3 * h.interconnect_latency + h.directory_latency + h.c2c_latency));
  row("machine.coherence.larx_exclusive", text(h.larx_exclusive), "", kAssumedMachine);
  row("machine.coherence.larx_hold_cycles", text(uint64_t{h.larx_hold_cycles}), "cycles", kAssumedMachine);
  row("machine.coherence.store_buffer", text(uint64_t{h.store_buffer}), "entries", kAssumedMachine);
  row("machine.coherence.store_latency", text(uint64_t{h.store_latency}), "cycles", kAssumedMachine);

  row("machine.core.alu", text(uint64_t{c.alu}), "cycles", llvm("IIC_IntSimple, IIC_IntGeneral"), "2",
      fmt::format("LLVM gives 2; ours {}", c.alu));
  row("machine.core.mul32", text(uint64_t{c.mul32}), "cycles", llvm("IIC_IntMulHW"), "5", "mulli: 4 (IIC_IntMulLI)");
  row("machine.core.mul64", text(uint64_t{c.mul64}), "cycles", llvm("IIC_IntMulHD"), "7");
  row("machine.core.div32", text(uint64_t{c.div32}), "cycles", llvm("IIC_IntDivW"), "36");
  row("machine.core.div64", text(uint64_t{c.div64}), "cycles", llvm("IIC_IntDivD"), "68");
  row("machine.core.cr", text(uint64_t{c.cr}), "cycles", llvm("IIC_BrCR, IIC_BrMCR"), "4",
      fmt::format("LLVM gives 4 for CR logical ops and 2 for mcrf; ours {}", c.cr));
  row("machine.core.spr", text(uint64_t{c.spr}), "cycles", llvm("IIC_SprMFSPR"), "3",
      "LLVM: mfspr 3, mfcr 2, mtspr 8, mftb 10; ours one value for all");
  row("machine.core.larx", text(uint64_t{c.larx}), "cycles", llvm("IIC_LdStLDARX, IIC_LdStLWARX"), "11",
      "LLVM's 11 is the whole instruction; ours comes on top of the cache access");
  row("machine.core.stcx", text(uint64_t{c.stcx}), "cycles", llvm("IIC_LdStSTDCX, IIC_LdStSTWCX"), "11",
      "LLVM's 11 is the whole instruction; ours comes on top of the cache access");
  row("machine.core.sync", text(uint64_t{c.sync}), "cycles", llvm("IIC_LdStSync"), "35");
  row("machine.core.lwsync", text(uint64_t{c.lwsync}), "cycles", kAssumedMachine);
  row("machine.core.isync", text(uint64_t{c.isync}), "cycles", llvm("IIC_SprISYNC"), "40",
      fmt::format("LLVM gives 40 (marked \"needs work\"); ours {}", c.isync));
  row("machine.core.cache_op", text(uint64_t{c.cache_op}), "cycles", llvm("IIC_LdStDCBF, IIC_LdStICBI"), "3",
      fmt::format("LLVM: dcbf 3, icbi 40; ours {} for every cache op, on top of its access", c.cache_op));
  row("machine.core.taken_branch_penalty", text(uint64_t{c.taken_branch_penalty}), "cycles", kAssumedMachine, "",
      "LLVM's G5Model has a mispredict penalty of 16; the core model predicts nothing and charges every taken branch");
  row("machine.core.syscall", text(uint64_t{c.syscall}), "cycles", kAssumedMachine, "",
      "linux-target test programs only");
  row("machine.core.interrupt", text(uint64_t{c.interrupt}), "cycles", kAssumedMachine, "",
      "taking an interrupt: the pipeline drained, SRR0/SRR1 written, the vector fetched; the handler's own "
      "instructions are executed and timed");
  row("machine.core.rfid", text(uint64_t{c.rfid}), "cycles", kAssumedMachine, "",
      "rfid and mtmsrd: context synchronising, charged as a pipeline refill");

  // ---- os
  row("os.schedule_cycles", text(uint64_t{os.schedule_cycles}), "cycles", kAssumed, "",
      "the host's decision of which thread runs next (no code is the point); the switch that follows is guest code");
  row("os.descriptor_bytes", text(uint64_t{os.descriptor_bytes}), "bytes", kAssumed, "",
      "at least the kind, mark, task-list links, saved registers, patch state and preemption count and need-resched (376 bytes); the rest is padding to three 128-byte lines. "
      "The context switch itself is guest code (its cost executed, no constant)");
  row("os.miss_handler_cycles", text(uint64_t{os.miss_handler_cycles}), "cycles", kAssumed, "",
      "the Default Object's decisions beyond its memory accesses (timed through the caches)");
  row("os.io_check_cycles", text(uint64_t{os.io_check_cycles}), "cycles", kAssumed, "",
      "a stand-in for a driver's check whether an I/O wait point blocks (no code is the point)");
  row("os.idle_poll_cycles", text(uint64_t{os.idle_poll_cycles}), "cycles", kAssumed);
  row("os.create_cycles", text(uint64_t{os.create_cycles}), "cycles", kAssumed, "",
      "a `create` call's decisions beyond its memory accesses (the allocator's lists, the GTT entry, the factory's "
      "table: timed through the caches)");
  row("os.destroy_cycles", text(uint64_t{os.destroy_cycles}), "cycles", kAssumed, "",
      "a `destroy` call's decisions beyond its memory accesses (the factory's table, the LTT entries reset)");
  row("os.generations.min_round_us", text(os.generations.min_round_us), "us", kAssumed);
  row("os.generations.swap_cycles", text(uint64_t{os.generations.swap_cycles}), "cycles", kAssumed);
  row("os.generations.token_pass_cycles", text(uint64_t{os.generations.token_pass_cycles}), "cycles", kAssumed);
  row("os.scheduler.tick_us", text(os.scheduler.tick_us), "us",
      "Linux CONFIG_HZ_1000 (a 1 ms tick)", "1000",
      "preemptive only: the time slice, as Linux's tick at HZ=1000 (K42's own is not documented in the seeds); "
      "the interrupt's entry and exit are guest code, timed as executed");
  row("fixed:os.miss_lock_retry_cycles", text(uint64_t{os::MissCosts{}.lock_retry}), "cycles", kAssumed, "",
      "not a scenario key (os::MissCosts in sim/os_model/clustered_object_manager.h): the wait before retrying a "
      "translation miss while a hot swap holds the entry's lock");

  // ---- hot swap
  row("implementations.NAME.transfer.fixed_cycles", text(uint64_t{tr.fixed_cycles}), "cycles", kAssumed);
  row("implementations.NAME.transfer.copy_cycles_per_line", text(uint64_t{tr.copy_cycles_per_line}), "cycles",
      kAssumed);
  row("implementations.NAME.transfer.transform_cycles_per_byte", text(tr.transform_cycles_per_byte), "cycles",
      kAssumed);
  row("hotswap.update_step_cycles", text(uint64_t{hs.update_step_cycles}), "cycles", kAssumed);
  const hotswap::PolicySpec policy;
  row("policies.NAME.monitor.window_us", text(policy.window_us), "us", kAssumed, "",
      "an autonomic policy's monitor reads the per-CPU counters this often (scenarios/README.md, policies:)");
  row("policies.NAME.monitor.eval_cycles", text(uint64_t{policy.eval_cycles}), "cycles", kAssumed, "",
      "the monitor's work per window beyond its loads of every CPU's counters: sums, the percentile, the decision");
  for (const auto& e : hotswap::strategy_registry()) {
    if (e.info.test_only) continue;
    for (const auto& p : e.info.params)
      row(fmt::format("hotswap.strategies.{}.{}", e.info.name, p.key), param_text(p), p.unit, p.source, "",
          p.unit == "cycles" ? p.meaning + " (host-modelled work beyond its memory accesses)" : "");
  }
  return t;
}

std::string defaults_text() {
  const auto table = defaults_table();
  size_t key = 0, value = 0, unit = 0;
  for (const auto& e : table) {
    key = std::max(key, e.key.size());
    value = std::max(value, e.value.size());
    unit = std::max(unit, e.unit.size());
  }
  std::string out;
  for (const auto& e : table) {
    out += fmt::format("{:<{}}  {:>{}}  {:<{}}  {}", e.key, key, e.value, value, e.unit, unit, e.source);
    if (!e.source_value.empty()) out += fmt::format(" [source: {}]", e.source_value);
    if (!e.note.empty()) out += fmt::format(" -- {}", e.note);
    out += '\n';
  }
  return out;
}

std::string defaults_json() {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& e : defaults_table())
    list.push_back({{"key", e.key},
                    {"value", e.value},
                    {"unit", e.unit},
                    {"source", e.source},
                    {"source_value", e.source_value},
                    {"note", e.note}});
  nlohmann::ordered_json doc;
  doc["defaults"] = std::move(list);
  return doc.dump(2) + '\n';
}

std::string defaults_markdown() {
  auto cell = [](std::string s) {
    for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
    return s.empty() ? std::string("-") : s;
  };
  const auto table = defaults_table();
  const auto n_assumed = std::count_if(table.begin(), table.end(), [](const DefaultEntry& e) { return assumed(e); });
  std::string out =
      "<!-- Made by `quiesce defaults --markdown` (sim/run/defaults_table.cpp); tests/cli/test_defaults.py checks "
      "that this file is its output. -->\n"
      "# Timing defaults and their sources\n"
      "\n"
      "Every timing and cost default of a scenario: the machine, the OS model, the hot-swap layer and each\n"
      "quiescence strategy's parameters. `default` is read from the code's default settings, so this table\n"
      "cannot drift from them. `source` is the public document the number comes from, or **assumed** where\n"
      "there is none to cite (the machine's say \"PPC970-like\": chosen in the spirit of the PowerPC 970 and\n"
      "POWER4/POWER5, not taken from a document). `source value` is the source's own number where it gives\n"
      "one; `note` says where it differs from ours, or what it measures. The strategies' sources are their\n"
      "registered ones (`quiesce strategies`). A key that starts with `fixed:` is a cost the code fixes,\n"
      "not a scenario setting. Two more fixed waits live inside functions and are not listed: the\n"
      "stack-trace walker's spin while the other CPUs stop (`kSpinCycles`, sim/hotswap/stack_trace.cpp)\n"
      "and a stopped CPU's poll (`kStopPoll`, sim/os_model/os_kernel.cpp). `bench/calibrate` measures\n"
      "the simulated machine against this table.\n"
      "\n";
  out += fmt::format("{} defaults, {} of them assumed.\n\n", table.size(), n_assumed);
  out += "| key | default | unit | source | source value | note |\n| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& e : table)
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", e.key, cell(e.value), cell(e.unit),
                       assumed(e) ? "**" + e.source + "**" : cell(e.source), cell(e.source_value), cell(e.note));
  return out;
}

}  // namespace quiesce::run
