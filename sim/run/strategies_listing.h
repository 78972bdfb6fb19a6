// `quiesce strategies [--json]`: the registry of quiescence strategies
// (hotswap/strategy_registry.h), in its order, for people and for tools.
// bench/compare, tools/torture, tools/same-results, the Python package and
// the tests read the JSON form instead of keeping their own list of names.
//
// JSON (keys in this order, strategies in registry order):
//   {"strategies": [{"name", "summary", "safe", "safety", "fast_path",
//     "waits_for", "phases": [..], "constraints": [..], "test_only",
//     "params": [{"key", "default", "min", "max", "unit", "integer", "pow2",
//                 "meaning", "source"}]}]}
// A number is a JSON integer when its param is `integer` (and the value is
// integral), else a JSON number; an infinite bound is null (unbounded).
#pragma once
#include <string>
#include <vector>

namespace quiesce::hotswap {
struct StrategyInfo;
}

namespace quiesce::run {

// The text listing: one block per strategy, blank lines between blocks.
std::string strategies_text(const std::vector<hotswap::StrategyInfo>& strategies);
// The JSON document above, indented by 2, with a final newline.
std::string strategies_json(const std::vector<hotswap::StrategyInfo>& strategies);

// Markdown tables (strategies, then each one's parameters; test-only ones left out): the
// section of scenarios/README.md between its `strategies:begin` and `strategies:end` marks.
std::string strategies_markdown(const std::vector<hotswap::StrategyInfo>& strategies);

// The same for every registered strategy (hotswap::strategy_registry()).
std::string strategies_text();
std::string strategies_json();
std::string strategies_markdown();

}  // namespace quiesce::run
