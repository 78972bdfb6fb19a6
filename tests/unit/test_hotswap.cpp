// Hot-swaps through the mediator, end to end without SystemC: phases in order
// on every CPU, every call served exactly once, state carried over by each
// transfer protocol, blocked calls released, no deadlock when a forwarded
// call re-enters the object or two swapped objects call each other, and the
// generation wait held up by a long-lived thread.
#include <catch2/catch.hpp>

#include "hotswap_fixture.h"

using namespace qtest;


TEST_CASE("hotswap: a per-CPU counter swapped under load keeps every count, with each transfer protocol",
          "[hotswap]") {
  for (const uint32_t exports : {0b111u, 0b011u, 0b001u}) {  // by_reference, copy, transform
    Spec s;
    s.cpus = 4;
    s.impls = {versioned("V1", os::RootKind::PerCpu, 1), versioned("V2", os::RootKind::PerCpu, 2)};
    s.objects.push_back({"c", "V1", 1});
    auto w = closed("c", {0, 1, 2, 3}, 4, 60);
    w.think_us = 0.2;
    s.workloads.push_back(w);
    auto h = swap_at(20, "c", "V2");
    h.transfer.resize(2);
    h.transfer[0].exports = exports;
    Swapped x(s, h);
    x.sys.run_to(100);
    const auto& m = x.swap();
    INFO("exports " << exports);
    REQUIRE(m.finished());
    REQUIRE(m.protocol());
    CHECK(static_cast<unsigned>(*m.protocol()) == 31u - static_cast<unsigned>(__builtin_clz(exports)));
    check_phases_in_order(m);
    CHECK(x.sys.kernel->live_threads() == 0);
    CHECK(x.sys.kernel->impl_of(0) == 1);
    // Every call was served exactly once, old or new: the counts add up.
    CHECK(x.state(0) == x.sys.calls());
    CHECK(x.sys.calls() > 200);
    uint64_t forwarded = 0, blocked = 0;
    for (const auto& r : m.cpus()) forwarded += r.forwarded, blocked += r.blocked;
    CHECK(forwarded + blocked > 0);  // the load met the mediator
    CHECK(x.hs.oracle().violations().empty());
    CHECK(x.sys.caches.violations() == 0);
  }
}

// Two CPUs: this fixture does not synchronise CPUs before coherence actions
// as the SystemC platform does, and ldarx/stdcx. loops of more CPUs on one
// line can then starve each other.
TEST_CASE("hotswap: a shared root swapped to a rep per CPU loses no count", "[hotswap]") {
  Spec s;
  s.impls = {versioned("Shared", os::RootKind::Shared, 1), versioned("PerCpu", os::RootKind::PerCpu, 2)};
  s.objects.push_back({"c", "Shared", 1});
  s.workloads.push_back(closed("c", {0, 1}, 3, 60));
  Swapped x(s, swap_at(15, "c", "PerCpu"));
  x.sys.run_to(100);
  REQUIRE(x.swap().finished());
  check_phases_in_order(x.swap());
  CHECK(x.sys.calls() > 50);
  CHECK(x.state(0) == x.sys.calls());
  CHECK(x.hs.oracle().violations().empty());
}

TEST_CASE("hotswap: a forwarded call re-entering the object, and two swapped objects calling each other, do not "
          "deadlock", "[hotswap]") {
  Spec s;
  s.cpus = 2;
  // A.outer calls A.inner (re-entry) and B.ping; B.pong calls A.inner.
  os::ImplementationSpec a;
  a.name = "A1";
  os::MethodSpec outer, inner;
  outer.name = "inc";  // driven by the workload
  outer.instructions = 30;
  outer.calls = {{"a", "inner", 1}, {"b", "inc", 1}};
  inner.name = "inner";
  inner.instructions = 10;
  inner.state_atomics = 1;
  a.methods = {outer, inner};
  os::ImplementationSpec a2 = a;
  a2.name = "A2";
  os::ImplementationSpec b;
  b.name = "B1";
  os::MethodSpec ping;
  ping.name = "inc";
  ping.instructions = 10;
  ping.state_atomics = 1;
  os::MethodSpec pong;
  pong.name = "pong";
  pong.calls = {{"a", "inner", 1}};
  b.methods = {ping, pong};
  os::ImplementationSpec b2 = b;
  b2.name = "B2";
  s.impls = {a, a2, b, b2};
  s.objects = {{"a", "A1", 1}, {"b", "B1", 1}};
  auto w = closed("a", {0, 1}, 3, 80);
  w.mix.push_back({"b", "pong", 1});
  s.workloads.push_back(w);
  hotswap::HotSwapSpec h = swap_at(20, "a", "A2");
  h.swaps.push_back(h.swaps[0]);
  h.swaps[1].object = "b";
  h.swaps[1].to = "B2";
  Swapped x(s, h);
  x.sys.run_to(150);
  REQUIRE(x.hs.swaps().size() == 2);
  for (const auto& m : x.hs.swaps()) {
    INFO(m->label());
    CHECK(m->finished());
    check_phases_in_order(*m);
  }
  CHECK(x.sys.kernel->live_threads() == 0);
  // a.inner runs once per a.inc and once per b.pong; b.inc once per a.inc.
  const uint64_t a_calls = x.sys.kernel->stats().methods[0][0].calls, b_pong = x.sys.kernel->stats().methods[1][1].calls;
  CHECK(x.state(0) == a_calls + b_pong);
  CHECK(x.state(1) == a_calls);
  CHECK(x.hs.oracle().violations().empty());
}

