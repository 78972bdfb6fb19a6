// Every quiescence strategy swaps a counter under load end to end (without
// SystemC): the oracle finds no violation, every call is counted exactly once
// across the old and new objects, the phases come in order; calls into the
// object through nested call sites pass the same gates; stack tracing retries
// while a thread sits inside the object and gives up when told to; direct
// swapping rewrites its call sites; counter_threshold is caught by the oracle.
#include <catch2/catch.hpp>

#include "hotswap/strategy_registry.h"
#include "hotswap_fixture.h"
#include "os_model/method_codegen.h"

using namespace qtest;

namespace {

hotswap::HotSwapSpec swap_with(const std::string& strategy, double us = 20) {
  auto h = swap_at(us, "c", "V2");
  h.swaps[0].strategy = strategy;
  return h;
}

// Two CPUs, a shared counter whose one method is long enough to be in flight at the swap.
Spec counter_load(unsigned threads = 3) {
  Spec s;
  s.impls = {versioned("V1", os::RootKind::Shared, 1), versioned("V2", os::RootKind::Shared, 2)};
  s.objects.push_back({"c", "V1", 1});
  auto w = closed("c", {0, 1}, 3, 60);
  w.threads = threads;
  s.workloads.push_back(w);
  return s;
}

uint64_t detail(const hotswap::Swap& m, const std::string& name) {
  for (const auto& [k, v] : m.details())
    if (k == name) return v;
  return 0;
}

// Every strategy the registry lists that claims quiescence (a test strategy linked in too).
std::vector<std::string> safe_strategies() {
  std::vector<std::string> out;
  for (const auto& e : hotswap::strategy_registry())
    if (e.info.safe) out.push_back(e.info.name);
  return out;
}

}  // namespace

TEST_CASE("strategies: each safe strategy swaps a counter under load, losing and repeating no call",
          "[hotswap][strategies]") {
  const auto safe = safe_strategies();
  REQUIRE(!safe.empty());
  for (const std::string& name : safe) {
    INFO(name);
    const Spec s = counter_load();  // outlives x: the manager keeps references into it
    Swapped x(s, swap_with(name));
    x.sys.run_to(100);
    const auto& m = x.swap();
    REQUIRE(m.finished());
    CHECK(m.strategy() == name);
    CHECK(m.safe_cycle() > m.start_cycle());
    CHECK(m.end_cycle() >= m.safe_cycle());
    check_phases_in_order(m);
    CHECK(x.sys.kernel->impl_of(0) == 1);
    CHECK(x.sys.kernel->live_threads() == 0);
    CHECK(x.sys.calls() > 100);
    CHECK(x.state(0) == x.sys.calls());  // the state moved, and each call counted once
    CHECK(x.hs.oracle().violations().empty());
    CHECK(x.hs.oracle().count_for(m.id()) == 0);
    CHECK(x.sys.caches.violations() == 0);
  }
}

TEST_CASE("strategies: counting strategies hold calls at the closed gate and release each once",
          "[hotswap][strategies]") {
  for (const char* name : {"global_refcount", "percpu_refcount", "rwlock"}) {
    INFO(name);
    Spec s = counter_load(4);
    s.impls[0].methods[0].io = {1.0, 2.0, false};  // calls inside for 2 us: others arrive while the count drains
    Swapped x(s, swap_with(name));
    x.sys.run_to(100);
    const auto& m = x.swap();
    REQUIRE(m.finished());
    uint64_t blocked = 0, released = 0;
    for (const auto& r : m.cpus()) blocked += r.blocked, released += r.released;
    CHECK(blocked > 0);
    CHECK(blocked == released);
    CHECK(x.state(0) == x.sys.calls());
    CHECK(x.hs.oracle().violations().empty());
  }
}

TEST_CASE("strategies: gates also wrap nested calls into the swapped object", "[hotswap][strategies]") {
  for (const char* name : {"global_refcount", "percpu_refcount", "rwlock", "stack_trace"}) {
    INFO(name);
    Spec s = counter_load();
    auto outer = counter_impl("Outer", os::RootKind::PerCpu);
    outer.methods[0].calls.push_back({"c", "inc", 2});
    s.impls.push_back(outer);
    s.objects.push_back({"o", "Outer", 1});
    s.workloads[0].mix[0].object = "o";  // every call reaches c twice, nested
    Swapped x(s, swap_with(name));
    x.sys.run_to(100);
    REQUIRE(x.swap().finished());
    CHECK(x.state(0) == 2 * x.sys.calls());
    CHECK(x.hs.oracle().violations().empty());
  }
}

TEST_CASE("strategies: stack tracing retries while a thread waits inside the object, and gives up at the limit",
          "[hotswap][strategies]") {
  Spec s = counter_load(1);
  s.impls[0].methods[0].io = {1.0, 8.0, false};  // every call blocks 8 us inside V1
  s.impls[1].methods[0].io = {1.0, 8.0, false};
  SECTION("retries") {
    auto h = swap_with("stack_trace");
    h.strategy("stack_trace").set("retry_us", 1);
    Swapped x(s, h);
    x.sys.run_to(150);
    const auto& m = x.swap();
    REQUIRE(m.finished());
    CHECK(detail(m, "walks") > 1);
    check_phases_in_order(m);  // stop and walk, entered again at each retry, record the last attempt
    CHECK(x.state(0) == x.sys.calls());
    CHECK(x.hs.oracle().violations().empty());
  }
  SECTION("gives up") {
    s.workloads[0].stop_us = 1e9;
    auto h = swap_with("stack_trace");
    h.strategy("stack_trace").set("max_retries", 0);
    Swapped x(s, h);
    x.sys.run_to(60);
    const auto& m = x.swap();
    CHECK_FALSE(m.finished());
    CHECK(m.describe().find("gave up") != std::string::npos);
    CHECK(x.hs.oracle().violations().empty());
  }
}

TEST_CASE("strategies: direct swapping rewrites every call site of the object to the new rep and method",
          "[hotswap][strategies]") {
  auto h = swap_with("direct");
  h.strategy("direct").set("call_sites", 8);
  const Spec s = counter_load();
  Swapped x(s, h);
  const os::SwapInterface door = x.sys.kernel->swap_interface();
  const auto sites = door.facts.direct_sites(0);
  REQUIRE(sites.size() == 8);
  x.sys.run_to(100);
  REQUIRE(x.swap().finished());
  const uint64_t rep = x.sys.kernel->objects().root(0).rep_if_any(0);
  const uint64_t entry = x.sys.memory.load<uint64_t>(door.objects.vtable(1));
  for (const auto& site : sites) {
    const auto want = door.facts.direct_site_code(site.addr, rep, entry);
    for (size_t i = 0; i < want.size(); ++i) CHECK(x.sys.memory.load<uint32_t>(site.addr + 4 * i) == want[i]);
  }
  CHECK(detail(x.swap(), "sites_patched") == 8);
  CHECK(x.state(0) == x.sys.calls());
}

TEST_CASE("strategies: counter_threshold swaps with calls in flight and the oracle reports it",
          "[hotswap][strategies][oracle]") {
  Spec s = counter_load(2);
  s.impls[0].methods[0].io = {1.0, 3.0, false};  // calls sit inside V1 most of the time
  auto h = swap_with("counter_threshold");
  h.strategy("counter_threshold").set("threshold_calls", 10);
  Swapped x(s, h);
  x.sys.run_to(100);
  const auto& m = x.swap();
  REQUIRE(m.finished());
  CHECK(x.hs.oracle().count_for(m.id()) > 0);
  CHECK(!x.hs.oracle().violations().empty());
}
