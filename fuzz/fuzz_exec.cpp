// Fuzz target: the core's decoder and executor. The input is a register file
// seed followed by instruction words, run on one hart in a sandbox of 1 MiB of
// guest memory behind the fixed-latency port, for at most 4096 instructions.
// Every word is also disassembled. Illegal words, wild loads and stores,
// branches anywhere and self-modifying code must end in a clean stop (a trap
// report, the budget, or the exit system call), never in a crash or undefined
// behaviour (the fuzz build runs under ASan and UBSan).
#include <cstdint>
#include <cstring>

#include "cpu_ppc64/decode_cache.h"
#include "cpu_ppc64/disasm.h"
#include "cpu_ppc64/environment_if.h"
#include "cpu_ppc64/hart.h"
#include "fuzz_check.h"
#include "memory_coherence/fixed_latency_memory.h"
#include "memory_coherence/guest_memory.h"

namespace ppc = quiesce::ppc;
namespace mem = quiesce::mem;

namespace {
constexpr uint64_t kMemBytes = uint64_t{1} << 20;
constexpr uint64_t kCode = 0x10000, kData = 0x80000;
constexpr size_t kMaxWords = 1024;

// Guest I/O above memory faults; a system call ends the run.
class SandboxEnvironment final : public ppc::Environment_if {
 public:
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart&) override { return ppc::HartAction::Exit; }
};

uint64_t take64(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  for (int i = 0; i < 8 && p < end; ++i) v = v << 8 | *p++;
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* p = data;
  const uint8_t* const end = data + size;
  mem::GuestMemory memory(kMemBytes);
  mem::FixedLatencyMemory port(1, {});
  ppc::DecodeCache icache;
  SandboxEnvironment env;
  ppc::Hart hart(0, memory, port, env, icache, ppc::CoreTiming{});
  hart.set_instruction_limit(4096);

  // Registers: a flag byte picks, per register, a pointer into the data area
  // (so loads and stores mostly land) or a raw value.
  const uint64_t ptr_mask = take64(p, end);
  auto& s = hart.state();
  for (unsigned r = 0; r < 32; ++r) {
    const uint64_t v = take64(p, end);
    s.gpr[r] = (ptr_mask >> r & 1) ? kData + (v & 0xfff8) : v;
  }
  s.lr = kCode + (take64(p, end) & 0xffc);
  s.ctr = take64(p, end) & 0xffff;
  s.cr = static_cast<uint32_t>(take64(p, end));
  s.set_xer(take64(p, end));

  size_t words = 0;
  for (; words < kMaxWords && end - p >= 4; ++words, p += 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    w = __builtin_bswap32(w);  // the input holds big-endian words, as guest memory does
    memory.store<uint32_t>(kCode + 4 * words, w);
    const ppc::DisasmText t = ppc::disassemble(ppc::decode(w), w, kCode + 4 * words);
    if (t.mnemonic.empty()) qfuzz::fail("empty mnemonic", t.operands);
  }
  s.pc = kCode;
  const ppc::StopReason why = hart.run(uint64_t{1} << 24);
  if (why == ppc::StopReason::Trapped && hart.trap().what.empty()) qfuzz::fail("trap without a report", "");
  if (why == ppc::StopReason::Running) qfuzz::fail("run returned while running", "");
  return 0;
}
