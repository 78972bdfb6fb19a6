// k42_generation: the patent's Mediator with K42's thread generations
// (mediator.h). Nothing on the fast path beyond the translation every call
// makes anyway; the swap interposes on the object and waits, per CPU, for two
// generation swaps and for the calls it forwarded.
#include "hotswap/mediator.h"
#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {

namespace {
class K42Generation final : public QuiescenceStrategy {
 public:
  const char* name() const override { return "k42_generation"; }
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    return std::make_unique<Mediator>(*ctx_, id, coid, to, name(), std::move(label));
  }
};
}  // namespace

std::unique_ptr<QuiescenceStrategy> make_k42_generation(const StrategyCosts&) { return std::make_unique<K42Generation>(); }

}  // namespace quiesce::hotswap
