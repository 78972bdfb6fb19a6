// The coherent memory hierarchy driven directly (no SystemC, no cores):
// latency composition of hits, misses, cache-to-cache transfers and upgrades;
// queueing when CPUs hammer one line; reservations; cache operations; region
// statistics; and a directed-random tester that runs millions of random
// accesses from many CPUs over few lines with the invariant checker on.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "memory_coherence/coherent_memory.h"

namespace {

using namespace quiesce::mem;

// Performs requests at the cycle they name: what SystemC does when every CPU
// synchronises, for a driver that issues requests in time order.
struct InstantSync final : TimeSync_if {
  uint64_t sync(unsigned, uint64_t cycle) override { return cycle; }
  uint64_t position(unsigned) override { return 0; }
  // Requests issued in time order never queue behind one not yet performed.
  uint64_t block(unsigned) override { throw std::logic_error("InstantSync: a request blocked"); }
  void wake(unsigned, uint64_t) override {}
};

MemResponse access(CoherentMemory& m, AccessKind k, unsigned cpu, uint64_t addr, uint64_t cycle = 0) {
  return m.access({k, cpu, addr, 8, cycle});
}

constexpr uint64_t kA = 0x100000;

HierarchyConfig checked() {
  HierarchyConfig h;
  h.check_invariants = true;
  return h;
}

}  // namespace

TEST_CASE("latencies compose as documented in hierarchy_config.h", "[coherence]") {
  const HierarchyConfig h = checked();
  InstantSync sync;
  CoherentMemory m(2, h, &sync);
  const uint32_t hop = h.interconnect_latency, dir = h.directory_latency;
  const uint32_t from_memory = h.l2.latency + 2 * hop + dir + h.memory_latency;
  CHECK(access(m, AccessKind::Load, 0, kA, 0).latency == from_memory);
  CHECK(access(m, AccessKind::Load, 0, kA + 8, 1000).latency == h.l1d.latency);
  // CPU 0 got the line exclusive (nobody else held it): a store hits silently.
  CHECK(access(m, AccessKind::Store, 0, kA, 2000).latency == h.store_latency);
  CHECK(m.cpu_counters(0).misses == 1);
  // CPU 1 reads it: the owner supplies it (and writes it back, MESI has no O).
  CHECK(access(m, AccessKind::Load, 1, kA, 3000).latency == h.l2.latency + 3 * hop + dir + h.c2c_latency);
  CHECK(m.cpu_counters(1).c2c_transfers == 1);
  CHECK(m.cpu_counters(0).writebacks == 1);
  CHECK(m.cpu_counters(0).downgrades_received == 1);
  // CPU 0 writes again: an upgrade that invalidates CPU 1 (plus the ack round trip).
  CHECK(access(m, AccessKind::Load, 0, kA, 4000).latency == h.l1d.latency);
  const uint32_t upgrade = h.l2.latency + 2 * hop + dir + 2 * hop;
  const MemResponse st = access(m, AccessKind::Store, 0, kA, 5000);
  CHECK(st.latency == h.store_latency);  // buffered...
  CHECK(access(m, AccessKind::Sync, 0, 0, 5001).latency == upgrade - 1);  // ...and drained by sync
  CHECK(m.cpu_counters(0).upgrades == 1);
  CHECK(m.cpu_counters(0).invalidations_sent == 1);
  CHECK(m.cpu_counters(1).invalidations_received == 1);
  // An L1D miss that hits the private L2: evict the line from the 2-way L1D set.
  const uint64_t set_stride = h.l1d.size_bytes / h.l1d.ways;
  access(m, AccessKind::Load, 0, kA + set_stride, 6000);
  access(m, AccessKind::Load, 0, kA + 2 * set_stride, 7000);
  CHECK(access(m, AccessKind::Load, 0, kA, 8000).latency == h.l2.latency);
  CHECK(m.violations() == 0);
}

TEST_CASE("a shared L2 sits at the directory", "[coherence]") {
  HierarchyConfig h = checked();
  h.l2_shared = true;
  InstantSync sync;
  CoherentMemory m(3, h, &sync);
  const uint32_t c2c = h.l2.latency + h.interconnect_latency + h.c2c_latency;
  CHECK(access(m, AccessKind::Load, 0, kA, 0).latency == h.l2.latency + h.memory_latency);
  // CPU 0 holds it exclusive and might have written it: the directory asks it.
  CHECK(access(m, AccessKind::Load, 1, kA, 1000).latency == c2c);
  CHECK(access(m, AccessKind::Load, 2, kA, 2000).latency == h.l2.latency);  // shared: the L2 serves
  CHECK(access(m, AccessKind::Store, 1, kA, 3000).latency == h.store_latency);
  CHECK(access(m, AccessKind::Load, 0, kA, 4000).latency == c2c);
  CHECK(m.violations() == 0);
}

