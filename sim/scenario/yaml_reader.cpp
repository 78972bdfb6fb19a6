#include "scenario/yaml_reader.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

namespace quiesce::scenario {
namespace {

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

// True when `path` is `prefix` or lies under it ("" is above everything; "a.b[1].c" is under "a.b").
bool under(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || path == prefix) return true;
  const char next = path.size() > prefix.size() && path.starts_with(prefix) ? path[prefix.size()] : '\0';
  return next == '.' || next == '[';
}

// One step of a --set path: a key, then the list indices that follow it ("mix[2]").
struct Step {
  std::string key;
  std::vector<size_t> index;
};

std::vector<Step> parse_path(const std::string& path, const std::string& label) {
  std::vector<Step> steps;
  for (size_t start = 0;;) {
    const size_t dot = path.find('.', start);
    const std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Step step{seg.substr(0, seg.find('[')), {}};
    if (step.key.empty()) throw ScenarioError(fmt::format("{}: empty key in the path '{}'", label, path));
    for (size_t i = step.key.size(); i < seg.size();) {
      const size_t close = seg.find(']', i);
      size_t n = 0;
      const char* first = seg.data() + i + 1;
      const char* last = seg.data() + (close == std::string::npos ? i + 1 : close);
      const auto [end, ec] = std::from_chars(first, last, n);
      if (seg[i] != '[' || close == std::string::npos || first == last || ec != std::errc{} || end != last)
        throw ScenarioError(fmt::format("{}: bad list index in the path '{}' (expected KEY[N])", label, path));
      step.index.push_back(n);
      i = close + 1;
    }
    steps.push_back(std::move(step));
    if (dot == std::string::npos) return steps;
    start = dot + 1;
  }
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The path with every ".N" after the first key written as "[N]": what "events.0.strategy" meant.
std::string bracketed(const std::vector<Step>& steps) {
  std::string out;
  for (size_t j = 0; j < steps.size(); ++j) {
    out += j > 0 && all_digits(steps[j].key) ? "[" + steps[j].key + "]" : (j > 0 ? "." : "") + steps[j].key;
    for (const size_t n : steps[j].index) out += fmt::format("[{}]", n);
  }
  return out;
}

// YAML is text: refuse control bytes and malformed UTF-8 with a position
// before yaml-cpp sees them, so binary garbage gets a plain answer.
void check_text(const std::string& file, const std::string& t) {
  int line = 1, col = 1;
  for (size_t i = t.starts_with("\xEF\xBB\xBF") ? 3 : 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= t.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(t[i + k]) & 0xc0) == 0x80;
    if (n == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)) ok = false;
    if (!ok) throw ScenarioError(fmt::format("{}:{}:{}: not a UTF-8 text file (byte 0x{:02x})", file, line, col, c));
    if (c == '\n') line++, col = 1;
    else col++;
    i += n;
  }
}

ScenarioError too_big(const std::string& path) {
  return ScenarioError(fmt::format("{}: larger than {} MiB, the limit for a scenario file", path, kMaxFileBytes >> 20));
}

std::string read_limited(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ScenarioError(fmt::format("{}: is a directory", path));
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > kMaxFileBytes)
    throw too_big(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ScenarioError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  static char buf[1 << 16];
  for (;;) {  // a pipe has no size: count as we go; a read error is an error, not the end of the file
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      throw ScenarioError(fmt::format("{}: cannot read: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      throw too_big(path);
    }
  }
  ::close(fd);
  return text;
}

// Where a document starts and where its first node is (an empty document has none).
struct DocumentMarks final : YAML::EventHandler {
  YAML::Mark start, first;
  bool content = false;
  void node(const YAML::Mark& m) {
    if (!content) first = m, content = true;
  }
  void OnDocumentStart(const YAML::Mark& m) override { start = m; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnMapEnd() override {}
};

// What follows the first document of `text`: the mark of a second document with content (true), or
// of text that is not YAML (false). Not with YAML::LoadAll: yaml-cpp 0.7 loops for ever on some
// malformed text (a lone ','), handing out empty documents without moving on. Throws YAML::Exception.
std::optional<std::pair<YAML::Mark, bool>> after_first_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentMarks prev, doc;
  parser.HandleNextDocument(prev);
  // Every pass throws or moves on (empty documents, "---" lines), so this ends.
  for (; parser.HandleNextDocument(doc); prev = doc, doc = {}) {
    if (doc.content) return std::pair{doc.first, true};
    if (doc.start.pos == prev.start.pos) return std::pair{doc.start, false};
  }
  return std::nullopt;
}

}  // namespace

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60)) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (s.size() > 60) out += "...";
  return out;
}

