#include "diag/log.h"

#include <filesystem>
#include <memory>
#include <stdexcept>

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace quiesce::diag {

namespace {
// One spdlog logger per subsystem, sharing one sink. Single-threaded sinks: the simulation runs on
// one host thread (SystemC), and the _st sinks take no lock.
std::shared_ptr<spdlog::logger> g_loggers[kSubs];

constexpr spdlog::level::level_enum kSpd[] = {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                                              spdlog::level::warn,  spdlog::level::err,   spdlog::level::off};

Level level_named(std::string_view name) {
  for (unsigned l = 0; l < std::size(kLevelNames); ++l)
    if (name == kLevelNames[l]) return static_cast<Level>(l);
  throw std::invalid_argument(fmt::format("unknown level '{}' (expected trace, debug, info, warn, error or off, or "
                                          "SUBSYSTEM=LEVEL,... with subsystems scheduler, swap, strategy, coherence)",
                                          name));
}
}  // namespace

void parse_levels(std::string_view spec, Level (&out)[kSubs]) {
  if (spec.find('=') == std::string_view::npos) {
    const Level l = level_named(spec);
    for (Level& o : out) o = l;
    return;
  }
  for (Level& o : out) o = Level::Off;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view part = spec.substr(0, comma), name = part.substr(0, part.find('='));
    if (part.find('=') == std::string_view::npos)
      throw std::invalid_argument(fmt::format("expected LEVEL or SUBSYSTEM=LEVEL,..., found '{}'", part));
    unsigned s = 0;
    while (s < kSubs && name != kSubNames[s]) ++s;
    if (s == kSubs)
      throw std::invalid_argument(fmt::format("unknown subsystem '{}' (expected scheduler, swap, strategy or coherence)",
                                              name));
    out[s] = level_named(part.substr(name.size() + 1));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
  }
}

void configure(std::string_view spec, const std::string& file) {
  Level levels[kSubs];
  try {
    parse_levels(spec, levels);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("--log {}: {}", spec, e.what()));
  }
  // spdlog would make missing directories and open a directory's name: refused here instead.
  const std::filesystem::path path(file), parent = path.parent_path().empty() ? "." : path.parent_path();
  if (!file.empty() && (!std::filesystem::is_directory(parent) || std::filesystem::is_directory(path)))
    throw std::runtime_error(fmt::format("--log-file {}: {}", file, std::filesystem::is_directory(path)
                                                                      ? "is a directory"
                                                                      : "its directory does not exist"));
  spdlog::sink_ptr sink;
  try {
    sink = file.empty() ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_st>())
                        : spdlog::sink_ptr(std::make_shared<spdlog::sinks::basic_file_sink_st>(file, true));
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error(fmt::format("--log-file {}: cannot be written ({})", file, e.what()));
  }
  sink->set_pattern("%v");  // the stamp is simulated time, written by write(); no host clock (deterministic)
  for (unsigned s = 0; s < kSubs; ++s) {
    g_loggers[s] = std::make_shared<spdlog::logger>(kSubNames[s], sink);
    g_loggers[s]->set_level(kSpd[static_cast<unsigned>(levels[s])]);
    g_threshold[s] = levels[s];
  }
}

void shutdown() {
  for (unsigned s = 0; s < kSubs; ++s) {
    g_threshold[s] = Level::Off;
    if (g_loggers[s]) g_loggers[s]->flush();
    g_loggers[s].reset();
  }
}

void write(Sub s, Level l, uint64_t cycle, unsigned cpu, std::string_view text) {
  const auto i = static_cast<unsigned>(s);
  if (!g_loggers[i]) return;
  g_loggers[i]->log(kSpd[static_cast<unsigned>(l)], "cycle {} cpu {} [{}] {}: {}", cycle, cpu, kSubNames[i],
                    kLevelNames[static_cast<unsigned>(l)], text);
}

}  // namespace quiesce::diag