TEST_CASE("CPUs hammering one line wait their turn, and the wait is counted", "[coherence]") {
  const HierarchyConfig h = checked();
  InstantSync sync;
  CoherentMemory m(8, h, &sync);
  access(m, AccessKind::Store, 0, kA, 0);
  std::vector<uint32_t> lat;
  for (unsigned c = 1; c < 8; ++c) lat.push_back(access(m, AccessKind::Larx, c, kA, 1000).latency);
  for (size_t i = 1; i < lat.size(); ++i) CHECK(lat[i] > lat[i - 1]);  // each behind the previous
  uint64_t queued = 0;
  for (unsigned c = 1; c < 8; ++c) queued += m.cpu_counters(c).queue_cycles;
  CHECK(queued > 6 * uint64_t{h.larx_hold_cycles});
  CHECK(m.directory().transactions().races()[static_cast<int>(Transient::IM)] >= 6);
  CHECK(m.violations() == 0);
}

TEST_CASE("a reservation is lost when another CPU gains the line for writing", "[coherence]") {
  InstantSync sync;
  CoherentMemory m(2, checked(), &sync);
  access(m, AccessKind::Larx, 0, kA, 0);
  CHECK(access(m, AccessKind::Stcx, 0, kA, 500).ok);
  CHECK_FALSE(access(m, AccessKind::Stcx, 0, kA, 600).ok);  // stcx. itself clears it
  access(m, AccessKind::Larx, 0, kA, 1000);
  access(m, AccessKind::Load, 1, kA + 64, 2000);  // a reader does not take it away
  CHECK(access(m, AccessKind::Stcx, 0, kA, 3000).ok);
  access(m, AccessKind::Larx, 0, kA, 4000);
  access(m, AccessKind::Store, 1, kA + 64, 5000);  // same line, another word
  CHECK_FALSE(access(m, AccessKind::Stcx, 0, kA, 6000).ok);
  CHECK(m.cpu_counters(0).stcx_failures == 2);
  CHECK(m.violations() == 0);
}

TEST_CASE("dcbf writes back and invalidates everywhere, dcbz takes ownership without reading", "[coherence]") {
  const HierarchyConfig h = checked();
  InstantSync sync;
  CoherentMemory m(2, h, &sync);
  access(m, AccessKind::Store, 0, kA, 0);
  access(m, AccessKind::DcbF, 1, kA, 1000);
  CHECK(m.cpu_counters(0).writebacks == 1);
  CHECK(m.cpu(0).coherent().peek(m.line_of(kA)) == nullptr);
  CHECK(m.directory().tracked_lines() == 0);
  const MemResponse z = access(m, AccessKind::DcbZ, 1, kA + 0x1000, 2000);
  CHECK(z.latency == h.store_latency);
  CHECK(m.cpu_counters(1).memory_reads == 0);
  CHECK(m.cpu(1).coherent().peek(m.line_of(kA + 0x1000))->state == LineState::M);
  CHECK(m.violations() == 0);
}

TEST_CASE("only icbi removes lines from the instruction caches", "[coherence]") {
  InstantSync sync;
  CoherentMemory m(2, checked(), &sync);
  CHECK(access(m, AccessKind::IFetch, 0, kA, 0).latency > 0);
  CHECK(access(m, AccessKind::IFetch, 0, kA, 1000).latency == 0);
  access(m, AccessKind::Store, 1, kA, 2000);  // a store does not reach the L1I
  CHECK(access(m, AccessKind::IFetch, 0, kA, 3000).latency == 0);
  access(m, AccessKind::Icbi, 1, kA, 4000);
  CHECK(access(m, AccessKind::IFetch, 0, kA, 5000).latency > 0);
  CHECK(m.cpu_counters(0).ifetch_misses == 2);
}

