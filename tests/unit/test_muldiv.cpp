// Multiply and divide: mulli, mullw (64-bit product of the signed low words),
// mulld, mulhw/mulhwu (only the low word is architected in 64-bit mode),
// mulhd/mulhdu, divw/divwu/divd/divdu with negative operands, division by
// zero and the most-negative / -1 case (result undefined, must not crash,
// OV set with OE=1). Power ISA v2.03 Book I 3.3.8.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kMax = ~uint64_t{0};
constexpr uint64_t kIntMin = uint64_t{1} << 63;
constexpr uint64_t kIntMax = kIntMin - 1;
constexpr uint64_t lo32(uint64_t v) { return v & 0xffffffffu; }
constexpr uint64_t s64(int64_t v) { return static_cast<uint64_t>(v); }
}  // namespace

TEST_CASE("mulli multiplies by a sign-extended immediate", "[muldiv]") {
  Cpu c;
  c.r(4) = 7;
  c.r(6) = 0x100000000;
  c.run({mulli(3, 4, -3), mulli(5, 6, 0x7fff)});
  CHECK(c.r(3) == s64(-21));
  CHECK(c.r(5) == 0x7fff00000000);
}

TEST_CASE("mullw is the 64-bit product of the signed low words", "[muldiv]") {
  Cpu c;
  SECTION("upper halves are ignored") {
    c.r(4) = 0x12345678ffffffff, c.r(5) = 0xabcdef0000000002;
    c.run({mullw(3, 4, 5)});
    CHECK(c.r(3) == s64(-2));
  }
  SECTION("full 64-bit product kept") {
    c.r(4) = 0x7fffffff, c.r(5) = 0x7fffffff;
    c.run({mullw(3, 4, 5)});
    CHECK(c.r(3) == 0x3fffffff00000001);
  }
  SECTION("INT32_MIN * INT32_MIN") {
    c.r(4) = 0x80000000, c.r(5) = 0x80000000;
    c.run({mullw(3, 4, 5)});
    CHECK(c.r(3) == 0x4000000000000000);
  }
  SECTION("mullwo sets OV when the product does not fit 32 bits") {
    c.r(4) = 0x7fffffff, c.r(5) = 2;
    c.run({oe(mullw(3, 4, 5))});
    CHECK(c.r(3) == 0xfffffffe);
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
  }
  SECTION("mullwo: exactly INT32_MIN fits") {
    c.s().ov = 1;
    c.r(4) = s64(-0x8000), c.r(5) = 0x10000;
    c.run({oe(mullw(3, 4, 5))});
    CHECK(c.r(3) == s64(-0x80000000LL));
    CHECK(c.s().ov == 0);
  }
  SECTION("mullwo: +2^31 does not fit") {
    c.r(4) = s64(-0x8000), c.r(5) = s64(-0x10000);
    c.run({oe(mullw(3, 4, 5))});
    CHECK(c.r(3) == 0x80000000);
    CHECK(c.s().ov == 1);
  }
  SECTION("mullw. sets CR0 from the 64-bit product") {
    c.r(4) = 0x10000, c.r(5) = 0x8000;
    c.run({dot(mullw(3, 4, 5))});
    CHECK(c.r(3) == 0x80000000);
    CHECK(c.crf(0) == GT);
  }
}

