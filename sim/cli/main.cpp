// quiesce command line: one binary, verbs as subcommands.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/run_command.h"
#include "cli/version.h"  // generated (sim/cli/version.h.in)
#include "diag/log.h"
#include "os_model/os_kernel.h"
#include "platform/machine.h"
#include "platform/run_stats.h"
#include "run/defaults_table.h"
#include "run/memory_estimate.h"
#include "run/output_files.h"
#include "run/results_writer.h"
#include "run/strategies_listing.h"
#include "scenario/scenario.h"

namespace {

using namespace quiesce;

constexpr int kExitBadInput = 2;
constexpr int kExitGuestFault = 3;
constexpr int kExitInvariant = 5;  // the simulator broke its own coherence invariants (a bug)
constexpr int kExitInternal = 1;
constexpr int kExitTimeout = 4;    // --timeout: the host-time limit was reached   // an unexpected error (a bug), reported in one line

// The version results carry is the project's (CMakeLists.txt).
static_assert(std::string_view(run::kVersion) == std::string_view(cli::kProjectVersion),
              "sim/run/results_writer.h's kVersion and CMakeLists.txt's project(VERSION) differ");

// `quiesce --version`: "quiesce 0.4.0" and, when the build was configured in a git checkout, "(git DESCRIBE)".
std::string version_line() {
  std::string v = std::string("quiesce ") + cli::kProjectVersion;
  if (*cli::kGitDescribe) v += std::string(" (git ") + cli::kGitDescribe + ")";
  return v;
}

struct ExecOptions {
  std::string elf;
  bool trace = false;
  std::optional<std::string> stats;
  std::string config;             // scenario file; empty: every setting at its default
  std::vector<std::string> sets;  // KEY.PATH=VALUE overrides of the scenario, in order
  std::vector<std::string> regs;  // NAME=VALUE overrides of CPU 0's initial state
  double timeout_s = 0;           // host seconds the run may take (0: no limit); then exit code 4
  std::string log, log_file;      // the diagnostic log (sim/diag/log.h)
};

// --timeout: finite seconds, 0 (no limit) to 1e9; nan, inf and negative values are bad input.
CLI::Validator seconds_validator() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || v < 0 || v > 1e9)
          return fmt::format("expected a number of seconds from 0 (no limit) to 1e9, found \"{}\"", run::excerpt(text, 40));
        return {};
      },
      "SECONDS", "finite, 0 to 1e9");
}

// "r5=0x10", "lr=...", "ctr=...", "cr=...", "xer=...", "pc=..."
void apply_reg(ppc::ArchState& s, const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) throw platform::ConfigError(fmt::format("--reg {}: expected NAME=VALUE", spec));
  const std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
  uint64_t v = 0;
  try {
    size_t used = 0;
    v = std::stoull(value, &used, 0);
    if (used != value.size()) throw std::invalid_argument(value);
  } catch (const std::exception&) {
    throw platform::ConfigError(fmt::format("--reg {}: '{}' is not a number", spec, value));
  }
  if (name.size() > 1 && name[0] == 'r' && name.find_first_not_of("0123456789", 1) == std::string::npos) {
    const unsigned n = static_cast<unsigned>(std::stoul(name.substr(1)));
    if (n < 32) { s.gpr[n] = v; return; }
  }
  if (name == "lr") s.lr = v;
  else if (name == "ctr") s.ctr = v;
  else if (name == "cr") s.cr = static_cast<uint32_t>(v);
  else if (name == "xer") s.set_xer(v);
  else if (name == "pc") s.pc = v;
  else throw platform::ConfigError(fmt::format("--reg {}: unknown register '{}'", spec, name));
}

// The machine flags (--cpus N, ...): shorthands for --set machine.KEY=N, each with the scenario key it sets.
using MachineFlags = std::vector<std::pair<CLI::Option*, std::string>>;

// The --set specs the given machine flags stand for, each with the flag as its label (for messages).
std::vector<std::pair<std::string, std::string>> machine_flag_sets(const MachineFlags& flags) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [opt, key] : flags)
    for (const auto& value : opt->results())
      out.emplace_back(fmt::format("machine.{}={}", key, value), fmt::format("{} {}", opt->get_name(), value));
  return out;
}

