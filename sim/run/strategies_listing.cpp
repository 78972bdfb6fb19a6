#include "run/strategies_listing.h"

#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hotswap/strategy_registry.h"

namespace quiesce::run {

namespace {

using Json = nlohmann::ordered_json;

bool integral(double v) { return std::isfinite(v) && v == std::floor(v); }

// An integer param's values as JSON integers; an infinite bound as null (unbounded).
Json number(double v, bool integer) {
  if (!std::isfinite(v)) return nullptr;
  if (integer && integral(v)) {
    if (v >= -9.2e18 && v <= 9.2e18) return static_cast<int64_t>(v);
    if (v >= 0 && v < 18446744073709551616.0) return static_cast<uint64_t>(v);
  }
  return v;
}

std::string text_number(double v, bool integer) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return integer ? number(v, true).dump() : fmt::format("{}", v);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string range(const hotswap::StrategyParam& p) {
  return fmt::format("[{}, {}]{}", text_number(p.min, p.integer), text_number(p.max, p.integer), p.pow2 ? " pow2" : "");
}

std::string param_table(const std::vector<hotswap::StrategyParam>& params) {
  constexpr size_t kColumns = 6;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows{{"key", "default", "range", "unit", "meaning", "source"}};
  for (const auto& p : params)
    rows.push_back({p.key, text_number(p.default_value, p.integer), range(p), p.unit.empty() ? "-" : p.unit, p.meaning,
                    p.source});
  std::array<size_t, kColumns> width{};
  for (const auto& r : rows)
    for (size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line = "    ";
    for (size_t c = 0; c + 1 < kColumns; ++c) line += fmt::format("{:<{}}  ", r[c], width[c]);
    line += r[kColumns - 1];
    out += line + '\n';
  }
  return out;
}

}  // namespace

std::string strategies_text(const std::vector<hotswap::StrategyInfo>& strategies) {
  std::string out;
  for (const auto& s : strategies) {
    if (!out.empty()) out += '\n';
    out += fmt::format("{}{}: {}{}\n", s.name, s.test_only ? " (test only)" : "", s.safe ? "safe" : "UNSAFE",
                       s.safety.empty() ? "" : " -- " + s.safety);
    out += fmt::format("  {}\n", s.summary);
    out += fmt::format("  fast path:   {}\n", s.fast_path);
    out += fmt::format("  waits for:   {}\n", s.waits_for);
    out += fmt::format("  frees:       {} ({})\n", hotswap::reclaim_name(s.reclaim), s.reclaim_rule);
    out += fmt::format("  phases:      {}\n", joined(s.phases));
    if (!s.constraints.empty()) out += fmt::format("  constraints: {}\n", joined(s.constraints));
    if (!s.in_patch.empty()) out += fmt::format("  in patches:  {}\n", s.in_patch);
    if (s.params.empty()) {
      out += "  params:      none\n";
    } else {
      out += "  params:\n";
      out += param_table(s.params);
    }
  }
  return out;
}

std::string strategies_json(const std::vector<hotswap::StrategyInfo>& strategies) {
  Json list = Json::array();
  for (const auto& s : strategies) {
    Json params = Json::array();
    for (const auto& p : s.params)
      params.push_back({{"key", p.key},
                        {"default", number(p.default_value, p.integer)},
                        {"min", number(p.min, p.integer)},
                        {"max", number(p.max, p.integer)},
                        {"unit", p.unit},
                        {"integer", p.integer},
                        {"pow2", p.pow2},
                        {"meaning", p.meaning},
                        {"source", p.source}});
    list.push_back({{"name", s.name},
                    {"summary", s.summary},
                    {"safe", s.safe},
                    {"safety", s.safety},
                    {"fast_path", s.fast_path},
                    {"waits_for", s.waits_for},
                    {"phases", s.phases},
                    {"constraints", s.constraints},
                    {"test_only", s.test_only},
                    {"stops_world", s.stops_world},
                    {"joins_patches", s.joins_patches},
                    {"in_patch", s.in_patch},
                    {"reclaim", hotswap::reclaim_name(s.reclaim)},
                    {"reclaim_rule", s.reclaim_rule},
                    {"params", std::move(params)}});
  }
  Json doc;
  doc["strategies"] = std::move(list);
  return doc.dump(2) + '\n';
}

// Markdown for scenarios/README.md: what each strategy adds to every call and waits for, then its parameters.
std::string strategies_markdown(const std::vector<hotswap::StrategyInfo>& strategies) {
  auto cell = [](std::string t) {
    for (size_t i = 0; (i = t.find('|', i)) != std::string::npos; i += 2) t.replace(i, 1, "\\|");
    return t;
  };
  std::string out = "| strategy | safe | what it does | on every call | `waited_on` | phases | constraints | in a patch |\n"
                    "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& s : strategies)
    if (!s.test_only)
      out += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} | {} |\n", s.name, s.safe ? "yes" : "**no**",
                         cell(s.summary), cell(s.fast_path), cell(s.waits_for), joined(s.phases),
                         s.constraints.empty() ? "-" : joined(s.constraints), s.in_patch.empty() ? "-" : cell(s.in_patch));
  out += "\nWhen what a swap leaves behind (the old object's reps and shared state, the mediator's structures) goes "
         "back to the OS allocator (`reclaim`):\n\n| strategy | reclaim | why no thread holds it then |\n| --- | --- | --- |\n";
  for (const auto& s : strategies)
    if (!s.test_only) out += fmt::format("| `{}` | `{}` | {} |\n", s.name, hotswap::reclaim_name(s.reclaim), cell(s.reclaim_rule));
  out += "\nParameters (`hotswap.strategies.NAME.KEY`, or `hotswap.KEY` for every strategy that has KEY):\n";
  for (const auto& s : strategies) {
    if (s.test_only || s.params.empty()) continue;
    out += fmt::format("\n`{}`:\n\n| key | default | range | unit | meaning | source |\n| --- | --- | --- | --- | --- | --- |\n",
                       s.name);
    for (const auto& p : s.params)
      out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", p.key, text_number(p.default_value, p.integer), range(p),
                         p.unit.empty() ? "-" : p.unit, cell(p.meaning), cell(p.source));
  }
  return out;
}

namespace {
std::vector<hotswap::StrategyInfo> registered() {
  std::vector<hotswap::StrategyInfo> out;
  for (const auto& e : hotswap::strategy_registry()) out.push_back(e.info);
  return out;
}
}  // namespace

std::string strategies_text() { return strategies_text(registered()); }
std::string strategies_json() { return strategies_json(registered()); }
std::string strategies_markdown() { return strategies_markdown(registered()); }

}  // namespace quiesce::run
