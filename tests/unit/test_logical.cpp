// Logical and extension: and/andc/or/orc/xor/nand/nor/eqv (+ record forms),
// andi./andis. (always record), ori/oris/xori/xoris (never), extsb/extsh/extsw,
// cntlzw/cntlzd, popcntb/popcntw/popcntd. Power ISA v2.03 Book I 3.3.11,
// popcntw/popcntd from v2.06.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kA = 0xf0f0ff0012345678;
constexpr uint64_t kB = 0x0ff0f0f0ffff0000;
constexpr uint64_t kMax = ~uint64_t{0};
}  // namespace

TEST_CASE("two-operand logical ops on all 64 bits", "[logical]") {
  Cpu c;
  c.r(4) = kA, c.r(5) = kB;
  c.s().cr = 0x12345678;
  c.run({and_(10, 4, 5), andc(11, 4, 5), or_(12, 4, 5), orc(13, 4, 5), xor_(14, 4, 5), nand(15, 4, 5),
         nor(16, 4, 5), eqv(17, 4, 5)});
  CHECK(c.r(10) == 0x00f0f00012340000);
  CHECK(c.r(11) == 0xf0000f0000005678);
  CHECK(c.r(12) == 0xfff0fff0ffff5678);
  CHECK(c.r(13) == 0xf0ffff0f1234ffff);
  CHECK(c.r(14) == 0xff000ff0edcb5678);
  CHECK(c.r(15) == ~uint64_t{0x00f0f00012340000});
  CHECK(c.r(16) == ~uint64_t{0xfff0fff0ffff5678});
  CHECK(c.r(17) == ~uint64_t{0xff000ff0edcb5678});
  CHECK(c.s().cr == 0x12345678);  // no record form: CR untouched
}

TEST_CASE("logical ops: rs and ra may be the same register", "[logical]") {
  Cpu c;
  c.r(3) = kA, c.r(4) = kB;
  c.run({xor_(3, 3, 3), or_(5, 4, 4), mr(6, 4), nand(7, 4, 4)});
  CHECK(c.r(3) == 0);
  CHECK(c.r(5) == kB);
  CHECK(c.r(6) == kB);
  CHECK(c.r(7) == ~kB);
}

TEST_CASE("logical record forms set CR0 from the 64-bit result", "[logical][rc]") {
  Cpu c;
  c.s().cr = 0x0fffffff;
  SECTION("and. zero -> EQ") {
    c.r(4) = 0xff00, c.r(5) = 0x00ff;
    c.run({dot(and_(3, 4, 5))});
    CHECK(c.crf(0) == EQ);
  }
  SECTION("or. negative -> LT") {
    c.r(4) = 0x8000000000000000, c.r(5) = 1;
    c.run({dot(or_(3, 4, 5))});
    CHECK(c.crf(0) == LT);
  }
  SECTION("xor. with bit 32 set -> GT (64-bit sign)") {
    c.r(4) = 0x80000000, c.r(5) = 0;
    c.run({dot(xor_(3, 4, 5))});
    CHECK(c.crf(0) == GT);
  }
  SECTION("nor. of zeros -> LT, with SO copied") {
    c.s().so = 1;
    c.r(4) = 0, c.r(5) = 0;
    c.run({dot(nor(3, 4, 5))});
    CHECK(c.r(3) == kMax);
    CHECK(c.crf(0) == (LT | SO));
  }
  SECTION("andc. / orc. / nand. / eqv.") {
    c.r(4) = kMax, c.r(5) = kMax;
    c.run({dot(andc(3, 4, 5)), mfcr(6), dot(orc(7, 4, 5)), mfcr(8), dot(nand(9, 4, 5)), mfcr(10),
           dot(eqv(11, 4, 5)), mfcr(12)});
    CHECK((c.r(6) >> 28) == EQ);
    CHECK((c.r(8) >> 28) == LT);
    CHECK((c.r(10) >> 28) == EQ);
    CHECK((c.r(12) >> 28) == LT);
  }
  CHECK((c.s().cr & 0x0fffffff) == 0x0fffffff);
}

TEST_CASE("andi. and andis. always set CR0", "[logical]") {
  Cpu c;
  c.s().cr = 0xf0000000 | 0x0abcdef1;  // CR0 all set, so every bit must be rewritten
  c.r(4) = kMax;
  SECTION("andi. keeps only the low 16 bits") {
    c.run({andi_dot(3, 4, 0x8000)});
    CHECK(c.r(3) == 0x8000);
    CHECK(c.crf(0) == GT);
  }
  SECTION("andi. with 0 -> EQ") {
    c.run({andi_dot(3, 4, 0)});
    CHECK(c.r(3) == 0);
    CHECK(c.crf(0) == EQ);
  }
  SECTION("andis. 0x8000: bit 32 set, still positive in 64 bits -> GT") {
    c.run({andis_dot(3, 4, 0x8000)});
    CHECK(c.r(3) == 0x80000000);
    CHECK(c.crf(0) == GT);
  }
  SECTION("andis. clears the upper word too") {
    c.r(4) = 0xffffffff0000ffff;
    c.run({andis_dot(3, 4, 0xffff)});
    CHECK(c.r(3) == 0);
    CHECK(c.crf(0) == EQ);
  }
  SECTION("SO is copied") {
    c.s().so = 1;
    c.run({andi_dot(3, 4, 1)});
    CHECK(c.crf(0) == (GT | SO));
  }
  CHECK((c.s().cr & 0x0fffffff) == 0x0abcdef1);
}

