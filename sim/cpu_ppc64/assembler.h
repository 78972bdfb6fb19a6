// Labels for generated guest code, so no branch displacement or instruction
// position is counted by hand:
//
//   enc::Assembler a;
//   enc::Label retry = a.label("retry");
//   a.bind(retry);                     // retry: ldarx ...
//   a.put(enc::ldarx(12, 0, 11));
//   a.put(enc::stdcx(12, 0, 11));
//   a.bne(0, retry);                   // backward: encoded at once
//   a.b(done);                         // forward: patched when `done` is bound
//   std::vector<uint32_t> code = a.take();
//
// Positions (here(), offset()) are WORD indices from the first word put; the
// origin passed to the constructor is only for branches to absolute byte
// addresses outside the code (b_to/bl_to). Misuse — a label referenced but
// never bound, bound twice, or a displacement too wide for the branch's field
// — throws std::logic_error: these are bugs in the generator, except that
// b_to/bl_to throw std::invalid_argument (also a logic_error), as their target
// comes from a memory layout a caller may have to report as a build error.
// Used only while generating code, never on a simulated instruction's path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpu_ppc64/encoder.h"

namespace quiesce::ppc::enc {

class Label {
  friend class Assembler;
  explicit Label(uint32_t id) : id_(id) {}
  uint32_t id_;
};

class Assembler {
 public:
  explicit Assembler(uint64_t origin = 0) : origin_(origin) {}

  void put(u32 w) { code_.push_back(w); }
  void append(std::span<const u32> ws) { code_.insert(code_.end(), ws.begin(), ws.end()); }
  size_t size() const { return code_.size(); }
  size_t here() const { return code_.size(); }  // word index of the next word put

  // `name` (kept by pointer: pass a literal) only appears in error messages.
  Label label(const char* name = "") {
    labels_.push_back({kUnbound, name});
    return Label(static_cast<uint32_t>(labels_.size() - 1));
  }
  void bind(Label l) {
    Slot& s = slot(l);
    if (s.at != kUnbound) fail("label '", s.name, "' bound twice");
    s.at = here();
    for (const Fixup& f : fixups_)
      if (f.label == l.id_) code_[f.at] |= field(f.bform, disp(f.at, s.at), s.name);
    std::erase_if(fixups_, [&](const Fixup& f) { return f.label == l.id_; });
  }
  // Word index of a bound label (e.g. where a `bla` sits within a gate's code).
  size_t offset(Label l) const {
    const Slot& s = slot(l);
    if (s.at == kUnbound) fail("offset of label '", s.name, "' asked before it is bound");
    return s.at;
  }

  // Relative branches to a label, either side of it.
  void b(Label l) { branch(enc::b(0), false, l); }
  void bl(Label l) { branch(enc::bl(0), false, l); }
  void beq(u32 crf, Label l) { branch(enc::beq(crf, 0), true, l); }
  void bne(u32 crf, Label l) { branch(enc::bne(crf, 0), true, l); }
  void blt(u32 crf, Label l) { branch(enc::blt(crf, 0), true, l); }
  void bgt(u32 crf, Label l) { branch(enc::bgt(crf, 0), true, l); }
  void bge(u32 crf, Label l) { branch(enc::bge(crf, 0), true, l); }
  void ble(u32 crf, Label l) { branch(enc::ble(crf, 0), true, l); }
  void bdnz(Label l) { branch(enc::bdnz(0), true, l); }
  void bc(u32 bo, u32 bi, Label l) { branch(enc::bc(bo, bi, 0), true, l); }

  // Relative branches to the byte address `target`, the code being placed at origin.
  void b_to(uint64_t target) { put(enc::b(reach(target))); }
  void bl_to(uint64_t target) { put(enc::bl(reach(target))); }

  // The words, every referenced label bound: a copy, or moved out (leaving the assembler empty).
  std::vector<u32> words() const {
    check_resolved();
    return code_;
  }
  std::vector<u32> take() {
    check_resolved();
    std::vector<u32> out = std::move(code_);
    *this = Assembler(origin_);
    return out;
  }

 private:
  static constexpr size_t kUnbound = SIZE_MAX;
  struct Slot {
    size_t at;
    const char* name;
  };
  struct Fixup {
    size_t at;  // word index of the branch
    uint32_t label;
    bool bform;  // BD (16-bit) rather than LI (26-bit) field
  };

  template <typename... Parts>
  [[noreturn]] static void fail(const Parts&... parts) {
    std::string m = "enc::Assembler: ";
    (m += ... += parts);
    throw std::logic_error(m);
  }
  Slot& slot(Label l) { return labels_[checked(l)]; }
  const Slot& slot(Label l) const { return labels_[checked(l)]; }
  uint32_t checked(Label l) const {
    if (l.id_ >= labels_.size()) fail("a label of another assembler");
    return l.id_;
  }
  static int64_t disp(size_t from, size_t to) { return 4 * (static_cast<int64_t>(to) - static_cast<int64_t>(from)); }
  // The displacement placed in the LI or BD field, or a throw if it does not fit.
  static u32 field(bool bform, int64_t d, const char* name) {
    const int64_t half = int64_t{1} << (bform ? 15 : 25);
    if (d < -half || d >= half)
      fail("branch to label '", name, "' is ", std::to_string(d), " bytes away, beyond the ", bform ? "BD" : "LI", " field");
    return static_cast<u32>(d) & (bform ? 0xfffcu : 0x03fffffcu);
  }
  void branch(u32 word, bool bform, Label l) {
    const Slot& s = slot(l);
    if (s.at != kUnbound) return put(word | field(bform, disp(here(), s.at), s.name));
    fixups_.push_back({here(), l.id_, bform});
    put(word);
  }
  int64_t reach(uint64_t target) const {
    const auto d = static_cast<int64_t>(target - (origin_ + 4 * here()));
    if (d < -(int64_t{1} << 25) || d >= (int64_t{1} << 25))
      throw std::invalid_argument("a generated branch is out of range (more than 32 MiB)");
    if (d & 3) throw std::invalid_argument("a generated branch's target is not word aligned");
    return d;
  }
  void check_resolved() const {
    if (!fixups_.empty()) fail("label '", labels_[fixups_.front().label].name, "' is branched to but never bound");
  }

  uint64_t origin_;
  std::vector<u32> code_;
  std::vector<Slot> labels_;
  std::vector<Fixup> fixups_;
};

}  // namespace quiesce::ppc::enc