std::string shown_long(std::string_view s, size_t max) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c < 0x20 || c == 0x7f || c == '\\') out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (s.size() > max) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return fmt::format("\"{}\"", shown(node.Scalar()));
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return {};
  auto lower = [](std::string_view s) {
    std::string r(s);
    for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
  };
  // Optimal string alignment distance: edits plus swaps of neighbours ("cpsu").
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
      for (size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.size()][b.size()];
  };
  const std::string w = lower(word);
  std::string best;
  size_t best_d = 1 + w.size() / 4;  // the largest distance still taken for a typo
  for (const auto& cand : candidates) {
    const std::string c = lower(cand);
    size_t d = distance(w, c);
    // "clock" for "clock_ghz", "memory_size" for "memory": a known key plus or minus a suffix.
    if (std::min(w.size(), c.size()) >= 3 && (c.starts_with(w) || w.starts_with(c))) d = std::min<size_t>(d, 1);
    if (d <= best_d && (best.empty() || d < best_d)) best = cand, best_d = d;
  }
  return best;
}

// --- Document ---

Document Document::load_file(const std::string& path) { return load_text(read_limited(path), path); }

Document Document::load_text(const std::string& text, const std::string& path) {
  if (text.size() > kMaxFileBytes) throw too_big(path);
  Document d;
  d.file_ = path;
  check_text(path, text);
  const auto at = [&](const YAML::Mark& m, const std::string& msg) {
    return ScenarioError(m.is_null() ? fmt::format("{}: {}", path, msg)
                                     : fmt::format("{}:{}:{}: {}", path, m.line + 1, m.column + 1, msg));
  };
  try {
    d.root_.reset(YAML::Load(text));
    if (const auto extra = after_first_document(text)) {
      if (extra->second) throw at(extra->first, "a scenario file holds one YAML document; this is a second one");
      throw at(extra->first, fmt::format("not YAML from here on (\"{}\")",
                                         shown(std::string_view(text).substr(static_cast<size_t>(extra->first.pos), 20))));
    }
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    // yaml-cpp bounds its recursion (DepthGuard) but words it as "bad file".
    if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e))
      msg = fmt::format("nested more than {} levels deep", deep->depth() - 1);
    throw at(e.mark, msg);
  }
  if (d.root_.IsDefined() && !d.root_.IsNull() && !d.root_.IsMap())
    d.fail("", d.root_, "expected a map of sections (machine: ...), found " + describe(d.root_));
  return d;
}

void Document::apply_set(const std::string& spec, std::string label) {
  const auto eq = spec.find('=');
  // Messages quote a bounded excerpt of the override: its key (as long as keys go) and the start of its value.
  if (label.empty())
    label = "--set " + (eq == std::string::npos ? shown_long(spec, 200)
                                                : shown_long(spec.substr(0, eq), 200) + "=" + shown_long(spec.substr(eq + 1), 60));
  if (eq == std::string::npos) throw ScenarioError(label + ": expected KEY.PATH=VALUE");
  const std::vector<Step> steps = parse_path(spec.substr(0, eq), label);
  YAML::Node value;
  const std::string text = spec.substr(eq + 1);
  try {
    value = YAML::Load(text);
    if (const auto extra = after_first_document(text))
      throw ScenarioError(fmt::format("{}: the value holds {} (one value per --set)", label,
                                      extra->second ? "a second YAML document" : "text that is not YAML after its first document"));
  } catch (const YAML::Exception& e) {
    throw ScenarioError(fmt::format("{}: the value is not valid YAML: {}", label, e.msg));
  }
  // Walk (creating maps where needed; lists are only indexed, never grown) to the
  // target, then merge. Handles are moved with reset(): assigning a yaml-cpp Node
  // rewrites the node it refers to.
  if (!root_.IsMap()) root_.reset(YAML::Node(YAML::NodeType::Map));
  YAML::Node at;
  at.reset(root_);
  std::string path;  // normalised as the readers name it: "a.b[1].c"
  for (size_t i = 0; i < steps.size(); ++i) {
    path = join_path(path, steps[i].key);
    YAML::Node child = at[steps[i].key];
    for (const size_t n : steps[i].index) {
      if (!child.IsSequence())
        throw ScenarioError(fmt::format("{}: {}: cannot take element [{}] of {}", label, path, n, describe(child)));
      if (n >= child.size())
        throw ScenarioError(fmt::format("{}: {}: no element [{}]; the list has {}", label, path, n, child.size()));
      YAML::Node element = child[n];
      child.reset(element);
      path += fmt::format("[{}]", n);
    }
    if (i + 1 == steps.size()) return merge(child, value, path, label);
    if (child.IsSequence() && all_digits(steps[i + 1].key))  // "events.0.strategy": not a map to create
      throw ScenarioError(fmt::format("{}: {} is a list: write {} (an element is KEY[N], not KEY.N)", label, path,
                                      bracketed(steps)));
    if (!child.IsMap()) child = YAML::Node(YAML::NodeType::Map);  // an override replaces a scalar parent
    at.reset(child);
  }
}

