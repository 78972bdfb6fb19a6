// Guest code the OS model generates: method bodies from a scenario's cost
// description, and the loop a request thread runs. Everything here is real
// PowerPC 64 code executed by the core through the caches; the only host
// involvement is the `bla` into the kernel's host-call entries.

// Rep and frame layout: rep_layout.h.
#pragma once
#include <cstdint>
#include <vector>

#include "os_model/call_gate.h"
#include "os_model/os_spec.h"
#include "os_model/rep_layout.h"

namespace quiesce::os {

struct NestedCall {
  unsigned ref;     // index into the rep's refs
  unsigned method;  // vtable index in the callee's implementation
  uint32_t count;
  const CallGate* gate = nullptr;  // the callee group's gate, if it has one
};

struct BodyPlan {
  const MethodSpec* spec;
  RepLayout layout;
  uint32_t line_bytes;
  std::vector<NestedCall> calls;
  int io_point = -1;        // index passed to the I/O host call in r0, or -1
  uint64_t io_entry = 0;    // host-call address of the I/O wait
  uint64_t preempt_entry = 0;  // host-call address a preemption-disabling body's exit enters when it owes one
};
// Where a body that disables interrupts keeps the MSR it found, in its frame (the parameter save area).
inline constexpr unsigned kMsrSlot = 104;

std::vector<uint32_t> generate_method(const BodyPlan& plan);

// A thread's request loop: ask the kernel for the next call (it returns with
// r9 = the LTT offset of the object, r10 = 8 * method, r4 = the argument, or
// never returns when the thread ends), call through the translation tables,
// repeat. The thread's first frame is set up by the kernel.
std::vector<uint32_t> request_loop(uint64_t next_call_entry);
inline constexpr unsigned kCallOffsetRegister = 9, kCallMethodRegister = 10, kIoPointRegister = 0;

// The request loop's call for a gated group, placed at `at`: the gate's enter
// code, the DREF and call, the leave code (the key kept in r31, which every
// callee preserves), and a branch back to the loop at `loop`.
std::vector<uint32_t> gated_call(uint64_t at, uint64_t loop, const CallGate& gate);

// A direct call site at `at` (kDirectSiteWords words): `this` = rep as an
// immediate, a relative branch-and-link to `entry`, then back to the loop.
// Rewriting these words re-binds the site. Addresses must lie below 2 GiB.
inline constexpr unsigned kDirectSiteWords = 4;
std::vector<uint32_t> direct_site(uint64_t at, uint64_t rep, uint64_t entry, uint64_t loop);

}  // namespace quiesce::os
