// Loads and stores: every width, zero- and sign-extending (lha/lhax/lwa/lwax),
// D/DS/X forms, update forms (ra <- EA), (ra|0) meaning literal zero for ra=0,
// byte-reversed loads/stores, unaligned accesses (allowed for ordinary loads
// and stores), big-endian byte order in memory, and accesses outside guest
// memory stopping the hart with a trap report. Power ISA v2.03 Book I 3.3.2-3.3.5.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr uint64_t kPattern = 0x8091a2b3c4d5e6f7;  // byte i (big-endian) = 0x80 + 0x11*i (mod 256)
constexpr uint64_t kPattern2 = 0x08192a3b4c5d6e7f;
constexpr uint64_t s64(int64_t v) { return static_cast<uint64_t>(v); }

void fill(Cpu& c) {
  c.poke<uint64_t>(kData, kPattern);
  c.poke<uint64_t>(kData + 8, kPattern2);
}
}  // namespace

TEST_CASE("memory is big-endian", "[loadstore]") {
  Cpu c;
  fill(c);
  CHECK(c.peek<uint8_t>(kData) == 0x80);
  CHECK(c.peek<uint8_t>(kData + 7) == 0xf7);
  c.r(4) = kData;
  c.run({lbz(3, 0, 4), lbz(5, 7, 4), lhz(6, 0, 4), lwz(7, 0, 4), ld(8, 0, 4), lhz(9, 6, 4), lwz(10, 4, 4)});
  CHECK(c.r(3) == 0x80);
  CHECK(c.r(5) == 0xf7);
  CHECK(c.r(6) == 0x8091);
  CHECK(c.r(7) == 0x8091a2b3);
  CHECK(c.r(8) == kPattern);
  CHECK(c.r(9) == 0xe6f7);
  CHECK(c.r(10) == 0xc4d5e6f7);
}

TEST_CASE("zero-extending vs sign-extending loads", "[loadstore]") {
  Cpu c;
  fill(c);
  c.r(4) = kData;
  c.r(5) = 8;
  c.r(0) = 8;  // as an index (rb) register 0 is an ordinary register
  for (unsigned i = 10; i < 20; ++i) c.r(i) = 0xdeadbeefdeadbeef;
  c.run({lha(10, 0, 4), lha(11, 8, 4), lhax(12, 4, 0), lwa(13, 0, 4), lwa(14, 8, 4), lwax(15, 4, 5), lhz(16, 0, 4),
         lwz(17, 0, 4), lbz(18, 0, 4), lhzx(19, 4, 5)});
  CHECK(c.r(10) == 0xffffffffffff8091);
  CHECK(c.r(11) == 0x0819);
  CHECK(c.r(12) == 0x0819);
  CHECK(c.r(13) == 0xffffffff8091a2b3);
  CHECK(c.r(14) == 0x08192a3b);
  CHECK(c.r(15) == 0x08192a3b);
  CHECK(c.r(16) == 0x8091);
  CHECK(c.r(17) == 0x8091a2b3);
  CHECK(c.r(18) == 0x80);
  CHECK(c.r(19) == 0x0819);
}

TEST_CASE("indexed loads of every width", "[loadstore]") {
  Cpu c;
  fill(c);
  c.r(4) = kData - 0x100;
  c.r(5) = 0x100;
  c.run({lbzx(10, 4, 5), lhzx(11, 4, 5), lwzx(12, 4, 5), ldx(13, 4, 5), lhax(14, 4, 5), lwax(15, 4, 5)});
  CHECK(c.r(10) == 0x80);
  CHECK(c.r(11) == 0x8091);
  CHECK(c.r(12) == 0x8091a2b3);
  CHECK(c.r(13) == kPattern);
  CHECK(c.r(14) == 0xffffffffffff8091);
  CHECK(c.r(15) == 0xffffffff8091a2b3);
}

