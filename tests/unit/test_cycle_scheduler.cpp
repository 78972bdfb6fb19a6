// The CycleScheduler runs CPU threads in (cycle, CPU) order, whatever else
// SystemC holds. One simulation per process (SystemC elaborates once), so one
// test case: ctest runs each case in its own process.
#include <algorithm>
#include <memory>
#include <catch2/catch.hpp>
#include <systemc>
#include <tuple>
#include <vector>

#include "platform/cycle_scheduler.h"

using quiesce::platform::CycleScheduler;

namespace {

constexpr uint64_t kPeriod = 500;  // ticks per cycle

struct Visit {
  uint64_t cycle;
  unsigned cpu;
  uint64_t ticks;  // SystemC time when it ran
  bool operator<(const Visit& o) const { return std::tie(cycle, cpu) < std::tie(o.cycle, o.cpu); }
};

struct Rig;
struct Cpu : sc_core::sc_module {
  Rig& rig;
  unsigned id;
  Cpu(sc_core::sc_module_name n, Rig& r, unsigned i) : sc_module(n), rig(r), id(i) {
    SC_HAS_PROCESS(Cpu);
    SC_THREAD(run);
  }
  void run();
};

struct Rig : sc_core::sc_module {
  CycleScheduler sched{4, kPeriod};
  std::vector<Visit> log;
  std::vector<std::unique_ptr<Cpu>> cpus;
  uint64_t idle_wakes = 0;

  explicit Rig(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(Rig);
    // Made in reverse so SystemC's start order is not CPU order.
    for (unsigned i = 4; i-- > 0;) cpus.push_back(std::make_unique<Cpu>(sc_core::sc_gen_unique_name("cpu"), *this, i));
    SC_THREAD(idle);
  }
  void note(unsigned i) { log.push_back({sched.now(), i, sc_core::sc_time_stamp().value()}); }
  // CPUs 0-2 meet at the same cycles (CPU 3 too until it blocks); CPU 1
  // wakes CPU 3 at cycle 25.
  void cpu(unsigned i) {
    sched.start(i);
    note(i);
    for (uint64_t c : {3u, 10u, 10u + i, 20u}) {
      if (c <= sched.now()) continue;
      if (i == 3 && c == 20) {
        sched.block(i);
        note(i);
        break;
      }
      sched.wait_turn(i, c);
      note(i);
      if (i == 1 && c == 20) sched.wake(3, 25);
    }
    sched.wait_turn(i, 40);
    note(i);
    sched.leave();
  }
  // An unrelated process waking at odd times, as an idle SystemC process would.
  void idle() {
    for (;;) {
      sc_core::wait(sc_core::sc_time::from_value(7 * kPeriod / 3));
      ++idle_wakes;
    }
  }
};

void Cpu::run() { rig.cpu(id); }

}  // namespace

TEST_CASE("cycle scheduler: CPU threads run in (cycle, cpu) order at SystemC time cycle x period") {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);  // as the Machine sets it
  Rig rig("rig");
  sc_core::sc_start(sc_core::sc_time::from_value(100 * kPeriod));
  const auto& log = rig.log;
  CHECK(rig.idle_wakes > 10);
  // Every CPU: start, 3, 10, (10 + i if > 10), 20, 40; CPU 3 blocks at 20 and is woken at 25.
  REQUIRE(log.size() == 4 * 5 + 3);
  for (size_t k = 1; k < log.size(); ++k) {
    INFO("visit " << k << ": cycle " << log[k].cycle << " cpu " << log[k].cpu);
    CHECK(log[k - 1] < log[k]);
  }
  for (const Visit& v : log) CHECK(v.ticks == v.cycle * kPeriod);
  // The first four visits: cycle 0, CPUs 0..3, though SystemC started them 3..0.
  for (unsigned i = 0; i < 4; ++i) CHECK((log[i].cycle == 0 && log[i].cpu == i));
  const Visit woken{25, 3, 25 * kPeriod};
  CHECK(std::find_if(log.begin(), log.end(), [&](const Visit& v) {
          return v.cycle == woken.cycle && v.cpu == woken.cpu;
        }) != log.end());
  CHECK(log.back().cycle == 40);
  CHECK(log.back().cpu == 3);
}
