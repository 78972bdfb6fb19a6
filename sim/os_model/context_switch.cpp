#include "os_model/context_switch.h"

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

void store_registers(ppc::Hart& h, uint64_t desc, const ppc::ArchState& s) {
  for (unsigned r = 0; r < 32; ++r) host_store(h, desc + gpr_at(r), s.gpr[r]);
  host_store(h, desc + kDescPc, s.pc);
  host_store(h, desc + kDescMsr, s.msr);
  host_store(h, desc + kDescLr, s.lr);
  host_store(h, desc + kDescCtr, s.ctr);
  host_store(h, desc + kDescCr, s.cr);
  host_store(h, desc + kDescXer, s.xer());
}

ppc::ArchState load_registers(mem::GuestMemory& m, uint64_t desc) {
  ppc::ArchState s;
  for (unsigned r = 0; r < 32; ++r) s.gpr[r] = m.load<uint64_t>(desc + gpr_at(r));
  s.pc = m.load<uint64_t>(desc + kDescPc);
  s.msr = m.load<uint64_t>(desc + kDescMsr);
  s.lr = m.load<uint64_t>(desc + kDescLr);
  s.ctr = m.load<uint64_t>(desc + kDescCtr);
  s.cr = static_cast<uint32_t>(m.load<uint64_t>(desc + kDescCr));
  s.set_xer(m.load<uint64_t>(desc + kDescXer));
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
