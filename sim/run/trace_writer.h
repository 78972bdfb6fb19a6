// A Chrome trace-event JSON timeline of a run (opened by Perfetto and
// chrome://tracing): one process per CPU with
//   - track "threads": which thread ran when (request, long-lived and system
//     threads, the swap workers among them), instants for generation swaps;
//   - a track per thread: its top-level calls (object.method), and inside
//     them the time a swap held the call;
//   - a track per swap on each CPU it ran on: its phases, and the release of
//     held calls, with a flow arrow from each held call to its release.
// Complete ("X") events only, sorted by time on every track.
#pragma once
#include <string>
#include <vector>

#include "os_model/os_kernel.h"

namespace quiesce::run {

class ScenarioRun;

class TraceWriter final : public os::KernelObserver {
 public:
  void thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void thread_off(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_end(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void generation_swap(unsigned cpu, uint64_t cycle) override;
  explicit TraceWriter(const os::OsKernel& k) : k_(k) {}

  // The JSON text, once the run is over (swaps and names come from the run).
  std::string to_json(const ScenarioRun& r) const;

 private:
  struct Span {
    unsigned cpu, tid;
    uint64_t begin, end;
    unsigned a = 0, b = 0;  // calls: COID, method; runs: label index
  };
  const os::OsKernel& k_;
  std::vector<std::string> labels_;  // thread labels (a thread id is reused by later threads)
  std::vector<Span> running_, calls_;
  std::vector<std::pair<unsigned, uint64_t>> gen_swaps_;  // cpu, cycle
  std::vector<Span> open_run_, open_call_;                // by thread id
};

}  // namespace quiesce::run
