// quiesce._core: one simulation run from Python, exactly as `quiesce run`
// does it (the same results directory, exit codes and messages). SystemC
// cannot elaborate twice in one process, so the `quiesce` package calls this
// once per child process and never in the parent.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_command.h"
#include "run/results_writer.h"

namespace py = pybind11;

// SystemC's library references sc_main (its own main calls it); this module
// never uses that main, but the symbol must resolve when Python loads us.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char*[]) { return 0; }

namespace {

bool g_ran = false;

// `seed` is any Python value (None: the scenario's): its text is read as --seed's is, so 2**64 or -1
// is bad input (exit code 2) with the CLI's message, not a conversion error.
py::tuple run(const std::string& scenario, const std::vector<std::string>& sets, const py::object& seed,
              const std::string& out, const std::string& trace_out) {
  if (g_ran)
    throw std::runtime_error("quiesce._core.run: one simulation per process (SystemC cannot elaborate twice)");
  g_ran = true;
  quiesce::cli::RunOptions o;
  o.scenario = scenario;
  o.sets = sets;
  if (!seed.is_none()) o.seed = py::str(seed).cast<std::string>();
  o.out = out;
  o.quiet = true;
  if (!trace_out.empty()) o.trace_out = trace_out;  // "": none
  std::string message;
  int rc = 0;
  {
    py::gil_scoped_release release;  // the run is long and touches no Python object
    rc = quiesce::cli::run_command(o, message);
  }
  return py::make_tuple(rc, message);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "One quiesce simulation run per process (see the quiesce package).";
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  m.def("run", &run, py::arg("scenario"), py::arg("sets"), py::arg("seed"), py::arg("out"),
        py::arg("trace_out") = std::string(),
        "Run SCENARIO (a YAML path) with --set overrides and an optional seed, writing the results directory OUT "
        "(and the timeline TRACE_OUT, as --trace-out, unless it is empty). "
        "Returns (exit_code, message): (0, '') on success, else the CLI's exit code and what it prints on stderr.");
  m.def("version", [] { return std::string(quiesce::run::kVersion); });  // what its results carry
}