TEST_CASE("statistics are attributed to the innermost named region", "[coherence]") {
  InstantSync sync;
  CoherentMemory m(2, checked(), &sync);
  const uint32_t table = m.regions().add("table", kA, 0x1000);
  const uint32_t slot = m.regions().add("table.slot3", kA + 0x300, 0x80);
  access(m, AccessKind::Store, 0, kA + 0x300, 0);
  access(m, AccessKind::Store, 1, kA + 0x308, 1000);
  access(m, AccessKind::Load, 0, kA + 0x10, 2000);
  access(m, AccessKind::Load, 0, 0x900000, 3000);
  CHECK(m.region_counters(slot).accesses == 2);
  CHECK(m.region_counters(slot).invalidations_received == 1);
  CHECK(m.region_counters(slot).c2c_transfers == 1);
  CHECK(m.region_counters(table).accesses == 1);
  CHECK(m.region_counters(RegionMap::kOther).accesses == 1);
  CHECK(m.regions().lookup(kA + 0x380) == table);
  CHECK(m.regions().lookup(kA + 0x1000) == RegionMap::kOther);
}

namespace {

// Random loads, stores, larx/stcx. pairs and cache operations from many CPUs
// over a handful of lines that collide in tiny caches (so evictions and
// inclusion recalls happen constantly). Every access is checked by the
// memory's invariant checker; the tester itself checks atomicity: a stcx.
// succeeds only if it targets this CPU's larx line and no other CPU wrote
// that line since.
struct Tester {
  Tester(unsigned cpus, HierarchyConfig h, uint64_t seed, bool time_ordered)
      : m(cpus, h, &sync), rng(seed), clock(cpus, 0), larx_line(cpus, ~uint64_t{0}), broken(cpus, 0),
        ordered(time_ordered) {}

  void run(uint64_t accesses) {
    const unsigned cpus = static_cast<unsigned>(clock.size());
    std::uniform_int_distribution<unsigned> pick_cpu(0, cpus - 1), pick_line(0, 11), pick_op(0, 99), pick_word(0, 15);
    for (uint64_t i = 0; i < accesses; ++i) {
      // Time-ordered (as with sync-on-coherence) or arbitrary interleaving (decoupled CPUs).
      unsigned c = pick_cpu(rng);
      if (ordered) c = static_cast<unsigned>(std::min_element(clock.begin(), clock.end()) - clock.begin());
      // Lines 0x40000 apart share sets in every cache of the tiny geometry.
      const uint64_t line = pick_line(rng);
      const uint64_t addr = 0x100000 + line * 0x40000 + pick_word(rng) * 8;
      const unsigned op = pick_op(rng);
      AccessKind k = op < 35 ? AccessKind::Load : op < 55 ? AccessKind::Store : op < 70 ? AccessKind::Larx
                   : op < 85 ? AccessKind::Stcx : op < 88 ? AccessKind::DcbZ : op < 91 ? AccessKind::DcbF
                   : op < 94 ? AccessKind::DcbSt : op < 96 ? AccessKind::IFetch : op < 97 ? AccessKind::Icbi
                   : op < 98 ? AccessKind::DcbT : AccessKind::Sync;
      // Most stcx. pair with this CPU's larx; the rest try some other line.
      uint64_t target = addr;
      if (k == AccessKind::Stcx && larx_line[c] != ~uint64_t{0} && pick_op(rng) < 80)
        target = larx_line[c] * m.config().line_bytes + (addr & 0x78);
      const uint64_t tl = m.line_of(target);
      const MemResponse r = m.access({k, c, target, 8, clock[c]});
      clock[c] += r.latency + 1 + (rng() & 3);
      if (k == AccessKind::Larx) larx_line[c] = tl, broken[c] = 0;
      if (k == AccessKind::Stcx) {
        if (r.ok && (larx_line[c] != tl || broken[c])) ++atomicity_violations;
        if (r.ok) ++successes, wrote(c, tl);
        larx_line[c] = ~uint64_t{0};
      }
      if (k == AccessKind::Store || k == AccessKind::DcbZ) wrote(c, tl);
      if ((i & 0xffff) == 0) m.check_all();
    }
    m.check_all();
  }
  // Another CPU's write to a reserved line must make that CPU's stcx. fail.
  void wrote(unsigned writer, uint64_t line) {
    for (unsigned c = 0; c < larx_line.size(); ++c)
      if (c != writer && larx_line[c] == line) broken[c] = 1;
  }

  InstantSync sync;
  CoherentMemory m;
  std::mt19937_64 rng;
  std::vector<uint64_t> clock, larx_line;
  std::vector<uint8_t> broken;
  uint64_t atomicity_violations = 0, successes = 0;
  bool ordered;
};

HierarchyConfig tiny() {
  HierarchyConfig h = checked();
  h.l1i = {1024, 2, 0};
  h.l1d = {1024, 2, 3};
  h.l2 = {4096, 4, 13};
  return h;
}

}  // namespace

