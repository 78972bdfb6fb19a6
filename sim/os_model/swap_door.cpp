// The swap interface's operations that do more than forward: each pays its
// guest-memory traffic on the calling hart, as the kernel's own code does.
#include "os_model/swap_door.h"

#include <cmath>

#include "os_model/host_access.h"
#include "os_model/method_codegen.h"

namespace quiesce::os {

uint64_t SwapInterface::us_to_cycles(double us) const {
  return static_cast<uint64_t>(std::llround(us * facts.clock_hz() / 1e6));
}

// One retry wait is paid here, so every caller's retry step is the same.
bool SwapDoor::lock_root(ppc::Hart& h, unsigned coid) {
  if (k_.com_->try_lock_for_writing(h, coid)) return true;
  h.charge(k_.com_->costs().lock_retry);
  return false;
}

void SwapDoor::unlock_root(ppc::Hart& h, unsigned coid) { k_.com_->unlock_for_writing(h, coid); }

std::unique_ptr<Root> SwapDoor::swing_root(ppc::Hart& h, unsigned coid, std::unique_ptr<Root> root,
                                           uint64_t gtt_word) {
  host_store(h, k_.com_->tables().gtt_entry(coid), gtt_word);
  return k_.com_->replace_root(coid, std::move(root));
}

std::unique_ptr<Root> SwapDoor::replace_root(unsigned coid, std::unique_ptr<Root> root) {
  return k_.com_->replace_root(coid, std::move(root));
}

void SwapDoor::reset_entry(ppc::Hart& h, unsigned cpu, unsigned coid) {
  host_store(h, k_.com_->tables().ltt_entry(cpu, coid), k_.com_->default_rep());
}

void SwapDoor::install_entry(ppc::Hart& h, unsigned cpu, unsigned coid, uint64_t rep) {
  k_.com_->install(h, coid, cpu, rep);
}

// Word 1 of the descriptor is the mark of the layer above.
void SwapDoor::mark(ppc::Hart& h, unsigned tid, uint64_t value) { host_store(h, k_.threads_[tid].descriptor + 8, value); }

std::vector<uint32_t> SwapDoor::direct_site_code(uint64_t at, uint64_t rep, uint64_t entry) const {
  return direct_site(at, rep, entry, k_.request_loop_);
}

}  // namespace quiesce::os
