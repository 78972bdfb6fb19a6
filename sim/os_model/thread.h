// A K42 thread as the OS model keeps it. Its guest side is a descriptor (saved
// registers) and a stack in guest memory; its host side is this record. Short
// -lived threads serve one request and end; long-lived ones loop forever.
#pragma once
#include <cstdint>

#include "cpu_ppc64/hart.h"

namespace quiesce::os {

enum class ThreadState : uint8_t { Free, Runnable, Running, Blocked };

// What a system thread's host-modelled step asks next: run the next step (it charged its
// cycles), leave the CPU until woken, or end.
enum class SystemStep : uint8_t { Again, Block, Exit };

struct Thread {
  unsigned id = 0, cpu = 0;
  ThreadState state = ThreadState::Free;
  uint64_t descriptor = 0;  // guest address of the saved-register area (word 1: the mark of the layer above)
  uint64_t stack_top = 0;   // initial stack pointer (the first frame)
  ppc::ArchState regs;      // the kernel's record while off the CPU (the descriptor holds the same: checked)
  uint64_t generation = 0;  // the generation it is counted in
  bool counted = false;     // whether it holds a count in `generation`
  bool long_lived = false;
  unsigned system_body = 0;
  bool system = false;          // a kernel thread with host-modelled work (e.g. a hot-swap worker): never counted
  bool irq = false;             // a CPU's interrupt thread: device handlers run as it (devices.cpp)
  uint32_t priority = 0;        // higher runs first (os.scheduler)
  bool in_interrupt = false;    // its CPU is in the kernel for an interrupt: `regs` holds where it was
  bool preempted = false;       // off its CPU by preemption: `regs` may be anywhere, a call half made
  bool resched_owed = false;    // its descriptor says the kernel wants it at its preemption-off region's end
  bool redirected = false;      // `regs` changed while parked (pc, r3): written to the descriptor at dispatch
  bool desc_interrupted = false;  // its descriptor's interrupted word is set (thread_descriptor.h)
  unsigned workload = 0, client = 0;
  uint32_t calls_left = 0;  // calls left in this request (or long-lived iteration)
  // The call in flight (from the request loop's point of view).
  bool in_call = false, start_on_dispatch = false;
  bool call_missed = false;  // the call reached a vtable slot its implementation lacks: no body ran
  uint64_t call_start = 0;
  unsigned call_group = 0, call_method = 0, call_impl = 0, call_coid = 0;
  uint32_t call_incarnation = 0;  // which life of call_coid the call is to (a COID is reused after a destroy)
  // Hot swaps of call_coid that held this call (parked it until they released it) and the cycles they held it,
  // summed (a call may be held again by the next swap): set when a swap releases it, zeroed when a call begins.
  uint32_t call_holds = 0;
  uint64_t call_held_cycles = 0;
  uint64_t created = 0;
  uint64_t runnable_since = 0;  // when it last became runnable: created, or the due cycle of its wake-up
  // A call under way: begun and not yet complete (a long-lived thread thinking has picked its
  // next call, start_on_dispatch, but not begun it).
  bool call_under_way() const { return state != ThreadState::Free && in_call && !start_on_dispatch; }
};

}  // namespace quiesce::os
