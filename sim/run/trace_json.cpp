// The timeline recorded by trace_writer.cpp as Chrome trace-event JSON (the layout is in trace_writer.h).
#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "run/scenario_run.h"
#include "run/scheduler_log.h"
#include "run/trace_writer.h"

namespace quiesce::run {

using json = nlohmann::ordered_json;

namespace {
// Track ids within a CPU's process: its threads, its counters, one per thread identity, one per swap.
constexpr unsigned kThreadsTrack = 0, kCounterTrack = 1, kCallTrackBase = 2, kSwapTrackBase = 1'000'000'000;

// A counter from +1/-1 changes: one event per cycle where it changed, the value after that cycle's
// changes, from `from` (its value there first) to `to`.
std::vector<std::pair<uint64_t, int64_t>> counter(const std::vector<std::pair<uint64_t, int>>& deltas, uint64_t from,
                                                  uint64_t to) {
  std::map<uint64_t, int64_t> at;
  int64_t value = 0;
  for (const auto& [c, d] : deltas) {
    if (c <= from) value += d;
    else if (c <= to) at[c] += d;
  }
  std::vector<std::pair<uint64_t, int64_t>> out{{from, value}};
  for (const auto& [c, d] : at)
    if (d) out.emplace_back(c, value += d);
  return out;
}
}  // namespace

std::string TraceWriter::to_json(const ScenarioRun& r) const {
  const auto& k = r.kernel();
  const unsigned cpus = r.scenario().machine.cpus, swaps_pid = cpus;
  // Divided (not multiplied by the inverse): the quotient is the double nearest the decimal time, which
  // prints short (3.635, not 3.6350000000000002), a fifth of the file.
  const double cycles_per_us = r.scenario().machine.clock_hz / 1e6;
  const uint64_t end = r.duration_cycles();
  auto us = [&](uint64_t c) { return static_cast<double>(c) / cycles_per_us; };
  // (pid, tid, ts, order) -> event, so every track is in time order.
  std::vector<std::tuple<unsigned, unsigned, uint64_t, size_t, json>> ev;
  auto add = [&](unsigned pid, unsigned tid, uint64_t ts, json e) {
    e["pid"] = pid, e["tid"] = tid, e["ts"] = us(ts);
    ev.emplace_back(pid, tid, ts, ev.size(), std::move(e));
  };
  auto slice = [&](unsigned pid, unsigned tid, uint64_t b, uint64_t e, std::string name, const char* cat, json args) {
    json x = {{"ph", "X"}, {"name", std::move(name)}, {"cat", cat}, {"dur", us(std::max(e, b) - b)}};
    if (!args.empty()) x["args"] = std::move(args);
    add(pid, tid, b, std::move(x));
  };
  auto count = [&](unsigned pid, uint64_t ts, const std::string& name, int64_t value) {
    add(pid, kCounterTrack, ts, json{{"ph", "C"}, {"name", name}, {"args", {{"value", value}}}});
  };
  std::map<std::pair<unsigned, unsigned>, std::string> names;  // (pid, tid) -> track name
  auto who = [&](unsigned id) { return fmt::format("{} #{}", labels_[who_[id].label], id); };
  auto track = [&](unsigned cpu, unsigned id) {
    names[{cpu, kCallTrackBase + id}] = fmt::format("{} (descriptor {})", who(id), who_[id].slot);
    return kCallTrackBase + id;
  };
  // Spans still open at the end close there.
  auto all = [&](const std::vector<Span>& done, const std::vector<Span>& open_now) {
    std::vector<Span> out = done;
    for (const Span& s : open_now)
      if (s.begin != kNone) out.push_back({s.cpu, s.who, s.begin, std::max(end, s.begin), s.a, s.b});
    return out;
  };
  for (const Span& s : all(running_, open_run_)) {
    names[{s.cpu, kThreadsTrack}] = "threads";
    slice(s.cpu, kThreadsTrack, s.begin, s.end, who(s.who), "thread",
          json{{"thread", s.who}, {"descriptor", who_[s.who].slot}, {"what", labels_[s.a]}});
  }
  const std::vector<Span> calls = all(calls_, open_call_);
  for (const Span& s : calls)
    slice(s.cpu, track(s.cpu, s.who), s.begin, s.end, call_name(k, s.a, s.b), "call",
          json{{"object", object_name(k, s.a)}, {"method", method_name(k, s.a, s.b)},
               {"thread", s.who}});
  for (size_t i = 0; i < nested_.size(); ++i) {
    const Span& s = nested_[i];
    const auto& impl = k.implementations()[s.a];
    slice(s.cpu, track(s.cpu, s.who), s.begin, s.end, impl.name + "." + impl.methods[s.b].name, "nested",
          json{{"implementation", impl.name}, {"method", impl.methods[s.b].name}, {"depth", nested_depth_[i]}});
  }
  for (const auto& [cpu, cycle] : gen_swaps_) {
    names[{cpu, kThreadsTrack}] = "threads";
    add(cpu, kThreadsTrack, cycle, json{{"ph", "i"}, {"name", "generation swap"}, {"cat", "generation"}, {"s", "t"}});
  }
  for (size_t i = 0; i < runq_.size(); ++i)  // the last length of each cycle
    if (i + 1 == runq_.size() || runq_[i + 1].cycle != runq_[i].cycle || runq_[i + 1].cpu != runq_[i].cpu)
      count(runq_[i].cpu, runq_[i].cycle, "run queue", runq_[i].value);
  uint64_t flow = 0;
  for (const auto& sw : r.hotswap().swaps()) {
    const json args = {{"swap", sw->id()}, {"object", sw->label()}, {"strategy", sw->strategy()}};
    const std::string swap_name = fmt::format("swap {} {} ({})", sw->id(), sw->label(), sw->strategy());
    for (unsigned c = 0; c < sw->cpus().size(); ++c) {
      const auto& rec = sw->cpus()[c];
      for (unsigned p = 0; p < rec.start.size(); ++p)
        if (rec.start[p]) {
          names[{c, kSwapTrackBase + sw->id()}] = swap_name;
          slice(c, kSwapTrackBase + sw->id(), rec.start[p], rec.end[p] ? rec.end[p] : std::max(end, rec.start[p]),
                sw->phase_names()[p], "swap", args);
        }
    }
    std::vector<std::pair<uint64_t, int>> held, in_flight;
    for (const hotswap::HeldCall& hc : sw->held_calls()) {
      if (hc.tid >= by_slot_.size() || by_slot_[hc.tid].empty()) continue;  // never ran: not on the timeline
      const unsigned call_track = track(hc.cpu, identity_at(hc.tid, hc.since)), swap_track = kSwapTrackBase + sw->id();
      names[{hc.released_on, swap_track}] = swap_name;
      slice(hc.cpu, call_track, hc.since, hc.released, fmt::format("held by swap {}", sw->id()), "held", args);
      slice(hc.released_on, swap_track, hc.released, hc.released, "release", "held", json{{"thread", hc.tid}});
      add(hc.cpu, call_track, hc.since, json{{"ph", "s"}, {"name", "held call"}, {"cat", "held"}, {"id", flow}});
      add(hc.released_on, swap_track, hc.released,
          json{{"ph", "f"}, {"bp", "e"}, {"name", "held call"}, {"cat", "held"}, {"id", flow}});
      ++flow;
      held.emplace_back(hc.since, 1), held.emplace_back(hc.released, -1);
    }
    for (const Span& s : calls)
      if (s.a == sw->coid()) in_flight.emplace_back(s.begin, 1), in_flight.emplace_back(s.end, -1);
    const uint64_t from = sw->start_cycle(), to = sw->end_cycle() ? sw->end_cycle() : std::max(end, from);
    const std::string prefix = fmt::format("swap {} {}: ", sw->id(), sw->label());
    for (const auto& [c, v] : counter(in_flight, from, to)) count(swaps_pid, c, prefix + "calls in flight", v);
    for (const auto& [c, v] : counter(held, from, to)) count(swaps_pid, c, prefix + "calls held", v);
  }
  // Autonomic policies: each one's metric as a counter and its decisions as instants, in the swaps process.
  if (const auto* engine = r.hotswap().policies())
    for (const auto& p : engine->policies()) {
      const auto& sp = p->spec();
      const std::string name = fmt::format("policy {}: {}", sp.name, sp.metric_name);
      for (const auto& w : p->windows())
        if (w.has_value) count(swaps_pid, w.end_cycle, name, static_cast<int64_t>(w.value));
      for (const auto& d : p->decisions())
        add(swaps_pid, kCounterTrack, d.cycle,
            json{{"ph", "i"},
                 {"name", sp.update ? fmt::format("policy {}: decision {}, update {} to version {}", sp.name, d.id,
                                                  sp.update_class, sp.to_version)
                                    : fmt::format("policy {}: decision {}, {} to {}", sp.name, d.id, sp.target, sp.to)},
                 {"cat", "policy"}, {"s", "p"},
                 {"args", {{"value", d.value}, {"values", d.values}, {"strategy", sp.strategy}}}});
    }
  std::stable_sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a), std::get<3>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b), std::get<3>(b));
  });
  json events = json::array();
  for (unsigned c = 0; c <= cpus; ++c)
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", c}, {"tid", 0},
                      {"args", {{"name", c == swaps_pid ? std::string("swaps") : fmt::format("CPU {}", c)}}}});
  for (const auto& [key, name] : names)
    events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", key.first}, {"tid", key.second}, {"args", {{"name", name}}}});
  for (auto& e : ev) events.push_back(std::move(std::get<4>(e)));
  json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ns"},
              {"otherData", {{"scenario", r.scenario().name}, {"clock_hz", r.scenario().machine.clock_hz}}}};
  return doc.dump() + "\n";
}

}  // namespace quiesce::run
