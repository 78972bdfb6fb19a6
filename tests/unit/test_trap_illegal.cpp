// Trap instructions tw/twi/td/tdi (TO bits: lt, gt, eq, ltu, gtu; word forms
// compare the low words, sign- or zero-extended), and words that must stop the
// hart: an illegal word, privileged instructions, reserved SPRs.
// Power ISA v2.03 Book I 3.3.10 (Fixed-Point Trap Instructions).
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t s64(int64_t v) { return static_cast<uint64_t>(v); }
constexpr uint32_t kToLt = 16, kToGt = 8, kToEq = 4, kToLtu = 2, kToGtu = 1;

// Runs one trap word; returns whether it trapped (and checks the report if so).
bool traps(uint32_t word, uint64_t ra, uint64_t rb) {
  Cpu c;
  c.r(4) = ra, c.r(5) = rb;
  c.place(kCode, {word, sc()});
  const ppc::StopReason why = c.run_from(kCode);
  if (why == ppc::StopReason::Exited) {
    CHECK(c.s().pc == kCode + 4);
    return false;
  }
  REQUIRE(why == ppc::StopReason::Trapped);
  CHECK(c.hart().trap().pc == kCode);
  CHECK(c.hart().trap().word == word);
  CHECK_THAT(c.hart().trap().what, Catch::Contains("trap"));
  CHECK(c.executed() == 0);
  return true;
}
}  // namespace

TEST_CASE("tw and td: each TO bit on its own", "[trap]") {
  struct Row { uint64_t a, b; bool lt, gt, eq, ltu, gtu; };  // for the word compare (tw)
  const auto row = GENERATE(Row{s64(-1), 1, true, false, false, false, true},
                            Row{1, s64(-1), false, true, false, true, false},
                            Row{5, 5, false, false, true, false, false},
                            Row{2, 3, true, false, false, true, false},
                            Row{0x80000000, 0x7fffffff, true, false, false, false, true});
  CAPTURE(row.a, row.b);
  CHECK(traps(tw(kToLt, 4, 5), row.a, row.b) == row.lt);
  CHECK(traps(tw(kToGt, 4, 5), row.a, row.b) == row.gt);
  CHECK(traps(tw(kToEq, 4, 5), row.a, row.b) == row.eq);
  CHECK(traps(tw(kToLtu, 4, 5), row.a, row.b) == row.ltu);
  CHECK(traps(tw(kToGtu, 4, 5), row.a, row.b) == row.gtu);
  CHECK(traps(tw(0, 4, 5), row.a, row.b) == false);
  CHECK(traps(tw(31, 4, 5), row.a, row.b) == true);
  CHECK(traps(tw(kToLt | kToGt, 4, 5), row.a, row.b) == !row.eq);
}

TEST_CASE("tw compares the low words and td the doublewords", "[trap]") {
  // low words equal (0), doublewords differ
  CHECK(traps(tw(kToEq, 4, 5), 0x100000000, 0));
  CHECK_FALSE(traps(td(kToEq, 4, 5), 0x100000000, 0));
  CHECK(traps(td(kToGt, 4, 5), 0x100000000, 0));
  // low word negative, doubleword positive
  CHECK(traps(tw(kToLt, 4, 5), 0x00000000ffffffff, 0));
  CHECK_FALSE(traps(td(kToLt, 4, 5), 0x00000000ffffffff, 0));
  CHECK(traps(td(kToLtu, 4, 5), 0x00000000ffffffff, 0x100000000));
  CHECK_FALSE(traps(tw(kToLtu, 4, 5), 0x00000000ffffffff, 0x100000000));
  CHECK(traps(td(kToLt, 4, 5), 0x8000000000000000, 0));
  CHECK(traps(td(kToGtu, 4, 5), 0x8000000000000000, 0));
}

TEST_CASE("twi and tdi sign-extend the immediate", "[trap]") {
  CHECK(traps(twi(kToEq, 4, 5), 5, 0));
  CHECK_FALSE(traps(twi(kToEq, 4, 5), 6, 0));
  CHECK(traps(twi(kToEq, 4, -1), 0x00000000ffffffff, 0));  // word compare: -1 == -1
  CHECK_FALSE(traps(tdi(kToEq, 4, -1), 0x00000000ffffffff, 0));
  CHECK(traps(tdi(kToEq, 4, -1), s64(-1), 0));
  CHECK(traps(tdi(kToLt, 4, -1), s64(-2), 0));
  CHECK_FALSE(traps(tdi(kToLt, 4, -1), 0, 0));
  CHECK_FALSE(traps(twi(kToGtu, 4, -1), 0xffffffff, 0));  // 0xffffffff vs 0xffffffff
  CHECK(traps(twi(kToLtu, 4, -1), 0, 0));
  CHECK(traps(tdi(kToGtu, 4, 0x7fff), 0x8000, 0));
}

