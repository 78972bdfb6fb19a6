// The results directory of `quiesce run`: summary.json, calls.csv, cpus.csv,
// regions.csv, region_cpus.csv, swaps.csv, phases.csv, activity.csv, events.csv (all
// deterministic: same scenario and seed, same bytes) and host.json (host time
// and speed, the only things that vary), and manifest.json, written last (see
// output_files.h: the directory is staged and renamed into place whole, so a
// killed run leaves the previous results or the complete new ones).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/output_files.h"
#include "run/scenario_run.h"

namespace quiesce::run {

inline constexpr const char* kVersion = "0.5.0";  // 0.5: manifest.json, summary.json completed/stopped, region_cpus.csv sparse

// The scenario with every default filled in, as JSON.
nlohmann::ordered_json scenario_json(const scenario::Scenario& s);

// Returns "" or what went wrong. (No exceptions: after a SystemC run, an
// exception confuses AddressSanitizer about the stack, which SystemC's
// threads switched.)
// Writes every file into `out`'s staging directory (the caller commits it).
std::string write_results(const ScenarioRun& r, ResultsDir& out);

// The names of the files write_results writes (manifest.json aside).
const std::vector<std::string>& result_file_names();

}  // namespace quiesce::run
