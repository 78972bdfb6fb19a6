// Load-reserve / store-conditional: lwarx/stwcx. and ldarx/stdcx. success,
// failure without a reservation, failure after another hart's store (or
// successful stcx.) to the same reservation granule (two harts sharing guest
// memory and the FixedLatencyMemory, granule = 128-byte line), CR0 = 00 || EQ=success || SO,
// unaligned larx/stcx. trapping. Power ISA v2.03 Book II 1.7.3, Book I 3.3.2 (alignment).
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

TEST_CASE("lwarx/stwcx. increment succeeds", "[atomic]") {
  Cpu c;
  c.poke<uint32_t>(kData, 0x11111111);
  c.r(4) = kData;
  c.s().cr = 0x0fffffff;
  c.run({lwarx(3, 0, 4), addi(3, 3, 1), stwcx(3, 0, 4), mfcr(5)});
  CHECK(c.peek<uint32_t>(kData) == 0x11111112);
  CHECK((c.r(5) >> 28) == EQ);
  CHECK((c.r(5) & 0x0fffffff) == 0x0fffffff);  // other fields untouched
}

TEST_CASE("lwarx zero-extends and ldarx/stdcx. work on doublewords", "[atomic]") {
  Cpu c;
  c.poke<uint32_t>(kData, 0xfffffffe);
  c.poke<uint64_t>(kData + 8, 0x8000000000000000);
  c.r(4) = kData - 0x10;
  c.r(5) = 0x10;
  c.r(6) = 0x18;
  c.run({lwarx(3, 4, 5), ldarx(7, 4, 6), addi(7, 7, -1), stdcx(7, 4, 6)});
  CHECK(c.r(3) == 0xfffffffe);
  CHECK(c.peek<uint64_t>(kData + 8) == 0x7fffffffffffffff);
  CHECK(c.crf(0) == EQ);
}

TEST_CASE("CR0 of stcx. copies XER.SO", "[atomic]") {
  Cpu c;
  c.s().so = 1;
  c.r(4) = kData;
  c.run({ldarx(3, 0, 4), stdcx(3, 0, 4), mfcr(5), stdcx(3, 0, 4)});
  CHECK((c.r(5) >> 28) == (EQ | SO));
  CHECK(c.crf(0) == SO);  // second stdcx. has no reservation: fails
}

TEST_CASE("stcx. without a reservation fails and stores nothing", "[atomic]") {
  Cpu c;
  c.poke<uint32_t>(kData, 0x55);
  c.poke<uint64_t>(kData + 8, 0x66);
  c.r(3) = 0x77;
  c.r(4) = kData;
  c.r(5) = kData + 8;
  c.s().cr = 0xf0000000;  // CR0 all ones: EQ must be cleared
  c.run({stwcx(3, 0, 4)});
  CHECK(c.peek<uint32_t>(kData) == 0x55);
  CHECK(c.crf(0) == 0);
  c.run({stdcx(3, 0, 5)});
  CHECK(c.peek<uint64_t>(kData + 8) == 0x66);
  CHECK(c.crf(0) == 0);
}

TEST_CASE("a successful stcx. consumes the reservation", "[atomic]") {
  Cpu c;
  c.r(4) = kData;
  c.r(3) = 1, c.r(6) = 2;
  c.run({lwarx(5, 0, 4), stwcx(3, 0, 4), mfcr(7), stwcx(6, 0, 4), mfcr(8)});
  CHECK((c.r(7) >> 28) == EQ);
  CHECK((c.r(8) >> 28) == 0);
  CHECK(c.peek<uint32_t>(kData) == 1);
}

TEST_CASE("the reservation survives between runs of the same hart", "[atomic]") {
  // Sanity check of the fixture's resume: the reservation lives in the memory port.
  Cpu c;
  c.r(4) = kData;
  c.run({lwarx(3, 0, 4)});
  c.r(3) = 9;
  c.run({stwcx(3, 0, 4)});
  CHECK(c.crf(0) == EQ);
  CHECK(c.peek<uint32_t>(kData) == 9);
}

