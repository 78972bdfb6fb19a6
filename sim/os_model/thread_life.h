// A thread's start and exit as guest code (thread_descriptor.h's layout). The kernel decides — which
// descriptor a new thread gets, its first registers (stored into the descriptor, where its first
// switch loads them), when a thread ends — and this code does the rest of the work, so its cycles and
// its descriptor and task-list traffic come from the core and the caches. Both run with interrupts
// off while the CPU's task list is half-linked.
#pragma once
#include <cstdint>
#include <vector>

namespace quiesce::os {

// A new thread's first code, as Linux's ret_from_fork: the first frame's back chain ends, the
// descriptor's kind is set, the thread is linked at the head of its CPU's task list, then it branches
// to its loop with r3-r8 cleared. Entered with interrupts off, r1 = its stack top, r3 = the descriptor,
// r4 = the address of the CPU's task-list head word, r5 = the kind, r6 = the loop, r7 = its MSR.
std::vector<uint32_t> thread_start_code();

// A thread's exit, at its last kernel entry: its descriptor marked free and unlinked from the task
// list, then back to the kernel (`exited`), which does the host's part (its generation, the free list,
// the next request) and switches to the next thread. Entered with interrupts off (from a kernel entry),
// r3 = the descriptor, r4 = the address of the CPU's task-list head word.
std::vector<uint32_t> thread_exit_code(uint64_t exited);

}  // namespace quiesce::os
