// Where things are in a rep and in a generated method's frame: plain layout
// facts that the kernel's code generator and the layers above share.
//
// A rep (an object's per-CPU or shared representative) is laid out as
//   [vtable pointer][pointer to the object's shared state][state...][refs...]
// where the state starts at byte 16 (what a C method sees) and the refs are
// the LTT offsets (COID * 8) of the objects its nested calls go to.
#pragma once
#include <cstdint>

namespace quiesce::os {

struct RepLayout {
  static constexpr uint64_t kSharedPtr = 8, kState = 16;
  uint64_t refs = kState;  // offset of the first nested-call reference
  uint64_t bytes = kState;
  // State rounded up to whole lines, so every described state line exists.
  static RepLayout make(uint64_t state_bytes, unsigned nrefs, uint32_t line_bytes) {
    RepLayout l;
    l.refs = kState + (state_bytes + line_bytes - 1) / line_bytes * line_bytes;
    l.bytes = l.refs + 8 * uint64_t{nrefs};
    return l;
  }
};

// A generated method's frame: kFrameBytes, with `this` kept at kThisSlot(r1). Its prologue (mflr, std r0,
// stdu, std `this`) has saved `this` once pc is kPrologueBytes past the entry; before, `this` is r3.
inline constexpr unsigned kFrameBytes = 128, kThisSlot = 112, kPrologueBytes = 16;

}  // namespace quiesce::os
