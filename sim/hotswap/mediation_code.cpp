#include "hotswap/mediation_code.h"

#include <climits>
#include <stdexcept>

#include "cpu_ppc64/assembler.h"
#include "cpu_ppc64/encoder.h"

namespace quiesce::hotswap {

namespace enc = ppc::enc;

namespace {
constexpr unsigned kDescriptorShift = 7;  // descriptors are whole lines: the index starts above the offset
constexpr int64_t kMark = 8;              // the descriptor's mark word (thread_descriptor.h)

// r12 = the slot of the descriptor in `desc` in the rep at `rep` (rd may be desc).
void slot(enc::Assembler& a, unsigned rd, unsigned desc, unsigned rep, unsigned mask) {
  a.put(enc::srdi(rd, desc, kDescriptorShift));
  a.put(enc::andi_dot(rd, rd, mask));
  a.put(enc::sldi(rd, rd, 4));
  a.put(enc::add(rd, rd, rep));
}

void atomic_add(enc::Assembler& a, unsigned word, int delta) {  // *word += delta through r0
  const enc::Label retry = a.label("retry");
  a.bind(retry);
  a.put(enc::ldarx(0, 0, word));
  a.put(enc::addic(0, 0, delta));  // (addi would read r0 as 0; XER[CA] is volatile)
  a.put(enc::stdcx(0, 0, word));
  a.bne(0, retry);
}
}  // namespace

MediationCode mediation_code(uint64_t entries, unsigned methods, uint64_t return_entry, unsigned hash_slots) {
  const auto ret = static_cast<int64_t>(return_entry);
  if (ret < INT32_MIN || ret > INT32_MAX || hash_slots == 0 || hash_slots > 4096 || (hash_slots & (hash_slots - 1)))
    throw std::logic_error("mediation code: a return entry beyond lis/ori, or a hash size not a power of two <= 4096");
  const unsigned mask = hash_slots - 1;
  constexpr int64_t kInFlight = 8 * kMediatorInFlightWord, kOldRep = 8 * kMediatorOldRepWord,
                    kSlot = 8 * kMediatorHashWord;
  MediationCode out;
  enc::Assembler a;
  for (unsigned m = 0; m < methods; ++m) {
    out.stubs.push_back(a.size());
    a.put(enc::ld(0, 8 * kMediatorPhaseWord, 3));
    a.put(enc::ba(entries + 4 * uint64_t{m}));
  }
  out.forward = a.size();
  a.put(enc::mtctr(12));  // the method's offset, kept while r12 works
  a.put(enc::addi(12, 3, kInFlight));
  atomic_add(a, 12, +1);
  slot(a, 12, 11, 3, mask);
  a.put(enc::std_(11, kSlot, 12));  // the slot: this thread
  a.put(enc::mflr(0));
  a.put(enc::std_(0, kSlot + 8, 12));  // and where its call returns
  a.put(enc::ld(0, kMark, 11));
  a.put(enc::addic(0, 0, 1));
  a.put(enc::std_(0, kMark, 11));  // the thread is in one more forwarded call
  a.put(enc::ld(3, kOldRep, 3));   // the old rep: `this` of the forwarded call
  a.put(enc::lis(0, ret >> 16));
  a.put(enc::ori(0, 0, static_cast<uint32_t>(ret & 0xffff)));
  a.put(enc::mtlr(0));  // it returns through the Mediator
  a.put(enc::mfctr(12));
  a.put(enc::ld(11, 0, 3));
  a.put(enc::ldx(12, 11, 12));  // the old object's method
  a.put(enc::mtctr(12));
  a.put(enc::bctr());
  out.ret = a.size();
  a.put(enc::ld(0, kMark, 11));
  a.put(enc::addic(0, 0, -1));
  a.put(enc::std_(0, kMark, 11));
  slot(a, 11, 11, 12, mask);
  a.put(enc::ld(0, kSlot + 8, 11));  // the return address, looked up (LR already holds it)
  a.put(enc::addi(12, 12, kInFlight));
  atomic_add(a, 12, -1);
  a.put(enc::blr());
  out.words = a.take();
  return out;
}

}  // namespace quiesce::hotswap
