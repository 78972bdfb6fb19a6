// What a scenario asks of the OS object layer, as plain data: the `os`,
// `implementations`, `objects`, `workloads` and `run` sections after the
// scenario reader has checked them (ranges, references, no cyclic nested
// calls). The OS model builds itself from these; nothing here knows YAML.
// Times are in microseconds of simulated time (the model converts them to
// cycles with the machine's clock); every default is documented in
// scenarios/README.md.
#pragma once
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace quiesce::os {

// The largest vtable an implementation may have.
inline constexpr unsigned kMaxMethods = 64;

// The scenario cannot be built (e.g. a method symbol missing from the guest ELF): bad input.
struct BuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The instances of one `objects:` entry: COIDs first .. first + count - 1.
struct ObjectGroup {
  std::string name;
  unsigned impl = 0;
  unsigned first = 0, count = 1;
  unsigned interface = 0;  // the implementation whose methods name its vtable slots (impl, or a version adding methods)
  unsigned initial = ~0u;  // instances live at the start (first .. first + initial - 1); < count: a group with lifetimes
  bool grace_period = false;  // lifetimes: a destroyed instance is reclaimed after a grace period, not generations
};

// K42's clustered objects: one rep shared by every CPU, or one rep per CPU
// created on the CPU's first call.
enum class RootKind : uint8_t { Shared, PerCpu };

struct GenerationConfig {
  bool token = true;             // circulate the token (system-wide quiescence detection) continuously
  double min_round_us = 0;       // a new token round starts no sooner than this after the last one began
  uint32_t swap_cycles = 40;     // host work of one local generation swap, beyond its memory accesses
  uint32_t token_pass_cycles = 30;
};

// How a CPU shares itself among its threads (issue 22). run_to_completion: K42's model for short
// request threads, a thread keeps its CPU until it blocks or ends, the run queue FIFO within a
// priority. preemptive: besides, a per-CPU decrementer interrupt ends a thread's time slice every
// tick_us (round robin within a priority) and delivers the CPU's timed events on time, so a thread
// woken with a higher priority than the running one takes the CPU at once.
enum class SchedulerPolicy : uint8_t { RunToCompletion, Preemptive };
struct SchedulerConfig {
  SchedulerPolicy policy = SchedulerPolicy::RunToCompletion;
  double tick_us = 1000;             // the time slice (preemptive)
  uint32_t system_priority = 0;      // swap workers, strategy and update threads (workloads: their own)
};
inline constexpr uint32_t kMaxPriority = 99;  // higher runs first

struct OsConfig {
  uint32_t schedule_cycles = 40;        // one pass of the scheduler (run queue, events)
  uint32_t descriptor_bytes = 384;      // a thread descriptor (thread_descriptor.h: kind, mark, saved registers)
  uint32_t stack_kib = 16;              // guest stack per thread
  uint32_t max_threads_per_cpu = 64;    // descriptors and stacks preallocated per CPU
  uint32_t miss_handler_cycles = 150;   // the Default Object's miss handling, beyond its memory accesses
  uint32_t io_check_cycles = 20;        // deciding whether an I/O point blocks
  uint32_t create_cycles = 300;         // a `create` call's kernel work beyond its memory accesses (assumed)
  uint32_t destroy_cycles = 200;        // a `destroy` call's, likewise (assumed)
  uint32_t idle_poll_cycles = 1000;     // how often an idle CPU's loop looks at the token and the hooks' work
  std::string guest_elf;                // guest program holding method bodies given by `symbol` ("" = none)
  GenerationConfig generations;
  SchedulerConfig scheduler;
  // The CPUs take interrupts (vectors, a save area, threads running with MSR[EE] on) even under
  // run_to_completion: set by the scenario reader when a swap stops the world (the request is an IPI)
  // or a device interrupts. Off otherwise, so such scenarios keep their memory laid out as before.
  bool interrupts = false;
};

// Relative weights of the generated instructions of a method body.
struct InstructionMix {
  double alu = 1, mul = 0, div = 0, load = 0, store = 0, branch = 0;
};

// A nested call from a method body to another object's method. When the
// object is a group (count > 1), instance i of the caller's group calls
// instance i % count of the callee's.
struct CallSite {
  std::string object, method;
  uint32_t count = 1;  // times the call is made per execution of the body
};

// A scripted blocking wait inside a method (e.g. I/O): taken with the given
// probability on each execution; the thread leaves its CPU for the duration.
struct IoWait {
  double probability = 0;
  double mean_us = 0;
  bool exponential = true;  // false: exactly mean_us
};

struct MethodSpec {
  std::string name;
  // Body generated from a cost description, as real PowerPC code...
  uint32_t instructions = 10;  // instructions beyond the state accesses, calls and frame
  InstructionMix mix;
  uint32_t state_reads = 0;    // lines of the rep's state loaded
  uint32_t state_writes = 0;   // lines of the rep's state read, modified and written back
  uint32_t state_atomics = 0;  // lines of the rep's state updated with ldarx/stdcx.
  uint32_t shared_reads = 0;   // lines of the object's shared (root) state loaded
  uint32_t shared_writes = 0;
  uint32_t shared_atomics = 0;
  std::vector<CallSite> calls;
  IoWait io;
  // ...or a function in the guest ELF (os.guest_elf): long f(void* rep, long arg).
  std::string symbol;
  // A compiled method's promise for the exactly-once audit: each call adds 1 to its rep's first
  // state word, atomically, once (what a generated body with state_atomics >= 1 does).
  bool counts_calls = false;
  // What a generated body disables while it runs (Linux's preempt_disable / local_irq_save around it):
  // its thread is not preempted (nor stopped by a stop_machine) meanwhile, or takes no interrupt.
  enum class Disables : uint8_t { Nothing, Preemption, Interrupts };
  Disables disables = Disables::Nothing;
};

struct ImplementationSpec {
  std::string name;
  std::string class_name;  // the factory's class; defaults to the implementation's name
  uint32_t version = 1;
  RootKind root = RootKind::Shared;
  uint64_t state_bytes = 128;         // per rep, after the rep's header
  uint64_t shared_state_bytes = 128;  // per object, reached from every rep
  std::vector<MethodSpec> methods;    // vtable order
};

// `count` instances of one implementation, named `name` (count 1) or
// `name[0]`..`name[count-1]`.
struct ObjectSpec {
  std::string name;
  std::string implementation;
  uint32_t count = 1;
  // The implementation whose methods name its vtable slots: the widest it has during the run, when an
  // event moves it to a version that adds methods (the scenario reader sets it); empty: `implementation`.
  std::string interface = {};
  // Object lifetimes (issue 24): with a `capacity`, `count` is the capacity (COIDs reserved) and `initial`
  // the instances live at the start; workloads' `create` and `destroy` calls make and end the others.
  uint32_t initial = 0;  // 0: all `count` (no lifetimes)
  // How a destroyed instance waits until no thread can hold it: K42's two generation swaps on every CPU
  // (false), or an RCU grace period (every CPU past a quiescent state, and the threads it found off their
  // CPU part-way through a call past their call's end).
  bool grace_period = false;
};

// A mix entry's method that is no method: a workload's call creating or destroying an instance of a group
// with a capacity (through its class's factory).
inline const char* const kCreateName = "create";
inline const char* const kDestroyName = "destroy";

struct MixEntry {
  std::string object, method;
  double weight = 1;
};

enum class WorkloadKind : uint8_t { Closed, Open, LongLived };
enum class Popularity : uint8_t { Uniform, Zipf };

struct WorkloadSpec {
  std::string name;
  WorkloadKind kind = WorkloadKind::Closed;
  std::vector<unsigned> cpus;  // resolved CPU numbers, ascending, each < machine.cpus
  uint32_t threads = 1;        // closed: clients per CPU; long_lived: threads per CPU
  double think_us = 0;         // closed: between a request's end and the next; long_lived: between iterations
  bool think_exponential = true;
  double rate_per_ms = 0;        // open: Poisson arrivals per CPU per millisecond
  uint32_t calls_per_request = 1;  // calls a request (or a long-lived iteration) makes
  std::vector<MixEntry> mix;
  Popularity popularity = Popularity::Uniform;  // which instance of a group a call picks
  double zipf_s = 1.0;
  double start_us = 0;
  double stop_us = std::numeric_limits<double>::infinity();
  bool declares_quiescence = true;  // long_lived: re-enter the current generation between iterations
  uint32_t priority = 0;            // its threads' (0..kMaxPriority, higher runs first)
};

// A modelled device raising external interrupts (the `devices:` section). Each interrupt runs the
// handler: its calls, in order, through the same call paths as a thread's, in interrupt context
// (interrupts off, on the CPU's interrupt stack); a call there may not block.
enum class DeviceArrival : uint8_t { Poisson, Periodic };
enum class DeviceRouting : uint8_t { PerCpu, RoundRobin };
struct DeviceSpec {
  std::string name;
  std::vector<unsigned> cpus;  // resolved CPU numbers, ascending
  DeviceRouting routing = DeviceRouting::PerCpu;  // per_cpu: a stream per CPU; round_robin: one, dealt in turn
  DeviceArrival arrival = DeviceArrival::Poisson;
  double rate_per_ms = 1;      // interrupts per millisecond (per CPU for per_cpu, in all for round_robin)
  std::vector<MixEntry> calls;  // the handler's calls, in order (weight unused); an instance picked uniformly
  double start_us = 0;
  double stop_us = std::numeric_limits<double>::infinity();
};

struct RunSpec {
  double duration_us = 1000;
  double warmup_us = 0;  // calls and counters before this are left out of the summary's statistics
  uint64_t seed = 1;
};

struct OutputsSpec {
  std::string dir;         // "" = results/<scenario name>
  double window_us = 100;  // calls.csv time window
};

}  // namespace quiesce::os