TEST_CASE("directed-random traffic keeps every coherence invariant", "[coherence][random]") {
  struct Variant {
    const char* name;
    unsigned cpus;
    bool shared_l2, larx_exclusive, ordered;
  };
  const Variant variants[] = {
      {"16 CPUs, private L2, time-ordered", 16, false, true, true},
      {"16 CPUs, private L2, interleaved", 16, false, true, false},
      {"8 CPUs, shared L2, interleaved", 8, true, true, false},
      {"8 CPUs, shared L2, shared larx", 8, true, false, true},
      {"64 CPUs, private L2, shared larx", 64, false, false, false},
  };
  uint64_t seed = 1;
  for (const Variant& v : variants) {
    SECTION(v.name) {
      HierarchyConfig h = tiny();
      h.l2_shared = v.shared_l2;
      h.larx_exclusive = v.larx_exclusive;
      Tester t(v.cpus, h, seed, v.ordered);
      t.run(1'000'000);
      INFO(t.m.first_violation());
      CHECK(t.m.violations() == 0);
      CHECK(t.atomicity_violations == 0);
      CHECK(t.successes > 1000);  // the pairs do succeed
      const CoherenceCounters& c = t.m.cpu_counters(0);
      CHECK(c.invalidations_received > 0);
      CHECK(c.stcx_failures > 0);
    }
    ++seed;
  }
}

// The directory keeps a line's sharers in memory that grows with their number: inline up to two,
// a sorted list, a bit set only past 2 x (CPUs / 64) of them. Read-mostly traffic from 200 CPUs on
// two lines takes every line through every form and back; the checker compares the directory's
// sharers with the caches after each access.
TEST_CASE("sharer sets of every size agree with the caches", "[coherence][random]") {
  for (const bool shared_l2 : {false, true}) {
    HierarchyConfig h = tiny();
    h.l2_shared = shared_l2;
    InstantSync sync;
    const unsigned cpus = 200;  // 4 words of bits: lists up to 8 sharers, bit sets past 8, back to a list at 4
    CoherentMemory m(cpus, h, &sync);
    std::mt19937_64 rng(shared_l2 ? 11 : 5);
    std::vector<uint64_t> clock(cpus, 0);
    uint32_t most = 0;
    bool back_down = false;
    for (int i = 0; i < 400'000; ++i) {
      const unsigned c = static_cast<unsigned>(rng() % cpus), op = static_cast<unsigned>(rng() % 1000);
      // Lines 0x40000 apart share sets: a load of line 2 or 3 evicts 0 or 1 from that CPU (one sharer fewer).
      const uint64_t addr = 0x100000 + (rng() % 4) * 0x40000;
      const AccessKind k = op < 6 ? AccessKind::Store : op < 8 ? AccessKind::DcbF : AccessKind::Load;
      clock[c] += m.access({k, c, addr, 8, clock[c]}).latency + 1;
      const size_t now = m.directory().view(m.line_of(0x100000)).sharers.size();  // line 0's
      if (most > 8 && now <= 4) back_down = true;
      most = std::max(most, static_cast<uint32_t>(now));
    }
    m.check_all();
    INFO(m.first_violation());
    CHECK(m.violations() == 0);
    CHECK(most > 8);  // line 0 had a bit set
    CHECK(back_down);  // ...and gave it back
  }
}

TEST_CASE("the directory takes no sharer memory for lines with one or two sharers", "[coherence]") {
  InstantSync sync;
  const unsigned cpus = 1024;
  CoherentMemory m(cpus, tiny(), &sync);
  // Every CPU fills 16 private lines (half its L2): 16,384 tracked lines, none with a list or bit
  // set (bit sets for 1,024 CPUs on every line would be 2 MiB).
  for (unsigned c = 0; c < cpus; ++c)
    for (uint64_t l = 0; l < 16; ++l) access(m, AccessKind::Store, c, 0x1000000 + (uint64_t{c} * 16 + l) * 128, 0);
  CHECK(m.directory().tracked_lines() == cpus * 16);
  CHECK(m.directory().sharer_bytes() == 0);
  // Pairs share a line: still inline.
  for (unsigned c = 0; c < cpus; ++c) access(m, AccessKind::Load, c ^ 1, 0x1000000 + uint64_t{c} * 16 * 128, 1000);
  CHECK(m.directory().sharer_bytes() == 0);
  // One line read by all: one bit set of 16 words; three readers: a list of three.
  for (unsigned c = 0; c < cpus; ++c) access(m, AccessKind::Load, c, 0x8000000, 2000);
  for (unsigned c = 0; c < 3; ++c) access(m, AccessKind::Load, c, 0x8000080, 3000);
  CHECK(m.directory().sharer_bytes() == 16 * 8 + 3 * 4);
  CHECK(m.directory().view(m.line_of(0x8000000)).sharers.size() == cpus);
  CHECK(m.directory().view(m.line_of(0x8000080)).sharers == std::vector<unsigned>{0, 1, 2});
  // A write takes the line back to one sharer and gives the bit set back.
  access(m, AccessKind::Store, 7, 0x8000000, 4000);
  CHECK(m.directory().view(m.line_of(0x8000000)).sharers == std::vector<unsigned>{7});
  CHECK(m.directory().sharer_bytes() == 3 * 4);
  m.check_all();
  CHECK(m.violations() == 0);
}