TEST_CASE("ra = 0 in address computation means the literal zero", "[loadstore]") {
  Cpu c;
  c.poke<uint64_t>(0x100, 0x0102030405060708);
  fill(c);
  c.r(0) = kData;  // would be used if r0 were read
  c.r(5) = 0x100;
  c.r(6) = 0xfeedfacecafebeef;
  c.run({lwz(3, 0x100, 0), ld(7, 0x100, 0), lbzx(8, 0, 5), ldx(9, 0, 5), lhax(10, 0, 5), lwbrx(11, 0, 5),
         std_(6, 0x108, 0), stwx(6, 0, 5), addi(12, 0, 0x100)});
  CHECK(c.r(3) == 0x01020304);
  CHECK(c.r(7) == 0x0102030405060708);
  CHECK(c.r(8) == 0x01);
  CHECK(c.r(9) == 0x0102030405060708);
  CHECK(c.r(10) == 0x0102);
  CHECK(c.r(11) == 0x04030201);
  CHECK(c.peek<uint64_t>(0x108) == 0xfeedfacecafebeef);
  CHECK(c.peek<uint32_t>(0x100) == 0xcafebeef);
  CHECK(c.r(12) == 0x100);
  CHECK(c.peek<uint64_t>(kData) == kPattern);  // nothing went through r0's value
}

TEST_CASE("D-form update loads write EA back to ra", "[loadstore]") {
  Cpu c;
  fill(c);
  SECTION("lbzu") {
    c.r(4) = kData;
    c.run({lbzu(3, 1, 4)});
    CHECK(c.r(3) == 0x91);
    CHECK(c.r(4) == kData + 1);
  }
  SECTION("lhzu") {
    c.r(4) = kData + 4;
    c.run({lhzu(3, -2, 4)});
    CHECK(c.r(3) == 0xa2b3);
    CHECK(c.r(4) == kData + 2);
  }
  SECTION("lhau") {
    c.r(4) = kData;
    c.run({lhau(3, 2, 4)});
    CHECK(c.r(3) == 0xffffffffffffa2b3);
    CHECK(c.r(4) == kData + 2);
  }
  SECTION("lwzu") {
    c.r(4) = kData;
    c.run({lwzu(3, 4, 4)});
    CHECK(c.r(3) == 0xc4d5e6f7);
    CHECK(c.r(4) == kData + 4);
  }
  SECTION("ldu with a negative displacement") {
    c.r(4) = kData + 16;
    c.run({ldu(3, -8, 4)});
    CHECK(c.r(3) == kPattern2);
    CHECK(c.r(4) == kData + 8);
  }
  SECTION("a walk with ldu") {
    c.r(4) = kData - 8;
    c.run({ldu(3, 8, 4), ldu(5, 8, 4)});
    CHECK(c.r(3) == kPattern);
    CHECK(c.r(5) == kPattern2);
    CHECK(c.r(4) == kData + 8);
  }
}

TEST_CASE("X-form update loads write EA back to ra", "[loadstore]") {
  Cpu c;
  fill(c);
  c.r(5) = 8;
  SECTION("lbzux") {
    c.r(4) = kData;
    c.run({lbzux(3, 4, 5)});
    CHECK(c.r(3) == 0x08);
    CHECK(c.r(4) == kData + 8);
  }
  SECTION("lhzux") {
    c.r(4) = kData;
    c.run({lhzux(3, 4, 5)});
    CHECK(c.r(3) == 0x0819);
    CHECK(c.r(4) == kData + 8);
  }
  SECTION("lhaux sign-extends") {
    c.r(4) = kData - 8;
    c.run({lhaux(3, 4, 5)});
    CHECK(c.r(3) == 0xffffffffffff8091);
    CHECK(c.r(4) == kData);
  }
  SECTION("lwzux") {
    c.r(4) = kData - 8;
    c.run({lwzux(3, 4, 5)});
    CHECK(c.r(3) == 0x8091a2b3);
    CHECK(c.r(4) == kData);
  }
  SECTION("lwaux sign-extends") {
    c.r(4) = kData - 8;
    c.run({lwaux(3, 4, 5)});
    CHECK(c.r(3) == 0xffffffff8091a2b3);
    CHECK(c.r(4) == kData);
  }
  SECTION("ldux with a negative index") {
    c.r(4) = kData + 16;
    c.r(5) = s64(-16);
    c.run({ldux(3, 4, 5)});
    CHECK(c.r(3) == kPattern);
    CHECK(c.r(4) == kData);
  }
}

