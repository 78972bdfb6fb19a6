// Shifts and rotates: slw/srw/sraw/srawi (6-bit amounts: 32..63 give 0 / all
// sign), CA of the algebraic shifts (set only for a negative value that loses
// one-bits), sld/srd/srad/sradi (7-bit amounts), rlwinm/rlwnm/rlwimi with
// wrapping masks (the rotated word is duplicated into both halves, ROTL32),
// rldicl/rldicr/rldic/rldimi/rldcl/rldcr at the sh/mb/me extremes.
// Power ISA v2.03 Book I 3.3.12-3.3.13.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kMax = ~uint64_t{0};
struct ShiftRow {
  uint64_t rs, rb, expect;
  uint8_t ca;  // expected CA for the algebraic shifts (ignored otherwise)
};
}  // namespace

TEST_CASE("slw uses a 6-bit amount and clears the upper word", "[shift]") {
  const auto row = GENERATE(ShiftRow{0xffffffff80000001, 0, 0x80000001, 0},
                            ShiftRow{0xffffffff80000001, 1, 0x00000002, 0},
                            ShiftRow{0xffffffff80000001, 31, 0x80000000, 0},
                            ShiftRow{0xffffffff80000001, 32, 0, 0},
                            ShiftRow{0xffffffff80000001, 63, 0, 0},
                            ShiftRow{0xffffffff80000001, 64, 0x80000001, 0},  // only rb[58:63] count
                            ShiftRow{0xffffffff80000001, 0xffffffffffffff84, 0x00000010, 0});
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.r(4) = row.rs, c.r(5) = row.rb;
  c.run({slw(3, 4, 5)});
  CHECK(c.r(3) == row.expect);
}

TEST_CASE("srw uses a 6-bit amount and clears the upper word", "[shift]") {
  const auto row = GENERATE(ShiftRow{0xffffffff80000001, 0, 0x80000001, 0},
                            ShiftRow{0xffffffff80000001, 1, 0x40000000, 0},
                            ShiftRow{0xffffffff80000001, 31, 1, 0},
                            ShiftRow{0xffffffff80000001, 32, 0, 0},
                            ShiftRow{0xffffffff80000001, 63, 0, 0},
                            ShiftRow{0xffffffff80000001, 64, 0x80000001, 0},  // only rb[58:63] count
                            ShiftRow{0xffffffff80000001, 96, 0, 0});     // 96 & 63 = 32
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.r(4) = row.rs, c.r(5) = row.rb;
  c.run({srw(3, 4, 5)});
  CHECK(c.r(3) == row.expect);
}

TEST_CASE("sraw sign-extends and sets CA only when a negative value loses one-bits", "[shift]") {
  const auto row = GENERATE(ShiftRow{0x0000000080000001, 0, 0xffffffff80000001, 0},
                            ShiftRow{0x0000000080000001, 1, 0xffffffffc0000000, 1},
                            ShiftRow{0x0000000080000001, 31, kMax, 1},
                            ShiftRow{0x0000000080000001, 32, kMax, 1},
                            ShiftRow{0x0000000080000001, 63, kMax, 1},
                            ShiftRow{0x00000000fffffff0, 4, kMax, 0},   // -16 >> 4: only zeros lost
                            ShiftRow{0x00000000fffffff0, 5, kMax, 1},   // loses a one
                            ShiftRow{0x0000000080000000, 31, kMax, 0},  // INT32_MIN >> 31: zeros lost
                            ShiftRow{0x0000000080000000, 32, kMax, 1},  // >= 32: CA = sign
                            ShiftRow{0xffffffff7fffffff, 4, 0x07ffffff, 0},
                            ShiftRow{0xffffffff7fffffff, 32, 0, 0},
                            ShiftRow{0xffffffff7fffffff, 63, 0, 0});
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.s().ca = !row.ca;  // the shift must write CA either way
  c.r(4) = row.rs, c.r(5) = row.rb;
  c.run({sraw(3, 4, 5)});
  CHECK(c.r(3) == row.expect);
  CHECK(c.s().ca == row.ca);
}

