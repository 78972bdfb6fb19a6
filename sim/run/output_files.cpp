#include "run/output_files.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "platform/machine.h"

namespace quiesce::run {

namespace fs = std::filesystem;
using platform::ConfigError;

namespace {

std::string errno_text(int e) { return std::strerror(e); }

mode_t umask_now() {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}
mode_t file_mode() { return 0666 & ~umask_now(); }  // what open(..., 0666) would give
mode_t dir_mode() { return 0777 & ~umask_now(); }   // what mkdir(..., 0777) would give

std::vector<std::string> entries(const std::string& dir, std::error_code& ec) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

const char* kind_of(mode_t m) {
  if (S_ISREG(m)) return "a regular file";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "of an unknown kind";
}

std::string write_all(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_text(errno);
    }
    p += n, left -= static_cast<size_t>(n);
  }
  return {};
}

// "a/b/" -> "a/b"; "" stays "".
std::string strip_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string normal(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(fs::path(strip_slashes(p)), ec);
  return strip_slashes(a.lexically_normal().string());
}

// Makes `tmpl` ("...XXXXXX") unique: mkdtemp, exclusive, never through a link.
std::string make_temp_dir(std::string tmpl, int& err) {
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    err = errno;
    return {};
  }
  return buf.data();
}

}  // namespace

std::string excerpt(const std::string& text, size_t max) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (i < text.size()) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

// --- a named output file ---------------------------------------------------------------------------

OutputFile::OutputFile(std::string path, std::string option, const std::string& results_dir, const std::string& staging)
    : path_(std::move(path)), option_(std::move(option)) {
  if (path_.empty()) throw ConfigError(fmt::format("{} \"\": an empty path (name the file to write)", option_));
  const std::string shown = excerpt(path_, 200);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      throw ConfigError(fmt::format("{} {}: is {}; give a regular file or a new path", option_, shown, kind_of(st.st_mode)));
  } else if (errno != ENOENT) {
    throw ConfigError(fmt::format("{} {}: {}", option_, shown, errno_text(errno)));
  }
  const fs::path p(path_);
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw ConfigError(fmt::format("{} {}: names a directory; give a file name", option_, shown));
  std::string parent = p.parent_path().string();
  if (parent.empty()) parent = ".";
  if (!results_dir.empty() && normal(parent) == normal(results_dir)) {
    // In the results directory being staged: written there, committed with it.
    tmp_ = staging + "/" + name;
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int e = errno;
      tmp_.clear();
      throw ConfigError(fmt::format("{} {}: cannot create it in the results directory: {}", option_, shown, errno_text(e)));
    }
    staged_ = true;
    return;
  }
  if (::stat(parent.c_str(), &st) != 0)
    throw ConfigError(fmt::format("{} {}: directory {}: {}", option_, shown, excerpt(parent, 200), errno_text(errno)));
  if (!S_ISDIR(st.st_mode))
    throw ConfigError(fmt::format("{} {}: {} is not a directory", option_, shown, excerpt(parent, 200)));
  std::string tmpl = (fs::path(parent) / ("." + name + ".tmp-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd_ < 0)
    throw ConfigError(fmt::format("{} {}: cannot create a file in {}: {}", option_, shown, excerpt(parent, 200),
                                  errno_text(errno)));
  tmp_ = buf.data();
  ::fchmod(fd_, file_mode());
}

OutputFile::OutputFile(OutputFile&& o) noexcept { *this = std::move(o); }

OutputFile& OutputFile::operator=(OutputFile&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_), option_ = std::move(o.option_), tmp_ = std::move(o.tmp_);
    fd_ = o.fd_, staged_ = o.staged_, done_ = o.done_;
    o.fd_ = -1, o.tmp_.clear(), o.path_.clear();
  }
  return *this;
}

void OutputFile::release() noexcept {
  if (fd_ >= 0) ::close(fd_), fd_ = -1;
  if (!done_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
}

OutputFile::~OutputFile() { release(); }

std::string OutputFile::commit(const std::string& text) {
  if (fd_ < 0) return fmt::format("{} {}: not open", option_, path_);
  std::string err = write_all(fd_, text);
  if (::close(fd_) != 0 && err.empty()) err = errno_text(errno);
  fd_ = -1;
  if (!err.empty()) return fmt::format("{} {}: cannot write it: {}", option_, excerpt(path_, 200), err);
  if (!staged_) {
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))  // appeared meanwhile
      return fmt::format("{} {}: is {} now; not replaced", option_, excerpt(path_, 200), kind_of(st.st_mode));
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      return fmt::format("{} {}: cannot rename {} to it: {}", option_, excerpt(path_, 200), tmp_, errno_text(errno));
  }
  done_ = true;
  return {};
}

// --- a results directory ---------------------------------------------------------------------------

