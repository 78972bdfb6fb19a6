// Clustered objects through the translation tables, executed by real harts:
// the first call of a method on a CPU misses into the Default Object, which
// installs that CPU's rep in its LTT and redoes the call; later calls go
// straight through the LTT. Shared roots give every CPU the same rep; per-CPU
// roots create one rep per CPU on first use.
#include <catch2/catch.hpp>

#include "memory_coherence/coherent_memory.h"
#include "os_model/clustered_object_manager.h"
#include "ppc_asm.h"

using namespace qtest::enc;
using namespace quiesce;

namespace {

constexpr uint64_t kHostCalls = 0xffff'ffff'fffe'0000;
constexpr uint64_t kMethod = 0x4000;  // method 0 of the test implementation
constexpr uint64_t kCaller = 0x8000;  // each hart's caller code at kCaller + 0x1000 * hart

struct Env final : ppc::Environment_if {
  os::ClusteredObjectManager* com = nullptr;
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart&) override { return ppc::HartAction::Exit; }
  HostCallWindow host_call_window() const override { return {kHostCalls, 0x1000}; }
  ppc::HartAction host_call(ppc::Hart& h, uint64_t pc) override { return com->handle_miss(h, pc); }
};

struct System {
  mem::GuestMemory memory{4 << 20};
  mem::CoherentMemory caches{2, [] { mem::HierarchyConfig h; h.check_invariants = true; return h; }()};
  ppc::DecodeCache icache;
  Env env;
  os::GuestHeap heap{memory, caches.regions(), 0x100000, 0x200000, 128};
  os::ClusteredObjectManager com{heap, 2, 16, 4, kHostCalls};
  uint64_t vtable;

  System() {
    env.com = &com;
    // Method 0: this->count += 1 (the state's first word, after the vtable pointer).
    place(kMethod, {ld(4, 8, 3), addi(4, 4, 1), std_(4, 8, 3), blr()});
    vtable = heap.allocate("Counter.vtable", 8);
    memory.store<uint64_t>(vtable, kMethod);
  }
  void place(uint64_t at, const std::vector<uint32_t>& words) {
    for (size_t i = 0; i < words.size(); ++i) memory.store<uint32_t>(at + 4 * i, words[i]);
    icache.invalidate(at, 4 * words.size());
  }
  // Runs `calls` calls of method 0 of `coid` on `cpu`; returns the cycles taken.
  uint64_t call(unsigned cpu, unsigned coid, unsigned calls) {
    std::vector<uint32_t> code;
    for (unsigned i = 0; i < calls; ++i)
      for (uint32_t w : os::dref_call(coid, 0)) code.push_back(w);
    code.push_back(sc());
    const uint64_t at = kCaller + 0x1000 * cpu;
    place(at, code);
    ppc::Hart h(cpu, memory, caches, env, icache, ppc::CoreTiming{});
    h.state().pc = at;
    h.state().gpr[13] = com.tables().ltt_base(cpu);
    const ppc::StopReason why = h.run(~uint64_t{0} >> 1);
    INFO(h.trap().what);
    REQUIRE(why == ppc::StopReason::Exited);
    return h.cycle();
  }
  uint64_t count(uint64_t rep) { return memory.load<uint64_t>(rep + 8); }
  uint64_t ltt(unsigned cpu, unsigned coid) { return memory.load<uint64_t>(com.tables().ltt_entry(cpu, coid)); }
};

}  // namespace

TEST_CASE("the first call on a CPU misses and installs the rep, later calls hit the LTT", "[os][clustered]") {
  System s;
  const unsigned coid = s.com.create("counter", os::RootKind::Shared, s.vtable, 8);
  CHECK(s.ltt(0, coid) == s.com.default_rep());
  s.call(0, coid, 3);
  CHECK(s.com.misses(0) == 1);
  const uint64_t rep = s.ltt(0, coid);
  CHECK(rep != s.com.default_rep());
  CHECK(s.count(rep) == 3);  // the missing call was redone on the rep, exactly once
  s.call(0, coid, 2);
  CHECK(s.com.misses(0) == 1);
  CHECK(s.count(rep) == 5);
  // The lock word is back to zero readers; the structures are named regions.
  CHECK(s.memory.load<uint64_t>(s.com.tables().gtt_lock(coid)) == 0);
  CHECK(s.caches.regions().name(s.caches.regions().lookup(rep)) == "counter.rep");
  CHECK(s.caches.violations() == 0);
}

TEST_CASE("a shared root gives every CPU one rep, a per-CPU root one rep each", "[os][clustered]") {
  System s;
  const unsigned shared = s.com.create("shared", os::RootKind::Shared, s.vtable, 8);
  const unsigned percpu = s.com.create("percpu", os::RootKind::PerCpu, s.vtable, 8);
  for (unsigned cpu : {0u, 1u}) s.call(cpu, shared, 2), s.call(cpu, percpu, 2);
  CHECK(s.ltt(0, shared) == s.ltt(1, shared));
  CHECK(s.count(s.ltt(0, shared)) == 4);
  CHECK(s.ltt(0, percpu) != s.ltt(1, percpu));
  CHECK(s.count(s.ltt(0, percpu)) == 2);
  CHECK(s.count(s.ltt(1, percpu)) == 2);
  CHECK(s.com.root(percpu).reps_created() == 2);
  CHECK(s.com.root(shared).reps_created() == 1);
  CHECK(s.com.misses(0) == 2);
  CHECK(s.com.misses(1) == 2);
}

