// The safety oracle judges what executes: an instruction of the old
// implementation run for a swapped instance after its state was handed over.
// Cases: a thread already inside the old object when the swap begins; a
// nested activation; a by_reference hand-over; calls a strategy holds and
// sends to the new object (not violations); a stale translation entry; and the
// oracle's watch costs nothing before the first hand-over. The unsafe
// strategy used is the tests' null_swap (tests/strategies/null_strategy.cpp),
// which hands over after a pause without any quiescence.
#include <catch2/catch.hpp>

#include "hotswap_fixture.h"

using namespace qtest;

namespace {

// V1's method blocks for `io_us` inside the object on every call: a thread is in it at the swap.
Spec blocking(double io_us, os::RootKind root = os::RootKind::PerCpu) {
  Spec s;
  os::ImplementationSpec v1 = versioned("V1", root, 1);
  v1.methods[0].io = {1.0, io_us, false};
  s.impls = {v1, versioned("V2", root, 2)};
  s.objects.push_back({"c", "V1", 1});
  s.workloads.push_back(closed("c", {1}, 1, 200));
  return s;
}

hotswap::HotSwapSpec swap_by(const std::string& strategy, uint32_t protocols = 0b011) {
  auto h = swap_at(10, "c", "V2");
  h.swaps[0].strategy = strategy;
  h.transfer.resize(2);
  h.transfer[0].exports = protocols;  // 0b001 transform, 0b010 copy, 0b100 by_reference
  return h;
}

}  // namespace

TEST_CASE("oracle: a thread inside the old object at the swap, running on after the hand-over, is a violation",
          "[hotswap][oracle]") {
  for (const uint32_t protocols : {0b001u, 0b010u, 0b100u}) {
    INFO("protocols " << protocols);
    const Spec s = blocking(50);
    Swapped x(s, swap_by("null_swap", protocols));
    x.sys.run_to(40);  // swapped at ~11 us, the thread still blocked inside V1 until ~50 us
    REQUIRE(x.swap().finished());
    CHECK(x.hs.oracle().violations().empty());  // nothing old has executed yet
    x.sys.run_to(120);
    REQUIRE_FALSE(x.hs.oracle().violations().empty());
    const auto& v = x.hs.oracle().violations()[0];
    CHECK(v.what.find("executed V1::inc") != std::string::npos);
    CHECK(v.what.find("after its state was handed over") != std::string::npos);
    CHECK(v.swap == 0);
  }
}

TEST_CASE("oracle: the same thread under a safe strategy is waited for, and nothing old runs after the hand-over",
          "[hotswap][oracle]") {
  for (const std::string strategy : {"k42_generation", "global_refcount"}) {  // (stack_trace: always finds it inside)
    INFO(strategy);
    const Spec s = blocking(50);
    Swapped x(s, swap_by(strategy));
    x.sys.run_to(200);
    REQUIRE(x.swap().finished());
    CHECK(x.swap().safe_cycle() > 50 * 2000);  // it waited for the thread to leave (50 us at 2 GHz)
    CHECK(x.hs.oracle().violations().empty());
    CHECK(x.hs.oracle().judged() == 0);  // and no old instruction ran after the hand-over
  }
}

TEST_CASE("oracle: calls held by a counting strategy and sent to the new object are not violations",
          "[hotswap][oracle]") {
  Spec s;
  os::ImplementationSpec v1 = versioned("V1", os::RootKind::PerCpu, 1);
  v1.methods[0].io = {0.5, 3.0, false};  // calls sit inside now and then: the gate closes on some
  s.impls = {v1, versioned("V2", os::RootKind::Shared, 2)};
  s.objects.push_back({"c", "V1", 1});
  auto w = closed("c", {0, 1}, 4, 80);
  w.threads = 4;
  s.workloads.push_back(w);
  for (const std::string strategy : {"global_refcount", "percpu_refcount", "rwlock"}) {
    INFO(strategy);
    auto h = swap_by(strategy, 0b001);  // transform to a shared root, as issue 21's user did
    Swapped x(s, h);
    x.sys.run_to(100);
    REQUIRE(x.swap().finished());
    uint64_t held = 0;
    for (const auto& r : x.swap().cpus()) held += r.blocked;
    CHECK(held > 0);  // calls were held at the gate
    CHECK(x.hs.oracle().violations().empty());
    CHECK(x.state(0) == x.sys.calls());
  }
}

TEST_CASE("oracle: a nested activation of the old object is judged by its own `this`", "[hotswap][oracle]") {
  Spec s;
  os::ImplementationSpec outer = counter_impl("Outer", os::RootKind::Shared);
  outer.methods[0].calls.push_back({"c", "inc", 1});
  os::ImplementationSpec v1 = versioned("V1", os::RootKind::Shared, 1);
  v1.methods[0].io = {1.0, 50, false};
  s.impls = {outer, v1, versioned("V2", os::RootKind::Shared, 2)};
  s.objects.push_back({"o", "Outer", 1});
  s.objects.push_back({"c", "V1", 1});
  s.workloads.push_back(closed("o", {1}, 1, 200));
  auto h = swap_at(10, "c", "V2");
  h.swaps[0].strategy = "null_swap";
  h.transfer.resize(3);
  Swapped x(s, h);
  x.sys.run_to(120);
  REQUIRE(x.swap().finished());
  REQUIRE_FALSE(x.hs.oracle().violations().empty());
  CHECK(x.hs.oracle().violations()[0].object == "c");
}

TEST_CASE("oracle: a call through a stale LTT entry after a copy transfer is a violation", "[hotswap][oracle]") {
  Spec s;
  s.impls = {versioned("V1", os::RootKind::PerCpu, 1), versioned("V2", os::RootKind::PerCpu, 2)};
  s.objects.push_back({"c", "V1", 1});
  s.workloads.push_back(closed("c", {0, 1}, 2, 80));
  Swapped x(s, swap_by("k42_generation", 0b010));
  const uint64_t old_rep = [&] {
    x.sys.run_to(9);
    return x.sys.ltt(0, 0);
  }();
  x.sys.run_to(40);
  REQUIRE(x.swap().finished());
  CHECK(x.hs.oracle().violations().empty());
  // Break the swap's guarantee by hand: CPU 0's LTT entry back to the old rep.
  x.sys.memory.store<uint64_t>(x.sys.kernel->objects().tables().ltt_entry(0, 0), old_rep);
  x.sys.run_to(60);
  REQUIRE_FALSE(x.hs.oracle().violations().empty());
  CHECK(x.hs.oracle().violations()[0].what.find("after its state was handed over") != std::string::npos);
}

TEST_CASE("oracle: a run without a hand-over watches nothing and judges nothing", "[hotswap][oracle]") {
  const Spec s = blocking(5);
  Swapped x(s, swap_at(500, "c", "V2"));  // after the run
  x.sys.run_to(100);
  CHECK(x.hs.oracle().judged() == 0);
  CHECK(x.sys.calls() > 0);
}
