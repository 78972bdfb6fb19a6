// Lee & Chang's stack walk, as guest code: the walker (stack_trace's swap thread) runs it with every
// other CPU stopped. It goes through every CPU's task list (os_model/thread_descriptor.h), the busy
// thread first, skipping kernel threads, and for each thread checks its saved pc and
// LR, and then every return address up its back chain, against the old implementation's code ranges;
// for a thread stopped part-way through its code, also CTR, every register (an old code address or an
// old rep: a call half made) and its frame's LR save word (an epilogue half run). By instance, an
// activation in the old code counts only if its `this` (its frame's, or r3 before the prologue) is an
// old rep. Returns the first descriptor found inside, or 0; counts threads and frames walked.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

// The walk's inputs and outputs, a table in guest memory (8-byte words at these offsets).
struct WalkTable {
  static constexpr unsigned kRanges = 0, kRangesPtr = 8;   // old code: {start, end, keeps `this` in its frame}
  static constexpr unsigned kReps = 16, kRepsPtr = 24;     // old reps
  static constexpr unsigned kSites = 32, kSitesPtr = 40;   // call sites bound to the old object: {start, end}
  static constexpr unsigned kFlags = 48;                   // kWalkFrames | kByInstance
  static constexpr unsigned kFirst = 56;                   // a descriptor to check first (the busy one), or 0
  static constexpr unsigned kCpus = 64, kCpusPtr = 72;     // per CPU: the address of its task list's head word
  static constexpr unsigned kThreadsWalked = 88, kFramesWalked = 96;  // written by the walk
  static constexpr unsigned kBytes = 104;
  static constexpr uint64_t kWalkFrames = 1, kByInstance = 2;
  static constexpr unsigned kRangeBytes = 24, kSiteBytes = 16;
};

inline constexpr unsigned kMaxFrames = 4096;  // per thread: a walk never loops on a broken chain

// The walk's rules over the kernel's record of one thread's registers, its stack read untimed (the
// guest walk's answer is checked against this), and where the thread is held, for reports.
struct WalkRules {
  const os::SwapInterface* k = nullptr;
  const std::vector<os::KernelFacts_if::CodeRange>* ranges = nullptr;  // the code a thread must not be in
  const std::vector<uint64_t>* reps = nullptr;  // the instance's reps: by instance, and a call half made
  std::vector<std::pair<uint64_t, uint64_t>> sites;  // call sites bound to the object: [start, end)
  bool by_instance = false, walk_frames = true;
};
struct Holder {
  const char* where;  // "pc", "lr", "ctr", "call site", "register", "lr save word" or "frame"
  uint64_t addr;      // the address in the code (or the rep, for a register holding one)
  unsigned frame;     // for "frame": back-chain links above the current frame
};
// The first thing that puts thread `tid` inside, in the walk's order, or nothing.
std::optional<Holder> find_holder(const WalkRules& r, unsigned tid);

// The routine: long walk(WalkTable* table). Position-independent; it makes a frame on the caller's stack.
std::vector<uint32_t> stack_walk_code();
// The routine, once in guest memory (a strategy installs it on its first swap); returns its address.
uint64_t install_stack_walk(os::GuestHeap& heap);

}  // namespace quiesce::hotswap
