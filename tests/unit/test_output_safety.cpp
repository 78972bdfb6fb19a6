// Issue 26: the stack guards of guest memory (an access touching one is unmapped), and the
// output writers' rules (a results directory staged and put in place whole with its manifest;
// named files refusing what is not a regular file; bounded excerpts in messages).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

#include "memory_coherence/guest_memory.h"
#include "platform/machine.h"
#include "run/output_files.h"

using namespace quiesce;
namespace fs = std::filesystem;

TEST_CASE("stack guards are unmapped, the rest of the stacks mapped", "[guard]") {
  mem::GuestMemory m(uint64_t{64} << 20);
  constexpr uint64_t kStack = uint64_t{1} << 20, kGuard = 64 << 10;
  const uint64_t floor = m.size() - 3 * kStack;
  CHECK(m.contains(floor, 8));  // no guards until set
  m.set_stack_guards(floor, kStack, kGuard);
  for (unsigned cpu = 0; cpu < 3; ++cpu) {
    const uint64_t bottom = m.size() - kStack * (cpu + 1);
    CHECK_FALSE(m.contains(bottom, 8));
    CHECK_FALSE(m.contains(bottom + kGuard - 8, 8));
    CHECK_FALSE(m.contains(bottom + kGuard - 4, 8));  // straddles the guard's top
    CHECK(m.contains(bottom + kGuard, 8));
    CHECK(m.contains(bottom + kStack - 8, 8));
    CHECK(m.guard_of(bottom) == static_cast<int>(cpu));
    CHECK(m.guard_of(bottom + kGuard - 1) == static_cast<int>(cpu));
    CHECK(m.guard_of(bottom + kGuard) == -1);
  }
  CHECK(m.contains(floor - 8, 8));            // the program and heap below the stacks
  CHECK_FALSE(m.contains(floor - 4, 8));      // reaching into the last CPU's guard
  CHECK_FALSE(m.contains(floor - 4096, 2 * kStack));  // a range spanning a guard
  CHECK_FALSE(m.contains(m.size() - 4, 8));   // past the end, as before
}

TEST_CASE("a stack size that is not a power of two", "[guard]") {
  mem::GuestMemory m(uint64_t{16} << 20);
  constexpr uint64_t kStack = 96 << 10, kGuard = 12 << 10;
  const uint64_t floor = m.size() - 2 * kStack;
  m.set_stack_guards(floor, kStack, kGuard);
  CHECK_FALSE(m.contains(floor + kStack + 100, 4));
  CHECK(m.contains(floor + kStack + kGuard, 4));
  CHECK(m.guard_of(floor + 5) == 1);
  CHECK(m.guard_of(floor + kStack) == 0);
}

// contains() tests a range below the stacks with one comparison and a range in the stacks by its offset
// in its stack; both must agree with the definition: every byte inside memory and in no guard.
TEST_CASE("contains agrees with a byte-by-byte look at the guards", "[guard]") {
  struct Layout {
    uint64_t size, stack, guard;
    unsigned stacks;
  };
  for (const Layout l : {Layout{1 << 20, 64 << 10, 8 << 10, 3}, Layout{1 << 20, 96 << 10, 12 << 10, 4},
                         Layout{1 << 20, 64 << 10, 0, 3}, Layout{1 << 20, 256 << 10, 32 << 10, 4}}) {
    mem::GuestMemory m(l.size);
    const uint64_t floor = l.size - l.stacks * l.stack;
    m.set_stack_guards(floor, l.stack, l.guard);
    auto mapped = [&](uint64_t addr, uint64_t len) {
      for (uint64_t b = addr; b < addr + len; ++b)
        if (b >= l.size || (l.guard && m.guard_of(b) >= 0)) return false;
      return true;
    };
    // Every start near each edge (memory's end, the floor, each stack's start and its guard's top).
    std::vector<uint64_t> edges = {0, floor, l.size};
    for (unsigned i = 0; i < l.stacks; ++i) edges.push_back(floor + i * l.stack), edges.push_back(floor + i * l.stack + l.guard);
    for (const uint64_t e : edges)
      for (uint64_t addr = e < 24 ? 0 : e - 24; addr <= e + 24; ++addr)
        for (const uint64_t len : {uint64_t{1}, uint64_t{4}, uint64_t{8}, uint64_t{16}, uint64_t{128}, l.stack}) {
          INFO("size " << l.size << " stack " << l.stack << " guard " << l.guard << " addr " << addr << " len " << len);
          CHECK(m.contains(addr, len) == mapped(addr, len));
        }
    CHECK_FALSE(m.contains(floor + l.guard, ~uint64_t{0}));  // a length that wraps
    CHECK_FALSE(m.contains(~uint64_t{0} - 3, 8));
    CHECK(m.contains(floor + l.guard, l.stack - l.guard));  // a whole stack above its guard
  }
}

