#include "platform/run_stats.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace quiesce::platform {

namespace {
void add_counters(nlohmann::ordered_json& j, const mem::CoherenceCounters& c) {
  mem::for_each_counter(c, [&](const char* name, const char*, const char*, uint64_t v) { j[name] = v; });
  // The short name for the invalidations a region's or CPU's requests caused.
  j["invalidations"] = c.invalidations_sent;
}
}  // namespace

uint64_t peak_resident_bytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmHWM:")) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;  // "VmHWM:  1234 kB"
  return 0;
}

nlohmann::ordered_json run_stats_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["instructions"] = r.instructions;
  j["cycles"] = r.cycles;
  j["host_seconds"] = r.host_seconds;
  j["mips"] = r.host_seconds > 0 ? static_cast<double>(r.instructions) / r.host_seconds / 1e6 : 0.0;
  j["peak_rss_bytes"] = peak_resident_bytes();
  j["waits_skipped"] = r.waits_skipped;
  j["exit_code"] = r.exit_code;
  // How the guest ended: "exited" (exit_code is its status, 0..255), "trapped" (a guest fault on
  // trapped_cpu: the process exits 3) or "halted" (every CPU stopped without an exit call; status 0).
  j["outcome"] = r.trapped_cpu ? "trapped" : r.exited ? "exited" : "halted";
  if (r.trapped_cpu) j["trapped_cpu"] = *r.trapped_cpu;
  j["coherence_violations"] = r.coherence_violations;
  auto& cpus = j["cpus"] = nlohmann::ordered_json::array();
  for (const auto& c : r.cpus) {
    nlohmann::ordered_json o{{"id", c.id}, {"instructions", c.instructions}, {"cycles", c.cycles}, {"syncs", c.syncs}};
    add_counters(o, c.counters);
    cpus.push_back(std::move(o));
  }
  auto& regions = j["regions"] = nlohmann::ordered_json::array();
  for (const auto& g : r.regions) {
    nlohmann::ordered_json o{{"name", g.name}, {"start", g.start}, {"bytes", g.bytes}};
    add_counters(o, g.counters);
    regions.push_back(std::move(o));
  }
  auto& units = j["counter_units"] = nlohmann::ordered_json::object();
  mem::for_each_counter(mem::CoherenceCounters{}, [&](const char* name, const char* unit, const char* meaning, uint64_t) {
    units[name] = {{"unit", unit}, {"meaning", meaning}};
  });
  units["invalidations"] = {{"unit", "copies"}, {"meaning", "same as invalidations_sent"}};
  units["syncs"] = {{"unit", "waits"}, {"meaning", "times the CPU synchronised with SystemC time inside a quantum"}};
  return j;
}

}  // namespace quiesce::platform