TEST_CASE("trap (tw 31 0 0) always traps and instructions before it retire", "[trap]") {
  Cpu c;
  const auto& t = c.run_trap({li(3, 1), li(4, 2), trap(), li(5, 3)});
  CHECK(t.pc == kCode + 8);
  CHECK(c.executed() == 2);
  CHECK(c.r(3) == 1);
  CHECK(c.r(4) == 2);
  CHECK(c.r(5) == 0);
}

TEST_CASE("an illegal word stops the hart with a report", "[trap][illegal]") {
  Cpu c;
  const auto& t = c.run_trap({li(3, 1), 0x00000000, li(4, 1)});
  CHECK(c.hart().stop_reason() == ppc::StopReason::Trapped);
  CHECK(t.pc == kCode + 4);
  CHECK(t.have_word);
  CHECK(t.word == 0x00000000);
  CHECK_THAT(t.what, Catch::Contains("illegal"));
  CHECK(c.executed() == 1);
  CHECK(c.r(3) == 1);
  CHECK(c.r(4) == 0);
  CHECK(c.s().pc == kCode + 4);
}

TEST_CASE("a trapped hart stays stopped", "[trap][illegal]") {
  Cpu c;
  c.run_trap({0x00000000});
  CHECK(c.hart().run(c.hart().cycle() + 1000) == ppc::StopReason::Trapped);
  CHECK(c.hart().instructions() == 0);
}

// The supervisor state a kernel's interrupt path needs is implemented (test_interrupts.cpp: mfmsr,
// mtmsrd, rfid, SRR0/SRR1, SPRG0-3, DEC); the rest of Book III stops the hart.
TEST_CASE("privileged and unimplemented instructions stop the hart", "[trap][illegal]") {
  const uint32_t word = GENERATE(0x7c600124u,                // mtmsr r3 (the 32-bit form)
                                 mfspr(3, 287),              // mfspr r3, PVR
                                 mtspr(1013, 3),             // mtspr DABR, r3
                                 mfspr(3, 276),              // mfspr r3, SPRG4 (not in the 970)
                                 0x4c000064u,                // rfi (32-bit)
                                 0x4c000224u,                // hrfid
                                 0xfc000000u,                // fcmpu (floating point)
                                 0x7c00000eu,                // lvebx v0, 0, r0 (AltiVec)
                                 0x10000000u);               // vaddubm v0, v0, v0 (AltiVec)
  CAPTURE(word);
  Cpu c;
  const auto& t = c.run_trap({word});
  CHECK(t.pc == kCode);
  CHECK(t.word == word);
  CHECK(c.executed() == 0);
}

// The loop checks the limit only where it is nearer than the run's end (each
// instruction takes at least a cycle). Wherever the runs end, the hart must stop
// just before the instruction that would exceed the limit, at the same cycle.
TEST_CASE("the instruction limit stops the hart exactly there, whatever the run lengths", "[trap]") {
  for (const uint64_t limit : {1u, 2u, 7u, 1000u, 1001u}) {
    uint64_t want_cycle = 0;
    for (const uint64_t budget : {uint64_t{1} << 40, uint64_t{1}, uint64_t{3}, uint64_t{250}}) {
      CAPTURE(limit, budget);
      Cpu c;
      c.place(kCode, {addi(3, 3, 1), b(-4)});
      c.hart().set_instruction_limit(limit);
      c.s().pc = kCode;
      ppc::StopReason why;
      while ((why = c.hart().run(c.hart().cycle() + budget)) == ppc::StopReason::Budget) {
      }
      REQUIRE(why == ppc::StopReason::Trapped);
      CHECK_THAT(c.hart().trap().what, Catch::Contains("instruction limit"));
      CHECK(c.hart().instructions() == limit);
      CHECK(c.r(3) == (limit + 1) / 2);
      CHECK(c.hart().trap().pc == kCode + 4 * (limit % 2));
      if (budget == uint64_t{1} << 40) want_cycle = c.hart().cycle();
      CHECK(c.hart().cycle() == want_cycle);
    }
  }
}