TEST_CASE("srawi: same rules with an immediate amount", "[shift]") {
  const auto row = GENERATE(ShiftRow{0x0000000080000001, 0, 0xffffffff80000001, 0},
                            ShiftRow{0x0000000080000001, 1, 0xffffffffc0000000, 1},
                            ShiftRow{0x0000000080000001, 31, kMax, 1},
                            ShiftRow{0x00000000fffffff0, 4, kMax, 0},
                            ShiftRow{0x00000000fffffff0, 5, kMax, 1},
                            ShiftRow{0x00000000fffffff8, 2, 0xfffffffffffffffe, 0},
                            ShiftRow{0x00000000fffffff9, 2, 0xfffffffffffffffe, 1},
                            ShiftRow{0xffffffff7fffffff, 31, 0, 0},
                            ShiftRow{0x123456780000007f, 3, 0xf, 0});
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.s().ca = !row.ca;
  c.r(4) = row.rs;
  c.run({srawi(3, 4, static_cast<uint32_t>(row.rb))});
  CHECK(c.r(3) == row.expect);
  CHECK(c.s().ca == row.ca);
}

TEST_CASE("sld and srd use a 7-bit amount", "[shift]") {
  const uint64_t rs = 0x8000000000000001;
  struct Row { uint64_t rb, sl, sr; };
  const auto row = GENERATE(Row{0, 0x8000000000000001, 0x8000000000000001}, Row{1, 2, 0x4000000000000000},
                            Row{63, 0x8000000000000000, 1}, Row{64, 0, 0}, Row{127, 0, 0},
                            Row{128, 0x8000000000000001, 0x8000000000000001});
  CAPTURE(row.rb);
  Cpu c;
  c.r(4) = rs, c.r(5) = row.rb;
  c.run({sld(3, 4, 5), srd(6, 4, 5)});
  CHECK(c.r(3) == row.sl);
  CHECK(c.r(6) == row.sr);
}

TEST_CASE("srad: 7-bit amount and CA for negative values losing one-bits", "[shift]") {
  const auto row = GENERATE(ShiftRow{0x8000000000000001, 0, 0x8000000000000001, 0},
                            ShiftRow{0x8000000000000001, 1, 0xc000000000000000, 1},
                            ShiftRow{0x8000000000000001, 63, kMax, 1},
                            ShiftRow{0x8000000000000001, 64, kMax, 1},
                            ShiftRow{0x8000000000000001, 127, kMax, 1},
                            ShiftRow{0x8000000000000000, 63, kMax, 0},
                            ShiftRow{0xfffffffffffffff0, 4, kMax, 0},
                            ShiftRow{0xfffffffffffffff0, 5, kMax, 1},
                            ShiftRow{0x7fffffffffffffff, 62, 1, 0},
                            ShiftRow{0x7fffffffffffffff, 64, 0, 0},
                            ShiftRow{0x7fffffffffffffff, 127, 0, 0});
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.s().ca = !row.ca;
  c.r(4) = row.rs, c.r(5) = row.rb;
  c.run({srad(3, 4, 5)});
  CHECK(c.r(3) == row.expect);
  CHECK(c.s().ca == row.ca);
}

TEST_CASE("sradi: 6-bit immediate including sh >= 32", "[shift]") {
  const auto row = GENERATE(ShiftRow{0x8000000000000001, 0, 0x8000000000000001, 0},
                            ShiftRow{0x8000000000000001, 1, 0xc000000000000000, 1},
                            ShiftRow{0x8000000000000001, 63, kMax, 1},
                            ShiftRow{0x8000000100000000, 32, 0xffffffff80000001, 0},
                            ShiftRow{0x8000000100000001, 32, 0xffffffff80000001, 1},
                            ShiftRow{0x7fffffff00000000, 32, 0x7fffffff, 0},
                            ShiftRow{0x7fffffffffffffff, 63, 0, 0});
  CAPTURE(row.rs, row.rb);
  Cpu c;
  c.s().ca = !row.ca;
  c.r(4) = row.rs;
  c.run({sradi(3, 4, static_cast<uint32_t>(row.rb))});
  CHECK(c.r(3) == row.expect);
  CHECK(c.s().ca == row.ca);
}

