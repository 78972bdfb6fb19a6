// Branches: b/bl/ba/bla, bc with every BO class (CTR decrement and test,
// condition true/false, always, with and without the hint bits), bca/bcl,
// bclr/bcctr with and without LK (LR = CIA+4; bclrl reads its target before
// writing LR), and the taken-branch penalty in cycles.
// Power ISA v2.03 Book I 2.4 (Branch Instructions), Figure 21 (BO field).
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

TEST_CASE("b skips forward and comes back", "[branch]") {
  Cpu c;
  // 0: b +16 | 4: li r6,1 | 8: sc | 12: li r7,1 (never) | 16: li r5,7 | 20: b -16
  c.place(kCode, {b(16), li(6, 1), sc(), li(7, 1), li(5, 7), b(-16)});
  REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kCode + 8);
  CHECK(c.executed() == 4);
  CHECK(c.r(5) == 7);
  CHECK(c.r(6) == 1);
  CHECK(c.r(7) == 0);
  CHECK(c.s().lr == 0);
}

TEST_CASE("bl sets LR to the next instruction and blr returns", "[branch]") {
  Cpu c;
  // 0: bl +8 | 4: sc | 8: li r3,9 | 12: blr
  c.place(kCode, {bl(8), sc(), li(3, 9), blr()});
  REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kCode + 4);
  CHECK(c.executed() == 3);
  CHECK(c.r(3) == 9);
  CHECK(c.s().lr == kCode + 4);
}

TEST_CASE("ba and bla go to an absolute address", "[branch]") {
  Cpu c;
  c.place(0x100, {li(3, 5), sc()});
  SECTION("ba") {
    c.place(kCode, {ba(0x100)});
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == 0x104);
    CHECK(c.s().lr == 0);
  }
  SECTION("bla") {
    c.place(kCode, {nop(), bla(0x100)});
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == 0x104);
    CHECK(c.s().lr == kCode + 8);
  }
  CHECK(c.r(3) == 5);
}

TEST_CASE("b with large displacements in both directions", "[branch]") {
  Cpu c;
  // LI is 24 bits of words: +-32 MiB. Guest memory is 16 MiB, so jump forward
  // from low memory to near its top and back down again.
  const uint64_t far = kCode + 0xf00000;
  c.place(kCode, {b(static_cast<int64_t>(far - kCode))});
  c.place(far, {li(3, 1), b(-static_cast<int64_t>(far + 4 - (kCode + 8)))});
  c.place(kCode + 8, {sc()});
  REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kCode + 8);
  CHECK(c.r(3) == 1);
  CHECK(c.executed() == 3);
}

namespace {
struct BoRow {
  uint32_t bo;
  uint32_t crbit;   // value of CR[BI]
  uint64_t ctr_in;
  bool taken;
  uint64_t ctr_out;
};
constexpr uint64_t kM1 = ~uint64_t{0};
}  // namespace

TEST_CASE("bc: every BO class against the CR bit BI and CTR", "[branch]") {
  // BO bits (ISA 0..4): 0 = ignore the condition, 1 = the value CR[BI] must have,
  // 2 = do not touch CTR, 3 = branch on CTR == 0 (else != 0), 4 = hint ("at"
  // hints live in bits 3-4 for the condition-only form and 1,4 for the CTR-only form).
  const auto row = GENERATE(
      // 0000z bdnzf: decrement, branch if CTR != 0 and CR[BI] = 0
      BoRow{0, 0, 2, true, 1}, BoRow{0, 1, 2, false, 1}, BoRow{0, 0, 1, false, 0},
      // 0001z bdzf: decrement, branch if CTR == 0 and CR[BI] = 0
      BoRow{2, 0, 1, true, 0}, BoRow{2, 1, 1, false, 0}, BoRow{2, 0, 2, false, 1},
      // 001at bf: branch if CR[BI] = 0, CTR untouched (also with hint bits)
      BoRow{4, 0, 2, true, 2}, BoRow{4, 1, 2, false, 2}, BoRow{4, 0, 0, true, 0},
      BoRow{6, 0, 5, true, 5}, BoRow{7, 1, 5, false, 5},
      // 0100z bdnzt
      BoRow{8, 1, 2, true, 1}, BoRow{8, 0, 2, false, 1}, BoRow{8, 1, 1, false, 0},
      // 0101z bdzt
      BoRow{10, 1, 1, true, 0}, BoRow{10, 0, 1, false, 0}, BoRow{10, 1, 2, false, 1},
      // 011at bt
      BoRow{12, 1, 2, true, 2}, BoRow{12, 0, 2, false, 2}, BoRow{14, 1, 0, true, 0}, BoRow{15, 0, 7, false, 7},
      // 1a00t bdnz (condition ignored)
      BoRow{16, 0, 2, true, 1}, BoRow{16, 1, 2, true, 1}, BoRow{16, 0, 1, false, 0},
      BoRow{16, 1, 0, true, kM1},  // CTR wraps from 0 to all ones: still != 0
      BoRow{25, 0, 3, true, 2}, BoRow{25, 1, 1, false, 0},
      // 1a01t bdz
      BoRow{18, 0, 1, true, 0}, BoRow{18, 1, 2, false, 1}, BoRow{27, 1, 1, true, 0}, BoRow{27, 0, 3, false, 2},
      // 1z1zz branch always: neither condition nor CTR matters, CTR untouched
      BoRow{20, 0, 0, true, 0}, BoRow{20, 1, 1, true, 1});
  CAPTURE(row.bo, row.crbit, row.ctr_in);
  const uint32_t bi = 13;  // cr3.gt: make sure the right bit is tested
  Cpu c;
  c.s().cr = row.crbit ? cr_bit(bi) : ~cr_bit(bi);
  c.s().ctr = row.ctr_in;
  // 0: bc bo,bi,+12 | 4: li r3,1 | 8: sc | 12: li r3,2 | 16: sc
  c.place(kCode, {bc(row.bo, bi, 12), li(3, 1), sc(), li(3, 2), sc()});
  REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
  CHECK(c.executed() == 2);
  CHECK(c.r(3) == (row.taken ? 2u : 1u));
  CHECK(c.s().pc == (row.taken ? kCode + 16 : kCode + 8));
  CHECK(c.s().ctr == row.ctr_out);
  CHECK(c.s().lr == 0);
}

