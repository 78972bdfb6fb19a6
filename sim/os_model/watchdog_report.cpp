// The watchdog's report (watchdog_report.h): composing it, and the kernel's facts and symbols for it.
#include "os_model/watchdog_report.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "os_model/os_kernel.h"

namespace quiesce::os {

namespace {
const char* state_name(ThreadState s) {
  static const char* const kState[] = {"free", "runnable", "running", "blocked"};
  return kState[static_cast<unsigned>(s)];
}

std::string at(const WatchdogThread& t) {
  return fmt::format("pc 0x{:x}{}", t.pc, t.where.empty() ? "" : " (" + t.where + ")");
}

std::string holds(const WatchdogThread& t) {
  std::string out;
  if (t.holds_world) out += ", holds stop-the-world";
  if (t.counted) out += fmt::format(", holds generation {}", t.generation);
  if (!t.call.empty()) out += fmt::format(", in {}call {}", t.gated ? "gated " : "", t.call);
  return out;
}

std::string line(const WatchdogThread& t) {
  return fmt::format("thread {} cpu {} {} {} {}{}{}", t.id, t.cpu, state_name(t.state), t.what, at(t), t.extra, holds(t));
}

bool older_generation(const WatchdogThread& t) { return t.counted && t.generation < t.cpu_generation && !t.cpu_drained; }
}  // namespace

int watchdog_culprit(const std::vector<WatchdogThread>& threads) {
  auto first = [&](auto&& pick) {
    int best = -1;
    for (size_t i = 0; i < threads.size(); ++i)
      if (pick(threads[i]) && (best < 0 || threads[i].since < threads[static_cast<size_t>(best)].since)) best = static_cast<int>(i);
    return best;
  };
  for (auto rule : {+[](const WatchdogThread& t) { return t.holds_world && t.world_waiters > 0; },
                    +[](const WatchdogThread& t) { return older_generation(t); },
                    +[](const WatchdogThread& t) { return t.gated && !t.call.empty() && t.state != ThreadState::Running; },
                    +[](const WatchdogThread& t) { return t.state != ThreadState::Running; },
                    +[](const WatchdogThread&) { return true; }})
    if (const int c = first(rule); c >= 0) return c;
  return -1;
}

namespace {
std::string culprit_paragraph(const std::vector<WatchdogThread>& threads, const WatchdogThread& t) {
  const std::string who = fmt::format("thread {} ({}, cpu {}, {} since cycle {})", t.id, t.what, t.cpu,
                                      state_name(t.state), t.since);
  std::string why;
  if (t.holds_world && t.world_waiters) {
    why = fmt::format("holds stop-the-world; {} system thread(s) wait for it", t.world_waiters);
  } else if (older_generation(t)) {
    const auto others = std::count_if(threads.begin(), threads.end(), older_generation) - 1;
    why = fmt::format("holds generation {} on cpu {}, which is at generation {} and cannot swap again until it leaves: "
                      "whatever waits for quiescence on cpu {} (a swap's generation wait, the token) waits for it{}",
                      t.generation, t.cpu, t.cpu_generation, t.cpu, others ? fmt::format(" ({} other thread(s) hold "
                      "an older generation too)", others) : "");
  } else if (t.gated && !t.call.empty()) {
    why = fmt::format("is in the gated call {}: a swap waiting for its object's calls to drain waits for it", t.call);
  } else {
    why = "has waited longest (no thread holds stop-the-world, a generation its CPU cannot leave, or a gated call)";
  }
  return fmt::format("culprit: {} {}{}; {}", who, why, t.call.empty() ? "" : ", in call " + t.call, at(t));
}

std::string list(const std::vector<unsigned>& v, size_t shown) {
  std::string out;
  for (size_t i = 0; i < std::min(shown, v.size()); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return v.size() > shown ? out + fmt::format(" and {} more", v.size() - shown) : out;
}
}  // namespace

std::string watchdog_report(const std::string& headline, const std::vector<std::string>& parts,
                            const std::vector<WatchdogThread>& threads, size_t max_lines) {
  std::string out = headline;
  const int c = watchdog_culprit(threads);
  if (c >= 0) out += "\n" + culprit_paragraph(threads, threads[static_cast<size_t>(c)]);
  for (const std::string& p : parts)
    if (!p.empty()) out += "\n" + p;
  // Identical states together (what, state, where, holdings), in the order of their first thread.
  using Key = std::tuple<std::string, ThreadState, uint64_t, std::string, std::string>;
  std::map<Key, size_t> index;
  struct Group {
    const WatchdogThread* first;
    std::vector<unsigned> ids, cpus;
  };
  std::vector<Group> groups;
  if (c >= 0) groups.push_back({&threads[static_cast<size_t>(c)], {threads[static_cast<size_t>(c)].id}, {}});
  for (size_t i = 0; i < threads.size(); ++i) {
    if (static_cast<int>(i) == c) continue;
    const WatchdogThread& t = threads[i];
    const auto [it, made] = index.try_emplace(Key{t.what, t.state, t.pc, t.extra, holds(t)}, groups.size());
    if (made) groups.push_back({&t, {}, {}});
    Group& g = groups[it->second];
    g.ids.push_back(t.id);
    if (std::find(g.cpus.begin(), g.cpus.end(), t.cpu) == g.cpus.end()) g.cpus.push_back(t.cpu);
  }
  out += fmt::format("\nthreads ({} live, {} kinds{}):", threads.size(), groups.size(), c >= 0 ? ", the culprit first" : "");
  size_t shown = 0, rest = 0;
  for (const Group& g : groups) {
    if (shown == max_lines) {
      rest += g.ids.size();
      continue;
    }
    ++shown;
    const WatchdogThread& t = *g.first;
    out += "\n  " + (g.ids.size() == 1 ? line(t)
                                       : fmt::format("{} threads {} {} {}{}{} on cpu {}: threads {}", g.ids.size(),
                                                     state_name(t.state), t.what, at(t), t.extra, holds(t),
                                                     list(g.cpus, 8), list(g.ids, 6)));
  }
  if (rest) out += fmt::format("\n  ... and {} more kinds ({} threads)", groups.size() - shown, rest);
  return out;
}

// ---- The kernel's side: its facts of each live thread, and names for code addresses. ----

std::vector<WatchdogThread> OsKernel::watchdog_threads() const {
  std::vector<WatchdogThread> out;
  for (const Thread& t : threads_) {
    if (t.state == ThreadState::Free) continue;
    WatchdogThread w;
    w.id = t.id, w.cpu = t.cpu, w.state = t.state, w.system = t.system, w.what = thread_label(t);
    w.pc = t.state == ThreadState::Running && harts_[t.cpu] ? harts_[t.cpu]->state().pc : t.regs.pc;
    w.where = symbol(w.pc);
    for (const auto& f : describers_) w.extra += f(t);
    w.counted = t.counted, w.generation = t.generation;
    w.cpu_generation = cpus_[t.cpu].gen->current();
    w.cpu_drained = cpus_[t.cpu].gen->previous_drained();
    w.holds_world = world_owner_ == static_cast<int>(t.id);
    w.world_waiters = w.holds_world ? static_cast<unsigned>(world_waiters_.size()) : 0;
    if (t.call_under_way()) {
      const ObjectGroup& g = groups_[t.call_group];
      w.call = (g.count == 1 ? g.name : fmt::format("{}[{}]", g.name, t.call_coid - g.first)) + "." +
               impls_[t.call_impl].methods.at(t.call_method).name;
      w.gated = !gates_[t.call_group].empty();
    }
    w.since = t.state == ThreadState::Runnable ? t.runnable_since : t.created;
    out.push_back(std::move(w));
  }
  return out;
}

std::string OsKernel::symbol(uint64_t pc) const {
  auto off = [](const std::string& name, uint64_t d) { return d ? fmt::format("{}+0x{:x}", name, d) : name; };
  static constexpr std::pair<uint64_t, const char*> kEntries[] = {
      {kIdle, "kernel.idle"}, {kNextCall, "kernel.next_call"}, {kIoWait, "kernel.io_wait"},
      {kSystemStep, "kernel.system_step"}, {kInterrupt, "kernel.interrupt"}, {kSwitched, "kernel.switched"},
      {kExited, "kernel.exited"}, {kPreemptCheck, "kernel.preempt_check"}};
  for (const auto& [entry, name] : kEntries)
    if (pc == entry) return name;
  if (pc - com_->miss_base() < com_->miss_bytes()) return off("kernel.translation_miss", pc - com_->miss_base());
  uint64_t base = kExtensionCalls;  // entries a layer above reserved, in the order reserved
  for (size_t k = 0; k < extensions_.size(); base += 4 * uint64_t{extensions_[k].first}, ++k)
    if (pc - base < 4 * uint64_t{extensions_[k].first}) return fmt::format("kernel.entries{}[{}]", k, (pc - base) / 4);
  for (size_t i = 0; i < code_ranges_.size(); ++i)
    for (size_t m = 0; m < code_ranges_[i].size(); ++m)
      if (pc >= code_ranges_[i][m].start && pc < code_ranges_[i][m].end)
        return off(impls_[i].name + "." + impls_[i].methods[m].name, pc - code_ranges_[i][m].start);
  if (pc >= request_loop_ && pc < loop_end_) return off("os.request_loop", pc - request_loop_);
  if (pc >= system_loop_ && pc < system_loop_ + 8) return off("os.system_loop", pc - system_loop_);
  if (pc >= sites_begin_ && pc < sites_end_) return off("os.callsites", pc - sites_begin_);
  const mem::RegionMap& regions = heap_.regions();
  const uint32_t r = regions.lookup(pc);
  if (pc >= start_code_ && pc < exit_code_) return off("os.thread_start", pc - start_code_);
  if (pc >= exit_code_ && pc < switch_code_) return off("os.thread_exit", pc - exit_code_);
  if (r != mem::RegionMap::kOther && regions.name(r) == "os.code" && pc >= switch_code_)
    return off("os.context_switch", pc - switch_code_);
  if (p_.program)
    if (std::string s = p_.program->symbols.describe(pc); !s.empty()) return s;
  return r == mem::RegionMap::kOther ? std::string() : off(regions.name(r), pc - regions.start(r));
}

}  // namespace quiesce::os