TEST_CASE("a miss costs far more than a call through the LTT", "[os][clustered]") {
  System s;
  const unsigned coid = s.com.create("counter", os::RootKind::PerCpu, s.vtable, 8);
  const uint64_t first = s.call(0, coid, 1);
  const uint64_t warm1 = s.call(0, coid, 1), warm2 = s.call(0, coid, 2);
  // Each run repeats the same cold code fetch; the difference is the call itself.
  CHECK(first > warm1 + 150);
  CHECK(warm2 - warm1 < 40);  // one more call through a warm LTT: a few loads and a branch
}

TEST_CASE("a Default Object call without a valid LTT entry in r11 is a trap", "[os][clustered]") {
  System s;
  s.com.create("counter", os::RootKind::Shared, s.vtable, 8);
  // Call through the Default Object directly with a garbage r11.
  const uint64_t dflt = s.com.default_rep();
  ppc::Hart h(0, s.memory, s.caches, s.env, s.icache, ppc::CoreTiming{});
  s.place(0x9000, {ld(12, 0, 3), ld(12, 0, 12), mtctr(12), bctrl(), sc()});
  h.state().pc = 0x9000;
  h.state().gpr[3] = dflt;
  h.state().gpr[11] = 0x100;
  REQUIRE(h.run(1'000'000) == ppc::StopReason::Trapped);
  CHECK(h.trap().what.find("not an LTT entry") != std::string::npos);
}

// The figures of the object layer's call costs (printed; reproduce with
// `build/tests/quiesce_unit_tests "[figure]"`): a call through the
// translation tables vs a direct call of the same method, and the first call
// on a CPU (the miss). K42 claims the DREF costs only its indirection.
TEST_CASE("figure: a DREF call costs a few loads over a direct call, the first call on a CPU costs the miss",
          "[os][clustered][figure]") {
  System s;
  const unsigned coid = s.com.create("counter", os::RootKind::PerCpu, s.vtable, 8);
  constexpr unsigned kCalls = 1000;
  // One loop per variant, CTR-counted; both end in sc.
  auto loop = [&](uint64_t at, std::vector<uint32_t> call) {
    std::vector<uint32_t> code{li(5, kCalls), mtctr(5)};
    const size_t top = code.size();
    code.push_back(mfctr(30));  // the callee may use CTR: keep the count in r30
    for (uint32_t w : call) code.push_back(w);
    code.push_back(mtctr(30));
    code.push_back(bdnz(-4 * static_cast<int64_t>(code.size() - top)));
    code.push_back(sc());
    s.place(at, code);
  };
  // Each run starts where the last ended: the memory system's timing is in absolute cycles.
  uint64_t now = 1'000'000;
  auto run = [&](uint64_t at) {
    ppc::Hart h(0, s.memory, s.caches, s.env, s.icache, ppc::CoreTiming{});
    h.advance_to(now);
    h.state().pc = at;
    h.state().gpr[13] = s.com.tables().ltt_base(0);
    REQUIRE(h.run(~uint64_t{0} >> 1) == ppc::StopReason::Exited);
    const uint64_t took = h.cycle() - now;
    now = h.cycle();
    return took;
  };
  const uint64_t cold = s.call(0, coid, 1);  // the first call: a miss through the Default Object
  const uint64_t warm = s.call(0, coid, 1);  // the same code again, the rep installed
  const uint64_t rep = s.ltt(0, coid);
  loop(0x20000, os::dref_call(coid, 0));
  // Direct: this in r3, then bl to the method (the call site knows its target).
  const int64_t to_method = static_cast<int64_t>(kMethod) - static_cast<int64_t>(0x30000 + 4 * 6);
  loop(0x30000, {lis(3, static_cast<int64_t>(rep >> 16)), ori(3, 3, static_cast<uint32_t>(rep & 0xffff)), nop(), bl(to_method)});
  run(0x20000), run(0x30000);  // warm the caches
  const double dref = static_cast<double>(run(0x20000)) / kCalls, direct = static_cast<double>(run(0x30000)) / kCalls;
  std::printf("figure: call through the translation tables %.2f cycles, direct call %.2f cycles (+%.2f); "
              "first call on a CPU %llu cycles more than a warm one\n",
              dref, direct, dref - direct, static_cast<unsigned long long>(cold - warm));
  CHECK(s.count(rep) == 2 + 4 * kCalls);  // both loops really called the method
  CHECK(dref > direct);
  CHECK(dref - direct < 15);  // three dependent L1 loads and an indirect branch
  CHECK(cold - warm > 150);   // the miss handler: lock, GTT, root, LTT store, redo
}
