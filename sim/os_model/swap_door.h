// The swap interface's implementation: forwards each call of the four
// interfaces (swap_interface.h) to the kernel's private machinery. Its
// overrides are private: a caller holds the interfaces, never this class.
#pragma once
#include "os_model/os_kernel.h"
#include "os_model/swap_interface.h"

namespace quiesce::os {

class SwapDoor final : private ObjectSwap_if, private SwapThreads_if, private SwapHooks_if, private KernelFacts_if {
 public:
  explicit SwapDoor(OsKernel& k) : k_(k) {}
  SwapInterface interface() { return {*this, *this, *this, *this}; }

 private:
  // ObjectSwap_if
  bool lock_root(ppc::Hart& h, unsigned coid) override;
  void unlock_root(ppc::Hart& h, unsigned coid) override;
  std::unique_ptr<Root> swing_root(ppc::Hart& h, unsigned coid, std::unique_ptr<Root> root, uint64_t gtt_word) override;
  std::unique_ptr<Root> replace_root(unsigned coid, std::unique_ptr<Root> root) override;
  Root& root(unsigned coid) override { return k_.com_->root(coid); }
  uint64_t own_root_word(unsigned coid) const override { return coid; }
  void reset_entry(ppc::Hart& h, unsigned cpu, unsigned coid) override;
  void install_entry(ppc::Hart& h, unsigned cpu, unsigned coid, uint64_t rep) override;
  bool installed(unsigned coid, unsigned cpu) const override { return k_.com_->installed(coid, cpu); }
  unsigned impl_of(unsigned coid) const override { return k_.instance_impl_[coid]; }
  void set_impl_of(unsigned coid, unsigned impl) override { k_.instance_impl_[coid] = impl; }
  RepTemplate rep_template(unsigned coid, unsigned impl, ppc::Hart* h = nullptr) override {
    return k_.rep_template(coid, impl, h);
  }
  uint64_t vtable(unsigned impl) const override { return k_.vtables_[impl]; }
  GuestHeap& heap() override { return k_.heap_; }
  uint64_t ltt_entry(unsigned cpu, unsigned coid) const override { return k_.com_->tables().ltt_entry(cpu, coid); }
  uint64_t local_word(unsigned cpu, unsigned coid) const override { return k_.com_->tables().local_word(cpu, coid); }
  uint64_t local_offset() const override { return k_.com_->tables().local_offset(); }
  unsigned capacity() const override { return k_.com_->tables().capacity(); }
  void pin(unsigned coid, bool pinned) override { k_.pinned_[coid] += pinned ? 1 : -1; }
  std::vector<Factory>& factories() override { return k_.factories_; }

  // SwapThreads_if
  const Thread* current(unsigned cpu) const override { return k_.current(cpu); }
  const Thread& thread(unsigned tid) const override { return k_.threads_[tid]; }
  const ppc::ArchState& registers(unsigned tid) const override { return k_.registers(tid); }
  size_t count() const override { return k_.threads_.size(); }
  ppc::HartAction park_current(ppc::Hart& h, bool quiescent) override { return k_.park_current(h, quiescent); }
  void wake(unsigned tid, uint64_t cycle) override { k_.wake(tid, cycle); }
  void redirect(unsigned tid, uint64_t pc, uint64_t r3) override { k_.redirect(tid, pc, r3); }
  void note_held(unsigned tid, unsigned coid, uint64_t cycles) override {
    Thread& t = k_.threads_[tid];
    if (t.in_call && t.call_coid == coid) ++t.call_holds, t.call_held_cycles += cycles;
  }
  void spawn_system_thread(ppc::Hart& h, unsigned cpu, std::string name, SystemBody body) override {
    k_.spawn_system_thread(h, cpu, std::move(name), std::move(body));
  }
  void mark(ppc::Hart& h, unsigned tid, uint64_t value) override;
  void stop_cpu(ppc::Hart& from, unsigned cpu, bool ipi, std::function<void(ppc::Hart&)> stopped) override {
    k_.stop_cpu(from, cpu, ipi, std::move(stopped));
  }
  void resume_cpu(unsigned cpu, std::function<void(ppc::Hart&)> resumed) override {
    k_.resume_cpu(cpu, std::move(resumed));
  }
  bool claim_world(unsigned tid) override { return k_.claim_world(tid); }
  void release_world(ppc::Hart& h) override { k_.release_world(h); }
  GenerationCount& generation(unsigned cpu) override { return *k_.cpus_[cpu].gen; }
  uint32_t generation_swap_cycles() const override { return k_.os_.generations.swap_cycles; }
  ppc::Hart& hart(unsigned cpu) override { return *k_.harts_[cpu]; }
  void save_registers(ppc::Hart& h, unsigned tid) override { k_.save_registers(h, tid); }
  void call_routine(ppc::Hart& h, uint64_t entry, uint64_t r3) override { k_.call_routine(h, entry, r3); }

