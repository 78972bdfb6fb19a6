// The context switch, as guest code (PowerPC 64, supervisor state), and the host's view of what it
// stores. The kernel (host code) decides which thread runs next; this code does the work, so its
// cycles and its traffic to the descriptors come out of the core and the caches.
//
// Entered with MSR[EE] off, and:
//   SPRG2      the outgoing thread's descriptor
//   SPRG3      the incoming descriptor (a thread's, or the CPU's idle context)
//   SRR0/SRR1  the outgoing thread's resume pc and MSR; every other register is the outgoing thread's
// It stores r0..r31, LR, CTR, CR, XER, the pc and the MSR into the outgoing descriptor, clears any
// reservation the outgoing thread held (a stdcx. to a scratch word of its descriptor, as Linux does on
// its stack: a thread preempted between its larx and stcx. must not find another's reservation),
// loads the incoming registers and branches to `switched`, the kernel's entry that returns into the
// incoming context as rfid would (SRR0/SRR1), so the kernel sees the thread begin.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cpu_ppc64/hart.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::os {

// With nothing to save (the thread ended, the CPU was idle) the switch is entered at `load_offset`,
// its second half (SPRG2 and SRR0/SRR1 unused). No compare at the entry: CR is the thread's to save.
struct ContextSwitchCode {
  std::vector<uint32_t> words;
  uint64_t load_offset;  // bytes
};
ContextSwitchCode context_switch_code(uint64_t switched);

// The registers as the switch lays them out in a descriptor: stored by host-modelled kernel code
// through h's caches (a CPU stopping for stop-the-world saves its thread's), or read back untimed (the
// kernel checks a descriptor against its own record before switching to it).
void store_registers(ppc::Hart& h, uint64_t desc, const ppc::ArchState& s);
ppc::ArchState load_registers(mem::GuestMemory& m, uint64_t desc);
// Whether two states agree on everything a descriptor holds.
bool same_registers(const ppc::ArchState& a, const ppc::ArchState& b);
std::string register_difference(const ppc::ArchState& a, const ppc::ArchState& b);  // " r3 a/b pc a/b ..."

}  // namespace quiesce::os
