// Call gates: guest code a layer above (a quiescence strategy) asks the
// kernel to put around every call into the instances of one object group —
// at the request loop's call and at every nested call site in generated
// method bodies — so its fast-path cost is executed by the core. The kernel
// knows nothing of what the code is for.
//
// Register convention, at both kinds of site:
//   enter  runs just before the translation (DREF): r9 holds the callee's
//          LTT offset (COID * 8) and must be left intact; r0, r3, r11 and r12
//          are free; r13 is the CPU's LTT base (a CPU-local area follows it,
//          see TranslationTable::local_word). Code may `bla` into host calls.
//   leave  runs just after the call returns, with r9 again the callee's LTT
//          offset; r0, r3, r11 and r12 are free.
// Alternatively a gate binds calls statically (`direct_sites` > 0): each
// instance and method gets that many call sites in guest code that load
// `this` as an immediate and branch straight to the method; nothing is
// translated, and a layer above may rewrite the sites (KernelFacts_if::direct_sites, swap_interface.h).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace quiesce::os {

struct SwapInterface;

struct CallGate {
  std::vector<uint32_t> enter, leave;
  unsigned direct_sites = 0;
  bool empty() const { return enter.empty() && leave.empty() && direct_sites == 0; }
};

// Asked once per object group while the kernel builds its code; may allocate
// in the kernel's heap and reserve host calls (through the swap interface).
using CallGateSource = std::function<CallGate(const SwapInterface&, unsigned group)>;

inline constexpr unsigned kGateKeyRegister = 9;
// Where a generated body keeps the key across a gated nested call.
inline constexpr unsigned kGateSaveSlot = 120;

}  // namespace quiesce::os