TEST_CASE("ori/oris/xori/xoris zero-extend and never touch CR", "[logical]") {
  Cpu c;
  c.s().cr = 0x87654321;
  c.r(4) = 0;
  c.r(5) = kMax;
  c.r(6) = 0x1234000000000000;
  c.run({ori(3, 4, 0xffff), oris(7, 4, 0xffff), xori(8, 5, 0xffff), xoris(9, 5, 0x8000), ori(10, 6, 0x8000),
         oris(11, 6, 0x8000)});
  CHECK(c.r(3) == 0xffff);
  CHECK(c.r(7) == 0xffff0000);
  CHECK(c.r(8) == 0xffffffffffff0000);
  CHECK(c.r(9) == 0xffffffff7fffffff);
  CHECK(c.r(10) == 0x1234000000008000);
  CHECK(c.r(11) == 0x1234000080000000);
  CHECK(c.s().cr == 0x87654321);
}

TEST_CASE("nop changes nothing but the PC", "[logical]") {
  Cpu c;
  for (unsigned i = 0; i < 32; ++i) c.r(i) = uint64_t{0x1111111111111111} * (i % 15);
  c.s().cr = 0xdeadbeef;
  c.s().ca = 1, c.s().so = 1;
  const auto before = c.s();
  c.run({nop(), nop(), nop()});
  CHECK(c.s().gpr == before.gpr);
  CHECK(c.s().cr == before.cr);
  CHECK(c.s().xer() == before.xer());
}

TEST_CASE("extsb/extsh/extsw sign-extend from bit 56/48/32", "[logical]") {
  Cpu c;
  c.r(4) = 0x1234567890abcd80;
  c.r(5) = 0xffffffffffffff7f;
  c.r(6) = 0x0000000000008000;
  c.r(7) = 0xffffffffffff7fff;
  c.r(8) = 0x0000000080000000;
  c.r(9) = 0xffffffff7fffffff;
  c.run({extsb(10, 4), extsb(11, 5), extsh(12, 6), extsh(13, 7), extsw(14, 8), extsw(15, 9)});
  CHECK(c.r(10) == 0xffffffffffffff80);
  CHECK(c.r(11) == 0x7f);
  CHECK(c.r(12) == 0xffffffffffff8000);
  CHECK(c.r(13) == 0x7fff);
  CHECK(c.r(14) == 0xffffffff80000000);
  CHECK(c.r(15) == 0x7fffffff);
}

TEST_CASE("extsw. / extsb. set CR0", "[logical][rc]") {
  Cpu c;
  c.r(4) = 0x80000000;
  c.r(5) = 0x100;
  c.run({dot(extsw(3, 4)), mfcr(6), dot(extsb(7, 5)), mfcr(8), dot(extsh(9, 4)), mfcr(10)});
  CHECK((c.r(6) >> 28) == LT);
  CHECK((c.r(8) >> 28) == EQ);
  CHECK((c.r(10) >> 28) == EQ);
}

TEST_CASE("cntlzw counts in the low word only and cntlzd in all 64 bits", "[logical]") {
  Cpu c;
  c.r(4) = 0;
  c.r(5) = 0xffffffff00000000;
  c.r(6) = 1;
  c.r(7) = 0x0000000080000000;
  c.r(8) = kMax;
  c.r(9) = 0x0000ffff00010000;
  c.run({cntlzw(10, 4), cntlzw(11, 5), cntlzw(12, 6), cntlzw(13, 7), cntlzw(14, 9), cntlzd(15, 4), cntlzd(16, 6),
         cntlzd(17, 7), cntlzd(18, 8), cntlzd(19, 9)});
  CHECK(c.r(10) == 32);
  CHECK(c.r(11) == 32);
  CHECK(c.r(12) == 31);
  CHECK(c.r(13) == 0);
  CHECK(c.r(14) == 15);
  CHECK(c.r(15) == 64);
  CHECK(c.r(16) == 63);
  CHECK(c.r(17) == 32);
  CHECK(c.r(18) == 0);
  CHECK(c.r(19) == 16);
}

TEST_CASE("cntlzw. / cntlzd. set CR0", "[logical][rc]") {
  Cpu c;
  c.r(4) = 0x80000000;
  c.r(5) = 0;
  c.run({dot(cntlzw(3, 4)), mfcr(6), dot(cntlzd(7, 5)), mfcr(8)});
  CHECK((c.r(6) >> 28) == EQ);
  CHECK((c.r(8) >> 28) == GT);
}

TEST_CASE("popcntb counts per byte and popcntw per word and popcntd per doubleword", "[logical]") {
  Cpu c;
  c.r(4) = 0x0103070f1f3f7fff;
  c.r(5) = 0xffffffff00000001;
  c.r(6) = 0x8000000000000001;
  c.r(7) = kMax;
  c.r(8) = 0;
  c.s().cr = 0x33333333;
  c.run({popcntb(10, 4), popcntb(11, 7), popcntw(12, 5), popcntw(13, 4), popcntd(14, 6), popcntd(15, 7),
         popcntd(16, 8), popcntb(17, 8)});
  CHECK(c.r(10) == 0x0102030405060708);
  CHECK(c.r(11) == 0x0808080808080808);
  CHECK(c.r(12) == 0x0000002000000001);
  CHECK(c.r(13) == 0x0000000a0000001a);  // 1+2+3+4 = 10, 5+6+7+8 = 26
  CHECK(c.r(14) == 2);
  CHECK(c.r(15) == 64);
  CHECK(c.r(16) == 0);
  CHECK(c.r(17) == 0);
  CHECK(c.s().cr == 0x33333333);
}