ResultsDir::ResultsDir(std::string dir, std::string option) : option_(std::move(option)) {
  if (dir.empty()) throw ConfigError(fmt::format("{} \"\": an empty path (name the results directory)", option_));
  dir_ = strip_slashes(std::move(dir));
  const std::string shown = excerpt(dir_, 200);
  const fs::path p(dir_);
  const std::string base = p.filename().string();
  if (dir_ == "/" || base == "." || base == "..")
    throw ConfigError(fmt::format("{} {}: name the results directory itself (not /, . or ..)", option_, shown));
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw ConfigError(fmt::format("{} {}: is a symbolic link; give the directory itself", option_, shown));
    if (!S_ISDIR(st.st_mode))
      throw ConfigError(fmt::format("{} {}: is {}, not a directory", option_, shown, kind_of(st.st_mode)));
  } else if (errno != ENOENT) {
    throw ConfigError(fmt::format("{} {}: {}", option_, shown, errno_text(errno)));
  }
  fs::path parent = p.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw ConfigError(fmt::format("{} {}: cannot create {}: {}", option_, shown, excerpt(parent.string(), 200), ec.message()));
  int err = 0;
  staging_ = make_temp_dir((parent / ("." + base + ".tmp-XXXXXX")).string(), err);
  if (staging_.empty())
    throw ConfigError(fmt::format("{} {}: cannot create a directory in {}: {}", option_, shown, excerpt(parent.string(), 200),
                                  errno_text(err)));
}

ResultsDir::~ResultsDir() {
  if (done_ || staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);  // ours: made by mkdtemp, holding only what this run wrote
}

std::string ResultsDir::write(const std::string& name, const std::string& text) {
  const std::string path = staging_ + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return fmt::format("cannot write {}/{}: {}", dir_, name, errno_text(errno));
  std::string err = write_all(fd, text);
  if (::close(fd) != 0 && err.empty()) err = errno_text(errno);
  if (!err.empty()) return fmt::format("cannot write {}/{}: {}", dir_, name, err);
  files_.push_back({name, text.size(), true});
  return {};
}

void ResultsDir::size_varies(const std::string& name) {
  for (auto& f : files_)
    if (f.name == name) f.sized = false;
}

std::string ResultsDir::commit() {
  if (const char* kill = std::getenv("QUIESCE_TEST_KILL_BEFORE_COMMIT"); kill && *kill == '1') ::raise(SIGKILL);
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  std::set<std::string> ours{kManifest};
  for (const auto& f : files_) {
    files.push_back(f.sized ? nlohmann::ordered_json{{"name", f.name}, {"bytes", f.bytes}}
                            : nlohmann::ordered_json{{"name", f.name}});
    ours.insert(f.name);
  }
  // Written last: a directory whose manifest is missing, or whose files differ from it, is not complete.
  const nlohmann::ordered_json manifest = {{"complete", true}, {"files", files}};
  if (std::string err = write(kManifest, manifest.dump(1) + "\n"); !err.empty()) return err;
  files_.pop_back();
  ::chmod(staging_.c_str(), dir_mode());  // mkdtemp made it 0700: as mkdir would have
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_NOREPLACE) == 0) {
    done_ = true;
    return {};
  }
  if (errno != EEXIST && errno != ENOTEMPTY && errno != EINVAL && errno != ENOSYS)
    return fmt::format("cannot rename {} to {}: {}", staging_, dir_, errno_text(errno));
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0) {  // the file system has no RENAME_NOREPLACE, and nothing is there
    if (std::rename(staging_.c_str(), dir_.c_str()) != 0)
      return fmt::format("cannot rename {} to {}: {}", staging_, dir_, errno_text(errno));
    done_ = true;
    return {};
  }
  if (!S_ISDIR(st.st_mode)) return fmt::format("{} {}: is {} now; not replaced", option_, dir_, kind_of(st.st_mode));
  ::chmod(staging_.c_str(), st.st_mode & 07777);  // the new directory keeps the old one's permissions
  // The previous directory's other entries (a scenario.yaml, plots, notes) move to the new one; its result
  // files (every name written now, and temporaries an older version left next to them) go.
  auto old_result = [&](const std::string& n) {
    if (ours.count(n)) return true;
    // An older writer's temporary of one: NAME.tmp, or NAME.tmpPID (the Python package's).
    const auto dot = n.rfind(".tmp");
    return dot != std::string::npos && ours.count(n.substr(0, dot)) &&
           n.find_first_not_of("0123456789", dot + 4) == std::string::npos;
  };
  std::error_code ec;
  const std::vector<std::string> previous = entries(dir_, ec);
  if (ec) return fmt::format("cannot list {}: {}", dir_, ec.message());
  for (const std::string& n : previous) {
    if (old_result(n)) continue;
    const std::string from = dir_ + "/" + n;
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, (staging_ + "/" + n).c_str(), RENAME_NOREPLACE) != 0)
      return fmt::format("cannot move {} into the new results: {}", from, errno_text(errno));
  }
  std::string old = staging_;
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) return fmt::format("cannot exchange {} with {}: {}", staging_, dir_, errno_text(errno));
    old = staging_ + ".old";  // no atomic exchange here: the old one aside, the new one in
    if (std::rename(dir_.c_str(), old.c_str()) != 0 || std::rename(staging_.c_str(), dir_.c_str()) != 0)
      return fmt::format("cannot replace {}: {}", dir_, errno_text(errno));
  }
  done_ = true;
  // The old results, now under the staging name: only their result files are removed, then the directory.
  for (const std::string& n : entries(old, ec))
    if (old_result(n)) fs::remove_all(old + "/" + n, ec);
  ::rmdir(old.c_str());
  return {};
}

}  // namespace quiesce::run
