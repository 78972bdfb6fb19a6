#include "cli/run_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include <fmt/format.h>

#include "diag/log.h"
#include "platform/machine.h"
#include "run/memory_estimate.h"
#include "run/results_writer.h"
#include "run/scenario_run.h"
#include "scenario/scenario.h"

namespace quiesce::cli {

namespace {
constexpr int kExitBadInput = 2;
constexpr int kExitGuestFault = 3;
constexpr int kExitWatchdog = 4;
constexpr int kExitInvariant = 5;
constexpr int kExitInternal = 1;
}  // namespace

LogSession::LogSession(const std::string& level, const std::string& file) {
  if (level.empty() && file.empty()) return;
  try {
    diag::configure(level.empty() ? "info" : level, file);
  } catch (const std::exception& e) {  // a bad level or an unwritable file: bad input
    throw platform::ConfigError(e.what());
  }
}

LogSession::~LogSession() { diag::shutdown(); }  // the log is the process's

namespace {
int run_checked(const RunOptions& o, std::string& message) {
  scenario::Document doc = scenario::Document::load_file(o.scenario);
  for (const auto& spec : o.sets) doc.apply_set(spec);
  for (const auto& [spec, label] : o.flag_sets) doc.apply_set(spec, label);
  if (o.seed) {
    if (o.seed->find_first_of("\n\r#") != std::string::npos)  // one plain number; the reader checks its range
      throw scenario::ScenarioError(fmt::format("--seed {}: expected an integer from 0 to 2^64-1", run::excerpt(*o.seed, 40)));
    doc.apply_set(fmt::format("run.seed={}", *o.seed), fmt::format("--seed {}", run::excerpt(*o.seed, 40)));
  }
  const scenario::Scenario sc = scenario::read_scenario(doc);
  // A configuration that cannot fit in host memory is refused before anything is built.
  if (o.max_memory) run::check_host_memory(sc, *o.max_memory, fmt::format("--max-memory {}", run::human_bytes(*o.max_memory)));
  else if (const uint64_t limit = run::default_memory_limit())
    run::check_host_memory(sc, limit, fmt::format("the default --max-memory {} (80% of this machine's memory)",
                                                  run::human_bytes(limit)));
  const std::string dir = o.out ? *o.out : !sc.outputs.dir.empty() ? sc.outputs.dir : "results/" + sc.name;
  // Every output location is checked, and its temporary made, before anything is simulated.
  run::ResultsDir out(dir, o.out ? "-o" : !sc.outputs.dir.empty() ? "outputs.dir" : "results directory");
  run::OutputFile trace;
  if (o.trace_out) {
    trace = run::OutputFile(*o.trace_out, "--trace-out", out.dir(), out.staging());
    const std::string name = std::filesystem::path(*o.trace_out).filename().string();
    const auto& names = run::result_file_names();
    if (trace.staged() && (name == run::kManifest || std::find(names.begin(), names.end(), name) != names.end()))
      throw platform::ConfigError(fmt::format("--trace-out {}: {} is a results file of {}", *o.trace_out, name, out.dir()));
  }

  const LogSession log(o.log, o.log_file);
  run::ScenarioRun r(sc);
  if (o.trace_out) r.record_trace();
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
    message = platform::trap_report(r.machine().hart(*res.trapped_cpu), r.machine().program().symbols,
                                    &r.machine().guest_memory(), [&](uint64_t a) { return r.kernel().symbol(a); });
    return kExitGuestFault;
  }
  // The results, then the trace (into the staging directory when it goes there), then the directory
  // into place: its manifest last.
  std::string err = run::write_results(r, out);
  if (err.empty() && trace.active()) {
    const std::string text = r.trace_json();
    err = trace.commit(text);
    if (err.empty() && trace.staged()) out.add(std::filesystem::path(trace.path()).filename().string(), text.size());
  }
  if (err.empty()) err = out.commit();
  if (!err.empty()) {
    message = fmt::format("quiesce: {}\n", err);
    return kExitBadInput;
  }
  if (timed_out) {
    message = fmt::format("quiesce: --timeout {}: the host-time limit was reached at {:.1f} of {} us simulated; the "
                          "results so far are written (summary.json: \"completed\": false)\n",
                          o.timeout_s, static_cast<double>(r.reached_cycles()) * 1e6 / sc.machine.clock_hz,
                          sc.run.duration_us);
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
  } catch (const std::exception& e) {  // a bug: still one line, never SystemC's report
    message = fmt::format("quiesce: internal error: {}\n", e.what());
    return kExitInternal;
  }
  return kExitBadInput;
}

}  // namespace quiesce::cli
