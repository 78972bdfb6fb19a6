#include "platform/machine.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <fmt/format.h>

#include "cpu_ppc64/capstone_disasm.h"
#include "cpu_ppc64/tracer.h"

namespace quiesce::platform {

namespace {
constexpr uint64_t kMaxStackGuard = 64 << 10;

const MachineConfig& validated(const MachineConfig& cfg) {
  if (cfg.cpus == 0 || cfg.cpus > 1024) throw ConfigError(fmt::format("cpus must be 1..1024, got {}", cfg.cpus));
  if (cfg.stack_bytes * cfg.cpus >= cfg.memory_bytes)
    throw ConfigError(fmt::format("{} stacks of {} bytes do not fit in {} bytes of memory", cfg.cpus,
                                     cfg.stack_bytes, cfg.memory_bytes));
  return cfg;
}
// SystemC ticks per cycle at a femtosecond resolution (exact for any clock a
// scenario is likely to name), fixed once per process before any other SystemC time exists.
uint64_t period_ticks(double clock_hz) {
  static const bool resolution_set = (sc_core::sc_set_time_resolution(1, sc_core::SC_FS), true);
  (void)resolution_set;
  return static_cast<uint64_t>(std::llround(1e15 / clock_hz));
}
mem::CoherentMemory make_memory_system(const MachineConfig& cfg, mem::TimeSync_if* sync) {
  try {
    return mem::CoherentMemory(cfg.cpus, cfg.hierarchy, sync);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
}
}  // namespace

Machine::Machine(const MachineConfig& cfg, ppc::Environment_if::HostCallWindow host_calls)
    : cfg_(validated(cfg)),
      memory_(cfg.memory_bytes),
      port_(make_memory_system(cfg, this)),
      io_(cfg.cpus),
      env_(io_, host_calls),
      period_(period_ticks(cfg.clock_hz)),
      scheduler_(cfg.cpus, period_) {
  for (unsigned i = 0; i < cfg.cpus; ++i) {
    harts_.push_back(std::make_unique<ppc::Hart>(i, memory_, port_, env_, icache_, cfg.core, cfg.hierarchy.line_bytes));
    harts_.back()->set_instruction_limit(cfg.max_instructions);
    modules_.push_back(std::make_unique<CpuModule>(fmt::format("cpu{}", i).c_str(), *harts_.back(), *this, scheduler_,
                                                   cfg.quantum_cycles, cfg.lookahead));
  }
}

Machine::~Machine() {
  if (deadline_->timer.joinable()) {
    {
      std::lock_guard<std::mutex> lock(deadline_->m);
      deadline_->cancelled = true;
    }
    deadline_->cv.notify_all();
    deadline_->timer.join();
  }
}

void Machine::set_deadline(double seconds) {
  if (!(seconds > 0) || deadline_->timer.joinable()) return;
  Deadline* d = deadline_.get();
  d->timer = std::thread([d, seconds] {
    std::unique_lock<std::mutex> lock(d->m);
    if (!d->cv.wait_for(lock, std::chrono::duration<double>(seconds), [d] { return d->cancelled; }))
      d->passed.store(true, std::memory_order_relaxed);
  });
}

void Machine::stop_at_deadline() {
  if (stopping_) return;
  stopping_ = stopped_at_deadline_ = true;
  sc_core::sc_stop();
}

void Machine::load(const std::string& elf_path) {
  program_ = ppc::load_elf(elf_path, memory_);
  const uint64_t stack_floor = cfg_.memory_bytes - cfg_.stack_bytes * cfg_.cpus;
  if (program_.highest > stack_floor)
    throw ppc::LoadError(fmt::format("{}: program ends at 0x{:x}, above the CPU stacks at 0x{:x}", elf_path,
                                     program_.highest, stack_floor));
  // A guard below every CPU's stack (its lowest 1/8, at most 64 KiB): an overflow traps at once.
  memory_.set_stack_guards(stack_floor, cfg_.stack_bytes, std::min<uint64_t>(cfg_.stack_bytes / 8, kMaxStackGuard));
  // Statistics regions: the program's data objects and the CPUs' stacks.
  for (const auto& sym : program_.symbols.all())
    if (sym.data && sym.size) port_.regions().add(sym.name, sym.addr, sym.size);
  for (unsigned i = 0; i < cfg_.cpus; ++i)
    port_.regions().add(fmt::format("stack.cpu{}", i), cfg_.memory_bytes - cfg_.stack_bytes * (i + 1), cfg_.stack_bytes);
  for (unsigned i = 0; i < cfg_.cpus; ++i) {
    auto& s = harts_[i]->state();
    s = ppc::ArchState{};
    s.pc = program_.entry;
    s.gpr[1] = (cfg_.memory_bytes - cfg_.stack_bytes * i) & ~uint64_t{15};
    s.gpr[2] = program_.toc;
    s.gpr[3] = i;
    s.gpr[4] = cfg_.cpus;
    s.gpr[12] = program_.entry;
  }
}

void Machine::enable_trace(std::FILE* out) {
  tracer_ = std::make_unique<ppc::Tracer>(out, &program_.symbols);
  for (auto& h : harts_) h->set_tracer(tracer_.get());
}

bool Machine::cpu_stopped(ppc::Hart& h) {
  switch (h.stop_reason()) {
    case ppc::StopReason::Trapped:
      if (!trapped_) trapped_ = h.id();
      break;
    case ppc::StopReason::Exited: break;
    default: return false;  // halted: the others go on
  }
  if (!stopping_) {
    stopping_ = true;
    sc_core::sc_stop();
  }
  return true;
}

RunResult Machine::run(uint64_t stop_cycle, const std::function<void(double)>& progress, unsigned slices_wanted) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!stop_cycle) {
    horizon_ = ~uint64_t{0};
    sc_core::sc_start();
  } else {
    // In slices when someone watches: SystemC stops at each slice's end, which changes nothing simulated.
    const unsigned slices = progress ? std::max(1u, slices_wanted) : 1;
    for (unsigned i = 1; i <= slices && !stopping_; ++i) {
      const uint64_t until = stop_cycle * i / slices;
      horizon_ = until;
      // Ends before cycle `until` (SystemC's end is exclusive): nothing at `until` runs in this slice.
      sc_core::sc_start(sc_core::sc_time::from_value(until * period_) - sc_core::sc_time_stamp());
      if (progress) progress(static_cast<double>(i) / slices);
    }
  }
  RunResult r;
  r.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.exited = io_.exited();
  r.exit_code = io_.exit_code();
  r.trapped_cpu = trapped_;
  for (auto& h : harts_) {
    r.cpus.push_back({h->id(), h->instructions(), h->cycle(), h->stop_reason(), port_.cpu_counters(h->id()),
                      modules_[h->id()]->syncs()});
    r.instructions += h->instructions();
    r.waits_skipped += modules_[h->id()]->waits_skipped();
    r.cycles = std::max(r.cycles, h->cycle());
  }
  port_.check_all();
  r.coherence_violations = port_.violations();
  r.first_violation = port_.first_violation();
  const auto& regions = port_.regions();
  for (uint32_t id = 0; id < regions.size(); ++id) {
    const mem::CoherenceCounters c = port_.region_counters(id);
    if (c.accesses || c.misses || c.invalidations_received) {
      r.regions.push_back({regions.name(id), regions.start(id), regions.bytes(id), c, port_.region_cpus(id)});
    }
  }
  std::stable_sort(r.regions.begin(), r.regions.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::fflush(stdout);
  return r;
}

std::string trap_report(const ppc::Hart& h, const ppc::SymbolTable& symbols, const mem::GuestMemory* memory,
                        const std::function<std::string(uint64_t)>& describe) {
  auto name = [&](uint64_t a) {
    std::string n = symbols.describe(a);
    return n.empty() && describe ? describe(a) : n;
  };
  const auto& t = h.trap();
  const auto& s = h.state();
  std::string out = fmt::format("quiesce: guest fault on cpu {} at cycle {}: {}\n", h.id(), h.cycle(), t.what);
  // An access in a stack guard: which CPU's stack overflowed (the faulting address ends the message).
  if (const auto at = t.what.rfind(" at 0x"); memory && at != std::string::npos) {
    const uint64_t ea = std::strtoull(t.what.c_str() + at + 4, nullptr, 16);
    if (const int stack = memory->guard_of(ea); stack >= 0) {
      const uint64_t top = memory->size() - memory->stack_bytes() * static_cast<uint64_t>(stack);
      const uint64_t bottom = top - memory->stack_bytes();
      out += fmt::format("  stack overflow: 0x{:x} is in the guard below cpu {}'s stack (stack.cpu{}: 0x{:x}..0x{:x}, "
                         "the lowest {} bytes unmapped); r1 0x{:016x}\n",
                         ea, stack, stack, bottom + memory->guard_bytes(), top, memory->guard_bytes(), s.gpr[1]);
    }
  }
  const std::string where = name(t.pc);
  out += fmt::format("  pc    0x{:016x}{}\n", t.pc, where.empty() ? "" : "  <" + where + ">");
  if (t.have_word) {
    const ppc::CapstoneDisasm cs;
    out += fmt::format("  insn  0x{:08x}  {}\n", t.word, cs.disasm(t.word, t.pc));
  }
  for (unsigned i = 0; i < 32; i += 4)
    out += fmt::format("  r{:<2} 0x{:016x}  r{:<2} 0x{:016x}  r{:<2} 0x{:016x}  r{:<2} 0x{:016x}\n", i, s.gpr[i],
                       i + 1, s.gpr[i + 1], i + 2, s.gpr[i + 2], i + 3, s.gpr[i + 3]);
  out += fmt::format("  lr  0x{:016x}  ctr 0x{:016x}  cr 0x{:08x}  xer 0x{:08x}\n", s.lr, s.ctr, s.cr, s.xer());
  if (const std::string lr = name(s.lr); !lr.empty()) out += fmt::format("  lr is <{}>\n", lr);
  return out;
}

}  // namespace quiesce::platform
