// The clustered-object manager's swap interface: the one door between the
// kernel and the hot-swap layer (K42's COSMgr offered a swap its few calls —
// switchCObj, swingRoot, thread markers — and nothing else). sim/hotswap
// includes this header and no other kernel header but plain data (os_spec.h,
// call_gate.h, thread.h, rep_layout.h); tests/layers/check_layers.py checks it.
//
// Four small interfaces, one concern each, handed out together:
//   objects  an object's indirection: roots, the GTT lock, translation entries, implementations
//   threads  parking, waking and redirecting threads, system threads, stop-the-world, generations
//   hooks    host-call entries, timed callbacks, entry hooks (removable), watched code, reports
//   facts    the layout a swap reads: machine, code ranges, call sites, groups, counts
// Every operation that touches guest memory is paid by the hart passed in, on
// its CPU, through its caches (host_access.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu_ppc64/hart.h"
#include "os_model/call_gate.h"
#include "os_model/clustered_object_manager.h"
#include "os_model/factory.h"
#include "os_model/generation_count.h"
#include "os_model/host_access.h"
#include "os_model/os_spec.h"
#include "os_model/rep_layout.h"
#include "os_model/thread.h"

namespace quiesce::os {

// switchCObj and swingRoot: what a swap does to one object's indirection.
class ObjectSwap_if {
 public:
  virtual ~ObjectSwap_if() = default;
  // The GTT entry's miss-handling lock for writing. False: a miss holds it for
  // reading; the caller has paid one retry wait and tries again (its next step).
  virtual bool lock_root(ppc::Hart& h, unsigned coid) = 0;
  virtual void unlock_root(ppc::Hart& h, unsigned coid) = 0;
  // swingRoot: the GTT entry's root word becomes `gtt_word`, the host root `root`; returns the old root.
  virtual std::unique_ptr<Root> swing_root(ppc::Hart& h, unsigned coid, std::unique_ptr<Root> root,
                                           uint64_t gtt_word) = 0;
  // The host root only (wrapping it: nothing in guest memory changes).
  virtual std::unique_ptr<Root> replace_root(unsigned coid, std::unique_ptr<Root> root) = 0;
  virtual Root& root(unsigned coid) = 0;
  // The GTT root word that names the object itself (what a swing back to a plain root stores).
  virtual uint64_t own_root_word(unsigned coid) const = 0;
  // CPU `cpu`'s LTT entry: back to the Default Object (its next call misses), or to `rep` (installed, as a miss would).
  virtual void reset_entry(ppc::Hart& h, unsigned cpu, unsigned coid) = 0;
  virtual void install_entry(ppc::Hart& h, unsigned cpu, unsigned coid, uint64_t rep) = 0;
  virtual bool installed(unsigned coid, unsigned cpu) const = 0;
  // The implementation an instance runs (a swap's Complete changes it); its rep template and vtable as `impl`.
  virtual unsigned impl_of(unsigned coid) const = 0;
  virtual void set_impl_of(unsigned coid, unsigned impl) = 0;
  // (Its shared state is allocated now, by h if given: from h's CPU's pool, paid on h.)
  virtual RepTemplate rep_template(unsigned coid, unsigned impl, ppc::Hart* h = nullptr) = 0;
  virtual uint64_t vtable(unsigned impl) const = 0;
  // Guest memory for a swap's structures (every allocation a named statistics region).
  virtual GuestHeap& heap() = 0;
  // Where CPU `cpu`'s LTT entry for `coid` is, and a CPU-local word per object at one offset from r13.
  virtual uint64_t ltt_entry(unsigned cpu, unsigned coid) const = 0;
  virtual uint64_t local_word(unsigned cpu, unsigned coid) const = 0;
  virtual uint64_t local_offset() const = 0;
  virtual unsigned capacity() const = 0;  // COIDs the tables hold
  // Object lifetimes (issue 24): while pinned (a swap of it under way) an instance is not destroyed.
  virtual void pin(unsigned coid, bool pinned) = 0;
  virtual std::vector<Factory>& factories() = 0;
};

// Thread markers, parking and stop-the-world.
class SwapThreads_if {
 public:
  virtual ~SwapThreads_if() = default;
  using Step = SystemStep;
  using SystemBody = std::function<Step(ppc::Hart&, const Thread&)>;
  virtual const Thread* current(unsigned cpu) const = 0;
  virtual const Thread& thread(unsigned tid) const = 0;
  // Its registers as a walk sees them: its CPU's while it runs; an interrupted or waiting thread's from
  // its descriptor (where the kernel put them).
  virtual const ppc::ArchState& registers(unsigned tid) const = 0;
  virtual size_t count() const = 0;  // thread ids: 0..count()-1
  // The thread running on h's CPU leaves it until wake(), registers as they are;
  // a `quiescent` one (in no object) leaves its generation meanwhile. Returns the host call's action.
  virtual ppc::HartAction park_current(ppc::Hart& h, bool quiescent) = 0;
  // A parked thread becomes runnable on its CPU at `cycle` (callable from any CPU).
  virtual void wake(unsigned tid, uint64_t cycle) = 0;
  // A swap of `coid` releases a call it held `cycles`: if the thread's call in flight is a top-level call to
  // `coid`, the kernel adds the hold to it (Thread::call_holds, call_held_cycles), for the call observers.
  virtual void note_held(unsigned tid, unsigned coid, uint64_t cycles) = 0;
  // A parked thread resumes at `pc` with `r3` (a held call sent to the new object): the kernel changes its registers.
  virtual void redirect(unsigned tid, uint64_t pc, uint64_t r3) = 0;
  // A kernel thread on `cpu` whose work is host-modelled, one `body` step per pass; never counted in a generation.
  virtual void spawn_system_thread(ppc::Hart& h, unsigned cpu, std::string name, SystemBody body) = 0;
  // The thread-descriptor word kept for the layer above (a mark such as "in N forwarded calls"), stored through h.
  virtual void mark(ppc::Hart& h, unsigned tid, uint64_t value) = 0;
  // Stop-the-world. stop_cpu: `from` writes the request into `cpu`'s IPI word (a line of its own, the
  // interrupt controller's message register in a real machine; `cpu` reads and clears it when it
  // stops), and `cpu` enters the kernel — at once if `ipi` or the kernel is preemptive
  // (an IPI, taken unless interrupts are off there; a stops_world strategy with ipi gets a kernel that
  // takes interrupts), else at its next scheduling point (a kernel entry other than an interrupt) —
  // where it runs `stopped` and spins, its thread untouched,
  // until resume_cpu; then it runs `resumed`. One owner at a time: claim_world(tid) is false while another
  // system thread holds it (tid is then woken when it is released); release_world(h) lets the next one in.
  virtual void stop_cpu(ppc::Hart& from, unsigned cpu, bool ipi, std::function<void(ppc::Hart&)> stopped) = 0;
  virtual void resume_cpu(unsigned cpu, std::function<void(ppc::Hart&)> resumed) = 0;
  virtual bool claim_world(unsigned tid) = 0;
  virtual void release_world(ppc::Hart& h) = 0;
  // Generation markers: CPU `cpu`'s generation count, and what one generation swap costs.
  virtual GenerationCount& generation(unsigned cpu) = 0;
  virtual uint32_t generation_swap_cycles() const = 0;
  // The CPU's hart (to act on a CPU from a callback that runs there).
  virtual ppc::Hart& hart(unsigned cpu) = 0;
  // The stop handler's work on a stopped CPU: its thread's registers into its descriptor
  // (thread_descriptor.h), through h's caches, with whether it was stopped part-way through its code.
  virtual void save_registers(ppc::Hart& h, unsigned tid) = 0;
  // From a system thread's step: the thread calls guest code at `entry` with `r3` (it returns with blr);
  // its next step finds the result in r3. The routine's cycles and memory traffic are the thread's.
  virtual void call_routine(ppc::Hart& h, uint64_t entry, uint64_t r3) = 0;
};

// Entries from guest code, timers and hooks.
class SwapHooks_if {
 public:
  virtual ~SwapHooks_if() = default;
  using HostCallHandler = std::function<ppc::HartAction(ppc::Hart&, unsigned index)>;
  using Hook = std::function<void(ppc::Hart&)>;
  using HookId = uint64_t;
  // Reserves `count` consecutive host-call entries served by `handler`; returns entry 0's address.
  virtual uint64_t add_host_calls(unsigned count, HostCallHandler handler) = 0;
  // `fn` runs on `cpu` at its first kernel entry at or after `cycle`.
  virtual void at(unsigned cpu, uint64_t cycle, Hook fn) = 0;
  // Runs at every kernel entry of every CPU until removed.
  virtual HookId add_entry_hook(Hook fn) = 0;
  virtual void remove_entry_hook(HookId id) = 0;
  // A call reached a vtable slot its implementation lacks (a method a newer version adds, called on an
  // instance that does not have it yet): thread, the implementation whose vtable it took, the method's
  // slot and the rep (r3). The call then returns 0 having run no method body (and is not served).
  using MissingMethodFn = std::function<void(ppc::Hart&, const Thread&, unsigned impl, unsigned method, uint64_t rep)>;
  virtual void add_missing_method_reporter(MissingMethodFn f) = 0;
  // A top-level call completed on h's CPU before the run's end (the thread's call_* fields name it), with its
  // latency in cycles: the kernel's own work at that kernel entry, so what `f` touches through h is paid on that
  // CPU (an autonomic monitor's per-CPU counters, sim/hotswap/policy.h). None registered: nothing per call.
  using CallObserver = std::function<void(ppc::Hart&, const Thread&, uint64_t latency)>;
  virtual void add_call_observer(CallObserver f) = 0;
  // A destroyed instance's reps went back to the OS allocator (two generation swaps after its destruction):
  // the instance, the implementation it ran and its reps (for the safety oracle's use-after-free check).
  using FreedFn = std::function<void(ppc::Hart&, unsigned coid, unsigned impl, const std::vector<uint64_t>& reps)>;
  virtual void add_freed_reporter(FreedFn f) = 0;
  // A layer's part of a deadlock report, and of each thread's line in it.
  virtual void add_waits_reporter(std::function<std::string()> f) = 0;
  virtual void add_thread_describer(std::function<std::string(const Thread&)> f) = 0;
  // The watchdog: ends the run with `report` (who waits on what).
  virtual void stop_run(std::string report) = 0;
  // Watched code: `fn` runs before every execution, on any CPU, of an instruction in [start, end), with the
  // thread running it (null outside any thread), until unwatched. An observer: it costs no simulated time,
  // and code nobody watches pays nothing per instruction.
  using WatchId = uint64_t;
  using Watcher = std::function<void(ppc::Hart&, const Thread*, uint64_t pc)>;
  virtual WatchId watch_code(uint64_t start, uint64_t end, Watcher fn) = 0;
  virtual void unwatch_code(WatchId id) = 0;
};

// What a swap reads of the kernel's layout.
class KernelFacts_if {
 public:
  virtual ~KernelFacts_if() = default;
  struct CodeRange {
    uint64_t start = 0, end = 0;
    bool frame = false;  // keeps `this` in its frame (generated bodies)
  };
  struct DirectSite {
    uint64_t addr;
    unsigned method;
  };
  virtual unsigned cpus() const = 0;
  virtual uint32_t line_bytes() const = 0;
  // Whether a thread can be preempted anywhere (os.scheduler.policy preemptive): guest code that must
  // not be interrupted turns MSR[EE] off around itself then (under run_to_completion nothing interrupts).
  virtual bool preemptive() const = 0;
  virtual double clock_hz() const = 0;
  virtual uint32_t descriptor_bytes() const = 0;
  // Each CPU's task list: the word holding its first live thread's descriptor (linked through kDescNext).
  virtual std::vector<uint64_t> task_lists() const = 0;
  virtual mem::GuestMemory& memory() const = 0;
  // Where each method of implementation `impl` lies.
  virtual const std::vector<CodeRange>& code_ranges(unsigned impl) const = 0;
  // Instance `coid`'s statically bound call sites, and the words that bind one to (rep, entry).
  virtual const std::vector<DirectSite>& direct_sites(unsigned coid) const = 0;
  virtual std::vector<uint32_t> direct_site_code(uint64_t at, uint64_t rep, uint64_t entry) const = 0;
  // Whether a return to `pc` returns to the request loop (the call was made at top level).
  virtual bool in_request_loop(uint64_t pc) const = 0;
  virtual const std::vector<ObjectGroup>& groups() const = 0;
  virtual unsigned group_of(unsigned coid) const = 0;
  // Top-level calls completed, and executions of instance `coid`'s methods by completed calls.
  virtual uint64_t calls_completed() const = 0;
  virtual uint64_t served(unsigned coid) const = 0;
  // Whether instance `coid` is live (created and not destroyed: always, for a group without lifetimes), and
  // which of its lives it is in (a COID is reused after a destroy; a thread's call records the life it is to).
  virtual bool live(unsigned coid) const = 0;
  virtual uint32_t incarnation(unsigned coid) const = 0;
  // A thread's name in reports: its workload's, or its system thread's.
  virtual std::string thread_name(unsigned tid) const = 0;
  // The instances thread `tid`'s current call executes, top-level and nested (one entry per execution).
  virtual std::vector<unsigned> executions(unsigned tid) const = 0;
};

// The door, as the hot-swap layer holds it.
struct SwapInterface {
  ObjectSwap_if& objects;
  SwapThreads_if& threads;
  SwapHooks_if& hooks;
  const KernelFacts_if& facts;
  uint64_t us_to_cycles(double us) const;
};

}  // namespace quiesce::os