TEST_CASE("mulld keeps the low 64 bits", "[muldiv]") {
  Cpu c;
  SECTION("-1 * -1") {
    c.r(4) = kMax, c.r(5) = kMax;
    c.run({oe(mulld(3, 4, 5))});
    CHECK(c.r(3) == 1);
    CHECK(c.s().ov == 0);
  }
  SECTION("3 * -5") {
    c.r(4) = 3, c.r(5) = s64(-5);
    c.run({dot(oe(mulld(3, 4, 5)))});
    CHECK(c.r(3) == s64(-15));
    CHECK(c.s().ov == 0);
    CHECK(c.crf(0) == LT);
  }
  SECTION("2^32 * 2^32 wraps; mulldo sets OV") {
    c.r(4) = 0x100000000, c.r(5) = 0x100000000;
    c.run({oe(mulld(3, 4, 5))});
    CHECK(c.r(3) == 0);
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
  }
  SECTION("INT64_MIN * -1 overflows") {
    c.r(4) = kIntMin, c.r(5) = kMax;
    c.run({oe(mulld(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 1);
  }
  SECTION("INT64_MIN * 1 does not") {
    c.r(4) = kIntMin, c.r(5) = 1;
    c.run({oe(mulld(3, 4, 5))});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.s().ov == 0);
  }
}

TEST_CASE("mulhd and mulhdu give the high doubleword", "[muldiv]") {
  Cpu c;
  SECTION("signed -1 * -1 -> 0") {
    c.r(4) = kMax, c.r(5) = kMax;
    c.run({mulhd(3, 4, 5), mulhdu(6, 4, 5)});
    CHECK(c.r(3) == 0);
    CHECK(c.r(6) == 0xfffffffffffffffe);
  }
  SECTION("INT64_MIN * 2") {
    c.r(4) = kIntMin, c.r(5) = 2;
    c.run({mulhd(3, 4, 5), mulhdu(6, 4, 5)});
    CHECK(c.r(3) == kMax);
    CHECK(c.r(6) == 1);
  }
  SECTION("INT64_MAX squared") {
    c.r(4) = kIntMax, c.r(5) = kIntMax;
    c.run({mulhd(3, 4, 5), mulhdu(6, 4, 5)});
    CHECK(c.r(3) == 0x3fffffffffffffff);
    CHECK(c.r(6) == 0x3fffffffffffffff);
  }
  SECTION("-1 * 5") {
    c.r(4) = kMax, c.r(5) = 5;
    c.run({mulhd(3, 4, 5), mulhdu(6, 4, 5)});
    CHECK(c.r(3) == kMax);
    CHECK(c.r(6) == 4);
  }
  SECTION("2^32 * 2^32") {
    c.r(4) = 0x100000000, c.r(5) = 0x100000000;
    c.run({mulhd(3, 4, 5), mulhdu(6, 4, 5)});
    CHECK(c.r(3) == 1);
    CHECK(c.r(6) == 1);
  }
  SECTION("mulhd. sets CR0") {
    c.r(4) = kIntMin, c.r(5) = 2;
    c.run({dot(mulhd(3, 4, 5))});
    CHECK(c.crf(0) == LT);
  }
}

TEST_CASE("mulhw and mulhwu: the low word holds the high half of the 32x32 product", "[muldiv]") {
  Cpu c;
  // In 64-bit mode RT[0:31] is undefined: only the low word is checked.
  SECTION("INT32_MIN * 2 (signed)") {
    c.r(4) = 0x80000000, c.r(5) = 2;
    c.run({mulhw(3, 4, 5), mulhwu(6, 4, 5)});
    CHECK(lo32(c.r(3)) == 0xffffffff);
    CHECK(lo32(c.r(6)) == 1);
  }
  SECTION("-1 * -1") {
    c.r(4) = 0xffffffff, c.r(5) = 0xffffffff;
    c.run({mulhw(3, 4, 5), mulhwu(6, 4, 5)});
    CHECK(lo32(c.r(3)) == 0);
    CHECK(lo32(c.r(6)) == 0xfffffffe);
  }
  SECTION("INT32_MAX squared") {
    c.r(4) = 0x7fffffff, c.r(5) = 0x7fffffff;
    c.run({mulhw(3, 4, 5), mulhwu(6, 4, 5)});
    CHECK(lo32(c.r(3)) == 0x3fffffff);
    CHECK(lo32(c.r(6)) == 0x3fffffff);
  }
  SECTION("upper halves of the sources are ignored") {
    c.r(4) = 0xdead0000ffffffff, c.r(5) = 0xbeef000000000010;
    c.run({mulhw(3, 4, 5), mulhwu(6, 4, 5)});
    CHECK(lo32(c.r(3)) == 0xffffffff);  // -1 * 16 = -16: high word all ones
    CHECK(lo32(c.r(6)) == 0xf);         // 0xffffffff * 16 = 0xf_fffffff0
  }
}

TEST_CASE("divw truncates toward zero and the low word is the quotient", "[muldiv]") {
  Cpu c;
  // RT[0:31] is undefined in 64-bit mode for divw/divwu.
  struct Row { int32_t a, b, q; };
  const Row row = GENERATE(Row{7, 2, 3}, Row{7, -2, -3}, Row{-7, 2, -3}, Row{-7, -2, 3}, Row{-8, 2, -4},
                           Row{1, 3, 0}, Row{INT32_MIN, 1, INT32_MIN}, Row{INT32_MAX, -1, -INT32_MAX});
  CAPTURE(row.a, row.b);
  c.s().ov = 1;  // divwo without overflow clears it
  c.r(4) = 0xffffffff00000000 | static_cast<uint32_t>(row.a);  // junk upper halves
  c.r(5) = 0x1234567800000000 | static_cast<uint32_t>(row.b);
  c.run({oe(divw(3, 4, 5))});
  CHECK(lo32(c.r(3)) == static_cast<uint32_t>(row.q));
  CHECK(c.s().ov == 0);
}

TEST_CASE("divwu is unsigned on the low words", "[muldiv]") {
  Cpu c;
  c.r(4) = 0xabcdef00ffffffff, c.r(5) = 2;
  c.r(6) = 0x80000000, c.r(7) = 0xffffffff;
  c.run({divwu(3, 4, 5), divwu(8, 6, 7), divwu(9, 7, 6)});
  CHECK(lo32(c.r(3)) == 0x7fffffff);
  CHECK(lo32(c.r(8)) == 0);
  CHECK(lo32(c.r(9)) == 1);
}

TEST_CASE("divd and divdu", "[muldiv]") {
  Cpu c;
  SECTION("signed, all sign combinations") {
    c.r(4) = 7, c.r(5) = s64(-7), c.r(6) = 2, c.r(7) = s64(-2);
    c.run({divd(10, 4, 6), divd(11, 4, 7), divd(12, 5, 6), divd(13, 5, 7)});
    CHECK(c.r(10) == 3);
    CHECK(c.r(11) == s64(-3));
    CHECK(c.r(12) == s64(-3));
    CHECK(c.r(13) == 3);
  }
  SECTION("INT64_MIN / 1 and / 2") {
    c.r(4) = kIntMin, c.r(5) = 1, c.r(6) = 2;
    c.run({divd(3, 4, 5), divd(7, 4, 6)});
    CHECK(c.r(3) == kIntMin);
    CHECK(c.r(7) == 0xc000000000000000);
  }
  SECTION("unsigned") {
    c.r(4) = kMax, c.r(5) = 2, c.r(6) = kIntMin;
    c.run({divdu(3, 4, 5), divdu(7, 4, 6), divdu(8, 5, 4)});
    CHECK(c.r(3) == kIntMax);
    CHECK(c.r(7) == 1);
    CHECK(c.r(8) == 0);
  }
  SECTION("divd. sets CR0") {
    c.r(4) = s64(-10), c.r(5) = 3;
    c.run({dot(divd(3, 4, 5))});
    CHECK(c.r(3) == s64(-3));
    CHECK(c.crf(0) == LT);
  }
}

TEST_CASE("undefined divisions do not crash and set OV with OE=1", "[muldiv]") {
  Cpu c;
  // The quotient is undefined: only completion and OV/SO are checked.
  SECTION("divw by zero") {
    c.r(4) = 5, c.r(5) = 0xffffffff00000000;  // low word zero
    c.run({oe(divw(3, 4, 5))});
    CHECK(c.s().ov == 1);
    CHECK(c.s().so == 1);
  }
  SECTION("divw INT32_MIN / -1") {
    c.r(4) = 0x80000000, c.r(5) = 0xffffffff;
    c.run({oe(divw(3, 4, 5))});
    CHECK(c.s().ov == 1);
  }
  SECTION("divwu by zero") {
    c.r(4) = 5, c.r(5) = 0;
    c.run({oe(divwu(3, 4, 5))});
    CHECK(c.s().ov == 1);
  }
  SECTION("divd by zero") {
    c.r(4) = kIntMin, c.r(5) = 0;
    c.run({oe(divd(3, 4, 5))});
    CHECK(c.s().ov == 1);
  }
  SECTION("divd INT64_MIN / -1") {
    c.r(4) = kIntMin, c.r(5) = kMax;
    c.run({oe(divd(3, 4, 5))});
    CHECK(c.s().ov == 1);
  }
  SECTION("divdu by zero") {
    c.r(4) = kMax, c.r(5) = 0;
    c.run({oe(divdu(3, 4, 5))});
    CHECK(c.s().ov == 1);
  }
  SECTION("without OE the flags stay clear") {
    c.r(4) = kIntMin, c.r(5) = kMax, c.r(6) = 0;
    c.run({divd(3, 4, 5), divd(7, 4, 6), divw(8, 4, 6), divdu(9, 4, 6), divwu(10, 4, 6)});
    CHECK(c.s().ov == 0);
    CHECK(c.s().so == 0);
  }
  SECTION("divdo without overflow clears OV but SO sticks") {
    c.s().ov = 1, c.s().so = 1;
    c.r(4) = 10, c.r(5) = 5;
    c.run({oe(divd(3, 4, 5))});
    CHECK(c.r(3) == 2);
    CHECK(c.s().ov == 0);
    CHECK(c.s().so == 1);
  }
}
