// The watchdog report's composition (sim/os_model/watchdog_report.h): which thread is named the
// culprit under each rule, and the thread list grouped and capped.
#include <catch2/catch.hpp>

#include <string>

#include "os_model/watchdog_report.h"

using namespace quiesce::os;

namespace {
WatchdogThread thread(unsigned id, ThreadState s, uint64_t since, std::string what = "clients") {
  WatchdogThread t;
  t.id = id, t.cpu = id / 10, t.state = s, t.since = since, t.what = std::move(what), t.pc = 0x1000, t.where = "os.request_loop";
  return t;
}
size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')) + 1; }
}  // namespace

TEST_CASE("watchdog culprit: stop-the-world, then an undrained older generation, then a gated call, then the longest wait") {
  std::vector<WatchdogThread> ts = {thread(1, ThreadState::Blocked, 500), thread(2, ThreadState::Runnable, 100),
                                    thread(3, ThreadState::Blocked, 300), thread(4, ThreadState::Running, 0)};
  CHECK(watchdog_culprit(ts) == 1);  // nobody holds anything: the one waiting longest (not the running one)
  ts[2].call = "obj.get", ts[2].gated = true;
  CHECK(watchdog_culprit(ts) == 2);
  ts[0].counted = true, ts[0].generation = 3, ts[0].cpu_generation = 4, ts[0].cpu_drained = false;
  CHECK(watchdog_culprit(ts) == 0);
  ts[0].cpu_drained = true;  // its CPU can swap: holding the previous generation stops nobody
  CHECK(watchdog_culprit(ts) == 2);
  ts[3].holds_world = true;
  CHECK(watchdog_culprit(ts) == 2);  // owning the world with nobody waiting stops nobody either
  ts[3].world_waiters = 2;
  CHECK(watchdog_culprit(ts) == 3);
  CHECK(watchdog_culprit({}) == -1);
}

TEST_CASE("watchdog report: the culprit first, then the parts, then identical threads grouped and the list capped") {
  std::vector<WatchdogThread> ts;
  for (unsigned i = 0; i < 40; ++i) ts.push_back(thread(i, ThreadState::Blocked, 1000 + i, i % 2 ? "clients" : "batch"));
  ts[7].counted = true, ts[7].generation = 0, ts[7].cpu_generation = 1, ts[7].cpu_drained = false, ts[7].what = "daemon";
  for (unsigned i = 20; i < 40; ++i) ts[i].pc = 0x2000 + 4 * i, ts[i].where = "";  // twenty kinds of one thread
  const std::string r = watchdog_report("watchdog: swap 0 stuck\nmore", {"swaps in progress:\n  swap 0", ""}, ts, 5);
  CHECK(r.rfind("watchdog: swap 0 stuck\nmore\nculprit: thread 7 (daemon, cpu 0, blocked since cycle 1007) holds "
                "generation 0 on cpu 0, which is at generation 1", 0) == 0);
  CHECK(r.find("; pc 0x1000 (os.request_loop)\nswaps in progress:\n  swap 0\nthreads (40 live, 23 kinds, the culprit "
               "first):\n  thread 7 cpu 0 blocked daemon pc 0x1000 (os.request_loop), holds generation 0\n") !=
        std::string::npos);
  CHECK(r.find("\n  10 threads blocked batch pc 0x1000 (os.request_loop) on cpu 0, 1: threads 0, 2, 4, 6, 8, 10 and 4 "
               "more\n") != std::string::npos);
  CHECK(r.find("\n  9 threads blocked clients pc 0x1000 (os.request_loop) on cpu 0, 1: ") != std::string::npos);
  CHECK(r.find("\n  thread 20 cpu 2 blocked batch pc 0x2050\n") != std::string::npos);  // no symbol: none printed
  CHECK(r.substr(r.rfind('\n')) == "\n  ... and 18 more kinds (18 threads)");
  CHECK(lines(r) == 3 + 2 + 1 + 5 + 1);  // headline and culprit, the part, the header, 5 kinds, the rest
}
