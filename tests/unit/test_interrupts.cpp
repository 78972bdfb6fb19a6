// Interrupts in the core (Book III-S, the part a kernel's interrupt path uses): the MSR (EE), SRR0/SRR1,
// SPRG0-3, the decrementer, external interrupts and rfid. Taking one saves the next instruction's address
// in SRR0 and the MSR in SRR1, clears MSR[EE] and goes to the vector; rfid restores both. Masked
// interrupts wait for MSR[EE]; external goes before decrementer; a handler that sets EE again can be
// interrupted (nested). Power ISA v2.03 Book III-S 6 (Interrupts), 7.2 (Decrementer).
#include "cpu_fixture.h"
#include "cpu_ppc64/capstone_disasm.h"
#include "cpu_ppc64/disasm.h"

using namespace qtest;
using namespace qtest::enc;

namespace {

constexpr uint64_t kVectors = 0x300000;  // the vector base of these tests
constexpr uint32_t kEE = 1u << 15;

// A handler at `vector`: counts itself in r20, keeps SRR0, SRR1 and the MSR it runs with in r21-r23
// (the first time), then rfid.
void handler(Cpu& c, uint64_t vector, uint32_t count_reg = 20) {
  c.place(kVectors + vector, {addi(count_reg, count_reg, 1), cmpwi(7, count_reg, 1), bc(4, 30, 16),  // bne cr7 +16
                              mfsrr0(21), mfsrr1(22), mfmsr(23), rfid()});
}

}  // namespace

TEST_CASE("interrupts: supervisor registers move as mtspr/mfspr and mtmsrd/mfmsr say", "[interrupts]") {
  Cpu c;
  c.r(3) = 0x1111, c.r(4) = 0x2222, c.r(5) = 0x3333, c.r(6) = 0x4444, c.r(7) = 0x5555, c.r(8) = 0x6666;
  c.r(9) = kEE;
  c.run({mtsrr0(3), mtsrr1(4), mtsprg(0, 5), mtsprg(3, 6), mfsrr0(10), mfsrr1(11), mfsprg(12, 0), mfsprg(13, 3),
         mfmsr(14), mtmsrd(9, 1), mfmsr(15), li(16, 0), mtmsrd(16, 0), mfmsr(17)});
  CHECK(c.r(10) == 0x1111);
  CHECK(c.r(11) == 0x2222);
  CHECK(c.r(12) == 0x3333);
  CHECK(c.r(13) == 0x4444);
  CHECK(c.r(14) == ppc::kMsrSF);            // 64-bit, interrupts off at reset
  CHECK(c.r(15) == (ppc::kMsrSF | kEE));    // L=1: EE only
  CHECK(c.r(17) == ppc::kMsrSF);            // L=0: the whole MSR, SF kept
}

TEST_CASE("interrupts: the decrementer interrupts a loop once DEC passes zero, and rfid resumes it",
          "[interrupts]") {
  Cpu c;
  c.hart().set_vector_base(kVectors);
  handler(c, ppc::kVectorDecrementer);
  c.r(3) = 200, c.r(4) = kEE;
  // mftb; mtdec 200; enable EE; spin until the handler counted (r20); mftb.
  const uint64_t loop = Cpu::code_addr(0) + 16;
  c.place(Cpu::code_addr(0), {mftb(30), mtdec(3), mtmsrd(4, 1), li(20, 0),
                              addi(5, 5, 1), cmpwi(0, 20, 0), bc(12, 2, -8),  // beq loop
                              mftb(31), sc()});
  REQUIRE(c.run_from(Cpu::code_addr(0)) == ppc::StopReason::Exited);
  CHECK(c.r(20) == 1);
  CHECK(c.hart().interrupts_taken() == 1);
  CHECK(c.r(21) >= loop);                   // SRR0: an instruction of the loop, not yet run
  CHECK(c.r(21) < loop + 12);
  CHECK((c.r(22) & kEE) != 0);              // SRR1: the MSR before (EE on)
  CHECK((c.r(23) & kEE) == 0);              // in the handler: EE off
  CHECK((c.s().msr & kEE) != 0);            // after rfid: on again
  const uint64_t elapsed = c.r(31) - c.r(30);
  CHECK(elapsed >= 200);                    // not before DEC passed zero
  // And soon after: the interrupt, the handler (7 instructions, rfid), mtmsrd's refill, a loop iteration.
  const ppc::CoreTiming t;
  CHECK(elapsed < 200 + t.interrupt + 2 * t.rfid + 30);
  CHECK(c.r(5) > 10);                       // the loop ran meanwhile
}

TEST_CASE("interrupts: a masked decrementer waits for MSR[EE] and is taken right after mtmsrd", "[interrupts]") {
  Cpu c;
  c.hart().set_vector_base(kVectors);
  handler(c, ppc::kVectorDecrementer);
  c.r(3) = 5, c.r(4) = kEE;
  std::vector<uint32_t> prog = {li(20, 0), mtdec(3)};
  for (int i = 0; i < 40; ++i) prog.push_back(addi(6, 6, 1));  // DEC passes zero in here, EE off
  prog.push_back(mfdec(7));
  prog.push_back(mtmsrd(4, 1));
  const uint64_t after_mtmsrd = Cpu::code_addr(0) + 4 * prog.size();
  prog.push_back(nop());
  const uint64_t sentinel = c.place(Cpu::code_addr(0), prog);
  c.place(sentinel, {sc()});
  REQUIRE(c.run_from(Cpu::code_addr(0)) == ppc::StopReason::Exited);
  CHECK(c.r(6) == 40);
  CHECK(static_cast<int32_t>(c.r(7)) < 0);  // DEC negative: pending, not taken
  CHECK(c.r(20) == 1);
  CHECK(c.r(21) == after_mtmsrd);           // taken before the instruction after mtmsrd
}

