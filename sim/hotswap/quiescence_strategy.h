// A quiescence strategy: how a hot-swap knows nothing runs in the old object
// any more. It contributes
//   (a) the guest code around every call into an object it may swap (a call
//       gate: the fast-path cost, executed by the core through its caches), and
//   (b) the swap: host-modelled logic that reaches the safe point, paying
//       simulated time and memory traffic, and reports what it waited on.
// Adding one is one file (a class deriving from this, its StrategyInfo and a
// factory) and one registration line (strategy_registry.h).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "hotswap/strategy_registry.h"
#include "hotswap/swap.h"
#include "os_model/call_gate.h"

namespace quiesce::hotswap {

class QuiescenceStrategy {
 public:
  explicit QuiescenceStrategy(const StrategyInfo& info) : info_(info) {}
  virtual ~QuiescenceStrategy() = default;
  const char* name() const { return info_.name.c_str(); }
  const StrategyInfo& info() const { return info_; }
  // (a) The gate around calls into `group`; asked while the kernel builds, so
  // the strategy may allocate its tables in k's heap and reserve host calls.
  virtual os::CallGate gate(const os::SwapInterface&, unsigned /*group*/) { return {}; }
  // The run's swap machinery exists (before any swap).
  virtual void attach(SwapContext& ctx) { ctx_ = &ctx; }
  // (b) A swap of instance `coid` to implementation `to`; the manager starts it.
  virtual std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) = 0;

 protected:
  const StrategyInfo& info_;
  SwapContext* ctx_ = nullptr;
};

// The strategies one run uses and the gates they put around each object
// group: made before the kernel (whose build asks for the gates), handed to
// the HotSwapManager after.
class StrategySet {
 public:
  StrategySet(const std::vector<os::ImplementationSpec>& impls, const std::vector<os::ObjectSpec>& objects,
              const HotSwapSpec& spec);
  os::CallGateSource gates();
  QuiescenceStrategy& get(const std::string& name);
  void attach(SwapContext& ctx) {
    for (auto& s : used_) s->attach(ctx);
  }

 private:
  std::vector<std::unique_ptr<QuiescenceStrategy>> used_;  // registry order
  std::vector<std::vector<unsigned>> by_group_;            // per group: indices into used_
};

}  // namespace quiesce::hotswap
