#include "run/results_writer.h"
#include "run/policies_results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "platform/run_stats.h"

namespace quiesce::run {

namespace {
using json = nlohmann::ordered_json;

template <unsigned kSub>
json latency_json(const os::LatencyHistogram<kSub>& h) {
  return {{"count", h.count()},      {"mean", h.mean()},           {"p50", h.percentile(0.5)},
          {"p90", h.percentile(0.9)}, {"p99", h.percentile(0.99)}, {"max", h.max()}};
}

std::string counter_header() {
  std::string s;
  mem::for_each_counter(mem::CoherenceCounters{}, [&](const char* name, const char*, const char*, uint64_t) {
    s += ',';
    s += name;
  });
  return s;
}

std::string counter_row(const mem::CoherenceCounters& c) {
  std::string s;
  mem::for_each_counter(c, [&](const char*, const char*, const char*, uint64_t v) { s += fmt::format(",{}", v); });
  return s;
}

json split_json(const hotswap::ActivitySplit& a) {
  json j = json::object();
  for (unsigned i = 0; i < hotswap::kActivities; ++i) j[hotswap::kActivityNames[i]] = a[i];
  return j;
}

uint64_t split_sum(const hotswap::ActivitySplit& a) { return std::accumulate(a.begin(), a.end(), uint64_t{0}); }

// The names of a CPU's time outside its phases (summary.json's outside_phases, activity.csv's phase).
constexpr const char* kBeforeFirstPhase = "before_first_phase";
constexpr const char* kRetried = "retried";

// The CPU's time outside its phases' last attempts: before its first phase, and earlier attempts.
struct OutsidePhases {
  const char* name;
  uint8_t phase;
  const hotswap::ActivitySplit& split;
};
std::array<OutsidePhases, 2> outside_phases(const hotswap::CpuSwapRecord& rec) {
  return {{{kBeforeFirstPhase, hotswap::kPhaseNone, rec.before}, {kRetried, hotswap::kPhaseRetried, rec.retried}}};
}

// The first and last cycle of the spans in `phase`, or {0, 0}.
std::pair<uint64_t, uint64_t> span_bounds(const hotswap::CpuSwapRecord& rec, uint8_t phase) {
  uint64_t lo = 0, hi = 0;
  for (const auto& sp : rec.spans)
    if (sp.phase == phase) lo = lo ? lo : sp.start, hi = sp.end;
  return {lo, hi};
}

// One object per swap: what, how, when, the event it belongs to, and per CPU the phases and the calls it met.
// The OS heap's live bytes over time (issue 24): its history of changes in cycle order (CPUs run up to a
// quantum apart, so the history as made is not), and what it was at a cycle.
using LiveHistory = std::vector<std::pair<uint64_t, uint64_t>>;
LiveHistory sorted_history(const os::GuestHeap& heap) {
  LiveHistory h = heap.live_history();
  std::stable_sort(h.begin(), h.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return h;
}
uint64_t live_at(const LiveHistory& h, uint64_t cycle) {  // after every change up to `cycle`
  const auto it = std::upper_bound(h.begin(), h.end(), cycle, [](uint64_t c, const auto& p) { return c < p.first; });
  return it == h.begin() ? (h.empty() ? 0 : h.front().second) : std::prev(it)->second;
}

// A swap's memory: the old object's, the new one's and the swap's own bytes; the heap's live bytes before
// the swap, their peak from its start until what it left behind was freed (or the run's end), the overhead
// (peak minus before), when it was retired and freed, and the live bytes just after the free.
json swap_memory_json(const LiveHistory& h, uint64_t end, const hotswap::Swap& m) {
  const auto& mem = m.memory();
  const uint64_t before = m.start_cycle() ? live_at(h, m.start_cycle() - 1) : live_at(h, 0);
  const uint64_t until = mem.freed ? mem.freed_cycle : end;
  uint64_t peak = before;
  for (const auto& [c, v] : h)
    if (c >= m.start_cycle() && c <= until) peak = std::max(peak, v);
  return {{"old_bytes", mem.old_bytes},
          {"new_bytes", mem.new_bytes},
          {"scaffold_bytes", mem.scaffold_bytes},
          {"live_before_bytes", before},
          {"peak_bytes", peak},
          {"peak_overhead_bytes", peak - before},
          {"retired_cycle", mem.retired_cycle},
          {"freed", mem.freed},
          {"freed_cycle", mem.freed_cycle},
          {"live_after_free_bytes", mem.freed ? live_at(h, mem.freed_cycle) : 0}};
}

json swaps_json(const ScenarioRun& r) {
  const auto& k = r.kernel();
  json swaps = json::array();
  const LiveHistory history = sorted_history(k.heap());
  for (const auto& m : r.hotswap().swaps()) {
    json cpus = json::array();
    uint64_t forwarded = 0, blocked = 0, released = 0, blocked_total = 0, blocked_max = 0, bytes = 0;
    hotswap::ActivitySplit total{};
    for (unsigned c = 0; c < m->cpus().size(); ++c) {
      const auto& rec = m->cpus()[c];
      const auto add = [&total](const hotswap::ActivitySplit& a) {
        for (unsigned i = 0; i < hotswap::kActivities; ++i) total[i] += a[i];
      };
      add(rec.before), add(rec.retried);
      for (const auto& a : rec.split) add(a);
      forwarded += rec.forwarded, blocked += rec.blocked, released += rec.released, bytes += rec.bytes;
      blocked_total += rec.blocked_cycles_total, blocked_max = std::max(blocked_max, rec.blocked_cycles_max);
      if (!rec.worker && !rec.forwarded && !rec.blocked) continue;
      json phases = json::object();
      for (unsigned p = 0; p < rec.start.size(); ++p)
        if (rec.start[p])
          phases[m->phase_names()[p]] = {{"start", rec.start[p]},
                                         {"end", rec.end[p]},
                                         {"cycles", rec.end[p] ? rec.end[p] - rec.start[p] : 0},
                                         {"split", split_json(rec.split[p])}};
      json outside = json::object();
      for (const auto& o : outside_phases(rec)) {
        const auto [lo, hi] = span_bounds(rec, o.phase);
        outside[o.name] = {{"start", lo}, {"end", hi}, {"cycles", split_sum(o.split)}, {"split", split_json(o.split)}};
      }
      cpus.push_back({{"cpu", c},
                      {"worker", rec.worker},
                      {"phase_now", m->phase_name(c)},
                      {"phases", phases},
                      {"outside_phases", outside},
                      {"forwarded", rec.forwarded},
                      {"blocked", rec.blocked},
                      {"released", rec.released},
                      {"blocked_cycles_max", rec.blocked_cycles_max},
                      {"bytes_transferred", rec.bytes}});
    }
    json details = json::object();
    for (const auto& [name, value] : m->details()) details[name] = value;
    for (const auto& [name, rows] : m->detail_tables()) {
      json table = json::array();
      for (const auto& row : rows) {
        json o = json::object();
        for (const auto& f : row) o[f.key] = f.is_text ? json(f.text) : json(f.number);
        table.push_back(std::move(o));
      }
      details[name] = std::move(table);
    }
    swaps.push_back({{"id", m->id()},
                     {"event", r.hotswap().event_of(m->id())},  // summary.json's events[i]
                     {"object", m->label()},
                     {"from", k.implementations()[m->old_impl()].name},
                     {"to", k.implementations()[m->new_impl()].name},
                     {"strategy", m->strategy()},
                     {"protocol", m->protocol() ? hotswap::protocol_name(*m->protocol()) : "none"},
                     {"completed", m->finished()},
                     {"waiting", m->finished() ? std::string() : m->describe()},  // why not, when not
                     {"start_cycle", m->start_cycle()},
                     {"end_cycle", m->end_cycle()},
                     {"cycles", m->finished() ? m->end_cycle() - m->start_cycle() : 0},
                     {"waited_on", m->waited_on()},
                     {"safe_cycle", m->safe_cycle()},
                     {"cycles_to_safe_point", m->safe_cycle() ? m->safe_cycle() - m->start_cycle() : 0},
                     {"violations", r.hotswap().oracle().count_for(m->id())},
                     {"details", details},
                     {"workers", m->workers()},
                     {"forwarded", forwarded},
                     {"blocked", blocked},
                     {"released", released},
                     {"blocked_cycles_total", blocked_total},
                     {"blocked_cycles_max", blocked_max},
                     {"bytes_transferred", bytes},
                     {"memory", swap_memory_json(history, r.reached_cycles(), *m)},
                     {"split", split_json(total)},  // CPU-cycles, summed over the CPUs that took part
                     {"cpus", cpus}});
  }
  return swaps;
}

std::string swaps_csv(const ScenarioRun& r) {
  std::string s = "swap,object,from,to,strategy,protocol,completed,start_cycle,end_cycle,cycles,workers,forwarded,"
                  "blocked,released,blocked_cycles_total,blocked_cycles_max,bytes_transferred,cycles_to_safe_point,"
                  "violations\n";
  for (const auto& j : swaps_json(r))
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", j["id"].get<unsigned>(),
                     j["object"].get<std::string>(), j["from"].get<std::string>(), j["to"].get<std::string>(),
                     j["strategy"].get<std::string>(), j["protocol"].get<std::string>(), j["completed"].get<bool>(),
                     j["start_cycle"].get<uint64_t>(), j["end_cycle"].get<uint64_t>(), j["cycles"].get<uint64_t>(),
                     j["workers"].get<unsigned>(), j["forwarded"].get<uint64_t>(), j["blocked"].get<uint64_t>(),
                     j["released"].get<uint64_t>(), j["blocked_cycles_total"].get<uint64_t>(),
                     j["blocked_cycles_max"].get<uint64_t>(), j["bytes_transferred"].get<uint64_t>(),
                     j["cycles_to_safe_point"].get<uint64_t>(), j["violations"].get<unsigned>());
  return s;
}

// One object per event, numbered as scenario.events lists them (the swap events, then the updates):
// its swaps (a group's instances, an update's instances) summed up. `swaps` is swaps_json(r).
json events_json(const ScenarioRun& r, const json& swaps) {
  const auto& hs = r.hotswap();
  const auto& spec = r.scenario().hotswap;
  json events = json::array();
  for (unsigned e = 0; e < spec.swaps.size() + spec.updates.size(); ++e) {
    const bool swap = e < spec.swaps.size();
    const hotswap::UpdateRecord* update = swap ? nullptr : &hs.updates()[e - spec.swaps.size()]->record();
    unsigned count = 0, completed = 0, violations = 0;
    uint64_t first_start = 0, last_end = 0, slowest_cycles = 0, blocked = 0, released = 0, blocked_total = 0,
             blocked_max = 0;
    int slowest = -1;
    for (const auto& sw : swaps) {
      if (sw["event"].get<unsigned>() != e) continue;
      const auto id = sw["id"].get<unsigned>();
      const auto start = sw["start_cycle"].get<uint64_t>(), cycles = sw["cycles"].get<uint64_t>();
      first_start = count++ ? std::min(first_start, start) : start;
      if (sw["completed"].get<bool>()) {
        ++completed, last_end = std::max(last_end, sw["end_cycle"].get<uint64_t>());
        if (slowest < 0 || cycles > slowest_cycles) slowest = static_cast<int>(id), slowest_cycles = cycles;
      }
      blocked += sw["blocked"].get<uint64_t>(), released += sw["released"].get<uint64_t>();
      blocked_total += sw["blocked_cycles_total"].get<uint64_t>();
      blocked_max = std::max(blocked_max, sw["blocked_cycles_max"].get<uint64_t>());
      violations += sw["violations"].get<unsigned>();
    }
    // Done: it fired, none of its swaps waits to start, all of them completed (an update: and its record says so).
    const bool done = hs.fired(e) && hs.queued(e) == 0 && completed == count && (swap || update->completed);
    events.push_back({{"event", e},
                      {"type", swap ? "swap" : "update"},
                      {"object", swap ? spec.swaps[e].object : update->class_name},
                      {"strategy", swap ? spec.swaps[e].strategy : spec.updates[e - spec.swaps.size()].strategy},
                      {"instances", swap ? static_cast<unsigned>(hs.targets(e)) : update->instances},
                      {"swaps", count},
                      {"swaps_completed", completed},
                      {"completed", done},
                      {"first_start_cycle", first_start},
                      {"last_end_cycle", last_end},
                      {"cycles", done ? last_end - first_start : 0},
                      {"slowest_swap", slowest},
                      {"slowest_cycles", slowest_cycles},
                      {"blocked", blocked},
                      {"released", released},
                      {"blocked_cycles_total", blocked_total},
                      {"blocked_cycles_max", blocked_max},
                      {"violations", violations}});
  }
  return events;
}

// One object per patch: its outcome, the joint safe point, and each member swap's wait there.
json patches_json(const ScenarioRun& r) {
  json out = json::array();
  for (const auto& p : r.hotswap().patches()) {
    const auto& spec = r.scenario().hotswap.patches[p->id()];
    json members = json::array();
    uint64_t blocked = 0, blocked_max = 0, held_max = 0;
    for (const auto& m : p->members()) {
      // Held at its safe point: from its (last) arrival to the patch's decision.
      const uint64_t held = m.arrived && p->end_cycle() >= m.ready ? p->end_cycle() - m.ready : 0;
      held_max = std::max(held_max, held);
      uint64_t member_blocked = 0, member_max = 0;
      for (const auto& c : m.swap->cpus())
        member_blocked += c.blocked, member_max = std::max(member_max, c.blocked_cycles_max);
      blocked += member_blocked, blocked_max = std::max(blocked_max, member_max);
      members.push_back({{"swap", m.swap->id()},
                         {"event", r.hotswap().event_of(m.swap->id())},
                         {"object", m.swap->label()},
                         {"strategy", m.swap->strategy()},
                         {"joined_cycle", m.joined},
                         {"ready_cycle", m.arrived ? m.ready : 0},
                         {"held_at_safe_point_cycles", held},
                         {"blocked", member_blocked},
                         {"blocked_cycles_max", member_max},
                         {"completed", m.swap->finished()}});
    }
    json j = {{"patch", p->id()},
              {"cpu", spec.cpu},
              {"give_up_us", spec.give_up_us},
              {"fired", p->fired()},
              {"outcome", hotswap::outcome_name(p->outcome())},
              {"start_cycle", p->start_cycle()},
              {"joint_cycle", p->joint_cycle()},
              {"end_cycle", p->end_cycle()},
              {"cycles_to_joint_point", p->joint_cycle() ? p->joint_cycle() - p->start_cycle() : 0},
              {"member_swaps", p->expected()},
              {"members", members},
              {"held_at_safe_point_cycles_max", held_max},
              {"blocked", blocked},
              {"blocked_cycles_max", blocked_max}};
    if (spec.after_calls) j["after_calls"] = spec.after_calls;
    else j["at_us"] = spec.at_us;
    if (p->aborted()) j["why"] = p->why();
    out.push_back(std::move(j));
  }
  return out;
}

std::string events_csv(const ScenarioRun& r) {
  std::string s = "event,type,object,strategy,instances,swaps,swaps_completed,completed,first_start_cycle,"
                  "last_end_cycle,cycles,slowest_swap,slowest_cycles,blocked,released,blocked_cycles_total,"
                  "blocked_cycles_max,violations\n";
  for (const auto& j : events_json(r, swaps_json(r)))
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", j["event"].get<unsigned>(),
                     j["type"].get<std::string>(), j["object"].get<std::string>(), j["strategy"].get<std::string>(),
                     j["instances"].get<unsigned>(), j["swaps"].get<unsigned>(), j["swaps_completed"].get<unsigned>(),
                     j["completed"].get<bool>(), j["first_start_cycle"].get<uint64_t>(),
                     j["last_end_cycle"].get<uint64_t>(), j["cycles"].get<uint64_t>(), j["slowest_swap"].get<int>(),
                     j["slowest_cycles"].get<uint64_t>(), j["blocked"].get<uint64_t>(), j["released"].get<uint64_t>(),
                     j["blocked_cycles_total"].get<uint64_t>(), j["blocked_cycles_max"].get<uint64_t>(),
                     j["violations"].get<unsigned>());
  return s;
}

std::string split_cells(const hotswap::ActivitySplit& a) { return fmt::format("{},{},{},{}", a[0], a[1], a[2], a[3]); }

// One row per swap, CPU and phase reached, with where its time went (the rest of a CPU's time, before its
// first phase and in earlier attempts, is in summary.json's outside_phases and in activity.csv).
std::string phases_csv(const ScenarioRun& r) {
  std::string s = "swap,object,cpu,worker,phase,start_cycle,end_cycle,cycles,mechanism_cycles,cpu_wait_cycles,"
                  "quiescence_cycles,other_cpus_cycles\n";
  for (const auto& m : r.hotswap().swaps())
    for (unsigned c = 0; c < m->cpus().size(); ++c) {
      const auto& rec = m->cpus()[c];
      for (unsigned p = 0; p < rec.start.size(); ++p)
        if (rec.start[p])
          s += fmt::format("{},{},{},{},{},{},{},{},{}\n", m->id(), m->label(), c, rec.worker, m->phase_names()[p],
                           rec.start[p], rec.end[p], rec.end[p] ? rec.end[p] - rec.start[p] : 0,
                           split_cells(rec.split[p]));
    }
  return s;
}

// Every stretch of one activity in one phase on one CPU, in time order per CPU (the timeline's detail).
std::string activity_csv(const ScenarioRun& r) {
  std::string s = "swap,object,cpu,phase,activity,start_cycle,end_cycle,cycles\n";
  for (const auto& m : r.hotswap().swaps())
    for (unsigned c = 0; c < m->cpus().size(); ++c)
      for (const auto& sp : m->cpus()[c].spans) {
        const std::string phase = sp.phase == hotswap::kPhaseNone      ? kBeforeFirstPhase
                                  : sp.phase == hotswap::kPhaseRetried ? kRetried
                                                                        : m->phase_names()[sp.phase];
        s += fmt::format("{},{},{},{},{},{},{},{}\n", m->id(), m->label(), c, phase,
                         hotswap::kActivityNames[static_cast<unsigned>(sp.what)], sp.start, sp.end, sp.end - sp.start);
      }
  return s;
}

// The call windows a run's results describe: all of them, or, for a run stopped early, those that begin
// before the slowest CPU's cycle (calls.csv's rows; a faster CPU's later calls fall in none of them).
size_t windows_reached(const ScenarioRun& r) {
  const auto& k = r.kernel();
  const auto& w = k.stats().windows;
  if (r.completed()) return w.size();
  size_t n = 0;
  while (n < w.size() && n * k.stats().window_cycles < r.reached_cycles()) ++n;
  return n;
}

json summary(const ScenarioRun& r) {
  const auto& k = r.kernel();
  const auto& res = r.result();
  const auto& sc = r.scenario();
  // A run stopped early (--timeout, the watchdog) describes what was simulated: its rates are over
  // the time it reached.
  const uint64_t end = r.reached_cycles();
  const double us_per_cycle = 1e6 / sc.machine.clock_hz;
  const double simulated_us = r.completed() ? sc.run.duration_us : static_cast<double>(end) * us_per_cycle;
  const double measured_ms = std::max(0.0, simulated_us - sc.run.warmup_us) / 1000.0;
  json j;
  j["quiesce_version"] = kVersion;
  j["seed"] = sc.run.seed;
  j["scenario"] = scenario_json(sc);
  j["completed"] = r.completed();
  if (!r.completed())
    j["stopped"] = {{"reason", r.stop_reason()},
                    {"detail", r.stop_detail()},
                    {"at_cycle", end},
                    {"at_us", simulated_us},
                    {"duration_us", sc.run.duration_us}};

  uint64_t calls = 0, created = 0, exited = 0, idle = 0, misses = 0, switches = 0, io_blocks = 0, swaps = 0;
  uint64_t interrupts = 0, preemptions = 0, wake_ipis = 0;
  for (unsigned c = 0; c < sc.machine.cpus; ++c) {
    const auto& s = k.stats().cpu[c];
    calls += s.calls, created += s.threads_created, exited += s.threads_exited, idle += s.idle_cycles;
    switches += s.context_switches, io_blocks += s.io_blocks;
    interrupts += s.interrupts, preemptions += s.preemptions, wake_ipis += s.wake_ipis;
    misses += k.objects().misses(c);
    swaps += k.generation(c).swaps();
  }
  if (!r.completed()) {  // the calls in the windows reached (CPUs run up to a quantum past the slowest one)
    calls = 0;
    for (size_t i = 0; i < windows_reached(r); ++i) calls += k.stats().windows[i].calls;
  }
  os::LatencyHistogram<4> swap_intervals;
  for (unsigned c = 0; c < sc.machine.cpus; ++c) swap_intervals.merge(k.generation(c).swap_intervals());
  j["simulated"] = {
      {"cycles", end},
      {"us", simulated_us},
      {"instructions", res.instructions},
      {"calls", calls},
      {"calls_per_ms", measured_ms > 0 ? static_cast<double>(calls) / (simulated_us / 1000.0) : 0.0},
      {"threads_created", created},
      {"threads_exited", exited},
      {"threads_live_at_end", created - exited},  // at the end cycle (CPUs may run a little past it)
      {"context_switches", switches},
      {"interrupts", interrupts},    // interrupts taken: timer, IPI and devices (0 when the CPUs take none)
      {"preemptions", preemptions},  // threads preempted at them
      {"wake_ipis", wake_ipis},      // preemptive: events one CPU posted to another running a thread
      {"io_blocks", io_blocks},
      {"translation_misses", misses},
      {"idle_fraction", end ? static_cast<double>(idle) / static_cast<double>(end * sc.machine.cpus) : 0.0},
      {"os_memory_bytes", k.heap_used()},
      {"coherence_violations", res.coherence_violations}};
  // The OS allocator (issue 24): bytes carved from the heap, live (carved minus free), their peak, what
  // was freed and handed out again, in bytes and blocks; memory.csv has the live bytes over time.
  j["memory"] = {{"carved_bytes", k.heap().used()},
                 {"live_bytes", k.heap().live_bytes()},
                 {"peak_live_bytes", k.heap().peak_bytes()},
                 {"freed_bytes", k.heap().freed_bytes()},
                 {"reused_bytes", k.heap().reused_bytes()},
                 {"pool_bytes", k.heap().pool_bytes()},
                 {"frees", k.heap().frees()},
                 {"reuses", k.heap().reuses()}};
  j["generations"] = {{"token_rounds", k.token().rounds()},
                      {"round_cycles", latency_json(k.token().round_cycles())},
                      {"round_us_p50", static_cast<double>(k.token().round_cycles().percentile(0.5)) * us_per_cycle},
                      {"local_swaps", swaps},
                      {"swap_interval_cycles", latency_json(swap_intervals)}};

  if (!sc.devices.empty()) {  // (absent when there are none)
    json devices = json::array();
    for (size_t d = 0; d < sc.devices.size(); ++d) {
      const auto& ds = k.stats().devices[d];
      devices.push_back({{"name", sc.devices[d].name},
                         {"interrupts", ds.interrupts},
                         {"handler_calls", ds.calls},
                         {"latency_cycles", latency_json(ds.latency)},
                         {"handler_cycles", latency_json(ds.handler_cycles)}});
    }
    j["devices"] = devices;
  }

  json objects = json::array();
  const auto& groups = k.groups();
  for (unsigned g = 0; g < groups.size(); ++g) {
    const auto& impl = k.implementations()[groups[g].impl];
    const auto& iface = k.implementations()[groups[g].interface];  // its methods, those a newer version adds too
    json methods = json::array();
    for (unsigned m = 0; m < iface.methods.size(); ++m) {
      const auto& ms = k.stats().methods[g][m];
      methods.push_back({{"name", iface.methods[m].name},
                         {"calls", ms.calls},
                         {"nested_calls", ms.nested},
                         {"calls_per_ms", measured_ms > 0 ? static_cast<double>(ms.calls) / measured_ms : 0.0},
                         {"latency_cycles", latency_json(ms.latency)}});
    }
    // After swaps and updates, what the instances run now (one name, or each distinct one in order).
    std::vector<std::string> now;
    for (unsigned i = 0; i < groups[g].count; ++i) {
      if (!k.live(groups[g].first + i)) continue;  // a free slot of a group with lifetimes
      const std::string& name = k.implementations()[k.impl_of(groups[g].first + i)].name;
      if (std::find(now.begin(), now.end(), name) == now.end()) now.push_back(name);
    }
    objects.push_back({{"name", groups[g].name},
                       {"implementation", impl.name},
                       {"implementation_now", now.size() == 1 ? json(now[0]) : json(now)},
                       {"instances", groups[g].count},
                       {"root", impl.root == os::RootKind::Shared ? "shared" : "per_cpu"},
                       {"methods", methods}});
    if (groups[g].initial < groups[g].count) {  // object lifetimes (issue 24): its create and destroy calls
      const auto& l = k.stats().lifetimes[g];
      unsigned live = 0;
      for (unsigned i = 0; i < groups[g].count; ++i) live += k.live(groups[g].first + i);
      objects.back()["lifetimes"] = {{"capacity", groups[g].count},     {"initial", groups[g].initial},
                                     {"created", l.created},             {"destroyed", l.destroyed},
                                     {"create_refused", l.create_refused}, {"destroy_refused", l.destroy_refused},
                                     {"reclaimed", l.reclaimed},         {"live_at_end", live},
                                     {"peak_live", std::max<uint64_t>(l.peak_live, groups[g].initial)},
                                     {"reclaim", groups[g].grace_period ? "grace_period" : "generations"},
                                     {"reclaim_cycles_mean", l.reclaimed ? l.reclaim_cycles / l.reclaimed : 0},
                                     {"holdouts", l.holdouts}};
    }
  }
  j["objects"] = objects;
  json factories = json::array();
  for (const auto& f : k.factories())
    factories.push_back({{"class", f.class_name()}, {"version", f.version()}, {"instances", f.instances().size()}});
  j["factories"] = factories;
  j["swaps"] = swaps_json(r);
  json updates = json::array();
  for (const auto& u : r.hotswap().updates()) updates.push_back(update_json(u->record()));
  j["updates"] = updates;
  for (auto& sw : j["swaps"])  // a swap a policy's decision started belongs to no event
    if (const unsigned ev = r.hotswap().event_of(sw["id"].get<unsigned>()); ev >= hotswap::HotSwapManager::kPolicyEvent)
      sw["event"] = -1, sw["decision"] = ev - hotswap::HotSwapManager::kPolicyEvent;
  j["events"] = events_json(r, j["swaps"]);
  j["patches"] = patches_json(r);
  if (!r.scenario().hotswap.policies.empty()) j["policies"] = policies_json(r);
  const auto& violations = r.hotswap().oracle().violations();
  json details = json::array();
  for (const auto& v : violations)
    details.push_back({{"cycle", v.cycle}, {"cpu", v.cpu}, {"thread", v.thread}, {"object", v.object}, {"what", v.what}});
  json audit = json::array();
  for (const auto& a : r.hotswap().audits())
    audit.push_back(a.skipped.empty() ? json{{"object", a.object}, {"served", a.served}, {"counted", a.counted},
                                             {"in_flight", a.in_flight}}
                                      : json{{"object", a.object}, {"skipped", a.skipped}});
  j["safety"] = {{"violations", violations.size()}, {"details", details}, {"calls_audit", audit}};
  // When a swap or update did not complete: every live thread, to see who waits on what.
  bool incomplete = false;
  for (const auto& m : r.hotswap().swaps()) incomplete = incomplete || !m->finished();
  for (const auto& u : r.hotswap().updates()) incomplete = incomplete || !u->record().completed;
  for (const auto& p : r.hotswap().patches()) incomplete = incomplete || p->outcome() != hotswap::Patch::Outcome::Committed;
  if (incomplete) j["threads_at_end"] = k.describe_threads();
  return j;
}

std::string calls_csv(const ScenarioRun& r) {
  const auto& k = r.kernel();
  const double us_per_cycle = 1e6 / r.scenario().machine.clock_hz;
  std::string s =
      "window,start_us,end_us,calls,calls_per_ms,latency_mean_cycles,latency_p50_cycles,latency_p90_cycles,"
      "latency_p99_cycles,latency_max_cycles,threads_created\n";
  const auto& w = k.stats().windows;
  // A run stopped early: the windows it reached.
  const double until = r.completed() ? r.scenario().run.duration_us : static_cast<double>(r.reached_cycles()) * us_per_cycle;
  for (size_t i = 0; i < windows_reached(r); ++i) {
    const double start = static_cast<double>(i * k.stats().window_cycles) * us_per_cycle;
    const double end = std::min(static_cast<double>((i + 1) * k.stats().window_cycles) * us_per_cycle, until);
    const double ms = (end - start) / 1000.0;
    s += fmt::format("{},{:.4f},{:.4f},{},{:.3f},{:.1f},{},{},{},{},{}\n", i, start, end, w[i].calls,
                     ms > 0 ? static_cast<double>(w[i].calls) / ms : 0.0, w[i].latency.mean(),
                     w[i].latency.percentile(0.5), w[i].latency.percentile(0.9), w[i].latency.percentile(0.99),
                     w[i].latency.max(), w[i].threads_created);
  }
  return s;
}

// The OS heap's live bytes per window: at the window's start and end and the most within it (issue 24).
std::string memory_csv(const ScenarioRun& r) {
  const auto& k = r.kernel();
  const double us_per_cycle = 1e6 / r.scenario().machine.clock_hz;
  const LiveHistory h = sorted_history(k.heap());
  std::string s = "window,start_us,end_us,live_bytes_start,live_bytes_end,live_bytes_max\n";
  const uint64_t wc = k.stats().window_cycles;
  size_t at = 0;
  for (size_t i = 0; i < windows_reached(r); ++i) {
    const uint64_t start = i * wc, end = (i + 1) * wc;
    const uint64_t first = live_at(h, start ? start - 1 : 0);
    uint64_t most = first, last = first;
    while (at < h.size() && h[at].first < start) ++at;
    for (; at < h.size() && h[at].first < end; ++at) most = std::max(most, h[at].second), last = h[at].second;
    s += fmt::format("{},{:.4f},{:.4f},{},{},{}\n", i, static_cast<double>(start) * us_per_cycle,
                     static_cast<double>(end) * us_per_cycle, first, last, most);
  }
  return s;
}

std::string cpus_csv(const ScenarioRun& r) {
  const auto& k = r.kernel();
  std::string s =
      "cpu,instructions,cycles,idle_cycles,calls,threads_created,threads_exited,context_switches,translation_misses,"
      "io_points,io_blocks,backlogged,backlog_peak,generation_swaps,syncs" +
      counter_header() + "\n";
  for (const auto& c : r.result().cpus) {
    const auto& o = k.stats().cpu[c.id];
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", c.id, c.instructions, c.cycles, o.idle_cycles,
                     o.calls, o.threads_created, o.threads_exited, o.context_switches, k.objects().misses(c.id),
                     o.io_points, o.io_blocks, o.backlogged, o.backlog_peak, k.generation(c.id).swaps(), c.syncs) +
         counter_row(c.counters) + "\n";
  }
  return s;
}

