// The diagnostic log (issue 25, part 7): what the scheduler, the swaps and their phases, the
// strategies and the coherence protocol do, one line per step, each stamped with the simulated
// cycle and CPU:   cycle 600060 cpu 0 [swap] debug: swap 0 of obj (k42_generation): phase forward
// Off unless `quiesce run --log LEVEL`. Every site goes through QLOG, which tests its subsystem's
// threshold (one byte load and a compare) before it formats anything, so a run without the log
// pays nothing measurable (bench/NOTES.md). The lines come in the order the simulator executes
// them (CPUs run up to a quantum apart), which is deterministic: the same scenario and seed give
// the same log. Below every layer: it includes none of them (tests/layers).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace quiesce::diag {

enum class Sub : uint8_t { Scheduler, Swap, Strategy, Coherence };
inline constexpr unsigned kSubs = 4;
inline constexpr const char* kSubNames[kSubs] = {"scheduler", "swap", "strategy", "coherence"};
enum class Level : uint8_t { Trace, Debug, Info, Warn, Error, Off };
inline constexpr const char* kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};

// Each subsystem's threshold: a line at `level` or above is written. Off until configure().
inline Level g_threshold[kSubs] = {Level::Off, Level::Off, Level::Off, Level::Off};
inline bool enabled(Sub s, Level l) { return l >= g_threshold[static_cast<unsigned>(s)]; }

// "debug", or per subsystem "swap=debug,coherence=trace" (others off). Throws std::invalid_argument
// with a one-line message naming the bad part. Parses only: nothing is switched on.
void parse_levels(std::string_view spec, Level (&out)[kSubs]);
// Switches the log on for this process: lines to `file` (truncated) or, if empty, to stderr.
// Throws std::runtime_error when the file cannot be opened.
void configure(std::string_view spec, const std::string& file);
// Flushes and switches it off again (a run's end; the Python extension runs one per process anyway).
void shutdown();
void write(Sub s, Level l, uint64_t cycle, unsigned cpu, std::string_view text);

}  // namespace quiesce::diag

// QLOG(Sub::Swap, Level::Debug, h.cycle(), h.id(), "swap {} ...", id): formats only when on.
#define QLOG(sub, level, cycle, cpu, ...)                                                              \
  do {                                                                                                 \
    if (::quiesce::diag::enabled(::quiesce::diag::Sub::sub, ::quiesce::diag::Level::level)) [[unlikely]] \
      ::quiesce::diag::write(::quiesce::diag::Sub::sub, ::quiesce::diag::Level::level, cycle, cpu,        \
                             fmt::format(__VA_ARGS__));                                                \
  } while (0)
