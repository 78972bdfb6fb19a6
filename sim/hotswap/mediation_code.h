// The Mediator's per-call work as guest code (patent 0039-0040): what a
// forwarded call and its return do to the mediator rep and the thread's
// descriptor, executed by the calling thread's core through its caches. The
// host only decides (mediator.cpp: forward, block or straight to the new
// object) and keeps its own books; the cycles and the memory traffic are the
// code's.
//
// A mediator rep: [vtable][phase][in flight][blocked][old rep][hash slots],
// each slot [thread descriptor][return address], indexed by the descriptor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quiesce::hotswap {

inline constexpr unsigned kMediatorPhaseWord = 1, kMediatorInFlightWord = 2, kMediatorOldRepWord = 4,
                          kMediatorHashWord = 5;

struct MediationCode {
  std::vector<uint32_t> words;
  size_t forward = 0, ret = 0;  // word offsets of the two routines
  std::vector<size_t> stubs;    // per method: its stub's word offset
};

// `entries`: host-call entry m decides a call of method m; `return_entry`: the host call that forwarded
// calls return to. `hash_slots` a power of two up to 4096.
//  stub m:   loads the rep's phase word, enters host call m (r3 = the mediator rep).
//  forward:  entered with r3 = the mediator rep, r11 = the thread's descriptor, r12 = 8 * method and LR
//            the caller's return: in flight += 1 (ldarx/stdcx.), the slot gets the descriptor and LR, the
//            descriptor's mark += 1, then the old rep's method with LR = return_entry. Only the
//            volatile r0, r11, r12, CTR, CR0 and XER[CA] change: the call's arguments pass untouched.
//  return:   entered with r11 = the descriptor, r12 = the mediator rep, LR = the caller's return: mark -= 1,
//            the slot's return address loaded, in flight -= 1, blr (r3 and r4, the results, untouched).
MediationCode mediation_code(uint64_t entries, unsigned methods, uint64_t return_entry, unsigned hash_slots);

}  // namespace quiesce::hotswap