TEST_CASE("shift record forms set CR0", "[shift][rc]") {
  Cpu c;
  c.r(4) = 0x8000000000000000;
  c.r(5) = 0x40000000;
  c.r(6) = 1;
  c.run({dot(srad(3, 4, 6)), mfcr(7), dot(slw(8, 5, 6)), mfcr(9), dot(sradi(10, 5, 31)), mfcr(11),
         dot(srawi(12, 5, 30)), mfcr(13)});
  CHECK((c.r(7) >> 28) == LT);
  CHECK(c.r(8) == 0x80000000);
  CHECK((c.r(9) >> 28) == GT);  // 64-bit result is positive
  CHECK((c.r(11) >> 28) == EQ);
  CHECK((c.r(13) >> 28) == GT);
}

TEST_CASE("rlwinm: ROTL32 of the low word duplicated under MASK(mb+32 to me+32)", "[rotate]") {
  Cpu c;
  SECTION("extract a byte: upper half and other bytes dropped") {
    c.r(4) = 0xffffffff12345678;
    c.run({rlwinm(3, 4, 8, 24, 31)});
    CHECK(c.r(3) == 0x12);
  }
  SECTION("sh = 0, mb = 0, me = 31 zero-extends the low word") {
    c.r(4) = 0xffffffff87654321;
    c.run({rlwinm(3, 4, 0, 0, 31)});
    CHECK(c.r(3) == 0x87654321);
  }
  SECTION("sh = 31 rotates right by one") {
    c.r(4) = 0x0000000000000003;
    c.run({rlwinm(3, 4, 31, 0, 31)});
    CHECK(c.r(3) == 0x80000001);
  }
  SECTION("wrapping mask mb > me keeps the rotated copy in the upper word") {
    c.r(4) = 0x000000008765432f;
    c.run({rlwinm(3, 4, 0, 28, 3)});
    // MASK(60, 35) = 0xfffffffff000000f
    CHECK(c.r(3) == 0x8765432f8000000f);
  }
  SECTION("wrapping mask with rotation") {
    c.r(4) = 0x0000000012345678;
    c.run({rlwinm(3, 4, 4, 31, 0)});
    // ROTL32 by 4 = 0x23456781, duplicated; MASK(63, 32) = 0xffffffff80000001
    CHECK(c.r(3) == 0x2345678100000001);
  }
  SECTION("mb == me selects one bit") {
    c.r(4) = 0xffffffff00000400;
    c.run({rlwinm(3, 4, 0, 21, 21), rlwinm(5, 4, 0, 22, 22)});
    CHECK(c.r(3) == 0x400);
    CHECK(c.r(5) == 0);
  }
  SECTION("slwi / srwi / clrlwi") {
    c.r(4) = 0xffffffff80000003;
    c.run({slwi(5, 4, 2), srwi(6, 4, 1), clrlwi(7, 4, 16), slwi(8, 4, 31)});
    CHECK(c.r(5) == 0x0000000c);
    CHECK(c.r(6) == 0x40000001);
    CHECK(c.r(7) == 0x00000003);
    CHECK(c.r(8) == 0x80000000);
  }
  SECTION("rlwinm. compares the 64-bit result") {
    c.r(4) = 0x80000000;
    c.run({dot(rlwinm(3, 4, 0, 0, 31)), mfcr(5), dot(rlwinm(6, 4, 0, 1, 0)), mfcr(7)});
    CHECK((c.r(5) >> 28) == GT);
    CHECK(c.r(6) == 0x8000000080000000);
    CHECK((c.r(7) >> 28) == LT);
  }
}

