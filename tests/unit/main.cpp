// Catch2 entry point for the unit tests, run inside SystemC as the quiesce
// binary is (main -> sc_elab_and_sim -> sc_main): the cycle scheduler's test
// drives SystemC processes.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }

int main(int argc, char* argv[]) {
  // SystemC's banner would land in the test listing ctest reads.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
