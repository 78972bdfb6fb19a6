// A thread's exit as guest code, run on its own CPU at its last kernel entry: interrupts off, its
// descriptor marked free and unlinked from the CPU's task list (thread_descriptor.h), then back to the
// kernel (`exited`), which does the host's part (its generation, the free list, the next request) and
// switches to the next thread. The kernel decides; this code does the work, so its cycles and its
// descriptor and list traffic come from the core and the caches.
#pragma once
#include <cstdint>
#include <vector>

namespace quiesce::os {

// Entered with r3 = the descriptor, r4 = the address of the CPU's task-list head word.
std::vector<uint32_t> thread_exit_code(uint64_t exited);

}  // namespace quiesce::os
