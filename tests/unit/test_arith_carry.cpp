// Arithmetic with carry: addc/adde/addze/addme/subfc/subfe/subfze/subfme,
// addic/addic./subfic, neg; CA at the 64-bit boundary, OE forms (OV, sticky SO),
// record forms (CR0 from the 64-bit result, SO copied from XER).
// Power ISA v2.03 Book I 3.3.8 (Fixed-Point Arithmetic Instructions).
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kMax = ~uint64_t{0};
constexpr uint64_t kIntMin = uint64_t{1} << 63;
constexpr uint64_t kIntMax = kIntMin - 1;
}  // namespace

TEST_CASE("addc sets CA on carry out of bit 0 only", "[arith]") {
  Cpu c;
  SECTION("all ones + 1 wraps to zero with CA") {
    c.r(4) = kMax, c.r(5) = 1;
    c.run({addc(3, 4, 5)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("signed overflow is not a carry") {
    c.s().ca = 1;
    c.r(4) = kIntMax, c.r(5) = 1;
    c.run({addc(3, 4, 5)});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ca == 0);
  }
  SECTION("carry out of the low word is not CA in 64-bit mode") {
    c.r(4) = 0xffffffff, c.r(5) = 1;
    c.run({addc(3, 4, 5)});
    CHECK(c.r(3) == 0x100000000);
    CHECK(c.s().ca == 0);
  }
  SECTION("all ones + all ones") {
    c.r(4) = kMax, c.r(5) = kMax;
    c.run({addc(3, 4, 5)});
    CHECK(c.r(3) == kMax - 1);
    CHECK(c.s().ca == 1);
  }
}

TEST_CASE("add does not touch CA or OV or SO", "[arith]") {
  Cpu c;
  c.s().ca = 1, c.s().ov = 0, c.s().so = 0;
  c.r(4) = kMax, c.r(5) = 1;
  c.run({add(3, 4, 5)});
  CHECK(c.r(3) == 0);
  CHECK(c.s().ca == 1);
  c.s().ca = 0;
  c.r(4) = kIntMax;
  c.run({add(3, 4, 5)});
  CHECK(c.r(3) == kIntMin);
  CHECK(c.s().ca == 0);
  CHECK(c.s().ov == 0);
  CHECK(c.s().so == 0);
}

TEST_CASE("adde adds CA in and produces CA out", "[arith]") {
  Cpu c;
  SECTION("5 + 7 + CA=1") {
    c.s().ca = 1;
    c.r(4) = 5, c.r(5) = 7;
    c.run({adde(3, 4, 5)});
    CHECK(c.r(3) == 13);
    CHECK(c.s().ca == 0);
  }
  SECTION("all ones + 0 + CA=1 carries out") {
    c.s().ca = 1;
    c.r(4) = kMax, c.r(5) = 0;
    c.run({adde(3, 4, 5)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("all ones + 0 + CA=0 does not") {
    c.s().ca = 0;
    c.r(4) = kMax, c.r(5) = 0;
    c.run({adde(3, 4, 5)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("all ones + all ones + CA=1") {
    c.s().ca = 1;
    c.r(4) = kMax, c.r(5) = kMax;
    c.run({adde(3, 4, 5)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 1);
  }
}

TEST_CASE("addc/adde chain forms a 128-bit add", "[arith]") {
  Cpu c;
  // (r4:r5) + (r6:r7) -> (r8:r9); high:low
  c.r(4) = 0x1, c.r(5) = kMax;
  c.r(6) = 0x2, c.r(7) = 0x1;
  c.run({addc(9, 5, 7), adde(8, 4, 6)});
  CHECK(c.r(9) == 0);
  CHECK(c.r(8) == 0x4);
  CHECK(c.s().ca == 0);
}

TEST_CASE("subfc/subfe chain forms a 128-bit subtract", "[arith]") {
  Cpu c;
  // (r4:r5) - (r6:r7) = 0x1_0000000000000000 - 0x0_0000000000000001
  c.r(4) = 0x1, c.r(5) = 0x0;
  c.r(6) = 0x0, c.r(7) = 0x1;
  c.run({subfc(9, 7, 5), subfe(8, 6, 4)});
  CHECK(c.r(9) == kMax);
  CHECK(c.r(8) == 0);
  CHECK(c.s().ca == 1);  // no borrow out of the high part
}

TEST_CASE("addze and addme use CA", "[arith]") {
  Cpu c;
  SECTION("addze all ones + CA=1") {
    c.s().ca = 1, c.r(4) = kMax;
    c.run({addze(3, 4)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("addze 5 + CA=0") {
    c.s().ca = 0, c.r(4) = 5;
    c.run({addze(3, 4)});
    CHECK(c.r(3) == 5);
    CHECK(c.s().ca == 0);
  }
  SECTION("addme 0 + CA=0 - 1") {
    c.s().ca = 0, c.r(4) = 0;
    c.run({addme(3, 4)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("addme 0 + CA=1 - 1") {
    c.s().ca = 1, c.r(4) = 0;
    c.run({addme(3, 4)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("addme 5 + CA=0 - 1 carries out") {
    c.s().ca = 0, c.r(4) = 5;
    c.run({addme(3, 4)});
    CHECK(c.r(3) == 4);
    CHECK(c.s().ca == 1);
  }
}

TEST_CASE("subfc computes rb - ra with CA = not borrow", "[arith]") {
  Cpu c;
  SECTION("10 - 3") {
    c.r(4) = 3, c.r(5) = 10;
    c.run({subfc(3, 4, 5)});
    CHECK(c.r(3) == 7);
    CHECK(c.s().ca == 1);
  }
  SECTION("3 - 10 borrows") {
    c.s().ca = 1;
    c.r(4) = 10, c.r(5) = 3;
    c.run({subfc(3, 4, 5)});
    CHECK(c.r(3) == static_cast<uint64_t>(-7));
    CHECK(c.s().ca == 0);
  }
  SECTION("equal operands: no borrow") {
    c.r(4) = 0x123456789, c.r(5) = 0x123456789;
    c.run({subfc(3, 4, 5)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("borrow is unsigned: 0 - all ones") {
    c.r(4) = kMax, c.r(5) = 0;
    c.run({subfc(3, 4, 5)});
    CHECK(c.r(3) == 1);
    CHECK(c.s().ca == 0);
  }
}

TEST_CASE("subf leaves CA alone", "[arith]") {
  Cpu c;
  c.s().ca = 1;
  c.r(4) = 10, c.r(5) = 3;
  c.run({subf(3, 4, 5)});
  CHECK(c.r(3) == static_cast<uint64_t>(-7));
  CHECK(c.s().ca == 1);
}

TEST_CASE("subfe computes NOT ra + rb + CA", "[arith]") {
  Cpu c;
  SECTION("CA=0 subtracts one more") {
    c.s().ca = 0, c.r(4) = 3, c.r(5) = 10;
    c.run({subfe(3, 4, 5)});
    CHECK(c.r(3) == 6);
    CHECK(c.s().ca == 1);
  }
  SECTION("CA=1 is a plain subtract") {
    c.s().ca = 1, c.r(4) = 3, c.r(5) = 10;
    c.run({subfe(3, 4, 5)});
    CHECK(c.r(3) == 7);
    CHECK(c.s().ca == 1);
  }
  SECTION("equal operands with CA=0 borrow") {
    c.s().ca = 0, c.r(4) = 10, c.r(5) = 10;
    c.run({subfe(3, 4, 5)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
}

TEST_CASE("subfze and subfme use CA", "[arith]") {
  Cpu c;
  SECTION("subfze 0 with CA=1") {
    c.s().ca = 1, c.r(4) = 0;
    c.run({subfze(3, 4)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("subfze 0 with CA=0") {
    c.s().ca = 0, c.r(4) = 0;
    c.run({subfze(3, 4)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("subfze 5 with CA=1 is -5") {
    c.s().ca = 1, c.r(4) = 5;
    c.run({subfze(3, 4)});
    CHECK(c.r(3) == static_cast<uint64_t>(-5));
    CHECK(c.s().ca == 0);
  }
  SECTION("subfme 0 with CA=0") {
    c.s().ca = 0, c.r(4) = 0;
    c.run({subfme(3, 4)});
    CHECK(c.r(3) == static_cast<uint64_t>(-2));
    CHECK(c.s().ca == 1);
  }
  SECTION("subfme all ones with CA=0") {
    c.s().ca = 0, c.r(4) = kMax;
    c.run({subfme(3, 4)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("subfme all ones with CA=1") {
    c.s().ca = 1, c.r(4) = kMax;
    c.run({subfme(3, 4)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
}

TEST_CASE("addic sets CA but never CR0", "[arith]") {
  Cpu c;
  c.s().cr = 0x12345678;
  SECTION("all ones + 1") {
    c.r(4) = kMax;
    c.run({addic(3, 4, 1)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("negative immediate is sign-extended: 5 + -1 carries") {
    c.r(4) = 5;
    c.run({addic(3, 4, -1)});
    CHECK(c.r(3) == 4);
    CHECK(c.s().ca == 1);
  }
  SECTION("0 + -1 does not carry") {
    c.s().ca = 1;
    c.r(4) = 0;
    c.run({addic(3, 4, -1)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("ra = 0 is register r0, not zero") {
    c.r(0) = 100;
    c.run({addic(3, 0, 5)});
    CHECK(c.r(3) == 105);
  }
  CHECK(c.s().cr == 0x12345678);
}

TEST_CASE("addic. sets CA and CR0 from the 64-bit result", "[arith]") {
  Cpu c;
  c.s().cr = 0x0abcdef0;  // CR0 clear, other fields a pattern to preserve
  SECTION("zero -> EQ with CA") {
    c.r(4) = kMax;
    c.run({addic_dot(3, 4, 1)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
    CHECK(c.crf(0) == EQ);
  }
  SECTION("negative -> LT") {
    c.r(4) = 0;
    c.run({addic_dot(3, 4, -2)});
    CHECK(c.crf(0) == LT);
    CHECK(c.s().ca == 0);
  }
  SECTION("positive in 64 bits though bit 32 is set -> GT") {
    c.r(4) = 0x7fffffff;
    c.run({addic_dot(3, 4, 1)});
    CHECK(c.r(3) == 0x80000000);
    CHECK(c.crf(0) == GT);
  }
  SECTION("SO is copied from XER") {
    c.s().so = 1;
    c.r(4) = 1;
    c.run({addic_dot(3, 4, 1)});
    CHECK(c.crf(0) == (GT | SO));
  }
  CHECK((c.s().cr & 0x0fffffff) == 0x0abcdef0);
}

TEST_CASE("subfic computes imm - ra with CA", "[arith]") {
  Cpu c;
  SECTION("10 - 3") {
    c.r(4) = 3;
    c.run({subfic(3, 4, 10)});
    CHECK(c.r(3) == 7);
    CHECK(c.s().ca == 1);
  }
  SECTION("10 - 11 borrows") {
    c.r(4) = 11;
    c.run({subfic(3, 4, 10)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 0);
  }
  SECTION("0 - 0 does not borrow") {
    c.r(4) = 0;
    c.run({subfic(3, 4, 0)});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
  }
  SECTION("-1 - 0: the immediate is sign-extended") {
    c.r(4) = 0;
    c.run({subfic(3, 4, -1)});
    CHECK(c.r(3) == kMax);
    CHECK(c.s().ca == 1);
  }
  SECTION("5 - all ones borrows") {
    c.r(4) = kMax;
    c.run({subfic(3, 4, 5)});
    CHECK(c.r(3) == 6);
    CHECK(c.s().ca == 0);
  }
}

TEST_CASE("neg negates and never changes CA", "[arith]") {
  Cpu c;
  const uint8_t ca = GENERATE(0, 1);
  c.s().ca = ca;
  SECTION("neg 5") {
    c.r(4) = 5;
    c.run({neg(3, 4)});
    CHECK(c.r(3) == static_cast<uint64_t>(-5));
  }
  SECTION("neg 0") {
    c.r(4) = 0;
    c.run({neg(3, 4)});
    CHECK(c.r(3) == 0);
  }
  SECTION("neg INT64_MIN is itself; nego sets OV and SO") {
    c.r(4) = kIntMin;
    c.run({oe(neg(3, 4))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
  }
  SECTION("nego without overflow clears OV") {
    c.s().ov = 1;
    c.r(4) = 7;
    c.run({oe(neg(3, 4))});
    CHECK(c.s().ov == 0);
  }
  CHECK(c.s().ca == ca);
}

TEST_CASE("OE=1 forms set OV on signed overflow and SO sticks", "[arith][oe]") {
  Cpu c;
  SECTION("addo overflow then addo without: OV clears, SO stays") {
    c.r(4) = kIntMax, c.r(5) = 1, c.r(6) = 2;
    c.run({oe(add(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
    c.run({oe(add(7, 5, 6))});
    CHECK(c.r(7) == 3);
    CHECK(c.s().ov == 0);
    CHECK(c.s().so == 1);
  }
  SECTION("non-OE add leaves OV as it was") {
    c.s().ov = 1, c.s().so = 1;
    c.r(4) = 1, c.r(5) = 1;
    c.run({add(3, 4, 5)});
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
  }
  SECTION("addo negative overflow") {
    c.r(4) = kIntMin, c.r(5) = kMax;
    c.run({oe(add(3, 4, 5))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 1);
  }
  SECTION("addco sets both CA and OV") {
    c.r(4) = kIntMin, c.r(5) = kIntMin;
    c.run({oe(addc(3, 4, 5))});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ca == 1);
    CHECK(c.s().ov == 1);
  }
  SECTION("addco: carry without overflow") {
    c.r(4) = kMax, c.r(5) = 1;
    c.run({oe(addc(3, 4, 5))});
    CHECK(c.s().ca == 1);
    CHECK(c.s().ov == 0);
    CHECK(c.s().so == 0);
  }
  SECTION("addeo overflow through the carry-in") {
    c.s().ca = 1;
    c.r(4) = kIntMax, c.r(5) = 0;
    c.run({oe(adde(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
    CHECK(c.s().ca == 0);
  }
  SECTION("addzeo: INT64_MAX + CA") {
    c.s().ca = 1;
    c.r(4) = kIntMax;
    c.run({oe(addze(3, 4))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
  }
  SECTION("addmeo: INT64_MIN - 1") {
    c.s().ca = 0;
    c.r(4) = kIntMin;
    c.run({oe(addme(3, 4))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 1);
    CHECK(c.s().ca == 1);
  }
  SECTION("subfo: INT64_MIN - 1") {
    c.r(4) = 1, c.r(5) = kIntMin;
    c.run({oe(subf(3, 4, 5))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 1);
  }
  SECTION("subfo: 0 - INT64_MIN") {
    c.r(4) = kIntMin, c.r(5) = 0;
    c.run({oe(subf(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
  }
  SECTION("subfo: -1 - INT64_MIN does not overflow") {
    c.r(4) = kIntMin, c.r(5) = kMax;
    c.run({oe(subf(3, 4, 5))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 0);
  }
  SECTION("subfco: INT64_MAX - -1") {
    c.r(4) = kMax, c.r(5) = kIntMax;
    c.run({oe(subfc(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
    CHECK(c.s().ca == 0);
  }
  SECTION("subfeo") {
    c.s().ca = 1;
    c.r(4) = 1, c.r(5) = kIntMin;
    c.run({oe(subfe(3, 4, 5))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 1);
  }
  SECTION("subfzeo: -INT64_MIN") {
    c.s().ca = 1;
    c.r(4) = kIntMin;
    c.run({oe(subfze(3, 4))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
  }
  SECTION("subfmeo: ~INT64_MAX - 1") {
    c.s().ca = 0;
    c.r(4) = kIntMax;  // ~ra = INT64_MIN, + (-1) overflows
    c.run({oe(subfme(3, 4))});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.s().ov == 1);
  }
}

TEST_CASE("record forms set CR0 from the 64-bit result and copy SO", "[arith][rc]") {
  Cpu c;
  c.s().cr = 0x05555555;  // CR0 = 0, other fields a pattern
  SECTION("add. negative -> LT") {
    c.r(4) = 1, c.r(5) = static_cast<uint64_t>(-3);
    c.run({dot(add(3, 4, 5))});
    CHECK(c.crf(0) == LT);
  }
  SECTION("add. zero -> EQ") {
    c.r(4) = 3, c.r(5) = static_cast<uint64_t>(-3);
    c.run({dot(add(3, 4, 5))});
    CHECK(c.crf(0) == EQ);
  }
  SECTION("add. with bit 32 set is positive in 64-bit mode -> GT") {
    c.r(4) = 0x40000000, c.r(5) = 0x40000000;
    c.run({dot(add(3, 4, 5))});
    CHECK(c.r(3) == 0x80000000);
    CHECK(c.crf(0) == GT);
  }
  SECTION("add. low word zero but upper non-zero -> GT, not EQ") {
    c.r(4) = 0x100000000, c.r(5) = 0;
    c.run({dot(add(3, 4, 5))});
    CHECK(c.crf(0) == GT);
  }
  SECTION("SO already set is copied into CR0") {
    c.s().so = 1;
    c.r(4) = 1, c.r(5) = 1;
    c.run({dot(add(3, 4, 5))});
    CHECK(c.crf(0) == (GT | SO));
  }
  SECTION("addo. overflow: CR0 has the new SO") {
    c.r(4) = kIntMax, c.r(5) = 1;
    c.run({dot(oe(add(3, 4, 5)))});
    CHECK(c.crf(0) == (LT | SO));
    CHECK(c.s().so == 1);
  }
  SECTION("addc. sets CA and CR0") {
    c.r(4) = kMax, c.r(5) = 1;
    c.run({dot(addc(3, 4, 5))});
    CHECK(c.crf(0) == EQ);
    CHECK(c.s().ca == 1);
  }
  SECTION("subf. / subfc. / subfe.") {
    c.s().ca = 1;
    c.r(4) = 5, c.r(5) = 3;
    c.run({dot(subf(3, 4, 5)), mfcr(6), dot(subfc(7, 5, 4)), mfcr(8), dot(subfe(9, 4, 4)), mfcr(10)});
    CHECK((c.r(6) >> 28) == LT);
    CHECK((c.r(8) >> 28) == GT);
    CHECK((c.r(10) >> 28) == EQ);  // CA=1 after subfc (5 >= 3): 5 - 5 = 0
  }
  SECTION("addze. / addme. / subfze. / subfme. / neg.") {
    c.s().ca = 0;
    c.r(4) = 0;
    c.run({dot(addze(3, 4)), mfcr(5), dot(addme(6, 4)), mfcr(7), dot(neg(8, 4)), mfcr(9)});
    CHECK((c.r(5) >> 28) == EQ);
    CHECK((c.r(7) >> 28) == LT);
    CHECK((c.r(9) >> 28) == EQ);
    c.s().ca = 1;
    c.run({dot(subfze(3, 4)), mfcr(5), dot(subfme(6, 4)), mfcr(7)});
    CHECK((c.r(5) >> 28) == EQ);
    CHECK((c.r(7) >> 28) == LT);  // ~0 + 1 - 1 = -1
  }
  CHECK((c.s().cr & 0x0fffffff) == 0x05555555);
}

TEST_CASE("addi/addis sign-extend and ra = 0 reads as zero (li/lis)", "[arith]") {
  Cpu c;
  c.r(0) = 0x1000;  // must not be added by li/lis
  c.r(4) = 0x100000000;
  c.s().ca = 1;
  c.run({li(3, -1), lis(5, -1), lis(6, 0x7fff), addi(7, 4, -0x8000), addis(8, 4, -1), addis(9, 4, 0x1234),
         addi(10, 0, 5), addi(11, 4, 0x7fff)});
  CHECK(c.r(3) == kMax);
  CHECK(c.r(5) == 0xffffffffffff0000);
  CHECK(c.r(6) == 0x7fff0000);
  CHECK(c.r(7) == 0xffff8000);
  CHECK(c.r(8) == 0xffff0000);
  CHECK(c.r(9) == 0x112340000);
  CHECK(c.r(10) == 5);
  CHECK(c.r(11) == 0x100007fff);
  CHECK(c.s().ca == 1);  // addi/addis do not touch CA
}

TEST_CASE("lis + ori + sldi + oris + ori builds a 64-bit constant", "[arith]") {
  Cpu c;
  c.run({lis(3, 0x1234), ori(3, 3, 0x5678), sldi(3, 3, 32), oris(3, 3, 0x9abc), ori(3, 3, 0xdef0)});
  CHECK(c.r(3) == 0x123456789abcdef0);
}
