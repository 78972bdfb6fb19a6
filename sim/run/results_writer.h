// The results directory of `quiesce run`: summary.json, calls.csv, cpus.csv,
// regions.csv, region_cpus.csv, swaps.csv, phases.csv, activity.csv, events.csv (all
// deterministic: same scenario and seed, same bytes) and host.json (host time
// and speed, the only things that vary). Each file is written to a temporary
// name and renamed, so a killed run leaves complete files or none.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "run/scenario_run.h"

namespace quiesce::run {

inline constexpr const char* kVersion = "0.4.0";

// The scenario with every default filled in, as JSON.
nlohmann::ordered_json scenario_json(const scenario::Scenario& s);

// Returns "" or what went wrong. (No exceptions: after a SystemC run, an
// exception confuses AddressSanitizer about the stack, which SystemC's
// threads switched.)
std::string write_results(const ScenarioRun& r, const std::string& dir);

// Writes `text` to `path` through a temporary file and a rename; "" or the error.
std::string write_file_atomically(const std::string& path, const std::string& text);

}  // namespace quiesce::run
