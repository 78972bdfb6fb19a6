// Timing sanity of the in-order, single-issue core with a register scoreboard:
// dependent multiplies wait for the multiplier latency, independent ones
// issue back to back; the divider is not pipelined and costs its latency;
// a load's consumer waits for the memory latency. Cycle counts are measured
// from the start of a run to the issue of the exit sentinel, and expected
// values are written in terms of CoreTiming / FixedLatencyConfig so a changed
// default does not break the test but a changed model does.
#include "cpu_fixture.h"

using namespace qtest;
using namespace qtest::enc;

namespace {
constexpr unsigned kChain = 8;

std::vector<uint32_t> dependent_mulld_chain() {
  std::vector<uint32_t> w;
  for (unsigned i = 0; i < kChain; ++i) w.push_back(mulld(3, 3, 4));
  w.push_back(add(20, 3, 3));  // consumer of the last product
  return w;
}
std::vector<uint32_t> independent_mullds() {
  std::vector<uint32_t> w;
  for (unsigned i = 0; i < kChain; ++i) w.push_back(mulld(5 + i, 4, 4));
  w.push_back(add(20, 5 + kChain - 1, 4));  // consumer of the last product
  return w;
}
}  // namespace

TEST_CASE("a dependent mulld chain is slower than independent mullds", "[timing]") {
  const uint32_t mul64 = GENERATE(7u, 3u);
  CAPTURE(mul64);
  ppc::CoreTiming t;
  t.mul64 = mul64;
  Cpu c(1, t);
  c.r(3) = 3, c.r(4) = 5;
  c.run(dependent_mulld_chain());
  const uint64_t dep = c.cycles();
  c.run(independent_mullds());
  const uint64_t indep = c.cycles();
  CHECK(dep > indep);
  CHECK(dep == kChain * mul64 + 1);          // each link waits for the previous result
  CHECK(indep == (kChain - 1) + mul64 + 1);  // back to back, then one latency for the consumer
}

TEST_CASE("mullw uses the 32-bit multiplier latency", "[timing]") {
  Cpu c;
  const ppc::CoreTiming t{};
  c.r(4) = 3;
  c.run({mullw(3, 4, 4), add(5, 3, 3)});
  CHECK(c.cycles() == t.mul32 + 1);
  c.run({mulld(3, 4, 4), add(5, 3, 3)});
  CHECK(c.cycles() == t.mul64 + 1);
}

TEST_CASE("divd costs about div64 cycles and blocks the pipeline", "[timing]") {
  Cpu c;
  const ppc::CoreTiming t{};
  c.r(4) = 1000, c.r(5) = 7, c.r(6) = 1;
  SECTION("one divd") {
    c.run({divd(3, 4, 5)});
    CHECK(c.cycles() == t.div64);
  }
  SECTION("an independent instruction after divd still waits (not pipelined)") {
    c.run({divd(3, 4, 5), addi(6, 6, 1)});
    CHECK(c.cycles() == t.div64 + 1);
  }
  SECTION("two divds cost twice") {
    c.run({divd(3, 4, 5), divd(7, 4, 5)});
    CHECK(c.cycles() == 2 * t.div64);
  }
  SECTION("divw and divwu cost div32") {
    c.run({divw(3, 4, 5), divwu(7, 4, 5)});
    CHECK(c.cycles() == 2 * t.div32);
  }
  SECTION("divdu costs div64 too") {
    c.run({divdu(3, 4, 5)});
    CHECK(c.cycles() == t.div64);
  }
}

TEST_CASE("a configured divider latency is honoured", "[timing]") {
  ppc::CoreTiming t;
  t.div64 = 20;
  Cpu c(1, t);
  c.r(4) = 10, c.r(5) = 3;
  c.run({divd(3, 4, 5)});
  CHECK(c.cycles() == 20);
}

TEST_CASE("a load-use dependency costs the memory latency", "[timing]") {
  const uint32_t latency = GENERATE(3u, 20u);
  CAPTURE(latency);
  mem::FixedLatencyConfig mc;
  mc.load_latency = latency;
  Cpu c(1, {}, mc);
  c.r(4) = kData;
  c.run({ld(3, 0, 4), addi(5, 3, 1)});
  const uint64_t dependent = c.cycles();
  c.run({ld(3, 0, 4), addi(5, 6, 1)});
  const uint64_t independent = c.cycles();
  CHECK(dependent == latency + 1);
  CHECK(independent == 2);
  CHECK(dependent - independent == latency - 1);
}
