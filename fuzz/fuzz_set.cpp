// Fuzz target: --set parsing. Each input line is one `--set PATH=VALUE`
// override applied to a real scenario (scenarios/k42-swap.yaml), then the
// scenario is bound. Bad overrides must end in a ScenarioError naming the
// override or the place in the file.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "scenario/scenario.h"

namespace {
// The base file's text: each input parses it afresh (a Document's YAML nodes are shared on copy).
const std::string& base_text() {
  static const std::string text = [] {
    std::ifstream in(QUIESCE_FUZZ_BASE_SCENARIO);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  return text;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  quiesce::scenario::Document doc = quiesce::scenario::Document::load_text(base_text(), QUIESCE_FUZZ_BASE_SCENARIO);
  try {
    size_t start = 0;
    for (int n = 0; n < 16 && start <= in.size(); ++n) {  // the CLI takes any number; 16 reach every depth here
      const size_t nl = std::min(in.find('\n', start), in.size());
      const std::string spec(in.substr(start, nl - start));
      doc.apply_set(spec);
      start = nl + 1;
    }
    (void)quiesce::scenario::read_scenario(doc);
  } catch (const quiesce::scenario::ScenarioError& e) {
    // An override's own error names it; a bound value names the override that set it or the file.
    const std::string_view msg = e.what();
    if (!msg.starts_with("--set ") && !msg.starts_with(QUIESCE_FUZZ_BASE_SCENARIO)) qfuzz::fail("unplaced error", msg);
  }
  return 0;
}
