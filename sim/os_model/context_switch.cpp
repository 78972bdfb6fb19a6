#include "os_model/context_switch.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "cpu_ppc64/assembler.h"
#include "os_model/host_access.h"

namespace quiesce::os {

namespace enc = ppc::enc;

namespace {
// The special registers after the GPRs, each with its move to r4 and from r4.
struct Special {
  unsigned at;
  uint32_t from, to;
};
const Special kSpecials[] = {
    {kDescPc, enc::mfsrr0(4), enc::mtsrr0(4)}, {kDescMsr, enc::mfsrr1(4), enc::mtsrr1(4)},
    {kDescLr, enc::mflr(4), enc::mtlr(4)},     {kDescCtr, enc::mfctr(4), enc::mtctr(4)},
    {kDescCr, enc::mfcr(4), enc::mtcr(4)},     {kDescXer, enc::mfxer(4), enc::mtxer(4)},
};
constexpr unsigned gpr_at(unsigned r) { return kDescGpr + 8 * r; }
}  // namespace

ContextSwitchCode context_switch_code(uint64_t switched) {
  enc::Assembler a;
  a.put(enc::mtsprg(1, 3));  // r3 is the base register from here on: its value waits in SPRG1
  a.put(enc::mfsprg(3, 2));
  for (unsigned r = 0; r < 32; ++r)
    if (r != 3) a.put(enc::std_(r, gpr_at(r), 3));
  a.put(enc::mfsprg(4, 1));
  a.put(enc::std_(4, gpr_at(3), 3));
  for (const Special& s : kSpecials) a.put(s.from), a.put(enc::std_(4, s.at, 3));
  a.put(enc::addi(5, 3, kDescScratch));
  a.put(enc::stdcx(4, 0, 5));  // clears the thread's reservation
  const size_t load = a.here();
  a.put(enc::mfsprg(3, 3));
  for (const Special& s : kSpecials) a.put(enc::ld(4, s.at, 3)), a.put(s.to);
  for (unsigned r = 0; r < 32; ++r)
    if (r != 3) a.put(enc::ld(r, gpr_at(r), 3));
  a.put(enc::ld(3, gpr_at(3), 3));
  a.put(enc::ba(switched));
  return {a.take(), 4 * load};
}

namespace {
// The saved registers are one block of 38 words: r0..r31, pc, LR, CTR, CR, XER, MSR.
constexpr unsigned kWords = (kDescMsr + 8 - kDescGpr) / 8;
static_assert(kDescPc == kDescGpr + 8 * 32 && kDescMsr == kDescPc + 8 * 5);
using Block = std::array<uint64_t, kWords>;

Block block_of(const ppc::ArchState& s) {
  Block b{};
  for (unsigned r = 0; r < 32; ++r) b[r] = s.gpr[r];
  b[32] = s.pc, b[33] = s.lr, b[34] = s.ctr, b[35] = s.cr, b[36] = s.xer(), b[37] = s.msr;
  for (uint64_t& w : b) w = mem::GuestMemory::from_be(w);  // guest byte order
  return b;
}
}  // namespace

// Timed as the stores a save routine would issue: one cycle each into the store buffer, and one
// write access per line the block covers (cheap on the host: no port access per word).
void store_registers(ppc::Hart& h, uint64_t desc, const ppc::ArchState& s) {
  const Block b = block_of(s);
  const uint64_t from = desc + kDescGpr, to = from + 8 * kWords, line = h.line_bytes();
  for (uint64_t a = from & ~(line - 1); a < to; a += line) h.timed_access(mem::AccessKind::Store, std::max(a, from), 8);
  h.charge(kWords);
  h.memory().write(from, b.data(), sizeof b);
}

ppc::ArchState load_registers(mem::GuestMemory& m, uint64_t desc) {
  Block b;
  m.read(desc + kDescGpr, b.data(), sizeof b);
  for (uint64_t& w : b) w = mem::GuestMemory::from_be(w);
  ppc::ArchState s;
  for (unsigned r = 0; r < 32; ++r) s.gpr[r] = b[r];
  s.pc = b[32], s.lr = b[33], s.ctr = b[34], s.cr = static_cast<uint32_t>(b[35]), s.msr = b[37];
  s.set_xer(b[36]);
  return s;
}

bool same_registers(const ppc::ArchState& a, const ppc::ArchState& b) {
  return a.gpr == b.gpr && a.pc == b.pc && a.msr == b.msr && a.lr == b.lr && a.ctr == b.ctr && a.cr == b.cr &&
         a.xer() == b.xer();
}

std::string register_difference(const ppc::ArchState& a, const ppc::ArchState& b) {
  std::string out;
  const auto differ = [&](const std::string& name, uint64_t x, uint64_t y) {
    if (x != y) out += fmt::format(" {} {:x}/{:x}", name, x, y);
  };
  for (unsigned r = 0; r < 32; ++r) differ(fmt::format("r{}", r), a.gpr[r], b.gpr[r]);
  differ("pc", a.pc, b.pc);
  differ("msr", a.msr, b.msr);
  differ("lr", a.lr, b.lr);
  differ("ctr", a.ctr, b.ctr);
  differ("cr", a.cr, b.cr);
  differ("xer", a.xer(), b.xer());
  return out;
}

}  // namespace quiesce::os