TEST_CASE("rlwnm rotates by the low 5 bits of rb", "[rotate]") {
  Cpu c;
  c.r(4) = 0xabcdef0012345678;
  c.r(5) = 36;  // 36 & 31 = 4
  c.r(6) = 0;
  c.r(7) = 0xffffffffffffffe8;  // 8
  c.run({rlwnm(3, 4, 5, 0, 31), rlwnm(8, 4, 6, 0, 31), rlwnm(9, 4, 7, 24, 31), rlwnm(10, 4, 5, 28, 3)});
  CHECK(c.r(3) == 0x23456781);
  CHECK(c.r(8) == 0x12345678);
  CHECK(c.r(9) == 0x12);
  CHECK(c.r(10) == 0x2345678120000001);  // MASK(60, 35) wraps: 0xfffffffff000000f
}

TEST_CASE("rlwimi inserts under the mask and keeps the rest of ra", "[rotate]") {
  Cpu c;
  SECTION("a byte into the middle") {
    c.r(3) = kMax;
    c.r(4) = 0x12345678;
    c.run({rlwimi(3, 4, 8, 16, 23)});
    CHECK(c.r(3) == 0xffffffffffff78ff);
  }
  SECTION("wrapping mask, sh = 0") {
    c.r(3) = 0xaaaaaaaaaaaaaaaa;
    c.r(4) = 0x12345678;
    c.run({rlwimi(3, 4, 0, 28, 3)});
    // mask 0xfffffffff000000f: the upper word is replaced by the duplicated rotated word
    CHECK(c.r(3) == 0x123456781aaaaaa8);
  }
  SECTION("full low word, upper word of ra preserved") {
    c.r(3) = 0x1122334455667788;
    c.r(4) = 0xffffffffdeadbeef;
    c.run({rlwimi(3, 4, 0, 0, 31)});
    CHECK(c.r(3) == 0x11223344deadbeef);
  }
  SECTION("rlwimi. sets CR0") {
    c.r(3) = 0;
    c.r(4) = 0;
    c.s().cr = 0xffffffff;
    c.run({dot(rlwimi(3, 4, 5, 0, 31))});
    CHECK(c.crf(0) == EQ);
  }
}

TEST_CASE("rldicl: rotate left then clear the left mb bits", "[rotate]") {
  Cpu c;
  c.r(4) = 0x123456789abcdef0;
  c.r(5) = 0x8000000000000001;
  c.run({rldicl(3, 4, 0, 32), rldicl(6, 5, 63, 0), rldicl(7, 4, 0, 0), rldicl(8, 5, 1, 63), rldicl(9, 4, 8, 56),
         rldicl(10, 5, 63, 63), rldicl(11, 4, 32, 0), srdi(12, 4, 4), clrldi(13, 4, 63)});
  CHECK(c.r(3) == 0x9abcdef0);
  CHECK(c.r(6) == 0xc000000000000000);
  CHECK(c.r(7) == 0x123456789abcdef0);
  CHECK(c.r(8) == 1);
  CHECK(c.r(9) == 0x12);
  CHECK(c.r(10) == 0);  // rotr 1 of ...0001 puts the 1 at bit 0, mask keeps bit 63 only
  CHECK(c.r(11) == 0x9abcdef012345678);
  CHECK(c.r(12) == 0x0123456789abcdef);
  CHECK(c.r(13) == 0);
}

TEST_CASE("rldicr: rotate left then clear right of me", "[rotate]") {
  Cpu c;
  c.r(4) = kMax;
  c.r(5) = 0x123456789abcdef0;
  c.r(6) = 0x8000000000000001;
  c.run({rldicr(3, 4, 0, 0), rldicr(7, 5, 4, 59), rldicr(8, 6, 63, 63), rldicr(9, 5, 0, 63), rldicr(10, 6, 0, 62),
         sldi(11, 5, 63), rldicr(12, 6, 1, 0)});
  CHECK(c.r(3) == 0x8000000000000000);
  CHECK(c.r(7) == 0x23456789abcdef00);
  CHECK(c.r(8) == 0xc000000000000000);
  CHECK(c.r(9) == 0x123456789abcdef0);
  CHECK(c.r(10) == 0x8000000000000000);
  CHECK(c.r(11) == 0);
  CHECK(c.r(12) == 0);
}

