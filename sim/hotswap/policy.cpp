#include "hotswap/policy.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "diag/log.h"
#include "hotswap/hotswap_manager.h"

namespace quiesce::hotswap {

namespace {
// Words of a CPU's counts line. A policy has one metric: the held-call counters share the words the latency
// sum and the coherence counter use for theirs.
constexpr uint64_t kCalls = 0, kLatencySum = 8, kEvents = 16;
constexpr uint64_t kHeldCycles = 8, kHeldCalls = 16;
static_assert(kHeldCycles == kLatencySum && kHeldCalls == kEvents, "the monitor reads them where it reads those");
bool held_metric(PolicyMetric m) { return m == PolicyMetric::HeldCallsPerMs || m == PolicyMetric::HeldCyclesMean; }
}  // namespace

unsigned Policy::bucket(uint64_t latency) {
  if (latency < 128) return 0;
  return std::min<unsigned>(kBuckets - 1, static_cast<unsigned>(std::bit_width(latency)) - 7);
}

Policy::Policy(os::SwapInterface k, HotSwapManager& manager, const PolicySpec& spec, unsigned group,
               std::vector<unsigned> targets, unsigned to, unsigned& next_decision)
    : k_(k),
      manager_(manager),
      spec_(spec),
      group_(group),
      to_(to),
      targets_(std::move(targets)),
      next_decision_(next_decision),
      line_bytes_(k.facts.line_bytes()),
      cycles_per_ms_(k.facts.clock_hz() / 1000.0) {
  const unsigned cpus = k_.facts.cpus();
  // Per CPU: a line of counts, then the latency buckets on lines of their own (a percentile only).
  const uint64_t bucket_bytes = (uint64_t{kBuckets} * 8 + line_bytes_ - 1) / line_bytes_ * line_bytes_;
  stride_ = line_bytes_ + (spec_.metric == PolicyMetric::LatencyPercentile ? bucket_bytes : 0);
  base_ = k_.objects.heap().allocate(fmt::format("policy.{}", spec_.name), stride_ * cpus, line_bytes_);
  window_cycles_ = std::max<uint64_t>(1, k_.us_to_cycles(spec_.window_us));
  prev_calls_.assign(cpus, 0), prev_sum_.assign(cpus, 0), prev_buckets_.assign(uint64_t{cpus} * kBuckets, 0);
  prev_events_.assign(cpus, 0);
  // The monitor thread starts at start_us on its CPU: its first step reads the baseline.
  k_.hooks.at(spec_.cpu, k_.us_to_cycles(spec_.start_us), [this](ppc::Hart& h) {
    k_.threads.spawn_system_thread(h, spec_.cpu, fmt::format("policy {}", spec_.name),
                                   [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
  });
}

void Policy::count(ppc::Hart& h, const os::Thread& t, uint64_t latency) {
  if (t.call_group != group_ || (spec_.method >= 0 && t.call_method != static_cast<unsigned>(spec_.method))) return;
  const uint64_t at = line(h.id());
  os::host_store(h, at + kCalls, os::host_load(h, at + kCalls) + 1);  // plain: the line is this CPU's
  if (spec_.metric == PolicyMetric::LatencyMean)
    os::host_store(h, at + kLatencySum, os::host_load(h, at + kLatencySum) + latency);
  if (spec_.metric == PolicyMetric::LatencyPercentile) {
    const uint64_t b = buckets(h.id()) + 8 * uint64_t{bucket(latency)};
    os::host_store(h, b, os::host_load(h, b) + 1);
  }
  if ((spec_.metric == PolicyMetric::MissesPerMs || spec_.metric == PolicyMetric::QueueCyclesPerMs) && pmu_)
    os::host_store(h, at + kEvents, pmu_(h.id(), spec_.object, spec_.metric == PolicyMetric::QueueCyclesPerMs));
  if (held_metric(spec_.metric) && t.call_holds > 0) {  // a swap of the object held this call (the kernel's note)
    os::host_store(h, at + kHeldCalls, os::host_load(h, at + kHeldCalls) + 1);
    if (spec_.metric == PolicyMetric::HeldCyclesMean)
      os::host_store(h, at + kHeldCycles, os::host_load(h, at + kHeldCycles) + t.call_held_cycles);
  }
}

os::SystemStep Policy::step(ppc::Hart& h, const os::Thread& t) {
  const uint64_t began = h.cycle();
  const unsigned cpus = k_.facts.cpus();
  h.charge(spec_.eval_cycles);
  // Every CPU's counters, through this CPU's caches; the window's part is the difference from the last read.
  uint64_t calls = 0, sum = 0, events = 0;  // held metrics: sum is the held cycles, events the held calls
  std::vector<uint64_t> hist(kBuckets, 0);
  for (unsigned c = 0; c < cpus; ++c) {
    const uint64_t n = os::host_load(h, line(c) + kCalls);
    calls += n - prev_calls_[c], prev_calls_[c] = n;
    if (spec_.metric == PolicyMetric::LatencyMean || spec_.metric == PolicyMetric::HeldCyclesMean) {
      const uint64_t s = os::host_load(h, line(c) + kLatencySum);
      sum += s - prev_sum_[c], prev_sum_[c] = s;
    }
    if (spec_.metric == PolicyMetric::MissesPerMs || spec_.metric == PolicyMetric::QueueCyclesPerMs ||
        held_metric(spec_.metric)) {
      const uint64_t e = os::host_load(h, line(c) + kEvents);
      events += e - prev_events_[c], prev_events_[c] = e;
    }
    if (spec_.metric == PolicyMetric::LatencyPercentile)
      for (unsigned b = 0; b < kBuckets; ++b) {
        const uint64_t v = os::host_load(h, buckets(c) + 8 * uint64_t{b});
        uint64_t& prev = prev_buckets_[uint64_t{c} * kBuckets + b];
        hist[b] += v - prev, prev = v;
      }
  }
  const uint64_t now = h.cycle();
  if (!baseline_) {  // the first read: where the windows start
    baseline_ = true;
  } else {
    PolicyWindow w;
    w.start_cycle = last_read_, w.end_cycle = now, w.calls = calls;
    switch (spec_.metric) {
      case PolicyMetric::CallsPerMs:
        w.has_value = true;
        w.value = static_cast<double>(calls) / (static_cast<double>(std::max<uint64_t>(1, now - last_read_)) /
                                                cycles_per_ms_);
        break;
      case PolicyMetric::MissesPerMs:
      case PolicyMetric::QueueCyclesPerMs:
      case PolicyMetric::HeldCallsPerMs:
        w.has_value = true;
        w.value = static_cast<double>(events) / (static_cast<double>(std::max<uint64_t>(1, now - last_read_)) /
                                                 cycles_per_ms_);
        break;
      case PolicyMetric::LatencyMean:
        w.has_value = calls > 0;
        w.value = calls ? static_cast<double>(sum) / static_cast<double>(calls) : 0;
        break;
      case PolicyMetric::HeldCyclesMean:  // over the held calls: none held, no value
        w.has_value = events > 0;
        w.value = events ? static_cast<double>(sum) / static_cast<double>(events) : 0;
        break;
      case PolicyMetric::LatencyPercentile: {
        w.has_value = calls > 0;
        // The smallest latency with `percentile` % of the calls at or below it, linear within its bucket.
        const double rank = std::max(1.0, std::ceil(spec_.percentile / 100.0 * static_cast<double>(calls)));
        double below = 0;
        for (unsigned b = 0; calls && b < kBuckets; ++b) {
          const auto n = static_cast<double>(hist[b]);
          if (below + n >= rank) {
            const double lo = b == 0 ? 0 : std::ldexp(1.0, static_cast<int>(b) + 6);
            const double hi = std::ldexp(1.0, static_cast<int>(b) + 7);
            w.value = lo + (hi - lo) * (rank - below) / n;
            break;
          }
          below += n;
        }
        break;
      }
    }
    decide(h, w);
    w.monitor_cycles = h.cycle() - began;
    windows_.push_back(w);
  }
  last_read_ = now;
  // Sleep to the next window's end (counted from the first read, so windows do not drift by the monitor's lateness).
  next_wake_ = std::max(next_wake_ ? next_wake_ + window_cycles_ : now + window_cycles_, h.cycle() + 1);
  k_.threads.wake(t.id, next_wake_);
  return os::SystemStep::Block;
}

const os::Factory* Policy::factory() const {
  for (const auto& f : k_.objects.factories())
    if (f.class_name() == spec_.update_class) return &f;
  return nullptr;
}

// An update: its last update under way, any other update of the class, or a swap of one of its instances.
bool Policy::busy() const {
  if (spec_.update) return (update_ && update_->running()) || manager_.updating(spec_.update_class);
  return acting_ || manager_.swapping_any(targets_);
}

// An update: the factory makes the version, and every live instance of the class has it.
bool Policy::at_target() const {
  if (spec_.update) {
    const os::Factory* f = factory();
    return !f || (f->version() == spec_.to_version &&
                  std::all_of(f->instances().begin(), f->instances().end(),
                              [&](unsigned c) { return k_.objects.impl_of(c) == to_; }));
  }
  return std::all_of(targets_.begin(), targets_.end(), [&](unsigned c) { return k_.objects.impl_of(c) == to_; });
}

void Policy::decide(ppc::Hart& h, PolicyWindow& w) {
  const bool met = w.has_value && (spec_.above ? w.value > spec_.threshold : w.value < spec_.threshold);
  const auto fail = [&](const char* state) {
    streak_ = 0, recent_.clear();
    w.state = state;
  };
  if (busy()) return fail("busy");
  if (!armed_) {
    const bool past = w.has_value && (spec_.above ? w.value < spec_.rearm : w.value > spec_.rearm);
    if (!past) return fail("disarmed");
    armed_ = true;
    return fail("rearmed");
  }
  if (!w.has_value) return fail("no_data");
  if (!met) return fail("idle");
  ++streak_;
  recent_.push_back(w.value);
  if (recent_.size() > spec_.windows) recent_.erase(recent_.begin());
  w.streak = streak_;
  w.state = "streak";
  if (streak_ < spec_.windows) return;
  if (at_target()) return fail("at_target");
  if (acted_ && h.cycle() < last_action_ + k_.us_to_cycles(spec_.min_interval_us)) {
    w.state = "interval";  // the streak holds: it acts once the interval is past, if the condition still does
    return;
  }
  // Act.
  PolicyDecision d;
  d.id = next_decision_++;
  d.window = static_cast<unsigned>(windows_.size());
  d.cycle = h.cycle();
  d.value = w.value;
  d.values = recent_;
  const auto add_from = [&](unsigned c) {
    const std::string& impl = manager_.implementation_name(k_.objects.impl_of(c));
    if (std::find(d.from.begin(), d.from.end(), impl) == d.from.end()) d.from.push_back(impl);
  };
  if (spec_.update) {
    if (const os::Factory* f = factory())
      for (unsigned c : f->instances()) add_from(c);
  } else {
    for (unsigned c : targets_) add_from(c);
  }
  if (spec_.update)
    QLOG(Swap, Info, h.cycle(), h.id(),
         "policy {}: {} {} {} for {} windows (last {:.1f}): update {} to version {} ({}, {}), decision {}", spec_.name,
         spec_.metric_name, spec_.above ? "above" : "below", spec_.threshold, spec_.windows, w.value,
         spec_.update_class, spec_.to_version, spec_.lazy ? "lazy" : "eager", spec_.strategy, d.id);
  else
    QLOG(Swap, Info, h.cycle(), h.id(),
         "policy {}: {} {} {} for {} windows (last {:.1f}): swap {} to {} ({}), decision {}", spec_.name,
         spec_.metric_name, spec_.above ? "above" : "below", spec_.threshold, spec_.windows, w.value, spec_.target,
         spec_.to, spec_.strategy, d.id);
  const auto index = decisions_.size();
  decisions_.push_back(std::move(d));
  w.state = "fired";
  streak_ = 0, recent_.clear();
  armed_ = false, acted_ = true, last_action_ = h.cycle();
  const auto done = [this, index](uint64_t end) {
    acting_ = false;
    decisions_[index].done = true, decisions_[index].done_cycle = end;
  };
  if (spec_.update) {  // a dynamic update of the class, as an update event starts one
    UpdateEvent u;
    u.class_name = spec_.update_class, u.to_version = spec_.to_version, u.lazy = spec_.lazy;
    u.strategy = spec_.strategy, u.cpu = h.id();
    decisions_[index].update = static_cast<int>(manager_.policy_updates().size());
    update_ = &manager_.start_policy_update(h, decisions_[index].id, u, to_, done);
    return;
  }
  acting_ = true;
  manager_.start_policy_swaps(h, decisions_[index].id, targets_, to_, spec_.strategy,
                              [done](ppc::Hart&, uint64_t end) { done(end); });
}

PolicyEngine::PolicyEngine(os::SwapInterface k, HotSwapManager& manager,
                           const std::vector<os::ImplementationSpec>& impls, const std::vector<PolicySpec>& specs) {
  const auto& groups = k.facts.groups();
  for (const PolicySpec& s : specs) {
    const auto watched = std::find_if(groups.begin(), groups.end(), [&](const os::ObjectGroup& g) { return g.name == s.object; });
    const auto to = std::find_if(impls.begin(), impls.end(), [&](const os::ImplementationSpec& i) { return i.name == s.to; });
    if (watched == groups.end() || to == impls.end())
      throw os::BuildError(fmt::format("policy {}: no object {} or no implementation {}", s.name, s.object, s.to));
    std::vector<unsigned> coids;  // the action's target: a group's every instance, or "name[i]" (an update: none)
    if (!s.update) {
      std::string base = s.target;
      long index = -1;
      if (const auto open = base.find('['); open != std::string::npos)
        index = std::stol(base.substr(open + 1)), base.resize(open);
      const auto target = std::find_if(groups.begin(), groups.end(), [&](const os::ObjectGroup& g) { return g.name == base; });
      if (target == groups.end() || (index >= 0 && static_cast<unsigned>(index) >= target->count))
        throw os::BuildError(fmt::format("policy {}: no object {}", s.name, s.target));
      for (unsigned i = 0; i < target->count; ++i)
        if (index < 0 || i == static_cast<unsigned>(index)) coids.push_back(target->first + i);
    }
    policies_.push_back(std::make_unique<Policy>(k, manager, s, static_cast<unsigned>(watched - groups.begin()),
                                                 std::move(coids), static_cast<unsigned>(to - impls.begin()),
                                                 next_decision_));
  }
  k.hooks.add_call_observer([this](ppc::Hart& h, const os::Thread& t, uint64_t latency) {
    for (const auto& p : policies_) p->count(h, t, latency);
  });
}

}  // namespace quiesce::hotswap