TEST_CASE("bdnz loop runs CTR times", "[branch]") {
  Cpu c;
  c.r(4) = 5;
  // li r3,0 | mtctr r4 | loop: addi r3,r3,1 | bdnz loop | sc
  const uint64_t n = c.run_count({li(3, 0), mtctr(4), addi(3, 3, 1), bdnz(-4)});
  CHECK(c.r(3) == 5);
  CHECK(c.s().ctr == 0);
  CHECK(n == 2 + 5 * 2);
}

TEST_CASE("beq / bne backward loop on CR0 from a compare", "[branch]") {
  Cpu c;
  c.r(4) = 0;
  c.r(5) = 3;
  // loop: addi r4,r4,1 | cmpw r4,r5 | bne loop
  const uint64_t n = c.run_count({addi(4, 4, 1), cmpw(0, 4, 5), bne(0, -8)});
  CHECK(c.r(4) == 3);
  CHECK(n == 9);
  CHECK(c.crf(0) == EQ);
}

TEST_CASE("bcl always sets LR whether taken or not", "[branch]") {
  Cpu c;
  SECTION("bcl 20,31,$+4: the PIC idiom") {
    c.run({bcl(20, 31, 4), mflr(3)});
    CHECK(c.r(3) == kCode + 4);
  }
  SECTION("not taken") {
    c.s().cr = 0;  // CR[2] = 0: a "branch if true" falls through
    c.run({nop(), bcl(12, 2, 0x100)});
    CHECK(c.s().lr == kCode + 8);
  }
  SECTION("bcla to an absolute target") {
    c.place(0x200, {sc()});
    c.place(kCode, {bcla(20, 0, 0x200)});
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == 0x200);
    CHECK(c.s().lr == kCode + 4);
  }
  SECTION("bca without link") {
    c.place(0x200, {sc()});
    c.s().ctr = 2;
    c.place(kCode, {bca(16, 0, 0x200)});
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == 0x200);
    CHECK(c.s().ctr == 1);
    CHECK(c.s().lr == 0);
  }
}

TEST_CASE("bclr: blr ignores the low two bits of LR and conditional forms", "[branch]") {
  Cpu c;
  // 0: blr-ish | 4: li r3,1 | 8: sc | 12: li r3,2 | 16: sc
  auto program = [&](uint32_t first) { c.place(kCode, {first, li(3, 1), sc(), li(3, 2), sc()}); };
  SECTION("blr to LR | 3") {
    c.s().lr = (kCode + 12) | 3;
    program(blr());
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == kCode + 16);
    CHECK(c.s().lr == ((kCode + 12) | 3));  // LR itself unchanged without LK
  }
  SECTION("beqlr taken") {
    c.s().lr = kCode + 12;
    c.s().cr = cr_bit(2);
    program(bclr(12, 2));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 2);
  }
  SECTION("beqlr not taken") {
    c.s().lr = kCode + 12;
    c.s().cr = ~cr_bit(2);
    program(bclr(12, 2));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 1);
  }
  SECTION("bdnzlr decrements CTR") {
    c.s().lr = kCode + 12;
    c.s().ctr = 2;
    program(bclr(16, 0));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 2);
    CHECK(c.s().ctr == 1);
  }
  SECTION("bdzlr not taken still decrements CTR") {
    c.s().lr = kCode + 12;
    c.s().ctr = 2;
    program(bclr(18, 0));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 1);
    CHECK(c.s().ctr == 1);
  }
}

TEST_CASE("bclrl reads the target before writing LR", "[branch]") {
  Cpu c;
  // 0: blrl | 4: sc | 8: nop | 12: li r3,7 | 16: sc
  c.s().lr = kCode + 12;
  c.place(kCode, {blrl(), sc(), nop(), li(3, 7), sc()});
  REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kCode + 16);
  CHECK(c.r(3) == 7);
  CHECK(c.s().lr == kCode + 4);
  CHECK(c.executed() == 2);
}