TEST_CASE("rldic: rotate left under MASK(mb to 63-sh) with wrapping", "[rotate]") {
  Cpu c;
  c.r(4) = 0xab;
  c.r(5) = 0x123456789abcdef0;
  c.r(6) = 1;
  c.run({rldic(3, 4, 8, 48), rldic(7, 5, 60, 8), rldic(8, 5, 0, 0), rldic(9, 6, 63, 0), rldic(10, 5, 0, 63),
         rldic(11, 5, 4, 0)});
  CHECK(c.r(3) == 0xab00);
  CHECK(c.r(7) == 0x0023456789abcdef);  // MASK(8, 3) = 0xf0ffffffffffffff
  CHECK(c.r(8) == 0x123456789abcdef0);
  CHECK(c.r(9) == 0x8000000000000000);
  CHECK(c.r(10) == 0);                   // MASK(63, 63) keeps bit 63 of ...def0
  CHECK(c.r(11) == 0x23456789abcdef00);  // MASK(0, 59)
}

TEST_CASE("rldimi inserts under MASK(mb to 63-sh)", "[rotate]") {
  Cpu c;
  SECTION("low word of rs into the upper word of ra") {
    c.r(3) = 0x1111111122222222;
    c.r(4) = 0x00000000deadbeef;
    c.run({rldimi(3, 4, 32, 0)});
    CHECK(c.r(3) == 0xdeadbeef22222222);
  }
  SECTION("sh = 0, mb = 0: whole register") {
    c.r(3) = 0x1111111122222222;
    c.r(4) = 0x0123456789abcdef;
    c.run({rldimi(3, 4, 0, 0)});
    CHECK(c.r(3) == 0x0123456789abcdef);
  }
  SECTION("sh = 63, mb = 63: wrapping mask of bits 63 and 0") {
    c.r(3) = 0x4242424242424242;
    c.r(4) = 3;
    c.run({rldimi(3, 4, 63, 63)});
    CHECK(c.r(3) == 0xc242424242424243);
  }
  SECTION("sh = 0, mb = 63: the last bit only") {
    c.r(3) = 0xfffffffffffffffe;
    c.r(4) = 1;
    c.run({rldimi(3, 4, 0, 63)});
    CHECK(c.r(3) == kMax);
  }
  SECTION("rldimi. sets CR0") {
    c.r(3) = 0;
    c.r(4) = 0x80;
    c.run({dot(rldimi(3, 4, 56, 0))});
    CHECK(c.r(3) == 0x8000000000000000);
    CHECK(c.crf(0) == LT);
  }
}

TEST_CASE("rldcl and rldcr rotate by the low 6 bits of rb", "[rotate]") {
  Cpu c;
  c.r(4) = 0xab00000000000000;
  c.r(5) = 72;  // 72 & 63 = 8
  c.r(6) = 0x0123456789abcdef;
  c.r(7) = 8;
  c.r(8) = 0;
  c.r(9) = 63;
  c.run({rldcl(3, 4, 5, 56), rldcl(10, 6, 7, 0), rldcr(11, 6, 7, 55), rldcr(12, 6, 8, 63), rldcr(13, 6, 9, 0),
         rldcl(14, 6, 9, 63)});
  CHECK(c.r(3) == 0xab);
  CHECK(c.r(10) == 0x23456789abcdef01);
  CHECK(c.r(11) == 0x23456789abcdef00);
  CHECK(c.r(12) == 0x0123456789abcdef);
  CHECK(c.r(13) == 0x8000000000000000);  // rotr 1 of ...ef (odd): bit 0 becomes the MSB
  CHECK(c.r(14) == 1);                   // rotr 1: bit 63 is old bit 62, which is 1 in ...ef
}
