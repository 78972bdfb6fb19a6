// The hot-swap layer of one run: turns the scenario's swap events into
// mediators at the right time (or once enough calls completed), routes the
// mediation routine's host calls to the right mediator, and keeps the safety
// oracle. Sits on the OS kernel's extension points; the kernel knows nothing
// of it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "hotswap/mediator.h"
#include "hotswap/safety_oracle.h"
#include "os_model/os_kernel.h"

namespace quiesce::hotswap {

class HotSwapManager {
 public:
  // `objects` resolves event object names (group or "name[i]") to COIDs.
  HotSwapManager(os::OsKernel& kernel, const std::vector<os::ImplementationSpec>& impls,
                 const std::vector<os::ObjectSpec>& objects, const HotSwapSpec& spec);

  const std::vector<std::unique_ptr<Mediator>>& swaps() const { return mediators_; }
  const SafetyOracle& oracle() const { return oracle_; }
  // Strategies that exist (the scenario reader checks names against these).
  static const std::vector<std::string>& strategies();

 private:
  void schedule(const SwapEvent& e, unsigned event);
  void begin(ppc::Hart& h, unsigned event);
  ppc::HartAction on_call(ppc::Hart& h, unsigned index);

  os::OsKernel& k_;
  const std::vector<os::ImplementationSpec>& impls_;
  HotSwapSpec spec_;
  SafetyOracle oracle_;
  MediatorContext ctx_;
  std::vector<std::vector<unsigned>> targets_;  // per swap event: COIDs
  std::vector<unsigned> to_impl_;               // per swap event
  std::vector<std::string> labels_;             // per swap event: per COID label prefix
  std::vector<bool> fired_;
  std::vector<std::unique_ptr<Mediator>> mediators_;
  uint64_t entries_ = 0;
};

}  // namespace quiesce::hotswap
