// One PowerPC 64 hardware thread: architected state, an in-order timing model
// with a register scoreboard, and the interpreter loop over predecoded
// instructions. No SystemC here: the CPU module drives it one quantum at a time.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "cpu_ppc64/core_timing.h"
#include "cpu_ppc64/decode_cache.h"
#include "cpu_ppc64/environment_if.h"
#include "memory_coherence/guest_memory.h"
#include "memory_coherence/l1_hit_path.h"
#include "memory_coherence/mem_port_if.h"

namespace quiesce::ppc {

class Tracer;

enum class StopReason : uint8_t { Running, Budget, Halted, Exited, Trapped };

struct TrapInfo {
  std::string what;      // one line: "illegal instruction", "load outside guest memory at 0x...", ...
  uint64_t pc = 0;
  uint32_t word = 0;
  bool have_word = false;
};

struct ArchState {
  std::array<uint64_t, 32> gpr{};
  uint64_t pc = 0, lr = 0, ctr = 0;
  uint32_t cr = 0;
  uint8_t so = 0, ov = 0, ca = 0;
  // Supervisor state (insn.h): interrupts start disabled.
  uint64_t msr = kMsrSF, srr0 = 0, srr1 = 0;
  std::array<uint64_t, 4> sprg{};
  uint64_t xer() const { return uint64_t{so} << 31 | uint64_t{ov} << 30 | uint64_t{ca} << 29; }
  void set_xer(uint64_t v) { so = (v >> 31) & 1, ov = (v >> 30) & 1, ca = (v >> 29) & 1; }
};

class Hart {
 public:
  Hart(unsigned id, mem::GuestMemory& memory, mem::MemPort_if& port, Environment_if& env,
       DecodeCache& icache, const CoreTiming& timing, uint32_t line_bytes = 128);

  unsigned id() const { return id_; }
  ArchState& state() { return s_; }
  const ArchState& state() const { return s_; }
  uint64_t cycle() const { return cycle_; }
  uint32_t line_bytes() const { return line_bytes_; }
  uint64_t instructions() const { return instret_; }
  StopReason stop_reason() const { return stop_; }
  const TrapInfo& trap() const { return trap_; }

  void set_instruction_limit(uint64_t n) { instr_limit_ = n ? n : ~uint64_t{0}; }
  void set_tracer(Tracer* t) { tracer_ = t; }
  void advance_to(uint64_t cycle) { if (cycle > cycle_) cycle_ = cycle; }

  // Execute until the local cycle reaches `until` or the hart stops.
  StopReason run(uint64_t until);
  // The `until` of the current run(): host calls that idle stop there.
  uint64_t budget_end() const { return until_; }

  // Functional guest memory access for the environment (MMIO handlers, syscalls).
  mem::GuestMemory& memory() { return mem_; }
  // For host-modelled code running on this CPU (host calls): the timing of an
  // access through this CPU's memory port, which stalls the CPU until it is
  // done; and plain cycles of work.
  mem::MemResponse timed_access(mem::AccessKind kind, uint64_t addr, unsigned size) {
    const mem::MemResponse r = port_.access({kind, id_, addr, size, cycle_});
    cycle_ += r.latency;
    return r;
  }
  void charge(uint64_t cycles) { cycle_ += cycles; }
  // Host-modelled code that rewrote instructions: what an icbi does to the
  // predecoded instructions (its timing is a timed_access of kind Icbi).
  void forget_decoded(uint64_t addr, uint64_t len) { icache_.invalidate(addr, len); }
  // Watched code (shared by every core): see DecodeCache::watch and Environment_if::watched.
  void watch_code(uint64_t addr, uint64_t len) { icache_.watch(addr, len); }
  void unwatch_code(uint64_t addr, uint64_t len) { icache_.unwatch(addr, len); }
  // Stop with a trap report (used by the environment, e.g. a bad system call).
  void raise_trap(std::string what);

