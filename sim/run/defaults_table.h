// `quiesce defaults [--json|--markdown]`: every timing and cost default of a
// scenario (the machine, the OS model, the hot-swap layer and each strategy's
// parameters) with the public document it comes from, or "assumed" where
// there is none to cite. docs/defaults.md is the Markdown form (a test
// compares the two byte for byte); bench/calibrate reads the JSON form and
// sets what the simulator measures beside it.
//
// Values are read from the default-constructed settings (MachineConfig{},
// os::OsConfig{}, hotswap::TransferSpec{}, hotswap::HotSwapSpec{}) and from
// the strategy registry, so the table cannot drift from the code; only the
// sources are written here.
//
// JSON (keys in this order, rows in table order):
//   {"defaults": [{"key", "value", "unit", "source", "source_value", "note"}]}
// `value` is text (as a scenario would spell it); `source_value` is the
// source's own number as text, "" when it gives none; `note` says where the
// source and the default differ, or what the source's number measures.
#pragma once
#include <string>
#include <vector>

namespace quiesce::run {

struct DefaultEntry {
  std::string key;           // the scenario key, e.g. machine.caches.l1d.latency ("fixed:..." for a cost the code fixes)
  std::string value;         // the default, as text
  std::string unit;          // "cycles", "KiB", "bytes", "us", ... ("" for a count or a flag)
  std::string source;        // a public document, or "assumed ..." where there is none
  std::string source_value;  // the source's number, "" when it gives none
  std::string note;
};

// Every row, in the order of the scenario's sections.
std::vector<DefaultEntry> defaults_table();
// True when the row's default has no source ("assumed ...").
bool assumed(const DefaultEntry& e);

std::string defaults_text();
std::string defaults_json();      // the JSON above, indented by 2, with a final newline
std::string defaults_markdown();  // docs/defaults.md

}  // namespace quiesce::run