TEST_CASE("stores of every width write big-endian bytes", "[loadstore]") {
  Cpu c;
  c.r(3) = 0x0102030405060708;
  c.r(4) = kData;
  c.r(5) = 0x20;
  c.run({std_(3, 0, 4), stw(3, 8, 4), sth(3, 12, 4), stb(3, 14, 4), stdx(3, 4, 5), stwx(3, 4, 5), sthx(3, 4, 5),
         stbx(3, 4, 5)});
  const uint8_t expect[] = {1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 7, 8, 8, 0};
  for (unsigned i = 0; i < sizeof expect; ++i) {
    INFO("byte " << i);
    CHECK(c.peek<uint8_t>(kData + i) == expect[i]);
  }
  // The indexed stores overlap at kData+0x20: stdx, then stwx, sthx, stbx on top.
  CHECK(c.peek<uint64_t>(kData + 0x20) == 0x0808070805060708);
}

TEST_CASE("update stores write EA back to ra", "[loadstore]") {
  Cpu c;
  c.r(3) = 0x1122334455667788;
  SECTION("stbu") {
    c.r(4) = kData + 1;
    c.run({stbu(3, -1, 4)});
    CHECK(c.peek<uint8_t>(kData) == 0x88);
    CHECK(c.r(4) == kData);
  }
  SECTION("sthu") {
    c.r(4) = kData;
    c.run({sthu(3, 2, 4)});
    CHECK(c.peek<uint16_t>(kData + 2) == 0x7788);
    CHECK(c.r(4) == kData + 2);
  }
  SECTION("stwu") {
    c.r(4) = kData;
    c.run({stwu(3, 4, 4)});
    CHECK(c.peek<uint32_t>(kData + 4) == 0x55667788);
    CHECK(c.r(4) == kData + 4);
  }
  SECTION("stdu r1, -0x70(r1): the stack-frame idiom") {
    c.r(1) = kData + 0x1000;
    c.run({stdu(1, -0x70, 1)});
    CHECK(c.r(1) == kData + 0x1000 - 0x70);
    CHECK(c.peek<uint64_t>(kData + 0x1000 - 0x70) == kData + 0x1000);  // the old r1 is stored
  }
  SECTION("stbux / sthux / stwux / stdux") {
    c.r(4) = kData;
    c.r(5) = 8;
    c.run({stbux(3, 4, 5), sthux(3, 4, 5), stwux(3, 4, 5), stdux(3, 4, 5)});
    CHECK(c.r(4) == kData + 32);
    CHECK(c.peek<uint8_t>(kData + 8) == 0x88);
    CHECK(c.peek<uint16_t>(kData + 16) == 0x7788);
    CHECK(c.peek<uint32_t>(kData + 24) == 0x55667788);
    CHECK(c.peek<uint64_t>(kData + 32) == 0x1122334455667788);
  }
  SECTION("stdux with a negative index (dynamic stack allocation)") {
    c.r(1) = kData + 0x1000;
    c.r(0) = s64(-0x200);
    c.run({stdux(1, 1, 0)});
    CHECK(c.r(1) == kData + 0x1000 - 0x200);
    CHECK(c.peek<uint64_t>(kData + 0x1000 - 0x200) == kData + 0x1000);
  }
}

TEST_CASE("byte-reversed loads and stores", "[loadstore]") {
  Cpu c;
  fill(c);
  c.r(4) = kData;
  c.r(5) = 0;
  c.r(6) = 0x10;
  c.r(7) = 0x1234;
  c.r(8) = 0x12345678;
  c.r(9) = 0x0102030405060708;
  c.r(10) = 0x20;
  c.r(11) = 0x30;
  c.run({lhbrx(12, 4, 5), lwbrx(13, 4, 5), ldbrx(14, 4, 5), sthbrx(7, 4, 6), stwbrx(8, 4, 10), stdbrx(9, 4, 11)});
  CHECK(c.r(12) == 0x9180);  // zero-extended
  CHECK(c.r(13) == 0xb3a29180);
  CHECK(c.r(14) == 0xf7e6d5c4b3a29180);
  CHECK(c.peek<uint8_t>(kData + 0x10) == 0x34);
  CHECK(c.peek<uint8_t>(kData + 0x11) == 0x12);
  CHECK(c.peek<uint32_t>(kData + 0x20) == 0x78563412);
  CHECK(c.peek<uint64_t>(kData + 0x30) == 0x0807060504030201);
}