void Document::merge(YAML::Node target, const YAML::Node& value, const std::string& path, const std::string& label) {
  if (value.IsMap() && value.size() > 0) {
    if (!target.IsMap()) target = YAML::Node(YAML::NodeType::Map);
    for (const auto& kv : value) {
      if (!kv.first.IsScalar()) throw ScenarioError(fmt::format("{}: {}: expected a key, found {}", label, path, describe(kv.first)));
      const std::string key = kv.first.Scalar();
      merge(target[key], kv.second, join_path(path, key), label);
    }
  } else {
    target = value;
    overrides_.push_back({path, label});  // each leaf remembers who set it, for where()
  }
}

bool Document::overridden(const std::string& path) const {
  return std::any_of(overrides_.begin(), overrides_.end(), [&](const Override& o) { return under(path, o.path); });
}

std::string Document::where(const std::string& path, const YAML::Node& node) const {
  for (auto o = overrides_.rbegin(); o != overrides_.rend(); ++o)
    if (!path.empty() && under(path, o->path)) return o->label;
  const YAML::Mark m = node.Mark();
  if (!m.is_null()) return fmt::format("{}:{}:{}", file_, m.line + 1, m.column + 1);
  // A map that only an override created has no mark: name the override inside it.
  for (auto o = overrides_.rbegin(); o != overrides_.rend(); ++o)
    if (under(o->path, path)) return o->label;
  return file_.empty() ? "command line" : file_;
}

void Document::fail(const std::string& path, const YAML::Node& node, const std::string& msg) const {
  const std::string at = where(path, node);
  throw ScenarioError(path.empty() ? fmt::format("{}: {}", at, msg) : fmt::format("{}: {}: {}", at, path, msg));
}

// --- MapReader ---

MapReader::MapReader(const Document& doc, const YAML::Node& node, std::string path)
    : doc_(&doc), node_(node), path_(std::move(path)) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) doc.fail(path_, node, "expected a map, found " + describe(node));
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) doc.fail(path_, kv.first, "expected a key, found " + describe(kv.first));
    const std::string& key = kv.first.Scalar();
    const auto [it, fresh] = index_.emplace(key, entries_.size());
    if (!fresh)
      doc.fail(path_of(shown(key)), kv.first,
               fmt::format("duplicate key (first at line {})", entries_[it->second].key_node.Mark().line + 1));
    entries_.push_back({key, kv.first, kv.second});
  }
}

