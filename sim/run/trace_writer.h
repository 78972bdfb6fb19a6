// A Chrome trace-event JSON timeline of a run (opened by Perfetto and
// chrome://tracing): one process per CPU with
//   - track "threads": which thread ran when (request, long-lived and system
//     threads, the swap workers among them), instants for generation swaps;
//   - a track per thread *identity* (a thread from its creation to its end;
//     a descriptor slot serves many): its top-level calls (object.method), the
//     method executions its nested calls made, nested inside them as they ran
//     (method entries and returns watched in the guest code, at no simulated
//     cost), and the time a swap held the call;
//   - a track per swap on each CPU it ran on: its phases, and the release of
//     held calls, with a flow arrow from each held call to its release;
//   - a counter track "run queue": the CPU's runnable threads;
// and a process "swaps" with two counter tracks per swap: the top-level calls
// to its object in flight, and the calls it holds, from its start to its end.
// Complete ("X"), instant, flow and counter events, sorted by time on every
// track. Size: about 280 bytes per call (scenarios/README.md, checked by
// tests/cli/test_trace.py).
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "os_model/os_kernel.h"

namespace quiesce::run {

class ScenarioRun;

class TraceWriter final : public os::KernelObserver {
 public:
  explicit TraceWriter(const os::OsKernel& k) : k_(k) {}
  // Watches every method's entry and returns (before the run) so nested calls are on the timeline.
  void watch_methods(os::SwapInterface k);
  void thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void thread_off(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_end(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void generation_swap(unsigned cpu, uint64_t cycle) override;
  void run_queue(unsigned cpu, unsigned tid, size_t length, uint64_t cycle) override;

  // The JSON text, once the run is over (swaps and names come from the run).
  std::string to_json(const ScenarioRun& r) const;

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  struct Span {
    unsigned cpu, who;  // who: a thread identity
    uint64_t begin, end;
    unsigned a = 0, b = 0;  // calls: COID, method; runs: label index; nested: implementation, method
  };
  static const Span kClosed;  // a slot with nothing open
  struct Identity {
    unsigned slot, label;  // descriptor slot; its label's index
    uint64_t first;        // the cycle it first ran
  };
  struct Frame {  // a method execution under way (by the watched entries and returns)
    unsigned impl, method;
    uint64_t begin;
  };
  struct Site {  // a watched instruction: a method's entry, or one of its returns (blr)
    unsigned impl, method;
    bool entry;
  };
  void watched(unsigned cpu, const os::Thread* t, uint64_t pc, uint64_t cycle);
  unsigned identity(const os::Thread& t, uint64_t cycle);  // the thread now in t's slot
  unsigned identity_at(unsigned slot, uint64_t cycle) const;  // the one in `slot` at `cycle`

  const os::OsKernel& k_;
  std::vector<std::string> labels_;
  std::vector<Identity> who_;
  std::vector<std::vector<unsigned>> by_slot_;  // identities each slot held, in order
  std::vector<int> live_;                       // by slot: its identity now, -1 after it ended
  std::vector<Span> running_, calls_, nested_;
  std::vector<unsigned> nested_depth_;          // parallel to nested_
  std::vector<std::pair<unsigned, uint64_t>> gen_swaps_;  // cpu, cycle
  std::vector<Span> open_run_, open_call_;                // by slot
  std::vector<std::vector<Frame>> frames_;                // by slot
  std::unordered_map<uint64_t, Site> sites_;
  struct Count {
    unsigned cpu;
    uint64_t cycle;
    unsigned value;
  };
  std::vector<Count> runq_;
};

}  // namespace quiesce::run