TEST_CASE("stores use only the low bytes of rs", "[loadstore]") {
  Cpu c;
  c.poke<uint64_t>(kData, 0xaaaaaaaaaaaaaaaa);
  c.r(3) = 0xffffffffffffff11;
  c.r(4) = kData;
  c.run({stb(3, 3, 4)});
  CHECK(c.peek<uint64_t>(kData) == 0xaaaaaa11aaaaaaaa);
}

TEST_CASE("unaligned ordinary loads and stores are allowed", "[loadstore]") {
  Cpu c;
  fill(c);
  c.r(4) = kData;
  c.r(5) = kData + 3;
  c.r(6) = 5;
  c.run({lwz(3, 1, 4), ld(7, 0, 5), lhz(8, 7, 4), ldx(9, 4, 6), lha(10, 3, 4), lwa(11, 0, 5)});
  CHECK(c.r(3) == 0x91a2b3c4);
  CHECK(c.r(7) == 0xb3c4d5e6f708192a);
  CHECK(c.r(8) == 0xf708);
  CHECK(c.r(9) == 0xd5e6f708192a3b4c);
  CHECK(c.r(10) == 0xffffffffffffb3c4);
  CHECK(c.r(11) == 0xffffffffb3c4d5e6);
  c.r(12) = 0x1122334455667788;
  c.r(13) = kData + 0x41;
  c.run({std_(12, 0, 13), stw(12, 0x51, 4), sth(12, 0x61, 4)});
  CHECK(c.peek<uint64_t>(kData + 0x41) == 0x1122334455667788);
  CHECK(c.peek<uint32_t>(kData + 0x51) == 0x55667788);
  CHECK(c.peek<uint16_t>(kData + 0x61) == 0x7788);
  CHECK(c.peek<uint8_t>(kData + 0x40) == 0);
  CHECK(c.peek<uint8_t>(kData + 0x49) == 0);
}

TEST_CASE("unaligned accesses across a 64 KiB host page boundary", "[loadstore]") {
  Cpu c;
  const uint64_t edge = kData + mem::GuestMemory::kPageSize;  // a host allocation boundary
  c.poke<uint64_t>(edge - 4, 0x0123456789abcdef);
  c.r(4) = edge - 3;
  c.r(5) = 0xa1a2a3a4a5a6a7a8;
  c.r(6) = edge - 5;
  c.run({ld(3, 0, 4), lwz(7, 2, 4), std_(5, 0, 6), ld(8, 0, 6)});
  CHECK(c.r(3) == 0x23456789abcdef00);
  CHECK(c.r(7) == 0x6789abcd);
  CHECK(c.r(8) == 0xa1a2a3a4a5a6a7a8);
  CHECK(c.peek<uint64_t>(edge - 5) == 0xa1a2a3a4a5a6a7a8);
}

