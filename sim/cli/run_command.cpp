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
constexpr int kExitInvariant = 5;
}  // namespace

int run_command(const RunOptions& o) {
  scenario::Document doc = scenario::Document::load_file(o.scenario);
  for (const auto& spec : o.sets) doc.apply_set(spec);
  if (o.seed) doc.apply_set(fmt::format("run.seed={}", *o.seed), fmt::format("--seed {}", *o.seed));
  const scenario::Scenario sc = scenario::read_scenario(doc);
  const std::string dir = !o.out.empty() ? o.out : !sc.outputs.dir.empty() ? sc.outputs.dir : "results/" + sc.name;

  run::ScenarioRun r(sc);
  std::function<void(double)> progress;
  const bool tty = !o.quiet && isatty(STDERR_FILENO);
  if (tty)
    progress = [&](double f) {
      std::fprintf(stderr, "\r%s: %5.1f%% of %.0f us simulated", sc.name.c_str(), 100 * f, sc.run.duration_us);
      std::fflush(stderr);
    };
  const platform::RunResult& res = r.run(progress);
  if (tty) std::fputs("\n", stderr);
  if (!r.kernel().out_of_memory().empty()) {  // bad input (no exception after a SystemC run: see results_writer.h)
    std::fprintf(stderr, "quiesce: %s\n", r.kernel().out_of_memory().c_str());
    return kExitBadInput;
  }
  if (res.trapped_cpu) {
    std::fputs(platform::trap_report(r.machine().hart(*res.trapped_cpu), r.machine().program().symbols).c_str(), stderr);
    return kExitGuestFault;
  }
  if (const std::string err = run::write_results(r, dir); !err.empty()) {
    std::fprintf(stderr, "quiesce: %s\n", err.c_str());
    return kExitBadInput;
  }
  if (res.coherence_violations) {
    std::fprintf(stderr, "quiesce: %llu coherence invariant violations; first: %s\n",
                 static_cast<unsigned long long>(res.coherence_violations), res.first_violation.c_str());
    return kExitInvariant;
  }
  if (!o.quiet)
    std::printf("%s: %.0f us on %u CPUs, %llu instructions, %.1f MIPS; results in %s/\n", sc.name.c_str(),
                sc.run.duration_us, sc.machine.cpus, static_cast<unsigned long long>(res.instructions),
                res.host_seconds > 0 ? static_cast<double>(res.instructions) / res.host_seconds / 1e6 : 0.0, dir.c_str());
  return 0;
}

}  // namespace quiesce::cli