  // SwapHooks_if
  uint64_t add_host_calls(unsigned count, HostCallHandler handler) override {
    return k_.add_host_calls(count, std::move(handler));
  }
  void at(unsigned cpu, uint64_t cycle, Hook fn) override { k_.at(cpu, cycle, std::move(fn)); }
  HookId add_entry_hook(Hook fn) override { return k_.add_entry_hook(std::move(fn)); }
  void remove_entry_hook(HookId id) override { k_.remove_entry_hook(id); }
  void add_waits_reporter(std::function<std::string()> f) override { k_.reporters_.push_back(std::move(f)); }
  void add_missing_method_reporter(MissingMethodFn f) override { k_.missing_reporters_.push_back(std::move(f)); }
  void add_call_observer(CallObserver f) override { k_.call_observers_.push_back(std::move(f)); }
  void add_freed_reporter(FreedFn f) override { k_.freed_reporters_.push_back(std::move(f)); }
  void add_thread_describer(std::function<std::string(const Thread&)> f) override {
    k_.describers_.push_back(std::move(f));
  }
  void stop_run(std::string report) override { k_.stop_run(std::move(report)); }
  WatchId watch_code(uint64_t start, uint64_t end, Watcher fn) override { return k_.watch_code(start, end, std::move(fn)); }
  void unwatch_code(WatchId id) override { k_.unwatch_code(id); }

  // KernelFacts_if
  unsigned cpus() const override { return k_.p_.cpus; }
  bool preemptive() const override { return k_.preemptive(); }
  uint32_t line_bytes() const override { return k_.p_.line_bytes; }
  double clock_hz() const override { return k_.p_.clock_hz; }
  uint32_t descriptor_bytes() const override { return k_.os_.descriptor_bytes; }
  std::vector<uint64_t> task_lists() const override {
    std::vector<uint64_t> out;
    for (const auto& c : k_.cpus_) out.push_back(c.tasks);
    return out;
  }
  mem::GuestMemory& memory() const override { return k_.heap_.memory(); }
  const std::vector<CodeRange>& code_ranges(unsigned impl) const override { return k_.code_ranges_[impl]; }
  const std::vector<DirectSite>& direct_sites(unsigned coid) const override { return k_.direct_sites_[coid]; }
  std::vector<uint32_t> direct_site_code(uint64_t at, uint64_t rep, uint64_t entry) const override;
  bool in_request_loop(uint64_t pc) const override { return k_.in_request_loop(pc); }
  const std::vector<ObjectGroup>& groups() const override { return k_.groups_; }
  unsigned group_of(unsigned coid) const override { return k_.group_of(coid); }
  uint64_t calls_completed() const override { return k_.stats_.calls; }
  uint64_t served(unsigned coid) const override { return k_.served_[coid]; }
  bool live(unsigned coid) const override { return k_.alive_[coid] != 0; }
  uint32_t incarnation(unsigned coid) const override { return k_.incarnation_[coid]; }
  std::string thread_name(unsigned tid) const override { return k_.thread_label(k_.threads_[tid]); }
  std::vector<unsigned> executions(unsigned tid) const override { return k_.executions(k_.threads_[tid]); }

  OsKernel& k_;
};

}  // namespace quiesce::os