TEST_CASE("load or store outside guest memory traps with a report", "[loadstore][trap]") {
  Cpu c;
  c.r(3) = 0x5555;
  SECTION("load just past the end") {
    c.r(4) = kMemBytes;
    const auto& t = c.run_trap({li(9, 1), ld(3, 0, 4), li(10, 1)});
    CHECK(t.pc == kCode + 4);
    CHECK(t.have_word);
    CHECK(t.word == ld(3, 0, 4));
    CHECK_THAT(t.what, Catch::Contains("outside guest memory") && Catch::Contains("0x1000000"));
    CHECK(c.executed() == 1);  // only the li before it retired
    CHECK(c.r(9) == 1);
    CHECK(c.r(10) == 0);
    CHECK(c.r(3) == 0x5555);
  }
  SECTION("load straddling the end") {
    c.r(4) = kMemBytes - 4;
    const auto& t = c.run_trap({ld(3, 0, 4)});
    CHECK_THAT(t.what, Catch::Contains("outside guest memory"));
  }
  SECTION("store far away (address wraps the 64-bit space)") {
    c.r(4) = 0xfffffffffffffff8;
    const auto& t = c.run_trap({std_(3, 0, 4)});
    CHECK_THAT(t.what, Catch::Contains("store") && Catch::Contains("outside guest memory"));
    CHECK(t.pc == kCode);
  }
  SECTION("a faulting update load leaves ra unchanged") {
    c.r(4) = kMemBytes;
    c.run_trap({ldu(3, 8, 4)});
    CHECK(c.r(4) == kMemBytes);
    CHECK(c.r(3) == 0x5555);
  }
  SECTION("a faulting update store leaves ra unchanged") {
    c.r(4) = kMemBytes;
    c.run_trap({stwux(3, 4, 3)});
    CHECK(c.r(4) == kMemBytes);
  }
  CHECK(c.hart().stop_reason() == ppc::StopReason::Trapped);
}

TEST_CASE("the last bytes of guest memory are accessible", "[loadstore]") {
  Cpu c;
  c.poke<uint64_t>(kMemBytes - 8, 0x1122334455667788);
  c.r(4) = kMemBytes - 8;
  c.r(6) = 0xabcd;
  c.run({ld(3, 0, 4), lbz(5, 7, 4), sth(6, 6, 4)});
  CHECK(c.r(3) == 0x1122334455667788);
  CHECK(c.r(5) == 0x88);
  CHECK(c.peek<uint16_t>(kMemBytes - 2) == 0xabcd);
}

TEST_CASE("instruction fetch outside guest memory traps", "[loadstore][trap]") {
  Cpu c;
  c.r(4) = kMemBytes;
  c.run_trap({mtctr(4), bctr()});
  CHECK_THAT(c.hart().trap().what, Catch::Contains("fetch") && Catch::Contains("outside guest memory"));
  CHECK(c.executed() == 2);
}

TEST_CASE("dcbz zeroes the whole 128-byte block containing EA", "[loadstore][cacheop]") {
  Cpu c;
  c.memory.fill(kData, 0xff, 0x200);
  c.r(4) = kData + 0x80;
  c.r(5) = 0x45;
  c.run({dcbz(4, 5)});
  CHECK(c.peek<uint8_t>(kData + 0x7f) == 0xff);
  for (uint64_t a = kData + 0x80; a < kData + 0x100; a += 8) {
    INFO("address 0x" << std::hex << a);
    CHECK(c.peek<uint64_t>(a) == 0);
  }
  CHECK(c.peek<uint8_t>(kData + 0x100) == 0xff);
}

TEST_CASE("cache hints never fault but other cache ops outside memory do", "[loadstore][cacheop]") {
  Cpu c;
  c.r(4) = kMemBytes + 0x1000;
  c.run({dcbt(0, 4), dcbst(0, 3), dcbf(0, 3), sync_(), lwsync(), isync(), eieio()});
  const auto& t = c.run_trap({dcbf(0, 4)});
  CHECK_THAT(t.what, Catch::Contains("dcbf") && Catch::Contains("outside guest memory"));
  c.run_trap({dcbz(0, 4)});
}

TEST_CASE("icbi makes a modified instruction visible to execution", "[loadstore][cacheop]") {
  Cpu c;
  const uint64_t func = kCode + 0x100;
  c.place(func, {li(3, 1), blr()});
  c.r(5) = li(3, 2);
  c.r(6) = func;
  // Call func (so it is decoded), overwrite its first word, icbi + isync, call it again.
  const uint64_t n = c.run_count({bl(0x100), mr(7, 3), stw(5, 0, 6), icbi(0, 6), isync(), bl(0x100 - 20)});
  CHECK(n == 10);
  CHECK(c.r(7) == 1);
  CHECK(c.r(3) == 2);
}
