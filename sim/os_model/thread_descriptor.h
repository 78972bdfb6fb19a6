// A thread descriptor's layout in guest memory: what the context switch (guest code, context_switch.cpp)
// saves and restores, and what a stack walk (guest code, sim/hotswap/stack_walk.cpp) reads. Plain data:
// the hot-swap layer may include it.
#pragma once
#include <cstdint>

namespace quiesce::os {

// Word 0: what the slot holds (kDescFree, kDescThread, kDescSystem); word 1: the mark of the layer above;
// word 2: set while the thread is off its CPU part-way through its code (preempted, or interrupted and
// stopped there), so a walk knows its registers may hold a call half made; words 3 and 4: the next and
// previous live thread of its CPU (the CPU's task list, as Linux's for_each_process walks; 0 ends it).
inline constexpr unsigned kDescKind = 0, kDescMark = 8, kDescInterrupted = 16, kDescNext = 24, kDescPrev = 32;
inline constexpr uint64_t kDescFree = 0, kDescThread = 1, kDescSystem = 2;
// The saved registers: r0..r31, then the resume pc, LR, CTR, CR, XER and MSR.
inline constexpr unsigned kDescGpr = 40, kDescPc = kDescGpr + 8 * 32, kDescLr = kDescPc + 8, kDescCtr = kDescLr + 8,
                          kDescCr = kDescCtr + 8, kDescXer = kDescCr + 8, kDescMsr = kDescXer + 8;
// A word the switch's stdcx. aims at (it clears a reservation; it stores only where one was held).
inline constexpr unsigned kDescScratch = kDescMsr + 8;
// A word of the layer above that its guest code reads on the calling thread (livepatch's patch state, as
// Linux's task_struct::patch_state); the kernel never writes it, a new thread finds what the slot's last
// thread left there.
inline constexpr unsigned kDescPatch = kDescScratch + 8;
// The thread's preemption count (Linux's thread_info preempt_count on PowerPC): a method that disables
// preemption adds 1 on entry and takes it back on exit; and the kernel's note that it wanted to preempt
// (or stop) the thread meanwhile (need_resched), which the method's exit checks.
inline constexpr unsigned kDescPreempt = kDescPatch + 8, kDescResched = kDescPreempt + 8;
inline constexpr unsigned kDescMinBytes = kDescResched + 8;  // os.descriptor_bytes is at least this
// While a thread runs, SPRG3 holds its descriptor (the context switch is entered with the incoming one
// there, and nothing else writes it): guest code finds its own thread's words from it.
inline constexpr unsigned kSprgCurrentDescriptor = 3;

}  // namespace quiesce::os