// The scenario file, then each --set, then the explicit machine flags: the last word wins.
scenario::Scenario read_scenario(const ExecOptions& o, const MachineFlags& flags) {
  scenario::Document doc = o.config.empty() ? scenario::Document{} : scenario::Document::load_file(o.config);
  for (const auto& spec : o.sets) doc.apply_set(spec);
  for (const auto& [spec, label] : machine_flag_sets(flags)) doc.apply_set(spec, label);
  return scenario::read_scenario(doc);
}

// --log LEVEL and --log-file FILE (sim/diag/log.h), checked as they are parsed.
void add_log_options(CLI::App* cmd, std::string& level, std::string& file) {
  cmd->add_option("--log", level,
                  "Diagnostic log: trace, debug, info, warn, error or off for every subsystem, or SUBSYSTEM=LEVEL,... "
                  "(scheduler, swap, strategy, coherence); lines stamped with cycle and CPU, on stderr")
      ->type_name("LEVEL")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            diag::Level levels[diag::kSubs];
            try {
              diag::parse_levels(text, levels);
              return {};
            } catch (const std::invalid_argument& e) {
              return e.what();
            }
          },
          "LEVEL", "log level"));
  cmd->add_option("--log-file", file, "Write the diagnostic log to FILE instead of stderr (level info unless --log "
                  "says)")->type_name("FILE");
}

int run_exec(const ExecOptions& o, const scenario::Scenario& sc) {
  const cli::LogSession log(o.log, o.log_file);  // exec has no OS: the coherence part only
  // --stats is checked, and its temporary made, before the run.
  run::OutputFile stats = o.stats ? run::OutputFile(*o.stats, "--stats") : run::OutputFile();
  platform::Machine m(sc.machine);
  m.load(o.elf);
  for (const auto& spec : o.regs) apply_reg(m.hart(0).state(), spec);
  if (o.trace) {
    static char buf[1 << 16];
    std::setvbuf(stderr, buf, _IOFBF, sizeof buf);
    m.enable_trace(stderr);
  }
  m.set_deadline(o.timeout_s);
  const platform::RunResult r = m.run();
  std::fflush(stderr);
  auto stats_json = platform::run_stats_json(r);
  if (m.stopped_at_deadline()) stats_json["outcome"] = "timeout";
  if (stats.active())
    if (const std::string err = stats.commit(stats_json.dump(2) + "\n"); !err.empty()) {
      std::fprintf(stderr, "quiesce: %s\n", err.c_str());
      return kExitBadInput;
    }
  if (r.coherence_violations) {
    std::fprintf(stderr, "quiesce: %llu coherence invariant violations; first: %s\n",
                 static_cast<unsigned long long>(r.coherence_violations), r.first_violation.c_str());
    return kExitInvariant;
  }
  if (m.stopped_at_deadline()) {
    std::fprintf(stderr, "quiesce: --timeout %g: the host-time limit was reached at cycle %llu; the guest did not finish\n",
                 o.timeout_s, static_cast<unsigned long long>(r.cycles));
    return kExitTimeout;
  }
  if (r.trapped_cpu) {
    std::fputs(platform::trap_report(m.hart(*r.trapped_cpu), m.program().symbols, &m.guest_memory()).c_str(), stderr);
    return kExitGuestFault;
  }
  // The guest's status is the exit code (as under qemu). Codes the simulator uses for its own outcomes
  // (1 internal error, 2 bad input, 3 guest fault, 4 watchdog, 5 invariant violation) always come with
  // a `quiesce:` message; a guest status among them gets a line saying it is the guest's.
  if (r.exit_code >= 1 && r.exit_code <= 5)
    std::fprintf(stderr, "quiesce: exit code %d is the guest's own status (it exited normally)\n", r.exit_code);
  return r.exit_code;
}