// An empty value's mark is wherever the next token starts: point at its key instead.
const YAML::Node& MapReader::at(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

std::string MapReader::path_of(std::string_view key) const { return join_path(path_, key); }

const MapReader::Entry* MapReader::peek(std::string_view key) const {
  const auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

MapReader::Entry* MapReader::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  auto* e = const_cast<Entry*>(peek(key));
  if (e) e->used = true;
  return e;
}

bool MapReader::has(std::string_view key) const { return peek(key) != nullptr; }

MapReader MapReader::map(std::string_view key) {
  const Entry* e = find(key);
  MapReader child(*doc_, e ? e->value : YAML::Node(), path_of(key));
  if (!e) child.node_.reset(node_);  // absent: errors about it point at this map
  else if (e->value.IsNull()) child.node_.reset(e->key_node);
  return child;
}

YAML::Node MapReader::node(std::string_view key) {
  const Entry* e = find(key);
  return e ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

ListReader MapReader::list(std::string_view key) {
  const Entry* e = find(key);
  if (!e) return ListReader(*doc_, YAML::Node(), node_, path_of(key));
  if (!e->value.IsNull() && !e->value.IsSequence())
    doc_->fail(path_of(key), e->value, "expected a list, found " + describe(e->value));
  return ListReader(*doc_, e->value, at(*e), path_of(key));
}

std::vector<std::string> MapReader::keys() {
  std::vector<std::string> out;
  for (Entry& e : entries_) e.used = true, out.push_back(e.key);
  return out;
}

const YAML::Node& MapReader::scalar(const Entry& e, const std::string& expected) const {
  if (!e.value.IsScalar()) doc_->fail(path_of(e.key), at(e), fmt::format("expected {}, found {}", expected, describe(e.value)));
  return e.value;
}

uint64_t MapReader::read_uint(std::string_view key, uint64_t def, uint64_t lo, uint64_t hi, bool pow2) {
  const Entry* e = find(key);
  if (!e) return def;
  const std::string expected = fmt::format("{} {}..{}", pow2 ? "a power of two" : "an integer", lo, hi);
  std::string s = scalar(*e, expected).Scalar();
  std::erase(s, '_');  // 1_000_000
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* first = s.data() + (hex ? 2 : 0);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(first, s.data() + s.size(), v, hex ? 16 : 10);
  const bool ok = ec == std::errc{} && end == s.data() + s.size() && first != end;
  if (!ok || v < lo || v > hi || (pow2 && !std::has_single_bit(v)))
    doc_->fail(path_of(key), at(*e), fmt::format("expected {}, found {}", expected, describe(e->value)));
  return v;
}

double MapReader::real(std::string_view key, double def, double lo, double hi) {
  return read_real(key, def, lo, hi, false);
}

double MapReader::positive(std::string_view key, double def, double hi) { return read_real(key, def, 0, hi, true); }

double MapReader::read_real(std::string_view key, double def, double lo, double hi, bool open_lo) {
  const Entry* e = find(key);
  if (!e) return def;
  const std::string expected = fmt::format("a number {}{}..{}", open_lo ? ">" : "", lo, hi);
  const std::string& s = scalar(*e, expected).Scalar();
  double v = 0;
  // YAML spells infinity .inf (.Inf, .INF); from_chars's own "inf" and "nan" are not YAML numbers.
  const size_t sign = s.starts_with('-') || s.starts_with('+');
  const std::string_view mag = std::string_view(s).substr(sign);
  bool ok = mag == ".inf" || mag == ".Inf" || mag == ".INF";
  if (ok) {
    v = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  } else {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc{} && end == s.data() + s.size() && std::isfinite(v);
  }
  if (!ok || !(v >= lo && v <= hi) || (open_lo && v == lo))
    doc_->fail(path_of(key), at(*e), fmt::format("expected {}, found {}", expected, describe(e->value)));
  return v;
}

bool MapReader::boolean(std::string_view key, bool def) {
  const Entry* e = find(key);
  if (!e) return def;
  const std::string& s = scalar(*e, "true or false").Scalar();
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  doc_->fail(path_of(key), at(*e), "expected true or false, found " + describe(e->value));
}

std::string MapReader::string(std::string_view key, const std::string& def) {
  const Entry* e = find(key);
  return e ? scalar(*e, "a string").Scalar() : def;
}

std::string MapReader::choice(std::string_view key, const std::string& def, std::initializer_list<std::string_view> allowed) {
  const Entry* e = find(key);
  if (!e) return def;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  const std::string& s = scalar(*e, "one of " + list).Scalar();
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    doc_->fail(path_of(key), at(*e), fmt::format("expected one of {}, found {}", list, describe(e->value)));
  return s;
}

void MapReader::finish() const {
  for (const Entry& e : entries_) {
    if (e.used) continue;
    const std::string hint = closest(e.key, known_);
    std::string msg;
    if (!hint.empty()) msg = fmt::format("unknown key; did you mean '{}'?", hint);
    else msg = fmt::format("unknown key; known keys: {}", fmt::join(known_, ", "));
    // Where: found by the whole key (an override of a long key is its own); shown: the key cut short.
    throw ScenarioError(fmt::format("{}: {}: {}", doc_->where(path_of(e.key), e.key_node), path_of(shown(e.key)), msg));
  }
}

void MapReader::fail(std::string_view key, const std::string& msg) const {
  const Entry* e = peek(key);
  doc_->fail(path_of(key), e ? at(*e) : node_, msg);
}

void MapReader::fail_key(std::string_view key, const std::string& msg) const {
  const Entry* e = peek(key);
  doc_->fail(path_of(shown(key)), e ? e->key_node : node_, msg);
}

void MapReader::fail(const std::string& msg) const { doc_->fail(path_, node_, msg); }

// --- ListReader ---

ListReader::ListReader(const Document& doc, const YAML::Node& node, const YAML::Node& mark, std::string path)
    : doc_(&doc), node_(node), mark_(mark), path_(std::move(path)) {}

std::string ListReader::path_of(size_t i) const { return fmt::format("{}[{}]", path_, i); }

MapReader ListReader::map(size_t i, std::string_view expected) const {
  const YAML::Node e = node_[i];
  if (!e.IsMap()) fail(i, fmt::format("expected {}, found {}", expected, describe(e)));
  return MapReader(*doc_, e, path_of(i));
}

std::string ListReader::scalar(size_t i, const std::string& expected) const {
  const YAML::Node e = node_[i];
  if (!e.IsScalar()) fail(i, fmt::format("expected {}, found {}", expected, describe(e)));
  return e.Scalar();
}

void ListReader::fail(size_t i, const std::string& msg) const { doc_->fail(path_of(i), node_[i], msg); }

void ListReader::fail(const std::string& msg) const { doc_->fail(path_, node_.IsSequence() ? node_ : mark_, msg); }

}  // namespace quiesce::scenario
