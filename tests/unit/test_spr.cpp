// Special purpose registers: mflr/mtlr, mfctr/mtctr, mfxer/mtxer (SO, OV, CA
// in bits 32, 33, 34 of XER, i.e. 1<<31, 1<<30, 1<<29), mftb/mftbu and the
// mfspr 268/269 spellings, the time base advancing with cycles.
// Power ISA v2.03 Book I 3.3.14, Book II 4.2 (Time Base).
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

TEST_CASE("mtlr/mflr and mtctr/mfctr move all 64 bits", "[spr]") {
  Cpu c;
  c.r(4) = 0x123456789abcdef0;
  c.r(5) = 0x0fedcba987654321;
  c.run({mtlr(4), mtctr(5), mflr(6), mfctr(7)});
  CHECK(c.s().lr == 0x123456789abcdef0);
  CHECK(c.s().ctr == 0x0fedcba987654321);
  CHECK(c.r(6) == 0x123456789abcdef0);
  CHECK(c.r(7) == 0x0fedcba987654321);
}

TEST_CASE("mfxer shows SO OV CA at XER bits 32..34", "[spr]") {
  Cpu c;
  struct Row { uint8_t so, ov, ca; uint64_t xer; };
  const auto row = GENERATE(Row{0, 0, 0, 0}, Row{1, 0, 0, kXerSo}, Row{0, 1, 0, kXerOv}, Row{0, 0, 1, kXerCa},
                            Row{1, 1, 1, kXerSo | kXerOv | kXerCa});
  c.s().so = row.so, c.s().ov = row.ov, c.s().ca = row.ca;
  c.run({mfxer(3)});
  CHECK((c.r(3) & 0xe0000000) == row.xer);
}

TEST_CASE("mtxer sets SO OV CA from bits 32..34", "[spr]") {
  Cpu c;
  SECTION("all three") {
    c.r(4) = 0xe0000000;
    c.run({mtxer(4)});
    CHECK(c.s().so == 1);
    CHECK(c.s().ov == 1);
    CHECK(c.s().ca == 1);
  }
  SECTION("only CA") {
    c.s().so = 1, c.s().ov = 1;
    c.r(4) = 0x20000000;
    c.run({mtxer(4)});
    CHECK(c.s().so == 0);
    CHECK(c.s().ov == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("mtxer is the only way to clear the sticky SO") {
    c.r(4) = 0x7fffffffffffffff, c.r(5) = 1, c.r(6) = 0;
    c.run({oe(add(3, 4, 5)), oe(add(3, 5, 5)), mfxer(7), mtxer(6), mfxer(8)});
    CHECK((c.r(7) & 0xe0000000) == kXerSo);  // OV cleared by the second addo, SO stays
    CHECK((c.r(8) & 0xe0000000) == 0);
    CHECK(c.s().so == 0);
  }
  SECTION("CA written by mtxer feeds adde") {
    c.r(4) = 0x20000000;
    c.r(5) = 10, c.r(6) = 20;
    c.run({mtxer(4), adde(3, 5, 6)});
    CHECK(c.r(3) == 31);
  }
  SECTION("CA and OV produced by arithmetic are visible to mfxer") {
    c.r(4) = ~uint64_t{0}, c.r(5) = 1;
    c.run({addc(3, 4, 5), mfxer(6)});
    CHECK((c.r(6) & 0xe0000000) == kXerCa);
  }
}

TEST_CASE("mftb advances with cycles", "[spr]") {
  Cpu c;
  c.r(5) = 100, c.r(6) = 7;
  c.run({mftb(3), divd(7, 5, 6), mftb(4)});
  CHECK(c.r(4) > c.r(3));
  CHECK(c.r(4) - c.r(3) >= ppc::CoreTiming{}.div64);
  // Later runs keep counting up.
  c.run({mftb(8)});
  CHECK(c.r(8) > c.r(4));
}

TEST_CASE("mftb (XO 371) and mfspr 268 read the same time base and mftbu the upper word", "[spr]") {
  Cpu c;
  c.hart().advance_to(0x500000000);  // TB = cycles: the upper word becomes 5
  c.run({mftb(3), mfspr(4, 268), mftb(5, 269), mfspr(6, 269)});
  CHECK(c.r(3) >= 0x500000000);
  CHECK(c.r(4) > c.r(3));
  CHECK(c.r(4) - c.r(3) < 100);
  CHECK(c.r(5) == 5);
  CHECK(c.r(6) == 5);
}