TEST_CASE("excerpt bounds and escapes what it quotes", "[outputs]") {
  CHECK(run::excerpt("abc") == "abc");
  CHECK(run::excerpt("a\nb\tc\x01") == "a\\nb\\tc\\x01");
  const std::string big(100000, 'x');
  const std::string e = run::excerpt(big, 10);
  CHECK(e == "xxxxxxxxxx... (100000 bytes)");
}

namespace {
struct TempDir {
  fs::path p;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "quiesce-unit-XXXXXX").string();
    p = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(p); }
};
std::string read(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

TEST_CASE("a results directory appears whole, with its manifest, and keeps other entries", "[outputs]") {
  TempDir t;
  const fs::path out = t.p / "out";
  {
    run::ResultsDir d(out.string());
    CHECK_FALSE(fs::exists(out));  // staged next to it until committed
    CHECK(d.write("a.csv", "1,2\n").empty());
    CHECK(d.write("a.csv", "again").find("File exists") != std::string::npos);  // never overwritten
    CHECK(d.commit().empty());
  }
  CHECK(read(out / "a.csv") == "1,2\n");
  CHECK(read(out / "manifest.json").find("\"a.csv\"") != std::string::npos);
  std::ofstream(out / "notes.txt") << "mine";
  {
    run::ResultsDir d(out.string());
    CHECK(d.write("a.csv", "3,4\n").empty());
    CHECK(d.commit().empty());
  }
  CHECK(read(out / "a.csv") == "3,4\n");
  CHECK(read(out / "notes.txt") == "mine");
  {
    run::ResultsDir d(out.string());  // not committed: removed, the previous results untouched
    CHECK(d.write("a.csv", "5,6\n").empty());
  }
  CHECK(read(out / "a.csv") == "3,4\n");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.p)) names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"out"});
}

TEST_CASE("named outputs refuse what is not a regular file", "[outputs]") {
  TempDir t;
  fs::create_directory(t.p / "dir");
  fs::create_symlink(t.p / "dir", t.p / "link");
  CHECK_THROWS_WITH(run::OutputFile((t.p / "dir").string(), "--stats"), Catch::Contains("is a directory"));
  CHECK_THROWS_WITH(run::OutputFile((t.p / "link").string(), "--stats"), Catch::Contains("is a symbolic link"));
  CHECK_THROWS_WITH(run::OutputFile("/dev/null", "--stats"), Catch::Contains("is a character device"));
  CHECK_THROWS_WITH(run::OutputFile("", "--stats"), Catch::Contains("an empty path"));
  CHECK_THROWS_WITH(run::ResultsDir((t.p / "link").string()), Catch::Contains("is a symbolic link"));
  CHECK_THROWS_WITH(run::ResultsDir(""), Catch::Contains("an empty path"));
  {
    run::OutputFile f((t.p / "s.json").string(), "--stats");
    CHECK(f.commit("{}\n").empty());
  }
  CHECK(read(t.p / "s.json") == "{}\n");
  { run::OutputFile f((t.p / "never.json").string(), "--stats"); }  // not committed: no temporary left
  CHECK_FALSE(fs::exists(t.p / "never.json"));
  unsigned entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.p)) ++entries;
  CHECK(entries == 3);  // dir, link, s.json
}
