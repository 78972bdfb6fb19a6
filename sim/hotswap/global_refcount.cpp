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
  void enter_code(enc::Assembler& a, enc::Label slow_call, const os::SwapInterface&) const override {
    object_line(a, 11, 12);
    atomic_add(a, +1);
    a.put(enc::sync_());  // the count is visible before the pending word is read
    a.put(enc::ld(0, 8, 11));
    a.put(enc::cmpdi(0, 0, 0));
    const enc::Label done = a.label("done");
    a.beq(0, done);
    put_slow_call(a, slow_call);
    a.bind(done);
  }
  void leave_code(enc::Assembler& a, const os::SwapInterface&) const override {
    object_line(a, 11, 12);
    atomic_add(a, -1);
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
  i.summary =
      "one atomic counter per object around every call (the K42 mailing list's proposal for Linux modules); the swap holds new calls at the gate while the count drains (re-read every poll_us)";
  i.safe = true;
  i.joins_patches = true;
  i.in_patch = "the gate stays closed with the count at zero until the others are at their safe points; going back reopens it on the old object and the held calls pass it there";
  i.safety = "the gate is closed before the count is read (sync between a call counting itself in and reading the pending word), so a zero count means no call is inside";
  i.fast_path = "atomic increment of one counter per object, sync, check a swap-pending word in the same line; atomic decrement after";
  i.waits_for = "the object's global call count to reach zero";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the swap's end: the count drained with the gate closed, and every caller counts itself in before its DREF";
  i.phases = counting_phases();
  i.params = counting_params();
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<GlobalRefcount>(info, p); }};
}

}  // namespace quiesce::hotswap
