#include "os_model/method_codegen.h"

#include <stdexcept>

#include "cpu_ppc64/assembler.h"
#include "os_model/thread_descriptor.h"
#include "os_model/translation_table.h"

namespace quiesce::os {

namespace enc = ppc::enc;

namespace {

constexpr unsigned kThis = 3, kArg = 4, kShared = 5, kData = 6, kAddr = 7, kAcc = 8, kTmp = 9;

class Emitter {
 public:
  enc::Assembler a;
  void put(uint32_t w) { a.put(w); }
  // A DS-form access at base+off, through kAddr when off does not fit 16 bits.
  unsigned base_for(unsigned base, uint64_t& off) {
    if (off <= 0x7fff) return base;
    const auto lo = static_cast<int16_t>(off & 0xffff);
    put(enc::addis(kAddr, base, static_cast<int64_t>((off - static_cast<uint64_t>(static_cast<int64_t>(lo))) >> 16)));
    off = static_cast<uint64_t>(static_cast<int64_t>(lo));
    return kAddr;
  }
  void load(unsigned base, uint64_t off, unsigned dst = kData) {
    const unsigned b = base_for(base, off);
    put(enc::ld(dst, static_cast<int64_t>(off), b));
  }
  void modify(unsigned base, uint64_t off) {
    const unsigned b = base_for(base, off);
    put(enc::ld(kData, static_cast<int64_t>(off), b));
    put(enc::addi(kData, kData, 1));
    put(enc::std_(kData, static_cast<int64_t>(off), b));
  }
  void atomic(unsigned base, uint64_t off) {
    const unsigned b = base_for(base, off);
    put(enc::addi(kAddr, b, static_cast<int64_t>(off)));
    const enc::Label retry = a.label("retry");
    a.bind(retry);
    put(enc::ldarx(kData, 0, kAddr));
    put(enc::addi(kData, kData, 1));
    put(enc::stdcx(kData, 0, kAddr));
    a.bne(0, retry);  // lost the reservation
  }
};

// The body's plain instructions, spread over the mix's classes by largest
// remainder and interleaved round-robin, so any count and mix is exact.
void emit_mix(Emitter& e, uint32_t n, const InstructionMix& mix) {
  const double w[6] = {mix.alu, mix.mul, mix.div, mix.load, mix.store, mix.branch};
  double total = 0;
  for (double x : w) total += x;
  if (n == 0 || total <= 0) return;
  uint32_t left[6], given = 0;
  double frac[6];
  for (int i = 0; i < 6; ++i) {
    const double share = n * w[i] / total;
    left[i] = static_cast<uint32_t>(share);
    frac[i] = share - left[i];
    given += left[i];
  }
  while (given < n) {  // the largest remainders get the rest
    int best = 0;
    for (int i = 1; i < 6; ++i)
      if (frac[i] > frac[best]) best = i;
    ++left[best], frac[best] = -1, ++given;
  }
  for (uint32_t emitted = 0; emitted < n;)
    for (int i = 0; i < 6; ++i) {
      if (!left[i]) continue;
      --left[i], ++emitted;
      switch (i) {
        case 0: e.put(enc::addi(kAcc, kAcc, 1)); break;
        case 1: e.put(enc::mulld(kTmp, kArg, kArg)); break;
        case 2: e.put(enc::divdu(kTmp, kArg, kThis)); break;  // `this` is never zero
        case 3: e.put(enc::ld(kTmp, -16, 1)); break;           // the ABI's red zone below the stack pointer
        case 4: e.put(enc::std_(kAcc, -16, 1)); break;
        case 5: {  // a taken branch to the next instruction
          const enc::Label next = e.a.label("next");
          e.a.b(next);
          e.a.bind(next);
          break;
        }
      }
    }
}

// preempt_disable / local_irq_save after the prologue; the running thread's descriptor is SPRG3.
void disable(Emitter& e, MethodSpec::Disables d, bool frame) {
  if (d == MethodSpec::Disables::Interrupts) {
    e.put(enc::mfmsr(11));
    if (frame) e.put(enc::std_(11, kMsrSlot, 1));  // a leaf keeps it in r11 (its body leaves r10-r12 alone)
    e.put(enc::li(0, 0));
    e.put(enc::mtmsrd(0, 1));
  } else if (d == MethodSpec::Disables::Preemption) {
    for (uint32_t w : {enc::mfsprg(11, 3), enc::ld(12, kDescPreempt, 11), enc::addi(12, 12, 1),
                       enc::std_(12, kDescPreempt, 11)})
      e.put(w);
  }
}

// local_irq_restore / preempt_enable before the epilogue: back to 0 with a preemption (or a stop) owed,
// the kernel is entered (LR kept in r11 across it).
void enable(Emitter& e, MethodSpec::Disables d, bool frame, uint64_t preempt_entry) {
  if (d == MethodSpec::Disables::Interrupts) {
    if (frame) e.put(enc::ld(11, kMsrSlot, 1));
    e.put(enc::mtmsrd(11, 1));
  } else if (d == MethodSpec::Disables::Preemption) {
    const enc::Label done = e.a.label("done");
    for (uint32_t w : {enc::mfsprg(11, 3), enc::ld(12, kDescPreempt, 11), enc::addi(12, 12, -1),
                       enc::std_(12, kDescPreempt, 11), enc::cmpdi(0, 12, 0)})
      e.put(w);
    e.a.bne(0, done);
    e.put(enc::ld(12, kDescResched, 11));
    e.put(enc::cmpdi(0, 12, 0));
    e.a.beq(0, done);
    e.put(enc::mflr(11));
    e.put(enc::bla(preempt_entry));
    e.put(enc::mtlr(11));
    e.a.bind(done);
  }
}

}  // namespace

std::vector<uint32_t> generate_method(const BodyPlan& p) {
  const MethodSpec& m = *p.spec;
  Emitter e;
  const bool frame = !p.calls.empty() || p.io_point >= 0;
  if (frame) {
    e.put(enc::mflr(0));
    e.put(enc::std_(0, 16, 1));
    e.put(enc::stdu(1, -static_cast<int64_t>(kFrameBytes), 1));
    e.put(enc::std_(kThis, kThisSlot, 1));
  }
  disable(e, m.disables, frame);
  if (m.shared_reads + m.shared_writes + m.shared_atomics) e.put(enc::ld(kShared, RepLayout::kSharedPtr, kThis));
  const uint64_t line = p.line_bytes;
  for (uint32_t k = 0; k < m.state_reads; ++k) e.load(kThis, RepLayout::kState + k * line);
  for (uint32_t k = 0; k < m.shared_reads; ++k) e.load(kShared, k * line);
  emit_mix(e, m.instructions, m.mix);
  for (uint32_t k = 0; k < m.state_writes; ++k) e.modify(kThis, RepLayout::kState + k * line);
  for (uint32_t k = 0; k < m.shared_writes; ++k) e.modify(kShared, k * line);
  for (uint32_t k = 0; k < m.state_atomics; ++k) e.atomic(kThis, RepLayout::kState + k * line);
  for (uint32_t k = 0; k < m.shared_atomics; ++k) e.atomic(kShared, k * line);
  for (const NestedCall& c : p.calls)
    for (uint32_t i = 0; i < c.count; ++i) {
      // The callee's COID comes from the rep (into the gate's key register when
      // it has a gate, kept in the frame across the call), then K42's DREF and the call.
      const unsigned key = c.gate ? kGateKeyRegister : kData;
      e.load(kThis, p.layout.refs + 8 * uint64_t{c.ref}, key);
      if (c.gate) {
        e.put(enc::std_(key, kGateSaveSlot, 1));
        for (uint32_t w : c.gate->enter) e.put(w);
      }
      e.put(enc::add(TranslationTable::kLttEntryRegister, TranslationTable::kLttBaseRegister, key));
      e.put(enc::ld(3, 0, TranslationTable::kLttEntryRegister));
      e.put(enc::ld(12, 0, 3));
      e.put(enc::ld(12, int64_t{c.method} * 8, 12));
      e.put(enc::mtctr(12));
      e.put(enc::bctrl());
      if (c.gate) {
        e.put(enc::ld(key, kGateSaveSlot, 1));
        for (uint32_t w : c.gate->leave) e.put(w);
      }
      e.put(enc::ld(kThis, kThisSlot, 1));
    }
  if (p.io_point >= 0) {
    if (p.io_point > 0x7fff) throw std::invalid_argument("too many I/O points");
    e.put(enc::li(kIoPointRegister, p.io_point));
    e.put(enc::bla(p.io_entry));
  }
  enable(e, m.disables, frame, p.preempt_entry);
  if (frame) {
    e.put(enc::addi(1, 1, kFrameBytes));
    e.put(enc::ld(0, 16, 1));
    e.put(enc::mtlr(0));
  }
  e.put(enc::mr(3, kAcc));
  e.put(enc::blr());
  return e.a.take();
}

std::vector<uint32_t> request_loop(uint64_t next_call_entry) {
  constexpr unsigned e = TranslationTable::kLttEntryRegister;
  enc::Assembler a;
  const enc::Label top = a.label("top");
  a.bind(top);
  for (uint32_t x : {enc::bla(next_call_entry), enc::add(e, TranslationTable::kLttBaseRegister, kCallOffsetRegister),
                     enc::ld(3, 0, e), enc::ld(12, 0, 3), enc::ldx(12, 12, kCallMethodRegister), enc::mtctr(12),
                     enc::bctrl()})
    a.put(x);
  a.b(top);
  return a.take();
}

std::vector<uint32_t> gated_call(uint64_t at, uint64_t loop, const CallGate& gate) {
  constexpr unsigned e = TranslationTable::kLttEntryRegister, key = kGateKeyRegister, keep = 31;
  enc::Assembler a(at);
  a.put(enc::mr(keep, key));
  a.append(gate.enter);
  for (uint32_t x : {enc::add(e, TranslationTable::kLttBaseRegister, key), enc::ld(3, 0, e), enc::ld(12, 0, 3),
                     enc::ldx(12, 12, kCallMethodRegister), enc::mtctr(12), enc::bctrl(), enc::mr(key, keep)})
    a.put(x);
  a.append(gate.leave);
  a.b_to(loop);
  return a.take();
}

std::vector<uint32_t> direct_site(uint64_t at, uint64_t rep, uint64_t entry, uint64_t loop) {
  if (rep >= (uint64_t{1} << 31)) throw std::invalid_argument("a direct call site's object lies above 2 GiB");
  enc::Assembler a(at);
  a.put(enc::lis(3, static_cast<int64_t>(rep >> 16)));
  a.put(enc::ori(3, 3, rep & 0xffff));
  a.bl_to(entry);  // out of reach: std::invalid_argument, which the kernel build reports as a BuildError
  a.b_to(loop);
  return a.take();
}

}  // namespace quiesce::os
