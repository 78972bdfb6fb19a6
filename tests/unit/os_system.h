// A small multiprocessor without SystemC for OS-layer tests: the kernel over
// the coherent memory, harts taking turns a quantum at a time.
#pragma once
#include <memory>

#include "memory_coherence/coherent_memory.h"
#include "os_model/method_codegen.h"
#include "os_model/os_kernel.h"

namespace qtest {

using namespace quiesce;

struct Spec {
  unsigned cpus = 2;
  os::OsConfig os;
  std::vector<os::ImplementationSpec> impls;
  std::vector<os::ObjectSpec> objects;
  std::vector<os::WorkloadSpec> workloads;
  os::RunSpec run{1000, 0, 7};
  os::OutputsSpec outputs{"", 10};
};

inline os::ImplementationSpec counter_impl(std::string name, os::RootKind root) {
  os::ImplementationSpec i;
  i.name = std::move(name);
  i.root = root;
  os::MethodSpec inc;
  inc.name = "inc";
  inc.instructions = 4;
  inc.state_atomics = 1;
  i.methods.push_back(inc);
  return i;
}

inline os::WorkloadSpec closed(std::string object, std::vector<unsigned> cpus, uint32_t calls, double stop_us) {
  os::WorkloadSpec w;
  w.name = "clients";
  w.kind = os::WorkloadKind::Closed;
  w.cpus = std::move(cpus);
  w.calls_per_request = calls;
  w.mix.push_back({std::move(object), "inc", 1});
  w.stop_us = stop_us;
  return w;
}

struct OsSystem {
  mem::GuestMemory memory{64 << 20};
  mem::CoherentMemory caches;
  ppc::DecodeCache icache;
  std::unique_ptr<os::OsKernel> kernel;
  std::vector<std::unique_ptr<ppc::Hart>> harts;

  explicit OsSystem(const Spec& s, os::CallGateSource gates = {})
      : caches(s.cpus, [] { mem::HierarchyConfig h; h.check_invariants = true; return h; }()) {
    os::KernelParams p;
    p.cpus = s.cpus;
    p.heap_base = 1 << 20;
    p.heap_limit = 60 << 20;
    p.gates = std::move(gates);
    kernel = std::make_unique<os::OsKernel>(memory, caches.regions(), p, s.os, s.impls, s.objects, s.workloads, s.run,
                                            s.outputs);
    for (unsigned c = 0; c < s.cpus; ++c) {
      harts.push_back(std::make_unique<ppc::Hart>(c, memory, caches, *kernel, icache, ppc::CoreTiming{}));
      kernel->boot(*harts.back());
    }
  }
  // Runs every CPU to `us` microseconds (2 GHz), `quantum` cycles at a time.
  void run_to(double us, uint64_t quantum = 200) {
    const auto end = static_cast<uint64_t>(us * 2000);
    for (uint64_t t = harts[0]->cycle() / quantum * quantum; t < end; t += quantum)
      for (auto& h : harts) {
        h->advance_to(t);
        const ppc::StopReason why = h->run(t + quantum);
        INFO(h->trap().what);
        REQUIRE(why == ppc::StopReason::Budget);
      }
  }
  uint64_t ltt(unsigned cpu, unsigned coid) { return memory.load<uint64_t>(kernel->objects().tables().ltt_entry(cpu, coid)); }
  uint64_t counter(uint64_t rep) { return memory.load<uint64_t>(rep + os::RepLayout::kState); }
  uint64_t calls() {
    uint64_t n = 0;
    for (unsigned c = 0; c < harts.size(); ++c) n += kernel->stats().cpu[c].calls;
    return n;
  }
};


}  // namespace qtest
