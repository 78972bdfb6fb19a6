// Compares: cmp/cmpl with L=0 (word) and L=1 (doubleword), cmpi with a
// sign-extended and cmpli with a zero-extended immediate, any BF field, and
// XER.SO copied into the target field. Power ISA v2.03 Book I 3.3.9.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kMax = ~uint64_t{0};
}

TEST_CASE("cmpw compares the signed low words and cmpd the doublewords", "[compare]") {
  Cpu c;
  c.r(4) = 0x00000001ffffffff;  // low word -1, doubleword positive
  c.r(5) = 0;
  c.run({cmpw(0, 4, 5), cmpd(1, 4, 5), cmpw(2, 5, 4), cmpd(3, 5, 4), cmpw(4, 4, 4), cmpd(5, 4, 4)});
  CHECK(c.crf(0) == LT);
  CHECK(c.crf(1) == GT);
  CHECK(c.crf(2) == GT);
  CHECK(c.crf(3) == LT);
  CHECK(c.crf(4) == EQ);
  CHECK(c.crf(5) == EQ);
}

TEST_CASE("cmpw ignores the upper halves entirely", "[compare]") {
  Cpu c;
  c.r(4) = 0xffffffff00000005;
  c.r(5) = 0x7fffffff00000005;
  c.run({cmpw(0, 4, 5), cmplw(1, 4, 5), cmpd(2, 4, 5), cmpld(3, 4, 5)});
  CHECK(c.crf(0) == EQ);
  CHECK(c.crf(1) == EQ);
  CHECK(c.crf(2) == LT);
  CHECK(c.crf(3) == GT);
}

TEST_CASE("cmplw vs cmpld: unsigned word and doubleword", "[compare]") {
  Cpu c;
  c.r(4) = 0x0000000100000000;  // low word 0
  c.r(5) = 0x00000000ffffffff;
  c.r(6) = kMax;
  c.run({cmplw(0, 4, 5), cmpld(1, 4, 5), cmplw(2, 6, 5), cmpld(3, 6, 5), cmpw(4, 6, 5)});
  CHECK(c.crf(0) == LT);
  CHECK(c.crf(1) == GT);
  CHECK(c.crf(2) == EQ);
  CHECK(c.crf(3) == GT);
  CHECK(c.crf(4) == EQ);  // both low words are -1
}

TEST_CASE("signed vs unsigned ordering of the same bits", "[compare]") {
  Cpu c;
  c.r(4) = 0x8000000000000000, c.r(5) = 1;
  c.r(6) = 0x80000000, c.r(7) = 1;
  c.run({cmpd(0, 4, 5), cmpld(1, 4, 5), cmpw(2, 6, 7), cmplw(3, 6, 7), cmpd(4, 6, 7)});
  CHECK(c.crf(0) == LT);
  CHECK(c.crf(1) == GT);
  CHECK(c.crf(2) == LT);
  CHECK(c.crf(3) == GT);
  CHECK(c.crf(4) == GT);
}

TEST_CASE("cmpwi and cmpdi sign-extend the immediate", "[compare]") {
  Cpu c;
  c.r(4) = 0x00000000ffffffff;  // low word -1
  c.r(5) = 0x00000000ffff8000;  // low word -32768
  c.run({cmpwi(0, 4, -1), cmpdi(1, 4, -1), cmpwi(2, 5, -0x8000), cmpdi(3, 5, -0x8000), cmpwi(4, 4, 0),
         cmpdi(5, 4, 0x7fff)});
  CHECK(c.crf(0) == EQ);
  CHECK(c.crf(1) == GT);
  CHECK(c.crf(2) == EQ);
  CHECK(c.crf(3) == GT);
  CHECK(c.crf(4) == LT);
  CHECK(c.crf(5) == GT);
}

TEST_CASE("cmplwi and cmpldi zero-extend the immediate", "[compare]") {
  Cpu c;
  c.r(4) = 0xffff;
  c.r(5) = 0xffffffff;
  c.r(6) = 0x8000;
  c.r(7) = kMax;
  c.run({cmplwi(0, 4, 0xffff), cmplwi(1, 5, 0xffff), cmplwi(2, 6, 0x8000), cmpldi(3, 7, 0xffff),
         cmpldi(4, 4, 0x8000), cmplwi(5, 7, 0xffff)});
  CHECK(c.crf(0) == EQ);
  CHECK(c.crf(1) == GT);
  CHECK(c.crf(2) == EQ);
  CHECK(c.crf(3) == GT);
  CHECK(c.crf(4) == GT);
  CHECK(c.crf(5) == GT);
}

TEST_CASE("compares write only their BF field (any of the eight)", "[compare]") {
  const unsigned bf = GENERATE(range(0u, 8u));
  const uint32_t pattern = 0x9a5c3f61;  // arbitrary bits in every field
  Cpu c;
  c.s().cr = pattern;
  c.r(4) = 3, c.r(5) = 9;
  SECTION("cmpd") {
    c.run({cmpd(bf, 4, 5)});
    CHECK(c.crf(bf) == LT);
  }
  SECTION("cmplw") {
    c.run({cmplw(bf, 5, 4)});
    CHECK(c.crf(bf) == GT);
  }
  SECTION("cmpwi") {
    c.run({cmpwi(bf, 4, 3)});
    CHECK(c.crf(bf) == EQ);
  }
  SECTION("cmpldi") {
    c.run({cmpldi(bf, 5, 10)});
    CHECK(c.crf(bf) == LT);
  }
  const uint32_t field_mask = 0xf0000000u >> (4 * bf);
  CHECK((c.s().cr & ~field_mask) == (pattern & ~field_mask));
}

TEST_CASE("compares copy XER.SO into the field", "[compare]") {
  Cpu c;
  c.s().so = 1;
  c.s().ov = 0;
  c.r(4) = 1, c.r(5) = 2;
  c.run({cmpd(0, 4, 5), cmpw(7, 5, 4), cmpldi(3, 4, 1), cmplwi(6, 4, 0)});
  CHECK(c.crf(0) == (LT | SO));
  CHECK(c.crf(7) == (GT | SO));
  CHECK(c.crf(3) == (EQ | SO));
  CHECK(c.crf(6) == (GT | SO));
  // With SO clear the bit is cleared, not left from before.
  c.s().so = 0;
  c.s().cr = 0xffffffff;
  c.run({cmpd(2, 4, 4)});
  CHECK(c.crf(2) == EQ);
}