// `quiesce validate FILE [--set K=V]...`: reads the whole scenario and says what it holds.
int run_validate(const std::string& file, const std::vector<std::string>& sets, const MachineFlags& flags) {
  scenario::Document doc = scenario::Document::load_file(file);
  for (const auto& spec : sets) doc.apply_set(spec);
  for (const auto& [spec, label] : machine_flag_sets(flags)) doc.apply_set(spec, label);
  const scenario::Scenario sc = scenario::read_scenario(doc);
  uint64_t objects = 0;
  for (const auto& o : sc.objects) objects += o.count;
  std::printf("%s: ok (%llu objects, %zu workloads, %u cpus)\n", file.c_str(), static_cast<unsigned long long>(objects),
              sc.workloads.size(), sc.machine.cpus);
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  // SystemC's informational reports (e.g. "simulation stopped by user") are not ours to print.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  CLI::App app{"quiesce: a cycle-approximate PowerPC 64 multiprocessor simulator for hot-swap research"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line(), "Print the version and exit");
  ExecOptions ex;
  auto* exec = app.add_subcommand("exec", "Run a bare-metal guest ELF program on N CPUs");
  exec->add_option("program", ex.elf, "Guest ELF built with tools/guest-cc")->required()->check(CLI::ExistingFile);
  exec->add_option("--config", ex.config, "Scenario file (YAML; see scenarios/README.md)")->type_name("FILE");
  exec->add_option("--set", ex.sets, "Override a scenario setting KEY.PATH=VALUE (VALUE is YAML), e.g. machine.cpus=4; repeatable")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);  // one KEY=VALUE per --set: a following word is the program
  // The machine flags are values checked by the scenario reader, as --set machine.KEY=VALUE.
  MachineFlags machine_flags;
  auto machine_flag = [&](const char* name, const char* key, const char* help) {
    machine_flags.emplace_back(exec->add_option(name)->description(help)->type_name("N"), key);
  };
  // run and validate take the same shorthands, also applied after every --set (scenarios/README.md).
  auto add_machine_flags = [](CLI::App* cmd, MachineFlags& flags) {
    const auto add = [&](const char* name, const char* key, const char* help) {
      flags.emplace_back(cmd->add_option(name)->description(help)->type_name("N"), key);
    };
    add("--cpus", "cpus", "Number of CPUs (= --set machine.cpus=N)");
    add("--quantum", "quantum_cycles", "Cycles a CPU may run ahead of SystemC time (= --set machine.quantum_cycles=N)");
    add("--memory-mib", "memory.size_mib", "Guest memory size in MiB (= --set machine.memory.size_mib=N)");
    add("--max-instructions", "max_instructions", "Fault when a CPU executes more than N instructions (= --set machine.max_instructions=N)");
  };
  machine_flag("--cpus", "cpus", "Number of CPUs (= --set machine.cpus=N)");
  exec->add_flag("--trace", ex.trace, "Print one line per instruction on stderr");
  machine_flag("--max-instructions", "max_instructions", "Fault when a CPU executes more than N instructions (0: no limit)");
  exec->add_option("--stats", ex.stats, "Write run statistics as JSON to FILE");
  machine_flag("--memory-mib", "memory.size_mib", "Guest memory size in MiB (= --set machine.memory.size_mib=N)");
  machine_flag("--quantum", "quantum_cycles", "Cycles a CPU may run ahead of SystemC time (= --set machine.quantum_cycles=N)");
  exec->add_option("--timeout", ex.timeout_s, "End the run after this much host time (exit code 4)")
      ->type_name("SECONDS")
      ->check(seconds_validator());
  add_log_options(exec, ex.log, ex.log_file);
  exec->add_option("--reg", ex.regs, "Set CPU 0's initial register NAME=VALUE (r0..r31, lr, ctr, cr, xer, pc); for test tools");
  std::string validate_file;
  std::vector<std::string> validate_sets;
  auto* validate = app.add_subcommand("validate", "Check a scenario file (and --set overrides) without running it");
  validate->add_option("file", validate_file, "Scenario file (YAML; see scenarios/README.md)")->required();
  validate->add_option("--set", validate_sets, "Override a scenario setting KEY.PATH=VALUE (VALUE is YAML); repeatable")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  MachineFlags validate_flags, run_flags;
  add_machine_flags(validate, validate_flags);
  cli::RunOptions ro;
  auto* run = app.add_subcommand("run", "Run a scenario and write its results directory");
  run->add_option("scenario", ro.scenario, "Scenario file (YAML; see scenarios/README.md)")->required();
  run->add_option("-o,--out", ro.out, "Results directory (default: outputs.dir, else results/<scenario name>)")
      ->type_name("DIR");
  run->add_option("--set", ro.sets, "Override a scenario setting KEY.PATH=VALUE (VALUE is YAML); repeatable")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  add_machine_flags(run, run_flags);
  run->add_option("--seed", ro.seed, "Seed of the run's random choices (= --set run.seed=N)")->type_name("N");
  run->add_flag("-q,--quiet", ro.quiet, "Print nothing on success");
  run->add_option("--trace-out", ro.trace_out, "Also write a timeline (Chrome trace-event JSON, for Perfetto)")
      ->type_name("FILE.json");
  add_log_options(run, ro.log, ro.log_file);
  run->add_option("--timeout", ro.timeout_s, "End the run after this much host time (exit code 4)")
      ->type_name("SECONDS")
      ->check(seconds_validator());
  run->add_option_function<std::string>(
         "--max-memory",
         [&ro](const std::string& text) { ro.max_memory = run::parse_memory_size(text); },
         "Refuse a run whose estimated host memory exceeds SIZE (8G, 512M; 0: no limit; default 80% of this "
         "machine's memory)")
      ->type_name("SIZE")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            try {
              run::parse_memory_size(text);
              return {};
            } catch (const std::exception&) {
              return fmt::format("expected a size such as 8G, 512M or 0 (no limit), found \"{}\"", run::excerpt(text, 40));
            }
          },
          "SIZE", "bytes, K, M, G, T"));
  bool strategies_json = false;
  auto* strategies = app.add_subcommand("strategies", "List the quiescence strategies: safety, phases, parameters");
  strategies->add_flag("--json", strategies_json, "Print the list as JSON (for tools; see sim/run/strategies_listing.h)");
  bool strategies_markdown = false;
  strategies->add_flag("--markdown", strategies_markdown, "Print the tables of scenarios/README.md's strategy section")
      ->excludes("--json");
  bool defaults_json = false, defaults_markdown = false;
  auto* defaults = app.add_subcommand("defaults", "List every timing and cost default with its source (docs/defaults.md)");
  defaults->add_flag("--json", defaults_json, "Print the table as JSON (for tools; see sim/run/defaults_table.h)");
  defaults->add_flag("--markdown", defaults_markdown, "Print docs/defaults.md")->excludes("--json");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, as every other bad input: what is wrong, and where to look.
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "quiesce: %s (see quiesce --help)\n", run::excerpt(what, 300).c_str());
    return kExitBadInput;
  }
  // Every kind of bad input (scenario, ELF, machine, OS build, guest memory)
  // is reported the same way: its message, exit code 2.
  auto bad_input = [](const std::exception& e) {
    std::fprintf(stderr, "quiesce: %s\n", e.what());
    return kExitBadInput;
  };
  try {
    if (*exec) return run_exec(ex, read_scenario(ex, machine_flags));
    if (*validate) return run_validate(validate_file, validate_sets, validate_flags);
    if (*strategies) {
      std::fputs((strategies_json       ? run::strategies_json()
                  : strategies_markdown ? run::strategies_markdown()
                                        : run::strategies_text())
                     .c_str(),
                 stdout);
      return 0;
    }
    if (*defaults) {
      std::fputs((defaults_json       ? run::defaults_json()
                  : defaults_markdown ? run::defaults_markdown()
                                      : run::defaults_text())
                     .c_str(),
                 stdout);
      return 0;
    }
    if (*run) {
      std::string message;
      ro.flag_sets = machine_flag_sets(run_flags);
      const int rc = cli::run_command(ro, message);
      std::fputs(message.c_str(), stderr);
      return rc;
    }
  } catch (const quiesce::scenario::ScenarioError& e) {
    return bad_input(e);
  } catch (const quiesce::ppc::LoadError& e) {
    return bad_input(e);
  } catch (const quiesce::platform::ConfigError& e) {
    return bad_input(e);
  } catch (const quiesce::os::BuildError& e) {
    return bad_input(e);
  } catch (const quiesce::os::GuestHeapExhausted& e) {
    return bad_input(e);
  } catch (const std::exception& e) {  // a bug: one line still, never SystemC's report of an uncaught exception
    std::fprintf(stderr, "quiesce: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return 0;
}

int main(int argc, char* argv[]) {
  // Keep SystemC's banner off the console: guest output must match qemu's byte for byte.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
