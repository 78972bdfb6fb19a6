#include "cli/run_command.h"

#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "platform/machine.h"
#include "run/results_writer.h"
#include "run/scenario_run.h"
#include "scenario/scenario.h"

namespace quiesce::cli {

namespace {
constexpr int kExitBadInput = 2;
constexpr int kExitGuestFault = 3;
constexpr int kExitWatchdog = 4;
constexpr int kExitInvariant = 5;
}  // namespace

namespace {
int run_checked(const RunOptions& o, std::string& message) {
  scenario::Document doc = scenario::Document::load_file(o.scenario);
  for (const auto& spec : o.sets) doc.apply_set(spec);
  for (const auto& [spec, label] : o.flag_sets) doc.apply_set(spec, label);
  if (o.seed) doc.apply_set(fmt::format("run.seed={}", *o.seed), fmt::format("--seed {}", *o.seed));
  const scenario::Scenario sc = scenario::read_scenario(doc);
  const std::string dir = !o.out.empty() ? o.out : !sc.outputs.dir.empty() ? sc.outputs.dir : "results/" + sc.name;

  run::ScenarioRun r(sc);
  if (!o.trace_out.empty()) r.record_trace();
  std::function<void(double)> progress;
  const bool tty = !o.quiet && isatty(STDERR_FILENO);
  if (tty)
    progress = [&](double f) {
      std::fprintf(stderr, "\r%s: %5.1f%% of %.0f us simulated", sc.name.c_str(), 100 * f, sc.run.duration_us);
      std::fflush(stderr);
    };
  bool timed_out = false;
  const platform::RunResult& res = o.timeout_s > 0 ? r.run_with_limit(o.timeout_s, progress, timed_out) : r.run(progress);
  if (tty) std::fputs("\n", stderr);
  if (!r.kernel().out_of_memory().empty()) {  // bad input (no exception after a SystemC run: see results_writer.h)
    message = fmt::format("quiesce: {}\n", r.kernel().out_of_memory());
    return kExitBadInput;
  }
  if (res.trapped_cpu) {
    message = platform::trap_report(r.machine().hart(*res.trapped_cpu), r.machine().program().symbols);
    return kExitGuestFault;
  }
  if (const std::string err = run::write_results(r, dir); !err.empty()) {
    message = fmt::format("quiesce: {}\n", err);
    return kExitBadInput;
  }
  if (!o.trace_out.empty())
    if (const std::string err = run::write_file_atomically(o.trace_out, r.trace_json()); !err.empty()) {
      message = fmt::format("quiesce: {}\n", err);
      return kExitBadInput;
    }
  if (timed_out) {
    message = fmt::format("quiesce: --timeout {}: the host-time limit was reached before the run's end; the results "
                          "so far are written\n", o.timeout_s);
    return kExitWatchdog;
  }
  if (!r.kernel().watchdog_report().empty()) {  // the results so far are written; who waits on what goes to stderr
    message = fmt::format("quiesce: {}\n", r.kernel().watchdog_report());
    return kExitWatchdog;
  }
  if (res.coherence_violations) {
    message = fmt::format("quiesce: {} coherence invariant violations; first: {}\n", res.coherence_violations,
                          res.first_violation);
    return kExitInvariant;
  }
  if (!o.quiet)
    std::printf("%s: %.0f us on %u CPUs, %llu instructions, %.1f MIPS; results in %s/\n", sc.name.c_str(),
                sc.run.duration_us, sc.machine.cpus, static_cast<unsigned long long>(res.instructions),
                res.host_seconds > 0 ? static_cast<double>(res.instructions) / res.host_seconds / 1e6 : 0.0, dir.c_str());
  return 0;
}
}  // namespace

int run_command(const RunOptions& o, std::string& message) {
  message.clear();
  try {
    return run_checked(o, message);
  } catch (const scenario::ScenarioError& e) {
    message = fmt::format("quiesce: {}\n", e.what());
  } catch (const ppc::LoadError& e) {
    message = fmt::format("quiesce: {}\n", e.what());
  } catch (const platform::ConfigError& e) {
    message = fmt::format("quiesce: {}\n", e.what());
  } catch (const os::BuildError& e) {
    message = fmt::format("quiesce: {}\n", e.what());
  } catch (const os::GuestHeapExhausted& e) {
    message = fmt::format("quiesce: {}\n", e.what());
  }
  return kExitBadInput;
}

}  // namespace quiesce::cli