namespace {
std::vector<uint64_t> values(const CoherenceCounters& c) {
  std::vector<uint64_t> v;
  for_each_counter(c, [&](const char*, const char*, const char*, uint64_t x) { v.push_back(x); });
  return v;
}
std::vector<uint64_t> lines(const Cache& c) {
  std::vector<uint64_t> v;
  c.for_each_valid([&](const Cache::Line& l) {
    v.insert(v.end(), {l.tag, l.version, l.lru, static_cast<uint64_t>(l.state), uint64_t{l.contended}});
  });
  return v;
}
}  // namespace

// The core serves L1 hits through L1HitPath instead of access(); both must
// leave the same latencies, counters and cache states (LRU stamps included).
TEST_CASE("the L1 hit path does exactly what access() does for a hit", "[coherence]") {
  for (const bool shared_l2 : {false, true}) {
    HierarchyConfig h = tiny();
    h.check_invariants = false;  // the hit path stands aside while the checker runs
    h.l2_shared = shared_l2;
    InstantSync sync;
    CoherentMemory plain(4, h, &sync), fast(4, h, &sync);
    for (CoherentMemory* m : {&plain, &fast}) {
      m->regions().add("a", 0x100000, 0x30);  // regions smaller than, across and between lines
      m->regions().add("b", 0x100100, 0x200);
      m->regions().add("c", 0x140000, 0x80000);
    }
    std::mt19937_64 rng(shared_l2 ? 7 : 3);
    std::vector<uint64_t> clock(4, 0);
    uint64_t by_hit_path = 0;
    for (int i = 0; i < 200'000; ++i) {
      const unsigned c = static_cast<unsigned>(std::min_element(clock.begin(), clock.end()) - clock.begin());
      // Few lines, mostly this CPU's own: many hits, some contended.
      const uint64_t line = rng() % 10 < 7 ? c * 4 + rng() % 4 : 16 + rng() % 4;
      const uint64_t addr = 0x100000 + line * 0x10000 + (rng() % 16) * 8;
      const unsigned op = static_cast<unsigned>(rng() % 100);
      const AccessKind k = op < 50 ? AccessKind::Load : op < 85 ? AccessKind::Store : op < 92 ? AccessKind::IFetch
                         : op < 96 ? AccessKind::DcbF : AccessKind::Larx;
      const MemRequest r{k, c, addr, 8, clock[c]};
      const MemResponse a = plain.access(r);
      uint32_t lat = 0;
      L1HitPath& hp = *fast.hit_path(c);
      const bool hit = (k == AccessKind::Load && hp.load(addr, lat)) ||
                       (k == AccessKind::Store && hp.store(addr, clock[c], lat)) ||
                       (k == AccessKind::IFetch && hp.fetch(addr, lat));
      const MemResponse b = hit ? MemResponse{lat} : fast.access(r);
      by_hit_path += hit;
      INFO("request " << i << " kind " << static_cast<int>(k) << " cpu " << c);
      REQUIRE(a.latency == b.latency);
      REQUIRE(a.ok == b.ok);
      clock[c] += a.latency + 1 + rng() % 4;
    }
    CHECK(by_hit_path > 10'000);
    for (unsigned c = 0; c < 4; ++c) {
      CHECK(values(plain.cpu_counters(c)) == values(fast.cpu_counters(c)));
      CHECK(lines(plain.cpu(c).l1d) == lines(fast.cpu(c).l1d));
      CHECK(lines(plain.cpu(c).l1i) == lines(fast.cpu(c).l1i));
      if (!shared_l2) CHECK(lines(*plain.cpu(c).l2) == lines(*fast.cpu(c).l2));
      for (uint32_t id = 0; id < plain.regions().size(); ++id)
        CHECK(values(plain.region_cpu_counters(id, c)) == values(fast.region_cpu_counters(id, c)));
    }
  }
}
