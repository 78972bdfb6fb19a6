// The generic reader behind every section of the scenario file. A Document is
// the YAML tree (yaml-cpp) plus where each part came from: the file, with
// yaml-cpp's line/column marks, or a --set override merged in afterwards. A
// MapReader reads one map through typed getters with ranges, records which keys
// were read, and finish() reports the first key nobody read, with a "did you
// mean" by edit distance. A ListReader gives each element of a list its own
// path ("workloads.web.mix[2]"). Section binders only call getters: every error
// carries "WHERE: dotted.path: message".
#pragma once
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "scenario/scenario_error.h"

namespace quiesce::scenario {

// Larger files are refused before parsing. yaml-cpp takes ~0.7 s and ~100 MB
// of memory per MiB of YAML; a scenario is a few pages of settings.
inline constexpr uint64_t kMaxFileBytes = uint64_t{1} << 20;

class Document {
 public:
  Document() = default;  // the empty document: every setting at its default
  // Reads and parses FILE (one YAML document of UTF-8 text, at most kMaxFileBytes).
  static Document load_file(const std::string& path);
  // The same from text already read; NAME stands for the file in messages.
  static Document load_text(const std::string& text, const std::string& name);

  // SPEC is "dotted.path=VALUE"; VALUE is parsed as YAML and merged at the path:
  // maps merge key by key, anything else replaces. A key may index an existing
  // list element ("workloads.w.mix[0].object=x"). LABEL names the override in
  // errors (default "--set SPEC"); CLI flags pass e.g. "--cpus 4".
  void apply_set(const std::string& spec, std::string label = {});

  const YAML::Node& root() const { return root_; }
  // The scenario file as given to load_file ("" for the empty document).
  const std::string& file() const { return file_; }
  // True when an override set `path` or a part of the tree above it.
  bool overridden(const std::string& path) const;

  // "FILE:LINE:COL" or the label of the override that set `path`.
  std::string where(const std::string& path, const YAML::Node& node) const;
  [[noreturn]] void fail(const std::string& path, const YAML::Node& node, const std::string& msg) const;

 private:
  struct Override {
    std::string path, label;
  };
  void merge(YAML::Node target, const YAML::Node& value, const std::string& path, const std::string& label);

  std::string file_;
  YAML::Node root_;
  std::vector<Override> overrides_;  // one per leaf set, in the order applied
};

// "a map", "a list", "nothing" or the scalar quoted: for "found ..." messages.
std::string describe(const YAML::Node& node);
// Long or odd text (a garbage key, a pasted blob) cut and escaped for messages.
std::string shown(std::string_view s);
// The same, cut at `max` bytes (then "... (N bytes)"), quotes kept: for a --set override in messages.
std::string shown_long(std::string_view s, size_t max);
// The candidate closest to `word` by edit distance, or "" when none is close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

class ListReader;

class MapReader {
 public:
  // `node` must be a map or absent/null (then every key reads as its default).
  MapReader(const Document& doc, const YAML::Node& node, std::string path);

  bool has(std::string_view key) const;
  MapReader map(std::string_view key);
  // The raw node (undefined when absent), for sections with their own shapes.
  YAML::Node node(std::string_view key);
  // The list under `key` (absent or null: an empty list).
  ListReader list(std::string_view key);
  // Every key in file order, all marked as read: for maps keyed by names the
  // user chooses (implementations, objects, ...); read each value with map(key).
  std::vector<std::string> keys();

  template <std::unsigned_integral T>
  T uint(std::string_view key, T def, T lo, T hi) {
    return static_cast<T>(read_uint(key, def, lo, hi, false));
  }
  template <std::unsigned_integral T>
  T pow2(std::string_view key, T def, T lo, T hi) {
    return static_cast<T>(read_uint(key, def, lo, hi, true));
  }
  // Also YAML's .inf (hi may be infinity).
  double real(std::string_view key, double def, double lo, double hi);
  // A number > 0 and <= hi.
  double positive(std::string_view key, double def, double hi);
  bool boolean(std::string_view key, bool def);
  std::string string(std::string_view key, const std::string& def);
  std::string choice(std::string_view key, const std::string& def, std::initializer_list<std::string_view> allowed);

  // Throws on the first key (in file order) that no getter asked for.
  void finish() const;
  // An error about `key` (at its value when present, else at this map).
  [[noreturn]] void fail(std::string_view key, const std::string& msg) const;
  // An error about the key itself (a bad name), at the key.
  [[noreturn]] void fail_key(std::string_view key, const std::string& msg) const;
  // An error about the map as a whole (a missing key), at the map.
  [[noreturn]] void fail(const std::string& msg) const;
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node, value;
    bool used = false;
  };
  Entry* find(std::string_view key);  // records `key` as known; marks it used
  const Entry* peek(std::string_view key) const;
  static const YAML::Node& at(const Entry& e);
  const YAML::Node& scalar(const Entry& e, const std::string& expected) const;
  uint64_t read_uint(std::string_view key, uint64_t def, uint64_t lo, uint64_t hi, bool pow2);
  double read_real(std::string_view key, double def, double lo, double hi, bool open_lo);

  const Document* doc_;
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;  // key -> entry (a huge map stays linear)
  std::vector<std::string> known_;
};

// One list of the document; element i has the path "PATH[i]".
class ListReader {
 public:
  // `node` must be a list or absent/null (an empty list); `mark` places errors about an empty list.
  ListReader(const Document& doc, const YAML::Node& node, const YAML::Node& mark, std::string path);

  size_t size() const { return node_.IsSequence() ? node_.size() : 0; }
  // Element i, which must be a map; `expected` words the error otherwise.
  MapReader map(size_t i, std::string_view expected = "a map") const;
  // Element i, which must be a scalar; `expected` words the error otherwise.
  std::string scalar(size_t i, const std::string& expected) const;
  std::string path_of(size_t i) const;
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(size_t i, const std::string& msg) const;
  [[noreturn]] void fail(const std::string& msg) const;  // about the list as a whole

 private:
  const Document* doc_;
  YAML::Node node_, mark_;
  std::string path_;
};

}  // namespace quiesce::scenario