  // Interrupts (Book III-S). An external interrupt posted here (a device, another CPU's IPI) is taken
  // at an instruction boundary once MSR[EE] allows, at the earliest at the hart's next run() if it is
  // running now (so within a quantum); the decrementer's when DEC, written with mtdec, passes zero.
  // Taking one: SRR0 = the next instruction, SRR1 = MSR, EE cleared, pc = vector base + the vector.
  // Both are edge-triggered: taking one clears it. No per-instruction cost: the loop's horizon stops
  // at the next cycle an interrupt may be due.
  void post_external();
  // A device's line rising at `cycle` (now or in the past: at once); the earliest such time is kept.
  void post_external_at(uint64_t cycle) {
    ext_at_ = std::min(ext_at_, cycle);
    update_irq();
  }
  void clear_external() { ext_pending_ = false, update_irq(); }  // the environment acknowledged it otherwise
  bool external_pending() const { return ext_pending_; }
  void set_vector_base(uint64_t base) { vector_base_ = base; }
  uint64_t interrupts_taken() const { return interrupts_; }
  // The host-modelled kernel setting its timer (as mtdec would): a stale pending decrementer interrupt
  // is forgotten.
  // Host-modelled kernel code turning MSR[EE] on or off, as `mtmsrd r,1` would (and timed as it):
  // an interrupt pending and now enabled is taken before the next instruction. Returns whether EE was on.
  // Host-modelled kernel code returning as rfid would (and timed as it): MSR from SRR1, pc from SRR0.
  void return_from_interrupt() {
    cycle_ += t_.rfid;
    s_.msr = s_.srr1 | kMsrSF;
    s_.pc = s_.srr0 & ~uint64_t{3};
    update_irq();
  }
  bool set_interrupts(bool on) {
    const bool was = (s_.msr & kMsrEE) != 0;
    s_.msr = on ? s_.msr | kMsrEE : s_.msr & ~kMsrEE;
    cycle_ += t_.rfid;
    update_irq();
    return was;
  }
  void set_decrementer(uint32_t value) {
    dec_pending_ = false;
    write_dec(cycle_, value);
  }

 private:
  template <bool kTrace> StopReason loop(uint64_t until);
  // A data access's latency, or kStopped if the hart stopped (a fault, an MMIO exit).
  static constexpr uint32_t kStopped = ~uint32_t{0};
  template <typename T> uint32_t load(uint64_t ea, T& out);
  template <typename T> uint32_t store(uint64_t ea, T value);
  bool mmio_or_fault(uint64_t ea, unsigned size, bool is_store, uint64_t& value);
  bool fetch_page(uint64_t pc);
  bool host_call(uint64_t pc);
  void fault(std::string what, bool with_word = true);
  uint32_t port_access(mem::AccessKind kind, uint64_t ea, unsigned size, bool* ok = nullptr);
  void write_dec(uint64_t now, uint32_t value);
  void update_irq();  // irq_at_ from the pending interrupts, MSR[EE] and the decrementer
  void take_interrupt();  // at an instruction boundary, cycle_ >= irq_at_

  unsigned id_;
  mem::GuestMemory& mem_;
  mem::MemPort_if& port_;
  mem::L1HitPath* hits_;  // the port's inline L1 hits, if it has them
  Environment_if& env_;
  Environment_if::HostCallWindow host_window_;
  DecodeCache& icache_;
  CoreTiming t_;
  uint32_t line_bytes_;
  unsigned line_shift_;  // log2 of line_bytes_ (computed once: lockstep enters the loop every cycle)

  ArchState s_;
  uint64_t cycle_ = 0, until_ = 0, instret_ = 0, instr_limit_ = ~uint64_t{0};
  std::array<uint64_t, kSbSlots> ready_{};  // cycle each register's value is available
  DecodeCache::Page* page_ = nullptr;
  uint64_t page_epoch_ = 0;  // the decode cache's epoch when page_ was looked up
  Insn watch_insn_;  // a watched slot's instruction, decoded for the one execution
  uint64_t page_base_ = ~uint64_t{0};
  uint64_t fetch_line_ = ~uint64_t{0};
  StopReason stop_ = StopReason::Running;
  // Interrupts: the earliest cycle one may need taking (~0: none can), DEC's zero crossing.
  uint64_t irq_at_ = ~uint64_t{0}, dec_zero_ = 0, vector_base_ = 0, interrupts_ = 0;
  uint64_t ext_at_ = ~uint64_t{0};  // a device's external interrupt to come (post_external_at)
  bool dec_armed_ = false, dec_pending_ = false, ext_pending_ = false;
  TrapInfo trap_;
  Tracer* tracer_ = nullptr;
};

}  // namespace quiesce::ppc
