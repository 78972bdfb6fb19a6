// `quiesce run SCENARIO.yaml [-o DIR] [--set K=V]... [--seed N]`.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace quiesce::cli {

struct RunOptions {
  std::string scenario;
  std::string out;                // "" = outputs.dir, else results/<name>
  std::vector<std::string> sets;  // KEY.PATH=VALUE, in order
  std::optional<uint64_t> seed;
  bool quiet = false;
};

// Runs and writes the results directory; returns the process exit code.
// Throws the scenario/config/load errors (exit code 2) to the caller.
int run_command(const RunOptions& o);

}  // namespace quiesce::cli