TEST_CASE("another hart's store to the reservation granule kills the reservation", "[atomic][smp]") {
  Cpu c(2);
  c.poke<uint32_t>(kData, 100);
  c.r(4, 0) = kData;
  c.r(4, 1) = kData;
  c.r(5, 1) = 0xbad;
  c.run({lwarx(3, 0, 4), addi(3, 3, 1)}, 0);
  REQUIRE(c.r(3, 0) == 101);
  SECTION("same word") {
    c.run({stw(5, 0, 4)}, 1);
    c.run({stwcx(3, 0, 4)}, 0);
    CHECK(c.crf(0, 0) == 0);
    CHECK(c.peek<uint32_t>(kData) == 0xbad);
  }
  SECTION("another word in the same 128-byte line") {
    c.run({stb(5, 127, 4)}, 1);
    c.run({stwcx(3, 0, 4)}, 0);
    CHECK(c.crf(0, 0) == 0);
    CHECK(c.peek<uint32_t>(kData) == 100);
  }
  SECTION("a store to the next line does not") {
    c.run({stw(5, 128, 4)}, 1);
    c.run({stwcx(3, 0, 4)}, 0);
    CHECK(c.crf(0, 0) == EQ);
    CHECK(c.peek<uint32_t>(kData) == 101);
  }
  SECTION("a load by the other hart does not") {
    c.run({lwz(6, 0, 4)}, 1);
    c.run({stwcx(3, 0, 4)}, 0);
    CHECK(c.crf(0, 0) == EQ);
    CHECK(c.peek<uint32_t>(kData) == 101);
  }
}

TEST_CASE("the other hart's successful stcx. wins and ours fails", "[atomic][smp]") {
  Cpu c(2);
  c.poke<uint64_t>(kData, 7);
  for (unsigned h = 0; h < 2; ++h) c.r(4, h) = kData;
  c.run({ldarx(3, 0, 4), addi(3, 3, 1)}, 0);
  c.run({ldarx(3, 0, 4), addi(3, 3, 10), stdcx(3, 0, 4)}, 1);
  CHECK(c.crf(0, 1) == EQ);
  c.run({stdcx(3, 0, 4)}, 0);
  CHECK(c.crf(0, 0) == 0);
  CHECK(c.peek<uint64_t>(kData) == 17);
}

TEST_CASE("an atomic-add retry loop completes after interference", "[atomic][smp]") {
  Cpu c(2);
  c.poke<uint32_t>(kData, 0);
  for (unsigned h = 0; h < 2; ++h) c.r(4, h) = kData;
  // hart 0 reserves, hart 1 then increments the word, hart 0's stcx. fails and it retries.
  c.run({lwarx(3, 0, 4)}, 0);
  c.run({lwarx(3, 0, 4), addi(3, 3, 1), stwcx(3, 0, 4)}, 1);
  // Hart 0 now runs the tail of a retry loop, entering at its stcx. with a stale value.
  c.r(3, 0) += 1;
  const uint64_t n = c.run_count({stwcx(3, 0, 4), beq(0, 16), lwarx(3, 0, 4), addi(3, 3, 1), b(-16)}, 0);
  CHECK(c.peek<uint32_t>(kData) == 2);
  CHECK(n == 7);  // stwcx.(fails), beq, lwarx, addi, b, stwcx.(succeeds), beq (taken)
}

TEST_CASE("unaligned larx and stcx. trap", "[atomic][trap]") {
  Cpu c;
  c.r(4) = kData + 2;
  c.r(5) = kData + 4;
  SECTION("lwarx at a halfword boundary") {
    const auto& t = c.run_trap({lwarx(3, 0, 4)});
    CHECK_THAT(t.what, Catch::Contains("unaligned") && Catch::Contains("lwarx"));
    CHECK(t.pc == kCode);
  }
  SECTION("ldarx at a word boundary") {
    const auto& t = c.run_trap({ldarx(3, 0, 5)});
    CHECK_THAT(t.what, Catch::Contains("unaligned") && Catch::Contains("ldarx"));
  }
  SECTION("stwcx. unaligned") {
    const auto& t = c.run_trap({stwcx(3, 0, 4)});
    CHECK_THAT(t.what, Catch::Contains("unaligned"));
  }
  SECTION("stdcx. unaligned") {
    const auto& t = c.run_trap({stdcx(3, 0, 5)});
    CHECK_THAT(t.what, Catch::Contains("unaligned"));
  }
  SECTION("lwarx at a word boundary is fine") {
    c.run({lwarx(3, 0, 5)});
  }
}

TEST_CASE("larx outside guest memory traps", "[atomic][trap]") {
  Cpu c;
  c.r(4) = kMemBytes;
  const auto& t = c.run_trap({ldarx(3, 0, 4)});
  CHECK_THAT(t.what, Catch::Contains("outside guest memory"));
}

TEST_CASE("another hart's dcbz in the granule kills the reservation", "[atomic][smp]") {
  Cpu c(2);
  c.poke<uint32_t>(kData, 5);
  for (unsigned h = 0; h < 2; ++h) c.r(4, h) = kData;
  c.r(5, 1) = 0x40;
  c.run({lwarx(3, 0, 4)}, 0);
  c.run({dcbz(4, 5)}, 1);
  c.run({stwcx(3, 0, 4)}, 0);
  CHECK(c.crf(0, 0) == 0);
  CHECK(c.peek<uint32_t>(kData) == 0);
}