TEST_CASE("hotswap: a long-lived thread that never declares quiescence holds the Forward phase, one that does "
          "lets the swap finish", "[hotswap]") {
  for (const bool declares : {false, true}) {
    Spec s;
    s.impls = {versioned("V1", os::RootKind::PerCpu, 1), versioned("V2", os::RootKind::PerCpu, 2)};
    s.objects.push_back({"c", "V1", 1});
    os::WorkloadSpec w = closed("c", {1}, 2, 1e9);
    w.kind = os::WorkloadKind::LongLived;
    w.think_us = 1;
    w.declares_quiescence = declares;
    s.workloads.push_back(w);
    Swapped x(s, swap_at(10, "c", "V2"));
    x.sys.run_to(80);
    INFO("declares_quiescence " << declares);
    const auto& m = x.swap();
    CHECK(m.finished() == declares);
    if (!declares) CHECK(m.phase_name(1) == "forward");
    CHECK(x.hs.oracle().violations().empty());
  }
}

TEST_CASE("hotswap: dynamic update of 200 instances, eager and lazy, leaves none called on the old version",
          "[hotswap][update]") {
  for (const bool lazy : {false, true}) {
    Spec s;
    s.impls = {versioned("V1", os::RootKind::PerCpu, 1), versioned("V2", os::RootKind::PerCpu, 2)};
    s.impls[0].methods[0].instructions = s.impls[1].methods[0].instructions = 10;
    s.objects.push_back({"c", "V1", 200});
    s.run.duration_us = 2000;  // every call is counted
    auto w = closed("c", {0, 1}, 4, 1200);
    w.threads = 2;
    s.workloads.push_back(w);
    hotswap::HotSwapSpec h;
    hotswap::UpdateEvent u;
    u.class_name = "Counter";
    u.to_version = 2;
    u.lazy = lazy;
    u.at_us = 20;
    h.updates.push_back(u);
    Swapped x(s, h);
    x.sys.run_to(1300);
    INFO((lazy ? "lazy" : "eager"));
    for (auto& m : x.hs.swaps()) {
      INFO(m->describe());
      CHECK(m->finished());
    }
    REQUIRE(x.hs.updates().size() == 1);
    const auto& rec = x.hs.updates()[0]->record();
    CHECK(rec.instances == 200);
    CHECK(x.sys.kernel->factories()[0].version() == 2);
    CHECK(x.sys.kernel->live_threads() == 0);
    const auto& com = x.sys.kernel->objects();
    unsigned on_old = 0;
    uint64_t total = 0;
    for (unsigned coid = 0; coid < 200; ++coid) {
      total += x.state(coid);
      if (x.sys.kernel->impl_of(coid) == 1) continue;
      ++on_old;
      // Still on version 1: it was not called since it was marked (its LTT entries still miss).
      for (unsigned c = 0; c < 2; ++c) CHECK(x.sys.memory.load<uint64_t>(com.tables().ltt_entry(c, coid)) == com.default_rep());
    }
    if (!lazy) {
      CHECK(rec.completed);
      CHECK(on_old == 0);
    }
    CHECK(rec.swapped == 200 - on_old);
    CHECK(rec.swapped > 150);
    CHECK(total == x.sys.calls());  // no count lost in 200 transfers
    CHECK(x.hs.oracle().violations().empty());
  }
}

