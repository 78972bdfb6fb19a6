#include "run/trace_writer.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "run/scenario_run.h"

namespace quiesce::run {

using json = nlohmann::ordered_json;

namespace {
constexpr uint64_t kNone = ~uint64_t{0};
constexpr unsigned kThreadsTrack = 0, kCallTrackBase = 1, kSwapTrackBase = 1'000'000;

template <typename V> void open(V& v, unsigned tid, typename V::value_type s) {
  if (v.size() <= tid) v.resize(tid + 1, {0, 0, kNone, 0});
  v[tid] = s;
}
template <typename V> bool close(V& v, unsigned tid, uint64_t cycle, V& out) {
  if (tid >= v.size() || v[tid].begin == kNone) return false;
  auto s = v[tid];
  s.end = cycle;
  out.push_back(s);
  v[tid].begin = kNone;
  return true;
}
}  // namespace

void TraceWriter::thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  std::string label = k_.thread_label(t);
  auto it = std::find(labels_.begin(), labels_.end(), label);
  if (it == labels_.end()) it = labels_.insert(labels_.end(), std::move(label));
  open(open_run_, t.id, Span{cpu, t.id, cycle, 0, static_cast<unsigned>(it - labels_.begin())});
}
void TraceWriter::thread_off(unsigned, const os::Thread& t, uint64_t cycle) { close(open_run_, t.id, cycle, running_); }
void TraceWriter::call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  open(open_call_, t.id, Span{cpu, t.id, cycle, 0, t.call_coid, t.call_method});
}
void TraceWriter::call_end(unsigned, const os::Thread& t, uint64_t cycle) { close(open_call_, t.id, cycle, calls_); }
void TraceWriter::generation_swap(unsigned cpu, uint64_t cycle) { gen_swaps_.emplace_back(cpu, cycle); }

std::string TraceWriter::to_json(const ScenarioRun& r) const {
  const auto& k = r.kernel();
  const double us_per_cycle = 1e6 / r.scenario().machine.clock_hz;
  const uint64_t end = r.duration_cycles();
  auto us = [&](uint64_t c) { return static_cast<double>(c) * us_per_cycle; };
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
  std::map<std::pair<unsigned, unsigned>, std::string> names;  // (pid, tid) -> track name
  auto thread_name = [&](unsigned tid) { return fmt::format("thread {}", tid); };
  // Spans still open at the end close there.
  auto all = [&](const std::vector<Span>& done, const std::vector<Span>& open_now) {
    std::vector<Span> out = done;
    for (const Span& s : open_now)
      if (s.begin != kNone) out.push_back({s.cpu, s.tid, s.begin, std::max(end, s.begin), s.a, s.b});
    return out;
  };
  for (const Span& s : all(running_, open_run_)) {
    names[{s.cpu, kThreadsTrack}] = "threads";
    slice(s.cpu, kThreadsTrack, s.begin, s.end, fmt::format("thread {} ({})", s.tid, labels_[s.a]), "thread",
          json{{"thread", s.tid}, {"what", labels_[s.a]}});
  }
  const auto& groups = k.groups();
  for (const Span& s : all(calls_, open_call_)) {
    const unsigned g = k.group_of(s.a);
    const auto& grp = groups[g];
    const std::string object = grp.count == 1 ? grp.name : fmt::format("{}[{}]", grp.name, s.a - grp.first);
    const std::string method = k.implementations()[k.impl_of(s.a)].methods.at(s.b).name;
    names[{s.cpu, kCallTrackBase + s.tid}] = fmt::format("{} calls", thread_name(s.tid));
    slice(s.cpu, kCallTrackBase + s.tid, s.begin, s.end, object + "." + method, "call",
          json{{"object", object}, {"method", method}, {"thread", s.tid}});
  }
  for (const auto& [cpu, cycle] : gen_swaps_) {
    names[{cpu, kThreadsTrack}] = "threads";
    add(cpu, kThreadsTrack, cycle, json{{"ph", "i"}, {"name", "generation swap"}, {"cat", "generation"}, {"s", "t"}});
  }
  uint64_t flow = 0;
  for (const auto& sw : r.hotswap().swaps()) {
    const json args = {{"swap", sw->id()}, {"object", sw->label()}, {"strategy", sw->strategy()}};
    for (unsigned c = 0; c < sw->cpus().size(); ++c) {
      const auto& rec = sw->cpus()[c];
      for (unsigned p = 0; p < rec.start.size(); ++p)
        if (rec.start[p]) {
          names[{c, kSwapTrackBase + sw->id()}] = fmt::format("swap {} {} ({})", sw->id(), sw->label(), sw->strategy());
          slice(c, kSwapTrackBase + sw->id(), rec.start[p], rec.end[p] ? rec.end[p] : std::max(end, rec.start[p]),
                sw->phase_names()[p], "swap", args);
        }
    }
    for (const hotswap::HeldCall& hc : sw->held_calls()) {
      const unsigned call_track = kCallTrackBase + hc.tid, swap_track = kSwapTrackBase + sw->id();
      names[{hc.cpu, call_track}] = fmt::format("{} calls", thread_name(hc.tid));
      names[{hc.released_on, swap_track}] = fmt::format("swap {} {} ({})", sw->id(), sw->label(), sw->strategy());
      slice(hc.cpu, call_track, hc.since, hc.released, fmt::format("held by swap {}", sw->id()), "held", args);
      slice(hc.released_on, swap_track, hc.released, hc.released, "release", "held", json{{"thread", hc.tid}});
      add(hc.cpu, call_track, hc.since,
          json{{"ph", "s"}, {"name", "held call"}, {"cat", "held"}, {"id", flow}});
      add(hc.released_on, swap_track, hc.released,
          json{{"ph", "f"}, {"bp", "e"}, {"name", "held call"}, {"cat", "held"}, {"id", flow}});
      ++flow;
    }
  }
  std::stable_sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a), std::get<3>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b), std::get<3>(b));
  });
  json events = json::array();
  for (unsigned c = 0; c < r.scenario().machine.cpus; ++c)
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", c}, {"tid", 0}, {"args", {{"name", fmt::format("CPU {}", c)}}}});
  for (const auto& [key, name] : names)
    events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", key.first}, {"tid", key.second}, {"args", {{"name", name}}}});
  for (auto& e : ev) events.push_back(std::move(std::get<4>(e)));
  json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ns"},
              {"otherData", {{"scenario", r.scenario().name}, {"clock_hz", r.scenario().machine.clock_hz}}}};
  return doc.dump() + "\n";
}

}  // namespace quiesce::run