TEST_CASE("conditional bclrl not taken still sets LR", "[branch]") {
  Cpu c;
  c.s().lr = 0x4000;
  c.s().cr = 0;
  c.run({bclrl(12, 0)});  // CR[0] = 0: not taken
  CHECK(c.s().lr == kCode + 4);
}

TEST_CASE("bcctr and bcctrl", "[branch]") {
  Cpu c;
  c.place(kCode, {0, li(3, 1), sc(), li(3, 2), sc()});
  auto first = [&](uint32_t w) { c.place(kCode, {w}); };
  SECTION("bctr to CTR & ~3, LR untouched") {
    c.s().ctr = (kCode + 12) | 2;
    first(bctr());
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == kCode + 16);
    CHECK(c.s().lr == 0);
    CHECK(c.s().ctr == ((kCode + 12) | 2));
  }
  SECTION("bctrl sets LR") {
    c.s().ctr = kCode + 12;
    first(bctrl());
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.s().pc == kCode + 16);
    CHECK(c.s().lr == kCode + 4);
  }
  SECTION("bnectr (bcctr 4,30) taken when cr7.eq is clear") {
    c.s().ctr = kCode + 12;
    c.s().cr = ~cr_bit(30);
    first(bcctr(4, 30));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 2);
  }
  SECTION("bnectr not taken when cr7.eq is set") {
    c.s().ctr = kCode + 12;
    c.s().cr = cr_bit(30);
    first(bcctr(4, 30));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 1);
    CHECK(c.s().ctr == kCode + 12);
  }
  SECTION("bcctrl not taken still sets LR") {
    c.s().ctr = kCode + 12;
    c.s().cr = 0;
    first(bcctrl(12, 5));
    REQUIRE(c.run_from(kCode) == ppc::StopReason::Exited);
    CHECK(c.r(3) == 1);
    CHECK(c.s().lr == kCode + 4);
  }
}

TEST_CASE("an indirect call through CTR and a return through LR", "[branch]") {
  Cpu c;
  // main: lis/ori r12 = func | mtctr r12 | bctrl | addi r3,r3,1 | sc
  // func (at kCode+0x100): li r3,41 | blr
  const uint64_t func = kCode + 0x100;
  c.place(func, {li(3, 41), blr()});
  const uint64_t n = c.run_count({lis(12, static_cast<int64_t>(func >> 16)), ori(12, 12, func & 0xffff), mtctr(12),
                                  bctrl(), addi(3, 3, 1)});
  CHECK(n == 7);
  CHECK(c.r(3) == 42);
  CHECK(c.s().lr == kCode + 16);
}

TEST_CASE("a taken branch costs the branch penalty", "[branch][timing]") {
  SECTION("default timing") {
    Cpu c;
    const uint32_t penalty = ppc::CoreTiming{}.taken_branch_penalty;
    c.run({nop(), nop()});
    const uint64_t straight = c.cycles();
    c.run({b(4), nop()});  // taken, to the next instruction
    const uint64_t taken = c.cycles();
    c.s().cr = 0;
    c.run({beq(0, 8), nop()});  // not taken
    const uint64_t not_taken = c.cycles();
    CHECK(taken == straight + penalty);
    CHECK(not_taken == straight);
  }
  SECTION("a configured penalty") {
    ppc::CoreTiming t;
    t.taken_branch_penalty = 9;
    Cpu c(1, t);
    c.run({nop(), nop()});
    const uint64_t straight = c.cycles();
    c.s().ctr = 3;
    c.run({bdnz(4), nop()});
    CHECK(c.cycles() == straight + 9);
  }
  SECTION("a loop pays the penalty on every taken iteration") {
    Cpu c;
    c.s().ctr = 10;
    const uint32_t penalty = ppc::CoreTiming{}.taken_branch_penalty;
    c.run_count({bdnz(0)});  // bdnz to itself: 9 taken, 1 not taken
    CHECK(c.executed() == 10);
    CHECK(c.cycles() == 10 + 9 * penalty);
  }
}

TEST_CASE("straight-line code across decode-page and memory-page boundaries", "[branch]") {
  Cpu c;
  // 0x1fff0..0x20010 crosses a 4 KiB decode page and a 64 KiB host page at 0x20000.
  const uint64_t start = 0x1fff0;
  std::vector<uint32_t> words;
  for (unsigned i = 0; i < 8; ++i) words.push_back(addi(3, 3, 1));
  c.place(c.place(start, words), {sc()});
  REQUIRE(c.run_from(start) == ppc::StopReason::Exited);
  CHECK(c.executed() == 8);
  CHECK(c.r(3) == 8);
  CHECK(c.s().pc == start + 32);
}

TEST_CASE("code in the last page of guest memory runs", "[branch]") {
  Cpu c;
  const uint64_t start = kMemBytes - 8;
  c.place(start, {li(3, 3), sc()});
  REQUIRE(c.run_from(start) == ppc::StopReason::Exited);
  CHECK(c.r(3) == 3);
}
