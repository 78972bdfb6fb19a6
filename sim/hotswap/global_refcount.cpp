// global_refcount: what the K42 mailing list proposed for Linux modules — one
// counter per object, incremented and decremented atomically around every
// call, so every call writes one line shared by all CPUs. The counter's line
// also holds the "swap pending" word the call checks after counting itself in
// (a full sync between them, as the swapper's store and the caller's count
// must not pass each other).
#include "cpu_ppc64/encoder.h"
#include "hotswap/counting_strategy.h"

namespace quiesce::hotswap {

namespace {
namespace enc = ppc::enc;

class GlobalRefcount final : public CountingStrategy {
 public:
  using CountingStrategy::CountingStrategy;
  std::vector<uint32_t> enter_code(const os::SwapInterface&) const override {
    auto w = object_line(11, 12);  // words 0-3
    for (uint32_t x : {enc::ldarx(12, 0, 11), enc::addi(12, 12, 1), enc::stdcx(12, 0, 11), enc::bne(0, -12), enc::sync_(),
                       enc::ld(0, 8, 11), enc::cmpdi(0, 0, 0), enc::beq(0, 8), enc::bla(slow_entry_)})
      w.push_back(x);
    return w;
  }
  unsigned slow_call_index() const override { return 12; }
  std::vector<uint32_t> leave_code(const os::SwapInterface&) const override {
    auto w = object_line(11, 12);
    for (uint32_t x : {enc::ldarx(12, 0, 11), enc::addi(12, 12, -1), enc::stdcx(12, 0, 11), enc::bne(0, -12)}) w.push_back(x);
    return w;
  }
  void undo_entry(ppc::Hart& h, unsigned coid) override { os::host_atomic_add(h, line(coid), -1); }
  void close(ppc::Hart& h, unsigned coid) override { os::host_store(h, line(coid) + 8, 1); }
  void reopen(ppc::Hart& h, unsigned coid) override { os::host_store(h, line(coid) + 8, 0); }
  int64_t count(ppc::Hart& h, unsigned coid) override { return static_cast<int64_t>(os::host_load(h, line(coid))); }
};
}  // namespace

StrategyEntry global_refcount_strategy() {
  StrategyInfo i;
  i.name = "global_refcount";
  i.summary = "one atomic counter per object around every call (the K42 mailing list's proposal for Linux modules)";
  i.safe = true;
  i.safety = "the gate is closed before the count is read (sync between a call counting itself in and reading the pending word), so a zero count means no call is inside";
  i.fast_path = "atomic increment of one counter per object, sync, check a swap-pending word in the same line; atomic decrement after";
  i.waits_for = "the object's global call count to reach zero";
  i.phases = counting_phases();
  i.params = counting_params();
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<GlobalRefcount>(info, p); }};
}

}  // namespace quiesce::hotswap
