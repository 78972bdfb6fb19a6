// The OS kernel end to end, without SystemC: harts take turns a quantum at a
// time over the coherent memory, running the kernel's generated code and
// host calls. Checks the object layer's behaviour (reps installed lazily per
// CPU, shared vs per-CPU state), threads and I/O blocking, generation swaps
// and the quiescence token, factories, and determinism.
#include <catch2/catch.hpp>

#include "os_system.h"

using namespace quiesce;

using namespace qtest;

TEST_CASE("kernel: the first call on each CPU misses into the Default Object, per-CPU reps count that CPU's calls",
          "[os][kernel]") {
  Spec s;
  s.impls.push_back(counter_impl("PerCpu", os::RootKind::PerCpu));
  s.objects.push_back({"c", "PerCpu", 1});
  s.workloads.push_back(closed("c", {0, 1}, 10, 20));
  OsSystem sys(s);
  sys.run_to(40);
  // Every request ended (the clients stopped at 20 us), so every call was counted.
  CHECK(sys.kernel->live_threads() == 0);
  const uint64_t rep0 = sys.ltt(0, 0), rep1 = sys.ltt(1, 0);
  CHECK(rep0 != sys.kernel->objects().default_rep());
  CHECK(rep1 != sys.kernel->objects().default_rep());
  CHECK(rep0 != rep1);
  CHECK(sys.kernel->objects().misses(0) == 1);  // later calls hit the LTT
  CHECK(sys.kernel->objects().misses(1) == 1);
  CHECK(sys.counter(rep0) == sys.kernel->stats().cpu[0].calls);
  CHECK(sys.counter(rep1) == sys.kernel->stats().cpu[1].calls);
  CHECK(sys.calls() > 100);
  CHECK(sys.kernel->stats().methods[0][0].calls == sys.calls());
  CHECK(sys.caches.violations() == 0);
}

TEST_CASE("kernel: a shared root gives both CPUs one rep, whose line moves between them", "[os][kernel]") {
  Spec s;
  s.impls.push_back(counter_impl("Shared", os::RootKind::Shared));
  s.objects.push_back({"c", "Shared", 1});
  s.workloads.push_back(closed("c", {0, 1}, 10, 20));
  OsSystem sys(s);
  sys.run_to(40);
  CHECK(sys.ltt(0, 0) == sys.ltt(1, 0));
  CHECK(sys.counter(sys.ltt(0, 0)) == sys.calls());  // atomic increments: none lost
  CHECK(sys.caches.cpu_counters(0).c2c_transfers > 10);
  CHECK(sys.caches.violations() == 0);
}

TEST_CASE("kernel: threads are created per request and recycle descriptors, nested calls reach the callee",
          "[os][kernel]") {
  Spec s;
  s.cpus = 1;
  s.os.max_threads_per_cpu = 4;
  s.impls.push_back(counter_impl("Counter", os::RootKind::Shared));
  os::ImplementationSpec table;
  table.name = "Table";
  os::MethodSpec put;
  put.name = "inc";  // the same method name, so closed() can drive it
  put.instructions = 20;
  put.state_writes = 1;
  put.calls.push_back({"c", "inc", 2});
  table.methods.push_back(put);
  s.impls.push_back(table);
  s.objects.push_back({"c", "Counter", 1});
  s.objects.push_back({"t", "Table", 1});
  auto w = closed("t", {0}, 3, 20);
  w.threads = 8;  // more clients than descriptors: requests wait for a free one
  s.workloads.push_back(w);
  OsSystem sys(s);
  sys.run_to(60);
  const auto& st = sys.kernel->stats().cpu[0];
  CHECK(st.threads_created == st.threads_exited);
  CHECK(st.backlogged > 0);
  CHECK(st.backlog_peak <= 8);
  CHECK(sys.calls() == 3 * st.threads_created);
  // Each call to t.inc made two nested calls to c.inc, through the translation tables.
  CHECK(sys.counter(sys.ltt(0, 0)) == 2 * sys.calls());
  CHECK(sys.kernel->stats().methods[0][0].nested == 2 * sys.calls());
}

TEST_CASE("kernel: generations swap and the token completes rounds while threads come and go", "[os][kernel]") {
  Spec s;
  s.impls.push_back(counter_impl("Counter", os::RootKind::PerCpu));
  s.objects.push_back({"c", "Counter", 1});
  s.workloads.push_back(closed("c", {0, 1}, 5, 1000));
  OsSystem sys(s);
  sys.run_to(50);
  CHECK(sys.kernel->token().rounds() > 5);
  CHECK(sys.kernel->generation(0).swaps() >= 2 * sys.kernel->token().rounds());
  CHECK(sys.kernel->generation(1).swaps() >= 2 * (sys.kernel->token().rounds()));
}

TEST_CASE("kernel: a thread blocked in I/O holds its generation back, and quiescence waits for it", "[os][kernel]") {
  Spec s;
  s.os.generations.token = false;  // rounds only on request
  os::ImplementationSpec disk;
  disk.name = "Disk";
  os::MethodSpec read;
  read.name = "inc";
  read.io = {1.0, 100.0, false};  // every call blocks for exactly 100 us
  disk.methods.push_back(read);
  s.impls.push_back(disk);
  s.objects.push_back({"d", "Disk", 1});
  s.workloads.push_back(closed("d", {1}, 1, 1));  // one request on CPU 1, issued at time 0
  OsSystem sys(s);
  sys.run_to(10);
  REQUIRE(sys.kernel->stats().cpu[1].io_blocks == 1);
  uint64_t quiescent_at = 0;
  sys.kernel->token().request(sys.harts[0]->cycle(), [&](ppc::Hart& h) { quiescent_at = h.cycle(); });
  sys.run_to(90);
  CHECK(quiescent_at == 0);  // still blocked: its generation cannot drain
  CHECK(sys.kernel->token().holder() == 1);
  sys.run_to(130);
  CHECK(quiescent_at > 100 * 2000);  // after the I/O ended and the thread exited
  CHECK(quiescent_at < 110 * 2000);
  CHECK(sys.kernel->live_threads() == 0);
}

