// `quiesce run SCENARIO.yaml [-o DIR] [--set K=V]... [--seed N]`.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quiesce::cli {

struct RunOptions {
  std::string scenario;
  std::optional<std::string> out;        // none: outputs.dir, else results/<name> ("" is refused)
  std::vector<std::string> sets;  // KEY.PATH=VALUE, in order
  // machine.KEY=VALUE from the flags (--cpus N, ...), each with the flag for messages; after every --set.
  std::vector<std::pair<std::string, std::string>> flag_sets;
  std::optional<std::string> seed;  // as given: read as run.seed is (0..2^64-1, else bad input)
  bool quiet = false;
  std::optional<std::string> trace_out;  // a Chrome trace-event JSON timeline, if given
  std::string log;       // the diagnostic log's levels (sim/diag/log.h), "" for none
  std::string log_file;  // where it goes ("": stderr)
  double timeout_s = 0;           // host seconds the run may take (0: no limit); then exit code 4
  std::optional<uint64_t> max_memory;  // host bytes the run may need (estimated before it; 0: no limit);
                                       // none: 80% of the machine's memory
};

// Runs and writes the results directory; returns the process exit code and
// leaves in `message` what is to be printed on stderr ("" on success). Bad
// input of every kind (scenario, ELF, machine, OS build, guest memory) is
// exit code 2 with its message, as for the other verbs. The CLI and the
// Python extension both use it, so both report the same.
int run_command(const RunOptions& o, std::string& message);

// The diagnostic log (sim/diag/log.h) on for a run's lifetime when `level` or `file` is given (a file
// alone: level info); off again however the run ends. Bad levels and files throw ConfigError (exit 2).
class LogSession {
 public:
  LogSession(const std::string& level, const std::string& file);
  ~LogSession();
  LogSession(const LogSession&) = delete;
  LogSession& operator=(const LogSession&) = delete;
};

}  // namespace quiesce::cli