// Regions of the same name (the reps of a group, say) are one row.
std::string regions_csv(const ScenarioRun& r) {
  struct Row {
    uint64_t start, bytes = 0;
    unsigned parts = 0;
    mem::CoherenceCounters c{};
  };
  std::map<std::string, Row> rows;
  std::vector<std::string> order;
  for (const auto& g : r.result().regions) {
    auto [it, fresh] = rows.try_emplace(g.name, Row{g.start});
    if (fresh) order.push_back(g.name);
    Row& row = it->second;
    row.bytes += g.bytes;
    ++row.parts;
    row.c += g.counters;
  }
  std::string s = "region,start,bytes,parts" + counter_header() + "\n";
  for (const auto& name : order) {
    const Row& row = rows[name];
    s += fmt::format("{},0x{:x},{},{}", name, row.start, row.bytes, row.parts) + counter_row(row.c) + "\n";
  }
  return s;
}

// The same per region name and CPU (the CPU whose requests caused the counts): who contends where.
// Only the pairs with a count: a CPU missing under a region caused none there (with regions per CPU,
// every pair would make the file, and the memory behind it, grow as the square of the CPU count).
std::string region_cpus_csv(const ScenarioRun& r) {
  std::map<std::string, std::map<unsigned, mem::CoherenceCounters>> rows;
  std::vector<std::string> order;
  for (const auto& g : r.result().regions) {
    auto [it, fresh] = rows.try_emplace(g.name);
    if (fresh) order.push_back(g.name);
    for (const auto& [cpu, c] : g.per_cpu) it->second[cpu] += c;
  }
  std::string s = "region,cpu" + counter_header() + "\n";
  for (const auto& name : order)
    for (const auto& [cpu, c] : rows[name]) s += fmt::format("{},{}", name, cpu) + counter_row(c) + "\n";
  return s;
}
}  // namespace

