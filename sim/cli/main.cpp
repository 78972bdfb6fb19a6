// quiesce command line: one binary, verbs as subcommands.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <systemc>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "platform/machine.h"

namespace {

using namespace quiesce;

constexpr int kExitBadInput = 2;
constexpr int kExitGuestFault = 3;

struct ExecOptions {
  std::string elf;
  unsigned cpus = 1;
  bool trace = false;
  uint64_t max_instructions = 0;
  std::string stats;
  uint64_t memory_mib = 256;
  uint64_t quantum = 1000;
  std::vector<std::string> regs;  // NAME=VALUE overrides of CPU 0's initial state
};

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

void write_stats(const std::string& path, const platform::RunResult& r) {
  nlohmann::ordered_json j;
  j["instructions"] = r.instructions;
  j["cycles"] = r.cycles;
  j["host_seconds"] = r.host_seconds;
  j["mips"] = r.host_seconds > 0 ? static_cast<double>(r.instructions) / r.host_seconds / 1e6 : 0.0;
  j["exit_code"] = r.exit_code;
  auto& cpus = j["cpus"] = nlohmann::ordered_json::array();
  for (const auto& c : r.cpus) cpus.push_back({{"id", c.id}, {"instructions", c.instructions}, {"cycles", c.cycles}});
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    if (!f) throw std::runtime_error(fmt::format("cannot write {}", tmp));
    f << j.dump(2) << '\n';
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(fmt::format("cannot rename {} to {}", tmp, path));
}

int run_exec(const ExecOptions& o) {
  platform::MachineConfig cfg;
  cfg.cpus = o.cpus;
  cfg.memory_bytes = o.memory_mib << 20;
  cfg.quantum_cycles = o.quantum;
  cfg.max_instructions = o.max_instructions;
  platform::Machine m(cfg);
  m.load(o.elf);
  for (const auto& spec : o.regs) apply_reg(m.hart(0).state(), spec);
  if (o.trace) {
    static char buf[1 << 16];
    std::setvbuf(stderr, buf, _IOFBF, sizeof buf);
    m.enable_trace(stderr);
  }
  const platform::RunResult r = m.run();
  std::fflush(stderr);
  if (!o.stats.empty()) write_stats(o.stats, r);
  if (r.trapped_cpu) {
    std::fputs(platform::trap_report(m.hart(*r.trapped_cpu), m.program().symbols).c_str(), stderr);
    return kExitGuestFault;
  }
  return r.exit_code;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  // SystemC's informational reports (e.g. "simulation stopped by user") are not ours to print.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  CLI::App app{"quiesce: a cycle-approximate PowerPC 64 multiprocessor simulator for hot-swap research"};
  app.require_subcommand(1);
  ExecOptions ex;
  auto* exec = app.add_subcommand("exec", "Run a bare-metal guest ELF program on N CPUs");
  exec->add_option("program", ex.elf, "Guest ELF built with tools/guest-cc")->required()->check(CLI::ExistingFile);
  exec->add_option("--cpus", ex.cpus, "Number of CPUs")->check(CLI::Range(1, 1024));
  exec->add_flag("--trace", ex.trace, "Print one line per instruction on stderr");
  exec->add_option("--max-instructions", ex.max_instructions, "Fault when a CPU executes more than N instructions (0: no limit)");
  exec->add_option("--stats", ex.stats, "Write run statistics as JSON to FILE");
  exec->add_option("--memory-mib", ex.memory_mib, "Guest memory size in MiB")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
  exec->add_option("--quantum", ex.quantum, "Cycles a CPU may run ahead of SystemC time")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  exec->add_option("--reg", ex.regs, "Set CPU 0's initial register NAME=VALUE (r0..r31, lr, ctr, cr, xer, pc); for test tools");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }
  try {
    if (*exec) return run_exec(ex);
  } catch (const quiesce::ppc::LoadError& e) {
    std::fprintf(stderr, "quiesce: %s\n", e.what());
    return kExitBadInput;
  } catch (const quiesce::platform::ConfigError& e) {
    std::fprintf(stderr, "quiesce: %s\n", e.what());
    return kExitBadInput;
  }
  return 0;
}

int main(int argc, char* argv[]) {
  // Keep SystemC's banner off the console: guest output must match qemu's byte for byte.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
