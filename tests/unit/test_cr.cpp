// Condition register: the eight CR logical ops on arbitrary bits, mcrf, mfcr,
// mtcrf with partial FXM, mfocrf/mtocrf, isel.
// Power ISA v2.03 Book I 2.4.3 (CR logical), 3.3.14 (move to/from CR); isel from v2.03 Book I 3.3.11.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
struct CrOp {
  const char* name;
  uint32_t (*encode)(uint32_t, uint32_t, uint32_t);
  bool table[4];  // result for (a,b) = (0,0), (0,1), (1,0), (1,1)
};
const CrOp kCrOps[] = {
    {"crand", crand, {0, 0, 0, 1}},  {"cror", cror, {0, 1, 1, 1}},   {"crxor", crxor, {0, 1, 1, 0}},
    {"crnand", crnand, {1, 1, 1, 0}}, {"crnor", crnor, {1, 0, 0, 0}}, {"crandc", crandc, {0, 0, 1, 0}},
    {"creqv", creqv, {1, 0, 0, 1}},  {"crorc", crorc, {1, 0, 1, 1}},
};
}  // namespace

TEST_CASE("CR logical ops: truth tables on arbitrary bits", "[cr]") {
  struct Bits { uint32_t bt, ba, bb; };
  const auto bits = GENERATE(Bits{5, 18, 31}, Bits{0, 1, 2}, Bits{31, 30, 29}, Bits{12, 12, 7}, Bits{9, 27, 27},
                             Bits{16, 3, 28});
  const uint32_t background = 0x5a3c96e1;  // arbitrary other bits
  for (const auto& op : kCrOps) {
    for (unsigned ab = 0; ab < 4; ++ab) {
      const bool a = ab & 2, b_ = ab & 1;
      if (bits.ba == bits.bb && a != b_) continue;  // same source bit: only equal inputs exist
      const bool expect = op.table[ab];
      INFO(op.name << " " << bits.bt << "," << bits.ba << "," << bits.bb << " with a=" << a << " b=" << b_);
      uint32_t cr = background;
      cr = a ? (cr | cr_bit(bits.ba)) : (cr & ~cr_bit(bits.ba));
      cr = b_ ? (cr | cr_bit(bits.bb)) : (cr & ~cr_bit(bits.bb));
      if (bits.bt != bits.ba && bits.bt != bits.bb)  // start with the opposite of the answer
        cr = expect ? (cr & ~cr_bit(bits.bt)) : (cr | cr_bit(bits.bt));
      Cpu c;
      c.s().cr = cr;
      c.run({op.encode(bits.bt, bits.ba, bits.bb)});
      const uint32_t want = expect ? (cr | cr_bit(bits.bt)) : (cr & ~cr_bit(bits.bt));
      CHECK(c.s().cr == want);
    }
  }
}

TEST_CASE("crset / crclr / crnot / crmove idioms", "[cr]") {
  Cpu c;
  c.s().cr = 0x00000000;
  c.run({creqv(6, 6, 6), crxor(7, 7, 7), crnor(8, 6, 6), cror(9, 6, 6), creqv(31, 31, 31)});
  CHECK(c.s().cr == (cr_bit(6) | cr_bit(9) | cr_bit(31)));
  c.s().cr = 0xffffffff;
  c.run({crxor(0, 0, 0), crnor(1, 2, 2), cror(3, 0, 0)});
  CHECK(c.s().cr == (0xffffffff & ~cr_bit(0) & ~cr_bit(1) & ~cr_bit(3)));
}

TEST_CASE("mcrf copies one field to another", "[cr]") {
  Cpu c;
  c.s().cr = 0x12345678;
  c.run({mcrf(5, 2)});
  CHECK(c.s().cr == 0x12345378);
  c.run({mcrf(0, 7), mcrf(7, 7)});
  CHECK(c.s().cr == 0x82345378);
}

TEST_CASE("mfcr zero-extends CR into a GPR", "[cr]") {
  Cpu c;
  c.r(3) = 0xffffffffffffffff;
  c.s().cr = 0x89abcdef;
  c.run({mfcr(3)});
  CHECK(c.r(3) == 0x0000000089abcdef);
}

TEST_CASE("mtcrf writes only the fields selected by FXM", "[cr]") {
  Cpu c;
  c.r(4) = 0xffffffff12345678;  // the upper word is never used
  struct Row { uint32_t fxm, before, after; };
  const auto row = GENERATE(Row{0x81, 0xffffffff, 0x1ffffff8}, Row{0xff, 0x00000000, 0x12345678},
                            Row{0x00, 0xabcdef01, 0xabcdef01}, Row{0x18, 0x00000000, 0x00045000},
                            Row{0x01, 0xaaaaaaaa, 0xaaaaaaa8}, Row{0x80, 0x00000000, 0x10000000});
  CAPTURE(row.fxm);
  c.s().cr = row.before;
  c.run({mtcrf(row.fxm, 4)});
  CHECK(c.s().cr == row.after);
}

TEST_CASE("mfocrf exposes the selected field", "[cr]") {
  const unsigned field = GENERATE(range(0u, 8u));
  Cpu c;
  c.s().cr = 0x9abcdef1;
  c.run({mfocrf(3, 0x80u >> field)});
  // Only the selected field's bits of RT are architected (the rest are undefined).
  const unsigned shift = 28 - 4 * field;
  CHECK(((c.r(3) >> shift) & 0xf) == ((0x9abcdef1u >> shift) & 0xf));
}

TEST_CASE("mtocrf writes exactly one field", "[cr]") {
  const unsigned field = GENERATE(range(0u, 8u));
  Cpu c;
  c.s().cr = 0x00000000;
  c.r(4) = 0xffffffff;
  c.run({mtocrf(0x80u >> field, 4)});
  CHECK(c.s().cr == (0xf0000000u >> (4 * field)));
}

TEST_CASE("mfcr and mtcr round trip", "[cr]") {
  Cpu c;
  c.s().cr = 0x13579bdf;
  c.run({mfcr(5), li(6, 0), mtcr(6), mfcr(7), mtcr(5)});
  CHECK(c.r(5) == 0x13579bdf);
  CHECK(c.r(7) == 0);
  CHECK(c.s().cr == 0x13579bdf);
}

TEST_CASE("isel picks ra or 0 when CR bit bc is set and rb otherwise", "[cr]") {
  const unsigned bc = GENERATE(0u, 2u, 13u, 29u, 31u);
  CAPTURE(bc);
  Cpu c;
  c.r(4) = 0x4444444444444444;
  c.r(5) = 0x5555555555555555;
  c.r(0) = 0xdddddddddddddddd;
  SECTION("bit set") {
    c.s().cr = cr_bit(bc);
    c.run({isel(3, 4, 5, bc), isel(6, 0, 5, bc)});
    CHECK(c.r(3) == 0x4444444444444444);
    CHECK(c.r(6) == 0);  // ra = 0 is the literal zero
  }
  SECTION("bit clear") {
    c.s().cr = ~cr_bit(bc);
    c.run({isel(3, 4, 5, bc), isel(6, 0, 5, bc)});
    CHECK(c.r(3) == 0x5555555555555555);
    CHECK(c.r(6) == 0x5555555555555555);
  }
}

TEST_CASE("isel after a compare: branch-free max", "[cr]") {
  Cpu c;
  c.r(4) = 17;
  c.r(5) = static_cast<uint64_t>(-3);
  c.run({cmpd(7, 4, 5), isel(3, 4, 5, 4 * 7 + kGt)});  // r3 = r4 > r5 ? r4 : r5
  CHECK(c.r(3) == 17);
}