const std::vector<std::string>& result_file_names() {
  static const std::vector<std::string> names = {"summary.json", "calls.csv",       "cpus.csv",   "regions.csv",
                                                 "swaps.csv",    "phases.csv",      "region_cpus.csv",
                                                 "events.csv",   "activity.csv",    "memory.csv",      "host.json",
                                                 "decisions.csv", "policy_windows.csv"};  // the last two: with policies
  return names;
}

std::string write_results(const ScenarioRun& r, ResultsDir& out) {
  const std::pair<const char*, std::string> files[] = {
      {"summary.json", summary(r).dump(2) + "\n"}, {"calls.csv", calls_csv(r)},   {"cpus.csv", cpus_csv(r)},
      {"regions.csv", regions_csv(r)},            {"swaps.csv", swaps_csv(r)},   {"phases.csv", phases_csv(r)},
      {"region_cpus.csv", region_cpus_csv(r)},    {"events.csv", events_csv(r)}, {"activity.csv", activity_csv(r)},
      {"memory.csv", memory_csv(r)}};
  for (const auto& [name, text] : files)
    if (std::string err = out.write(name, text); !err.empty()) return err;
  if (!r.scenario().hotswap.policies.empty())
    for (const auto& [name, text] : {std::pair{"decisions.csv", decisions_csv(r)}, std::pair{"policy_windows.csv", policy_windows_csv(r)}})
      if (std::string err = out.write(name, text); !err.empty()) return err;
  const auto& res = r.result();
  const double cpu_cycles = static_cast<double>(r.reached_cycles()) * r.scenario().machine.cpus;
  const json host = {{"host_seconds", res.host_seconds},
                     {"instructions", res.instructions},
                     // Much of a CPU's simulated time is host-modelled OS work or idling, which runs no
                     // instructions: cycles per host second says how fast simulated time passes.
                     {"simulated_cpu_cycles_per_second", res.host_seconds > 0 ? cpu_cycles / res.host_seconds : 0.0},
                     {"simulated_mips", res.host_seconds > 0 ? static_cast<double>(res.instructions) / res.host_seconds / 1e6 : 0.0},
                     {"peak_rss_bytes", platform::peak_resident_bytes()},
                     {"waits_skipped", res.waits_skipped},
                     {"quiesce_version", kVersion}};
  std::string err = out.write("host.json", host.dump(2) + "\n");
  out.size_varies("host.json");
  return err;
}

}  // namespace quiesce::run