TEST_CASE("interrupts: an external interrupt goes before a decrementer one, and a handler with EE on nests",
          "[interrupts]") {
  Cpu c;
  c.hart().set_vector_base(kVectors);
  // The external handler saves SRR0/SRR1 in SPRG0/1, sets EE (the pending decrementer then interrupts
  // it at once), restores them and returns. The decrementer handler counts in r25 and keeps its SRR0.
  const uint64_t ext = kVectors + ppc::kVectorExternal;
  c.place(ext, {addi(20, 20, 1), mfsrr0(21), mfsrr1(22), mtsprg(0, 21), mtsprg(1, 22), mtmsrd(4, 1),
                nop(), li(9, 0), mtmsrd(9, 1), mfsprg(21, 0), mfsprg(22, 1), mtsrr0(21), mtsrr1(22), rfid()});
  c.place(kVectors + ppc::kVectorDecrementer, {addi(25, 25, 1), mfsrr0(26), rfid()});
  c.r(3) = 1, c.r(4) = kEE;
  std::vector<uint32_t> prog = {li(20, 0), li(25, 0), mtdec(3), nop(), nop(), nop(), mtmsrd(4, 1)};
  const uint64_t resume = Cpu::code_addr(0) + 4 * prog.size();
  prog.push_back(addi(6, 6, 1));
  const uint64_t sentinel = c.place(Cpu::code_addr(0), prog);
  c.place(sentinel, {sc()});
  c.hart().post_external();  // both pending when EE comes on
  REQUIRE(c.run_from(Cpu::code_addr(0)) == ppc::StopReason::Exited);
  CHECK(c.r(20) == 1);                      // external first
  CHECK(c.r(21) == resume);                 // its SRR0: the main program's next instruction
  CHECK(c.r(25) == 1);                      // then the decrementer, inside the external handler
  CHECK(c.r(26) == ext + 4 * 6);            // right after the handler's mtmsrd
  CHECK(c.r(6) == 1);                       // and the program went on once
  CHECK(c.hart().interrupts_taken() == 2);
}

TEST_CASE("interrupts: nothing is taken while EE is off, and no cost is paid without interrupts",
          "[interrupts]") {
  Cpu a, b;
  const std::vector<uint32_t> prog(50, addi(3, 3, 1));
  b.hart().post_external();  // pending but masked for the whole run
  a.run(prog);
  b.run(prog);
  CHECK(a.cycles() == b.cycles());
  CHECK(b.hart().interrupts_taken() == 0);
  CHECK(b.hart().external_pending());
}

TEST_CASE("interrupts: the new instructions disassemble as Capstone does", "[interrupts][disasm]") {
  const ppc::CapstoneDisasm cs;
  const std::pair<uint32_t, const char*> rows[] = {
      {mfmsr(3), "mfmsr r3"},          {mtmsrd(3), "mtmsrd r3"},          {mtmsrd(3, 1), "mtmsrd r3, 1"},
      {rfid(), "rfid"},                {mfsrr0(3), "mfspr r3, 0x1a"},     {mtsrr1(3), "mtspr 0x1b, r3"},
      {mtsprg(0, 3), "mtspr 0x110, r3"}, {mfsprg(3, 1), "mfspr r3, 0x111"}, {mfdec(3), "mfspr r3, 0x16"},
      {mtdec(3), "mtspr 0x16, r3"}};
  for (const auto& [word, text] : rows) {
    INFO("word 0x" << std::hex << word);
    const ppc::DisasmText d = ppc::disassemble(ppc::decode(word), word, 0x1000);
    CHECK((d.operands.empty() ? d.mnemonic : d.mnemonic + " " + d.operands) == text);
    CHECK(cs.disasm(word, 0x1000) == std::string(text));
  }
}

TEST_CASE("interrupts: a device's line rising at a later cycle interrupts then, or when EE comes on", "[interrupts]") {
  for (const bool masked : {false, true}) {
    Cpu c;
    c.hart().set_vector_base(kVectors);
    handler(c, ppc::kVectorExternal);
    c.r(4) = kEE;
    // EE on (or, masked, on only after 60 adds); mftb around the adds; the line rises at cycle 30.
    std::vector<uint32_t> prog = {li(20, 0)};
    if (!masked) prog.push_back(mtmsrd(4, 1));
    prog.push_back(mftb(30));
    for (int i = 0; i < 60; ++i) prog.push_back(addi(6, 6, 1));
    prog.push_back(mftb(31));
    if (masked) prog.push_back(mtmsrd(4, 1));
    const uint64_t after = Cpu::code_addr(0) + 4 * prog.size();
    prog.push_back(nop());
    const uint64_t sentinel = c.place(Cpu::code_addr(0), prog);
    c.place(sentinel, {sc()});
    c.hart().post_external_at(30);
    REQUIRE(c.run_from(Cpu::code_addr(0)) == ppc::StopReason::Exited);
    CHECK(c.r(20) == 1);  // taken once
    CHECK(c.r(6) == 60);
    if (masked) {
      CHECK(c.r(21) == after);  // right after mtmsrd, long after the line rose
    } else {
      CHECK(c.r(21) > Cpu::code_addr(0) + 8);  // in the adds: not before cycle 30...
      CHECK(c.r(21) < Cpu::code_addr(0) + 8 + 4 * 60);  // ...and not after them
    }
  }
}