TEST_CASE("kernel: a long-lived thread that never declares quiescence stops the token, one that does, does not",
          "[os][kernel]") {
  for (const bool declares : {false, true}) {
    Spec s;
    s.impls.push_back(counter_impl("Counter", os::RootKind::PerCpu));
    s.objects.push_back({"c", "Counter", 1});
    os::WorkloadSpec w = closed("c", {1}, 3, 1e9);
    w.name = "daemon";
    w.kind = os::WorkloadKind::LongLived;
    w.think_us = 2;
    w.declares_quiescence = declares;
    s.workloads.push_back(w);
    OsSystem sys(s);
    sys.run_to(60);
    INFO("declares_quiescence " << declares);
    CHECK(sys.kernel->live_threads() == 1);
    CHECK(sys.calls() > 20);
    if (declares) CHECK(sys.kernel->token().rounds() > 5);
    else CHECK(sys.kernel->token().rounds() == 0);
  }
}

TEST_CASE("kernel: factories track their class's instances in guest memory, with the version", "[os][kernel]") {
  Spec s;
  auto v2 = counter_impl("CounterV2", os::RootKind::Shared);
  v2.class_name = "Counter";
  v2.version = 2;
  s.impls.push_back(v2);
  s.impls.push_back(counter_impl("Other", os::RootKind::Shared));
  s.objects.push_back({"a", "CounterV2", 3});
  s.objects.push_back({"b", "Other", 1});
  OsSystem sys(s);
  const auto& f = sys.kernel->factories();
  REQUIRE(f.size() == 2);
  CHECK(f[0].class_name() == "Counter");
  CHECK(f[0].version() == 2);
  CHECK(f[0].instances() == std::vector<unsigned>{0, 1, 2});
  CHECK(f[1].instances() == std::vector<unsigned>{3});
  CHECK(sys.memory.load<uint64_t>(f[0].address()) == 2);       // version
  CHECK(sys.memory.load<uint64_t>(f[0].address() + 8) == 3);   // live count
  CHECK(sys.memory.load<uint64_t>(f[0].address() + 24) == 1);  // second COID
  os::Factory g = f[0];
  CHECK(g.remove(1));
  CHECK(g.instances() == std::vector<unsigned>{0, 2});
  CHECK(sys.memory.load<uint64_t>(g.address() + 8) == 2);
  CHECK_FALSE(g.remove(7));
}

TEST_CASE("kernel: the same specs and seed give the same run, another seed another", "[os][kernel]") {
  auto make = [](uint64_t seed) {
    Spec s;
    s.run.seed = seed;
    s.impls.push_back(counter_impl("Counter", os::RootKind::Shared));
    s.objects.push_back({"c", "Counter", 8});
    auto w = closed("c", {0, 1}, 2, 1000);
    w.think_us = 0.5;
    w.popularity = os::Popularity::Zipf;
    s.workloads.push_back(w);
    return s;
  };
  auto fingerprint = [](const Spec& s) {
    OsSystem sys(s);
    sys.run_to(30);
    std::vector<uint64_t> f{sys.harts[0]->cycle(), sys.harts[1]->instructions(), sys.kernel->token().rounds()};
    for (unsigned i = 0; i < 8; ++i) f.push_back(sys.kernel->objects().root(i).reps_created() ? sys.counter(sys.ltt(0, i)) : 0);
    return f;
  };
  CHECK(fingerprint(make(1)) == fingerprint(make(1)));
  CHECK(fingerprint(make(1)) != fingerprint(make(2)));
}

TEST_CASE("os kernel: a thread nobody will wake, with every CPU idle and no event to come, is a deadlock",
          "[os][watchdog]") {
  Spec s;
  s.impls = {counter_impl("C", os::RootKind::PerCpu)};
  s.objects.push_back({"c", "C", 1});
  s.workloads.push_back(closed("c", {0, 1}, 2, 5));  // some calls, then nothing more
  OsSystem sys(s);
  bool blocked = false;
  sys.kernel->swap_interface().threads.spawn_system_thread(*sys.harts[1], 1, "sleeper", [&](ppc::Hart&, const os::Thread&) {
    if (blocked) return os::SystemStep::Exit;
    blocked = true;
    return os::SystemStep::Block;  // and no one calls wake()
  });
  bool exited = false;
  for (uint64_t t = 0; t < 200'000 && !exited; t += 200)
    for (auto& h : sys.harts) {
      h->advance_to(t);
      if (h->run(t + 200) == ppc::StopReason::Exited) exited = true;
    }
  REQUIRE(exited);
  const std::string& report = sys.kernel->watchdog_report();
  CHECK(report.find("deadlock") != std::string::npos);
  CHECK(report.find("blocked sleeper") != std::string::npos);
  CHECK(sys.calls() > 0);  // the work before it was done
}

TEST_CASE("os kernel: the end of all work is not a deadlock", "[os][watchdog]") {
  Spec s;
  s.impls = {counter_impl("C", os::RootKind::PerCpu)};
  s.objects.push_back({"c", "C", 1});
  s.workloads.push_back(closed("c", {0, 1}, 2, 5));
  OsSystem sys(s);
  sys.run_to(60);  // REQUIREs every CPU to reach the budget: no watchdog stop
  CHECK(sys.kernel->watchdog_report().empty());
  CHECK(sys.kernel->live_threads() == 0);
}
