// Test fixture for the PowerPC 64 interpreter: guest memory, the fixed-latency
// memory port (which also keeps the larx/stcx. reservations), a shared decode
// cache, an environment without MMIO whose system call ends the run, and one or
// more harts.
//
// How a test runs code: `run({...})` places the words at the hart's code address
// followed by a sentinel `sc`; the environment answers the system call with
// Exit, so the run ends *at the sentinel*. run() then REQUIREs that the hart
// exited there after exactly words.size() instructions (plus the sentinel),
// which makes "executed exactly these instructions, each once" checkable.
// Branchy code uses run_count() (returns the number executed) or
// run_from(pc) with sentinels placed by the test and checks state().pc, which
// stays at the sentinel's address.
//
// A hart cannot resume once it has exited or trapped, so for multi-phase tests
// (atomics interleaved across two harts) the next run rebuilds the Hart object
// with the same id, carrying over its architected state and local cycle; the
// reservations live in the memory port, so they survive that.
#pragma once
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu_ppc64/core_timing.h"
#include "cpu_ppc64/decode_cache.h"
#include "cpu_ppc64/environment_if.h"
#include "cpu_ppc64/hart.h"
#include "memory_coherence/fixed_latency_memory.h"
#include "memory_coherence/guest_memory.h"
#include "ppc_asm.h"

namespace qtest {

namespace ppc = quiesce::ppc;
namespace mem = quiesce::mem;

inline constexpr uint64_t kMemBytes = uint64_t{16} << 20;  // 16 MiB of guest memory
inline constexpr uint64_t kCode = 0x10000;                  // hart h's programs go at kCode + h * kCodeStride
inline constexpr uint64_t kCodeStride = 0x10000;
inline constexpr uint64_t kData = 0x200000;                 // a data area well away from code

// CR field bits (the 4-bit value of one field).
inline constexpr uint32_t LT = 8, GT = 4, EQ = 2, SO = 1;
// CR value with only the given bit (ISA numbering 0..31) set.
constexpr uint32_t cr_bit(unsigned bit) { return 0x80000000u >> bit; }
// XER bits as mfxer shows them (ISA bits 32, 33, 34 of the 64-bit register).
inline constexpr uint64_t kXerSo = uint64_t{1} << 31, kXerOv = uint64_t{1} << 30, kXerCa = uint64_t{1} << 29;

// No MMIO (every access outside RAM faults); a system call ends the run.
class TestEnvironment final : public ppc::Environment_if {
 public:
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart& h) override {
    ++calls;
    // The sc has issued but not retired: the hart's cycle is the sentinel's issue cycle.
    exit_cycle.at(h.id()) = h.cycle();
    return ppc::HartAction::Exit;
  }
  unsigned calls = 0;
  std::array<uint64_t, 8> exit_cycle{};
};

class Cpu {
 public:
  static constexpr uint64_t kMaxInstructions = 1'000'000;  // safety net against runaway loops

  explicit Cpu(unsigned harts = 1, ppc::CoreTiming timing = {}, mem::FixedLatencyConfig mem_cfg = {})
      : memory(kMemBytes), port(harts, mem_cfg), timing_(timing), line_bytes_(mem_cfg.line_bytes) {
    for (unsigned i = 0; i < harts; ++i) {
      harts_.push_back(make_hart(i));
      start_cycle_.push_back(0);
    }
  }

  mem::GuestMemory memory;
  mem::FixedLatencyMemory port;
  ppc::DecodeCache icache;
  TestEnvironment env;

  ppc::Hart& hart(unsigned h = 0) { return *harts_.at(h); }
  ppc::ArchState& s(unsigned h = 0) { return hart(h).state(); }
  uint64_t& r(unsigned n, unsigned h = 0) { return s(h).gpr.at(n); }
  // The 4-bit value of CR field `field` (0..7).
  uint32_t crf(unsigned field, unsigned h = 0) { return (s(h).cr >> (28 - 4 * field)) & 0xf; }
  static uint64_t code_addr(unsigned h) { return kCode + h * kCodeStride; }

  // Write instruction words at addr (and forget any decoded copy); returns the address after them.
  uint64_t place(uint64_t addr, const std::vector<uint32_t>& words) {
    for (size_t i = 0; i < words.size(); ++i) memory.store<uint32_t>(addr + 4 * i, words[i]);
    icache.invalidate(addr, 4 * words.size());
    return addr + 4 * words.size();
  }

  // Run hart h from pc until it stops; returns why. A hart that stopped before is
  // rebuilt first (same id, same architected state and cycle).
  ppc::StopReason run_from(uint64_t pc, unsigned h = 0) {
    if (hart(h).stop_reason() != ppc::StopReason::Running) {
      const ppc::ArchState st = hart(h).state();
      const uint64_t cyc = hart(h).cycle();
      harts_.at(h) = make_hart(h);
      hart(h).state() = st;
      hart(h).advance_to(cyc);
    }
    s(h).pc = pc;
    start_cycle_.at(h) = hart(h).cycle();
    const ppc::StopReason why = hart(h).run(hart(h).cycle() + (uint64_t{1} << 40));
    if (why == ppc::StopReason::Trapped) UNSCOPED_INFO("trap: " << hart(h).trap().what);
    return why;
  }

  // Place `words` + sentinel at the hart's code address and run them; the run must
  // end at the sentinel. Returns the number of instructions executed before it.
  uint64_t run_count(const std::vector<uint32_t>& words, unsigned h = 0) {
    const uint64_t start = code_addr(h);
    const uint64_t sentinel = place(start, words);
    place(sentinel, {enc::sc()});
    const ppc::StopReason why = run_from(start, h);
    INFO("trap report: " << hart(h).trap().what);
    REQUIRE(why == ppc::StopReason::Exited);
    REQUIRE(s(h).pc == sentinel);
    return executed(h);
  }

  // Straight-line code: every word executes exactly once, then the sentinel.
  void run(const std::vector<uint32_t>& words, unsigned h = 0) {
    REQUIRE(run_count(words, h) == words.size());
  }

  // The program must stop with a trap; returns the trap report.
  const ppc::TrapInfo& run_trap(const std::vector<uint32_t>& words, unsigned h = 0) {
    const uint64_t start = code_addr(h);
    place(place(start, words), {enc::sc()});
    REQUIRE(run_from(start, h) == ppc::StopReason::Trapped);
    return hart(h).trap();
  }

  // Instructions the last run executed, not counting an exit sentinel.
  uint64_t executed(unsigned h = 0) {
    const uint64_t n = hart(h).instructions();
    return hart(h).stop_reason() == ppc::StopReason::Exited ? n - 1 : n;
  }
  // Cycles from the start of the last run to the issue of its exit sentinel.
  uint64_t cycles(unsigned h = 0) {
    REQUIRE(hart(h).stop_reason() == ppc::StopReason::Exited);
    return env.exit_cycle.at(h) - start_cycle_.at(h);
  }

  // Big-endian data helpers.
  template <typename T> T peek(uint64_t addr) { return memory.load<T>(addr); }
  template <typename T> void poke(uint64_t addr, T v) { memory.store<T>(addr, v); }

 private:
  std::unique_ptr<ppc::Hart> make_hart(unsigned id) {
    auto h = std::make_unique<ppc::Hart>(id, memory, port, env, icache, timing_, line_bytes_);
    h->set_instruction_limit(kMaxInstructions);
    return h;
  }

  ppc::CoreTiming timing_;
  uint32_t line_bytes_;
  std::vector<std::unique_ptr<ppc::Hart>> harts_;
  std::vector<uint64_t> start_cycle_;
};

}  // namespace qtest
