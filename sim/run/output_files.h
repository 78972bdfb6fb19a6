// Where results go, written so that what is on disk never lies.
//
// A results directory (`quiesce run -o DIR`) is built in a fresh staging directory next to it
// (".DIR.tmp-XXXXXX", made by mkdtemp: exclusive, never through a link), every file created there
// with O_EXCL|O_NOFOLLOW, `manifest.json` (every file's name and size; host.json's name only: its size varies) written last, and then the
// staging directory takes DIR's place in one rename (an atomic exchange when DIR exists, whose
// other entries — a scenario.yaml, plots — are moved over first; the old result files go). So DIR is
// the previous results or the complete new ones, never a mix; a directory without a manifest that
// matches its files is not complete (quiesce.load and the sweep cache check).
//
// A named output file (`--stats`, `--trace-out`) must be a regular file or a new name in an existing
// directory (not a device, directory or symbolic link); it is written to a temporary file created
// next to it (mkstemp) and renamed over it.
//
// Both are checked, and their temporaries created, when constructed — before the simulation — and
// throw platform::ConfigError (bad input: exit code 2) with one line naming the option and the path.
// After the run, writing returns "" or the error (no exceptions after SystemC: see results_writer.h).
// Whatever was not committed is removed by the destructor.
#pragma once
#include <string>
#include <vector>

namespace quiesce::run {

// The name of the completion manifest in a results directory.
inline constexpr const char* kManifest = "manifest.json";

// `text` quoted for a message: at most `max` bytes of it (then "..."), control characters escaped.
std::string excerpt(const std::string& text, size_t max = 80);

class OutputFile {
 public:
  OutputFile() = default;
  // `option` names it in messages ("--stats"). `inside`: when `path` names an entry directly in the
  // results directory that is being staged, the file is created in `staging` under its name instead
  // (it is committed with the directory).
  OutputFile(std::string path, std::string option, const std::string& results_dir = {},
             const std::string& staging = {});
  ~OutputFile();
  OutputFile(OutputFile&& o) noexcept;
  OutputFile& operator=(OutputFile&& o) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  bool active() const { return !path_.empty(); }
  bool staged() const { return staged_; }  // goes with the results directory
  const std::string& path() const { return path_; }
  // Writes `text` and renames it into place (a staged file: only writes it). "" or the error.
  std::string commit(const std::string& text);

 private:
  void release() noexcept;
  std::string path_, option_, tmp_;
  int fd_ = -1;
  bool staged_ = false, done_ = false;
};

class ResultsDir {
 public:
  // Throws platform::ConfigError when `dir` is empty, ".", "..", a symbolic link, not a directory,
  // or no staging directory can be made next to it. The parent directories are created.
  explicit ResultsDir(std::string dir, std::string option = "-o");
  ~ResultsDir();
  ResultsDir(const ResultsDir&) = delete;
  ResultsDir& operator=(const ResultsDir&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& staging() const { return staging_; }
  // Writes `name` into the staging directory (a new file). "" or the error.
  std::string write(const std::string& name, const std::string& text);
  // A file another writer put in the staging directory (a staged OutputFile): listed in the manifest.
  void add(const std::string& name, uint64_t bytes) { files_.push_back({name, bytes, true}); }
  // `name`'s size varies from run to run (host.json): the manifest lists it without its size, so that
  // the manifest itself is the same for the same scenario and seed.
  void size_varies(const std::string& name);
  // Writes the manifest and puts the directory in place. "" or the error.
  std::string commit();

  // Test hook: QUIESCE_TEST_KILL_BEFORE_COMMIT=1 in the environment kills the process (SIGKILL)
  // after every file is written and before the manifest: a run killed while writing.

 private:
  struct Entry {
    std::string name;
    uint64_t bytes;
    bool sized = true;
  };
  std::string dir_, option_, staging_;
  std::vector<Entry> files_;
  bool done_ = false;
};

}  // namespace quiesce::run
