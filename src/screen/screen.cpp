// Cohort screening of FHIR Bulk Data NDJSON (docs/scale.md).
//
// Two passes. The partition pass reads every bulk file once (files in parallel), validates each
// line with simdjson, takes its patient key (Patient.id, subject/patient reference) and appends the
// line to one of P spill files chosen by an FNV-1a hash of the key. The screen pass loads one spill
// file at a time, groups its lines per patient, wraps each patient's resources in a FHIR Bundle and
// hands it to the same reader and assessment as the bedside path (parse_case, assess), patients in
// parallel. With P = 1 the bulk files themselves are the partition and nothing is spilled.
#include "paraderm/screen.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <zlib.h>

#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <bitset>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "paraderm/assess.h"

namespace paraderm::screen {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // rows keep "patient" first

// Every type the FHIR reader reads per patient (src/case/fhir.cpp); a file of another type is
// listed in the summary as not read, never skipped silently.
constexpr std::array<std::string_view, 9> kBulkTypes = {"Patient",
                                                        "Condition",
                                                        "MedicationStatement",
                                                        "MedicationRequest",
                                                        "MedicationAdministration",
                                                        "MedicationDispense",
                                                        "Observation",
                                                        "AllergyIntolerance",
                                                        "Immunization"};
// Peak resident bytes per input byte of a partition: the spill text (input lines plus their
// "@file:line key type" prefix, ~1.2x), its line index and sort keys (~100 bytes per line) and the
// records in flight. Measured 1.7 on 1 M bulk_synth patients (docs/scale.md).
constexpr double kMemoryPerInputByte = 2.0;
// A gzip file's text is estimated from its size (bulk NDJSON compresses about 8-12x).
constexpr double kGzipExpansion = 10.0;
// More spill files than this would exhaust file descriptors; partitions then exceed the budget.
constexpr std::size_t kMaxPartitions = 512;
constexpr std::size_t kFlushBytes = 1 << 16;
// A patient's Bundle may be larger than a bedside request (years of observations).
constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 30;

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// ---- reading ---------------------------------------------------------------------------------

// A file's text: a plain file mapped from the page cache (no copy, no zero-filled pages), a gzip
// file inflated into memory with SIMDJSON_PADDING spare bytes after the text.
class Text {
 public:
  Text() = default;
  Text(const Text&) = delete;
  Text& operator=(const Text&) = delete;
  Text(Text&& o) noexcept { *this = std::move(o); }
  Text& operator=(Text&& o) noexcept {
    std::swap(map_, o.map_);
    std::swap(map_size_, o.map_size_);
    owned_ = std::move(o.owned_);
    return *this;
  }
  ~Text() {
    if (map_) ::munmap(map_, map_size_);
  }
  std::string_view view() const {
    return map_ ? std::string_view(static_cast<const char*>(map_), map_size_)
                : std::string_view(owned_);
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past a line's end: true when they are readable
  // (inside the text, or the spare capacity of an inflated one).
  bool padded_after(std::size_t end) const {
    return map_ ? end + simdjson::SIMDJSON_PADDING <= map_size_
                : end + simdjson::SIMDJSON_PADDING <= owned_.capacity();
  }
  static Result<Text> read(const fs::path& p);

 private:
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::string owned_;
};

Result<Text> Text::read(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return Status::io_error(fmt::format("{}: cannot open", p.string()));
  struct stat st{};
  std::array<unsigned char, 2> magic{};
  bool gzip = ::pread(fd, magic.data(), 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  Text t;
  if (!gzip && ::fstat(fd, &st) == 0 && st.st_size > 0) {
    t.map_size_ = static_cast<std::size_t>(st.st_size);
    void* m = ::mmap(nullptr, t.map_size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) return Status::io_error(fmt::format("{}: cannot map", p.string()));
    t.map_ = m;
    ::madvise(m, t.map_size_, MADV_SEQUENTIAL);
    return t;
  }
  gzFile f = gzdopen(fd, "rb");
  if (!f) {
    ::close(fd);
    return Status::io_error(fmt::format("{}: cannot open", p.string()));
  }
  gzbuffer(f, 1 << 18);
  std::array<char, 1 << 16> buf{};
  for (;;) {
    int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      return Status::io_error(fmt::format("{}: {}", p.string(), msg));
    }
    if (n == 0) break;
    t.owned_.append(buf.data(), static_cast<std::size_t>(n));
  }
  gzclose(f);
  t.owned_.reserve(t.owned_.size() + simdjson::SIMDJSON_PADDING);
  return t;
}

// Streams a file (gzip or plain) in blocks of whole lines, so the partition pass holds a few MB
// per thread however large the file: `fn(block, size)` sees block[0, size) ending at a line end (or
// the file's end), with SIMDJSON_PADDING spare capacity after it.
template <class Fn>
Status for_each_block(const fs::path& p, Fn&& fn) {
  constexpr std::size_t kBlock = std::size_t{16} << 20;
  gzFile f = gzopen(p.c_str(), "rb");  // zlib reads a plain file through the same calls
  if (!f) return Status::io_error(fmt::format("{}: cannot open", p.string()));
  gzbuffer(f, 1 << 18);
  std::string buf;
  std::size_t carry = 0;  // bytes of an unfinished line kept at the front
  for (;;) {
    buf.resize(carry + kBlock);
    int n = gzread(f, buf.data() + carry, static_cast<unsigned>(kBlock));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      return Status::io_error(fmt::format("{}: {}", p.string(), msg));
    }
    std::size_t filled = carry + static_cast<std::size_t>(n);
    buf.resize(filled);
    buf.reserve(filled + simdjson::SIMDJSON_PADDING);
    if (n == 0) {
      if (filled > 0) fn(buf, filled);
      break;
    }
    auto last = std::string_view(buf).rfind('\n');
    if (last == std::string_view::npos) {  // a line longer than a block: read on
      carry = filled;
      continue;
    }
    fn(buf, last + 1);
    carry = filled - (last + 1);
    std::memmove(buf.data(), buf.data() + last + 1, carry);
  }
  gzclose(f);
  return Status::ok();
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// The patient id a reference names: "Patient/x", "https://host/fhir/Patient/x/_history/2",
// "urn:uuid:x"; "" when it names no patient.
std::string_view patient_of_reference(std::string_view ref) {
  if (ref.rfind("urn:uuid:", 0) == 0) return ref.substr(9);
  auto p = ref.rfind("Patient/");
  if (p == std::string_view::npos || (p > 0 && ref[p - 1] != '/')) return {};
  auto id = ref.substr(p + 8);
  if (auto h = id.find('/'); h != std::string_view::npos) id = id.substr(0, h);
  return id;
}

bool usable_key(std::string_view k) {
  return !k.empty() && k.size() <= 256 && std::none_of(k.begin(), k.end(), [](char c) {
    return c == '\t' || c == '\n' || c == '\r';
  });
}

struct KeyedLine {
  std::string_view type, key;  // valid until the parser parses the next line
  std::string problem;         // non-empty: not screened
  bool malformed = false;
};

// Validates the whole line (simdjson DOM: a malformed line never reaches a patient's Bundle,
// where it would make the whole record unreadable) and finds its patient. `padded`: the line is
// followed by SIMDJSON_PADDING readable bytes, so it is parsed in place.
KeyedLine key_line(simdjson::dom::parser& parser, std::string_view line, bool padded) {
  KeyedLine k;
  simdjson::dom::element root;
  if (auto err = parser.parse(line.data(), line.size(), !padded).get(root); err) {
    k.malformed = true;
    k.problem = fmt::format("not valid JSON ({})", simdjson::error_message(err));
    return k;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    k.malformed = true;
    k.problem = "not a JSON object: expected one FHIR resource per line";
    return k;
  }
  if (obj["resourceType"].get_string().get(k.type) != simdjson::SUCCESS || k.type.empty()) {
    k.malformed = true;
    k.problem = "no resourceType: expected a FHIR resource";
    return k;
  }
  if (k.type == "Patient") {
    if (obj["id"].get_string().get(k.key) != simdjson::SUCCESS || !usable_key(k.key)) {
      k.problem = "Patient without a usable id: not screened";
    }
    return k;
  }
  std::string_view ref;
  for (const char* field : {"subject", "patient"}) {
    if (obj[field]["reference"].get_string().get(ref) == simdjson::SUCCESS) break;
  }
  k.key = patient_of_reference(ref);
  if (!usable_key(k.key)) {
    k.problem =
        fmt::format("{} without a Patient reference (subject.reference): not screened", k.type);
  }
  return k;
}

// Keys and type names of one partition, copied once into large blocks (a std::string per line
// cost more than the JSON parse).
class Arena {
 public:
  std::string_view copy(std::string_view s) {
    for (auto t : kBulkTypes) {
      if (s == t) return t;
    }
    if (blocks_.empty() || used_ + s.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(std::max(kBlock, s.size())));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::memcpy(at, s.data(), s.size());
    used_ += s.size();
    return {at, s.size()};
  }

 private:
  static constexpr std::size_t kBlock = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0;
};

// ---- which patients need the assessment -------------------------------------------------------

// Every KB biologic and JAK/TYK2 inhibitor name and code, lower-case letters and digits only. The
// reader finds a medication by code or by a KB name written inside a text (whole words, case- and
// punctuation-insensitive), so a medication resource that can be read as one of them contains one
// of these strings once its punctuation and spaces are removed: a superset test, never a miss.
class MedicationTriggers {
 public:
  explicit MedicationTriggers(const kb::KnowledgeBase& kb) {
    auto add = [&](std::string_view s) {
      std::string n = squash(s);
      if (n.size() >= 2) patterns_.push_back(std::move(n));
    };
    for (const auto& b : kb.biologics) {
      add(b.id);
      add(b.name);
      if (b.brands) {
        for (const auto& n : b.brands->names) add(n);
      }
      for (const auto& c : b.code) add(c.code);
    }
    for (const auto& d : kb.drugs) {
      add(d.id);
      add(d.name);
      add(d.ingredient);
      for (const auto& b : d.brand) add(b.name);
      for (const auto& c : d.code) add(c.code);
    }
    std::sort(patterns_.begin(), patterns_.end());
    patterns_.erase(std::unique(patterns_.begin(), patterns_.end()), patterns_.end());
    // Patterns of 4 or more bytes are found by a hash of 4 of their bytes (digits of dates and ids
    // match the 2-byte prefixes of RxNorm codes at almost every position); shorter ones by their
    // first 2 bytes at every position. When the shortest long pattern has m bytes, every
    // occurrence holds a 4-byte window starting at a multiple of stride = m - 3 (at offset
    // 0 .. stride - 1 of the pattern), so only those positions are hashed and each pattern is
    // listed under the windows at those offsets: the same answer as a look at every position.
    std::size_t shortest_long = 0;
    for (const auto& pat : patterns_) {
      if (pat.size() >= 4 && (shortest_long == 0 || pat.size() < shortest_long))
        shortest_long = pat.size();
    }
    stride_ = shortest_long == 0 ? 1 : shortest_long - 3;
    by_prefix_.resize(1 << 16);
    by_quad_.resize(1 << 16);
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
      if (patterns_[i].size() >= 4) {
        for (std::size_t off = 0; off < stride_; ++off) {
          unsigned q = quad(patterns_[i].data() + off);
          by_quad_[q].push_back({i, off});
          quads_.set(q);
        }
      } else {
        by_prefix_[prefix(patterns_[i])].push_back(i);
        starts_.set(prefix(patterns_[i]));
        has_short_ = true;
      }
    }
  }

  // Lower-case letters and digits kept, everything else dropped; branch-free (a table and a
  // conditional advance), since every medication line of a bulk export passes here.
  static void squash(std::string_view s, std::string& out) {
    static constexpr auto kFold = [] {
      std::array<char, 256> t{};
      for (int c = 0; c < 256; ++c) {
        if (c >= 'A' && c <= 'Z')
          t[c] = static_cast<char>(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
          t[c] = static_cast<char>(c);
      }
      return t;
    }();
    out.resize(s.size());
    char* o = out.data();
    std::size_t n = 0;
    for (char c : s) {
      const char f = kFold[static_cast<unsigned char>(c)];
      o[n] = f;
      n += f != 0;
    }
    out.resize(n);
  }
  static std::string squash(std::string_view s) {
    std::string out;
    squash(s, out);
    return out;
  }

  // True when the line may name a KB biologic or JAK/TYK2 inhibitor. A JSON escape could hide a
  // name from a byte search, so a line with a backslash always counts.
  bool any(std::string_view line, std::string& scratch) const {
    if (line.find('\\') != std::string_view::npos) return true;
    squash(line, scratch);
    const std::string_view text(scratch);
    if (has_short_) {
      for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (unsigned pre = prefix(text.substr(i, 2)); starts_[pre]) {
          for (std::size_t p : by_prefix_[pre]) {
            if (text.substr(i, patterns_[p].size()) == patterns_[p]) return true;
          }
        }
      }
    }
    for (std::size_t i = 0; i + 4 <= text.size(); i += stride_) {
      if (unsigned q = quad(text.data() + i); quads_[q]) {
        for (const auto& [p, off] : by_quad_[q]) {
          if (off <= i && text.substr(i - off, patterns_[p].size()) == patterns_[p]) return true;
        }
      }
    }
    return false;
  }

 private:
  static unsigned prefix(std::string_view s) {
    return static_cast<unsigned>(static_cast<unsigned char>(s[0])) << 8 |
           static_cast<unsigned char>(s[1]);
  }
  // A 16-bit hash of 4 bytes (multiplicative, top bits).
  static unsigned quad(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<unsigned>((v * 2654435761u) >> 16);
  }
  std::vector<std::string> patterns_;
  std::vector<std::vector<std::size_t>> by_prefix_;  // patterns of 2-3 bytes, by their first two
  std::bitset<1 << 16> starts_;                      // 8 KB: which two bytes start such a pattern
  struct Window {
    std::size_t pattern, offset;  // quad() of patterns_[pattern] at offset
  };
  std::vector<std::vector<Window>> by_quad_;  // patterns of 4+ bytes, by quad() of their windows
  std::bitset<1 << 16> quads_;
  std::size_t stride_ = 1;
  bool has_short_ = false;
};

bool is_medication_type(std::string_view t) { return t.rfind("Medication", 0) == 0; }

// ---- a partition in memory ---------------------------------------------------------------------

struct Source {
  std::string file;
  std::uint64_t line = 0;
  std::string where() const { return fmt::format("{}:{}", file, line); }
  bool operator<(const Source& o) const { return std::tie(file, line) < std::tie(o.file, o.line); }
};

// One resource line of a partition. `file` points to a name the partition keeps for its lifetime.
struct Line {
  std::uint64_t hash = 0;  // of key: lines are grouped by (hash, key), integers compared first
  std::string_view key, type, json;
  const std::string* file = nullptr;
  std::uint64_t line = 0;
  bool patient = false;
  std::uint32_t file_rank = 0;  // the file's place in name order within the partition
  Source source() const { return {*file, line}; }
};

struct Problem {
  Source source;
  std::string what;
};

// Counts of one piece of work, merged into the Summary in a fixed order.
struct Tally {
  std::uint64_t files = 0, lines = 0, bytes = 0, malformed = 0, without_patient = 0;
  std::vector<Problem> problems;  // first `limit` only
  std::size_t limit = 20;
  void add(Source s, std::string what) {
    if (problems.size() < limit) problems.push_back({std::move(s), std::move(what)});
  }
};

std::string file_name(const fs::path& p) { return p.filename().string(); }

// The Medication resources of the export by id. Medication lines name their product through
// medicationReference ("Medication/abc"), as EHR bulk exports mostly do; without these resources
// such a patient's biologic or JAK inhibitor was invisible, the patient was not even assessed, and
// a paradoxical reaction went unlisted. Read once per screen (one resource per product: small) and
// shared by every patient; bounded by the memory budget.
class MedicationCatalog {
 public:
  Status load(const std::vector<fs::path>& files, std::size_t max_bytes, Tally& tally) {
    simdjson::dom::parser parser;
    std::size_t held = 0;
    for (const auto& file : files) {
      const std::string name = file.filename().string();
      std::uint64_t line_no = 0;
      bool full = false;
      auto status = for_each_block(file, [&](std::string& buf, std::size_t size) {
        std::string_view block(buf.data(), size);
        for (std::size_t from = 0; from < block.size();) {
          auto nl = block.find('\n', from);
          auto line = block.substr(from, nl == std::string_view::npos ? nl : nl - from);
          from = nl == std::string_view::npos ? block.size() : nl + 1;
          ++line_no;
          if (line.empty() || line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
          simdjson::dom::element root;
          std::string_view type, id;
          if (parser.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS ||
              root["resourceType"].get_string().get(type) != simdjson::SUCCESS) {
            ++tally.malformed;
            tally.add({name, line_no}, "not a FHIR resource in JSON: not read");
            continue;
          }
          if (type != "Medication" || root["id"].get_string().get(id) != simdjson::SUCCESS ||
              !usable_key(id)) {
            tally.add({name, line_no},
                      fmt::format("{} without a usable Medication id: not read", type));
            continue;
          }
          if (full) continue;
          if (held + line.size() > max_bytes) {
            full = true;
            tally.add({name, line_no},
                      "Medication resources beyond the memory budget (--memory-mb): the rest of "
                      "the file is not read");
            continue;
          }
          held += line.size();
          by_id_.emplace(std::string(id), std::string(line));
        }
      });
      if (!status.is_ok()) return status;
    }
    return Status::ok();
  }

  // The Medication a reference names ("Medication/x", a URL ending in Medication/x[/_history/n],
  // "urn:uuid:x"): its JSON line, or nullptr.
  const std::string* find(std::string_view reference) const {
    std::string_view id;
    if (reference.rfind("urn:uuid:", 0) == 0) {
      id = reference.substr(9);
    } else {
      auto at = reference.rfind("Medication/");
      if (at == std::string_view::npos || (at > 0 && reference[at - 1] != '/')) return nullptr;
      id = reference.substr(at + 11);
      if (auto slash = id.find('/'); slash != std::string_view::npos) id = id.substr(0, slash);
    }
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return by_id_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_id_;
};

// The medicationReference.reference of a medication resource line ("" when it has none; a
// contained "#id" is the reader's own business).
std::string medication_reference(std::string_view line) {
  if (line.find("\"medicationReference\"") == std::string_view::npos) return "";
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view ref;
  if (parser.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS ||
      root["medicationReference"]["reference"].get_string().get(ref) != simdjson::SUCCESS ||
      ref.empty() || ref[0] == '#') {
    return "";
  }
  return std::string(ref);
}

// A spill line: "@file:line\tkey\ttype\t{json}". The original line is kept verbatim so the
// screen pass reads exactly what the export wrote; the prefix carries what the partition pass
// already established (the line was valid JSON, its patient, its type).
bool parse_spill_line(std::string_view s, Line& out,
                      std::vector<std::unique_ptr<std::string>>& names) {
  if (s.empty() || s[0] != '@') return false;
  auto t1 = s.find('\t'), t2 = s.find('\t', t1 + 1), t3 = s.find('\t', t2 + 1);
  if (t1 == std::string_view::npos || t2 == std::string_view::npos || t3 == std::string_view::npos)
    return false;
  auto where = s.substr(1, t1 - 1);
  auto colon = where.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto name = where.substr(0, colon);
  if (names.empty() || *names.back() != name) {
    auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return *n == name; });
    if (it == names.end())
      names.push_back(std::make_unique<std::string>(name));
    else
      std::rotate(it, it + 1, names.end());  // most recent last: spill lines come in runs per file
  }
  out.file = names.back().get();
  std::from_chars(where.data() + colon + 1, where.data() + where.size(), out.line);
  out.key = s.substr(t1 + 1, t2 - t1 - 1);
  out.type = s.substr(t2 + 1, t3 - t2 - 1);
  out.json = s.substr(t3 + 1);
  out.patient = out.type == "Patient";
  return true;
}

// Splits lines [from, to) of a file (`to` at a line end); line numbers counted from the chunk's
// start (the caller adds the lines of the chunks before). Returns the number of lines.
std::uint64_t index_text(const Text& padded_text, std::size_t from, std::size_t to,
                         const std::string& name, bool spill, std::vector<Line>& lines,
                         Tally& tally, Arena& arena,
                         std::vector<std::unique_ptr<std::string>>& names) {
  const std::string_view text = padded_text.view();
  simdjson::dom::parser parser;
  std::uint64_t line_no = 0;
  if (!spill) {
    tally.files += from == 0;
    tally.bytes += to - from;
    names.push_back(std::make_unique<std::string>(name));
  }
  const std::string* file = spill ? nullptr : names.back().get();
  lines.reserve(lines.size() + (to - from) / 256);  // bulk FHIR lines are a few hundred bytes
  for (std::size_t pos = from; pos < to;) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos || end > to) end = to;
    std::string_view s(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (spill) {
      Line l;
      if (parse_spill_line(s, l, names)) {
        lines.push_back(l);
      } else if (!blank(s)) {  // not written by the partition pass: said, never dropped silently
        ++tally.malformed;
        tally.add({name, line_no},
                  "not a spill line (@file:line<TAB>patient<TAB>type<TAB>resource)");
      }
      continue;
    }
    ++tally.lines;
    if (blank(s)) continue;
    auto k = key_line(parser, s, padded_text.padded_after(end));
    if (!k.problem.empty()) {
      (k.malformed ? tally.malformed : tally.without_patient)++;
      tally.add({name, line_no}, std::move(k.problem));
      continue;
    }
    bool patient = k.type == "Patient";
    lines.push_back({0, arena.copy(k.key), arena.copy(k.type), s, file, line_no, patient});
  }
  return line_no;
}

std::string map_pointer(const std::string& pointer, const std::vector<const Line*>& entries) {
  static constexpr std::string_view kEntry = "Bundle.entry[";
  if (pointer.rfind(kEntry, 0) != 0) return pointer;
  auto close = pointer.find(']');
  std::size_t i = std::strtoull(pointer.c_str() + kEntry.size(), nullptr, 10);
  if (close == std::string::npos || i >= entries.size()) return pointer;
  std::string rest = pointer.substr(close + 1);
  if (rest.rfind(".resource", 0) == 0) rest = rest.substr(9);
  return entries[i]->source().where() + (rest.empty() ? "" : " " + rest);
}

std::vector<std::string> record_of(const std::string& pointer,
                                   const std::vector<const Line*>& entries) {
  if (pointer.empty()) return {};
  // A check on the finished record ("/patient/birth_date"): the Patient resource is where to look.
  if (pointer.rfind("Bundle.", 0) != 0) return {entries.front()->source().where()};
  std::string w = map_pointer(pointer, entries);
  if (auto sp = w.find(' '); sp != std::string::npos) w = w.substr(0, sp);
  return {w};
}

struct PatientWork {
  std::optional<PatientResult> result;  // when flagged
  std::size_t warnings = 0;
  std::size_t unresolved_references = 0;  // medicationReference naming no Medication read
  bool assessed = false, unreadable = false;
};

// Findings for one patient's Case and Assessment.
void findings_of(const kb::KnowledgeBase& kb, const clinical::Case& c, const assess::Assessment& a,
                 const std::vector<const Line*>& entries, PatientResult& out) {
  for (const auto& pr : a.pr_candidates) {
    if (pr.classification != assess::PrClass::kLikely &&
        pr.classification != assess::PrClass::kPossible)
      continue;
    Finding f;
    f.kind = FindingKind::kParadoxicalReaction;
    f.code = "PR_CULPRIT_ACTIVE";
    for (const auto& r : pr.reasons) {
      if (r.code == assess::ReasonCode::kPrInferredFromCondition)
        f.code = assess::to_string(r.code);
      for (const auto& s : r.sources) {
        if (std::find(f.kb_sources.begin(), f.kb_sources.end(), s) == f.kb_sources.end())
          f.kb_sources.push_back(s);
      }
    }
    f.classification = f.detail = to_string(pr.classification);
    if (!pr.culprits.empty()) {
      f.drug = pr.culprits.front().biologic;
      f.culprit_class = pr.culprits.front().biologic_class;
    }
    // The disease as recorded (e.g. eczema), not the phenotype's KB disease (atopic dermatitis
    // for every eczematous reaction): the analyst looks for the condition in the record.
    f.new_disease = pr.reaction_disease.value_or("");
    for (const auto& cond : c.conditions) {
      if (pr.condition_pointer && cond.pointer == *pr.condition_pointer)
        f.new_disease = cond.disease;
    }
    f.phenotype = pr.phenotype;
    f.onset = pr.onset.value_or("");
    f.severity = assess::Severity::kWarning;
    f.text = fmt::format(
        "{} reaction ({}) on {}{}: Naranjo {} ({})", to_string(pr.kind), pr.phenotype, f.drug,
        pr.culprits.empty() || !pr.culprits.front().days_to_onset
            ? ""
            : fmt::format(", onset {} days after start", *pr.culprits.front().days_to_onset),
        pr.score ? fmt::format("{:g}", *pr.score) : "unknown",
        pr.naranjo_category ? to_string(*pr.naranjo_category) : std::string_view());
    f.record = record_of(pr.condition_pointer.value_or(""), entries);
    for (const auto& m : c.medications) {
      if (m.biologic && *m.biologic == f.drug) {
        for (auto& w : record_of(m.pointer, entries)) f.record.push_back(std::move(w));
      }
    }
    out.findings.push_back(std::move(f));
  }

  // Each KB JAK/TYK2 inhibitor the patient takes on the screening date, once.
  std::vector<std::pair<std::string, std::vector<std::string>>> taken;
  for (const auto& m : c.medications) {
    if (!m.jak_drug || !m.taken_on(c.as_of)) continue;
    auto it = std::find_if(taken.begin(), taken.end(),
                           [&](const auto& t) { return t.first == *m.jak_drug; });
    if (it == taken.end()) it = taken.insert(taken.end(), {*m.jak_drug, {}});
    for (auto& w : record_of(m.pointer, entries)) it->second.push_back(std::move(w));
  }
  for (const auto& [drug, records] : taken) {
    const assess::Option* option = nullptr;
    for (const auto& o : a.options) {
      if (o.kind == assess::OptionKind::kDrug && o.id == drug) option = &o;
    }
    if (!option) continue;
    auto base = [&, d = drug, rec = records](FindingKind kind, const assess::Reason& r) {
      Finding f;
      f.kind = kind;
      f.code = assess::to_string(r.code);
      f.severity = r.severity;
      f.drug = d;
      f.text = r.text;
      f.record = rec;
      f.kb_sources = r.sources;
      return f;
    };
    for (const auto& r : option->reasons) {
      if (r.code == assess::ReasonCode::kRuleUnknown) {
        Finding f = base(FindingKind::kRuleUnknown, r);
        auto cut = r.text.find(" rule of ");
        f.detail = cut == std::string::npos ? "" : r.text.substr(0, cut);
        out.findings.push_back(std::move(f));
      } else if (r.code == assess::ReasonCode::kLabDoNotStart) {
        out.findings.push_back(base(FindingKind::kLabThreshold, r));
      } else if (assess::is_prac_risk_group(r.code)) {
        // EMA PRAC 2022 risk groups (age >= 65, smoker, CV, cancer, VTE risk; lower dose): a
        // patient already on the drug is who the measures ask prescribers to review.
        out.findings.push_back(base(FindingKind::kRiskGroup, r));
      } else if (r.severity == assess::Severity::kBlock) {
        out.findings.push_back(base(FindingKind::kContraindication, r));
      }
    }
    for (const auto& alert : a.plan.alerts) {
      if (alert.drug != drug) continue;
      Finding f;
      f.kind = FindingKind::kLabThreshold;
      f.code = assess::to_string(alert.code);
      f.severity = assess::Severity::kBlock;
      f.drug = drug;
      f.detail = alert.lab;
      f.text = alert.text;
      f.record = records;
      for (const auto& l : c.labs) {
        // An alert on a bound ("< 0.3") carries the bound as its value.
        const double* value = l.value ? &*l.value : l.bound ? &l.bound->value : nullptr;
        if (l.lab == alert.lab && clinical::to_string(l.date) == alert.date && value &&
            *value == alert.value) {
          for (auto& w : record_of(l.pointer, entries)) f.record.push_back(std::move(w));
        }
      }
      f.kb_sources = alert.sources;
      out.findings.push_back(std::move(f));
    }
    // The baseline screening of the drug taken, read exactly as the safety plan reads it (the plan
    // of the assessment is for the top-ranked option, which need not be the drug taken).
    assess::Option as_planned = *option;
    as_planned.verdict = assess::Verdict::kCaution;
    auto plan = assess::safety_plan(kb, c, {as_planned}, c.as_of);
    for (const auto& item : plan.screening) {
      if (item.status != assess::ScreeningStatus::kNotRecorded) continue;
      // Only items a standard record can show (a KB lab stands for them); vaccinations travel as
      // Immunization resources, which a Bulk screen does not read (docs/scale.md).
      bool has_lab = std::any_of(kb.labs.begin(), kb.labs.end(),
                                 [&](const kb::Lab& l) { return l.screening_item == item.item; });
      if (!has_lab) continue;
      Finding f;
      f.kind = FindingKind::kMissingScreening;
      f.code = "SCREENING_NOT_RECORDED";
      f.severity = assess::Severity::kWarning;
      f.drug = drug;
      f.detail = kb::to_string(item.item);
      f.text = item.detail.empty() ? item.text : item.text + " (" + item.detail + ")";
      f.record = records;
      f.kb_sources = item.sources;
      out.findings.push_back(std::move(f));
    }
  }
}

PatientWork screen_patient(const kb::KnowledgeBase& kb, const MedicationTriggers& triggers,
                           const MedicationCatalog& medications,
                           const std::vector<const Line*>& entries, const ScreenOptions& options,
                           clinical::Date as_of, assess::PathwayCache& cache) {
  PatientWork w;
  // The Medication resources this patient's medication lines reference, once each: appended to
  // the Bundle after the patient's own entries (the reader resolves "Medication/x" there).
  std::vector<const std::string*> referenced;
  for (const Line* l : entries) {
    if (!is_medication_type(l->type)) continue;
    std::string ref = medication_reference(l->json);
    if (ref.empty()) continue;
    const std::string* m = medications.find(ref);
    if (!m) {
      ++w.unresolved_references;
    } else if (std::find(referenced.begin(), referenced.end(), m) == referenced.end()) {
      referenced.push_back(m);
    }
  }
  if (!options.assess_all) {
    thread_local std::string scratch;
    bool relevant = std::any_of(entries.begin(), entries.end(), [&](const Line* l) {
      return is_medication_type(l->type) && triggers.any(l->json, scratch);
    });
    relevant = relevant || std::any_of(referenced.begin(), referenced.end(),
                                       [&](const auto* m) { return triggers.any(*m, scratch); });
    if (!relevant) return w;
  }
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  std::size_t size = bundle.size();
  for (const auto* l : entries) size += l->json.size() + 16;
  for (const auto* m : referenced) size += m->size() + 16;
  bundle.reserve(size + 2);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    bundle += i == 0 ? R"({"resource":)" : R"(,{"resource":)";
    bundle += entries[i]->json;
    bundle += '}';
  }
  for (const auto* m : referenced) {
    bundle += R"(,{"resource":)";
    bundle += *m;
    bundle += '}';
  }
  bundle += "]}";
  clinical::ParseOptions po;
  po.region = options.region;
  po.as_of = as_of;
  po.max_bytes = kMaxRecordBytes;
  auto parsed = clinical::parse_case(bundle, kb, po);
  w.assessed = true;
  PatientResult r;
  r.patient = std::string(entries.front()->key);
  r.assessed = true;
  if (!parsed.record) {
    w.unreadable = true;
    Finding f;
    f.kind = FindingKind::kUnreadableRecord;
    f.code = "RECORD_UNREADABLE";
    f.severity = assess::Severity::kBlock;
    for (const auto& p : parsed.problems) {
      f.text += (f.text.empty() ? "" : "; ") + map_pointer(p.pointer, entries) + ": " + p.message;
      for (auto& x : record_of(p.pointer, entries)) f.record.push_back(std::move(x));
    }
    r.findings.push_back(std::move(f));
    w.result = std::move(r);
    return w;
  }
  const auto& c = *parsed.record;
  assess::AssessOptions ao;
  ao.cache = &cache;
  auto a = assess::assess(kb, c, ao);
  w.warnings = r.warnings = c.warnings.size();
  findings_of(kb, c, a, entries, r);
  if (!r.findings.empty()) w.result = std::move(r);
  return w;
}

std::size_t memory_budget(const ScreenOptions& o) {
  return std::max<std::size_t>(o.memory_mb, 1) * std::size_t{1024} * 1024;
}

clinical::Date resolve_as_of(const ScreenOptions& o) {
  if (o.as_of) return *o.as_of;
  return clinical::today_utc();
}

void merge(Tally& into, Tally&& t) {
  into.files += t.files;
  into.lines += t.lines;
  into.bytes += t.bytes;
  into.malformed += t.malformed;
  into.without_patient += t.without_patient;
  for (auto& p : t.problems) into.problems.push_back(std::move(p));
}

void add_to_summary(Summary& s, Tally& t) {
  s.files += t.files;
  s.lines += t.lines;
  s.bytes += t.bytes;
  s.malformed_lines += t.malformed;
  s.without_patient += t.without_patient;
  for (auto& p : t.problems) s.problems.push_back({p.source.where(), std::move(p.what)});
}

// Problems of the whole run in input order (file, line), first `listed` kept.
void order_problems(std::vector<Problem>& problems, std::size_t listed) {
  std::sort(problems.begin(), problems.end(),
            [](const Problem& a, const Problem& b) { return a.source < b.source; });
  if (problems.size() > listed) problems.resize(listed);
}

// The screen of lines already in memory (one partition).
// The grouping order: by key hash, then Patient first, then the export's order (file rank, line).
struct SortKey {
  std::uint64_t hash, place;
  Line* line;
  bool operator<(const SortKey& o) const {
    return hash != o.hash ? hash < o.hash : place < o.place;
  }
};

// Sorts by (hash, place) with one counting pass over the hash's top bits (the hashes are uniform,
// so each bucket holds a few keys) and a small sort per bucket: a partition holds up to millions
// of lines, and a comparison sort of them cost a tenth of the whole screen.
void sort_keys(std::vector<SortKey>& keys) {
  const std::size_t n = keys.size();
  if (n < 2) return;
  const int bits = std::clamp(static_cast<int>(std::bit_width(n)) - 2, 1, 20);
  const int shift = 64 - bits;
  std::vector<std::uint32_t> start((std::size_t{1} << bits) + 1, 0);
  for (const auto& k : keys) ++start[(k.hash >> shift) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<SortKey> sorted(n);
  std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
  for (const auto& k : keys) sorted[next[k.hash >> shift]++] = k;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, start.size() - 1, 1024),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t b = r.begin(); b != r.end(); ++b) {
                        auto first = sorted.begin() + start[b],
                             last = sorted.begin() + start[b + 1];
                        if (last - first > 1) std::sort(first, last);
                      }
                    });
  keys = std::move(sorted);
}

// The screen of one partition's lines (owned by the caller, which keeps them alive).
std::vector<PatientResult> screen_lines(const kb::KnowledgeBase& kb,
                                        const MedicationTriggers& triggers,
                                        const MedicationCatalog& medications,
                                        assess::PathwayCache& cache, std::vector<Line*>& lines,
                                        const ScreenOptions& options, Summary& summary,
                                        Tally& tally) {
  const clinical::Date as_of = resolve_as_of(options);
  // Patient first, then the export's order (file, line): the same Bundle whatever the partitioning.
  // Sorted on integers (hash, Patient first, file rank, line); keys are compared only to split
  // the rare hash collision afterwards.
  std::vector<const std::string*> files;
  for (Line* l : lines) {
    l->hash = fnv1a(l->key);
    if (files.empty() || files.back() != l->file) {
      if (std::find(files.begin(), files.end(), l->file) == files.end()) files.push_back(l->file);
    }
  }
  std::sort(files.begin(), files.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  const std::string* last_file = nullptr;
  std::uint32_t last_rank = 0;
  for (Line* l : lines) {
    if (l->file != last_file) {
      last_file = l->file;
      last_rank = static_cast<std::uint32_t>(
          std::lower_bound(files.begin(), files.end(), l->file,
                           [](const std::string* a, const std::string* b) { return *a < *b; }) -
          files.begin());
    }
    l->file_rank = last_rank;
  }
  std::vector<SortKey> keys(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Line* l = lines[i];
    keys[i] = {
        l->hash,
        (l->patient ? 0 : std::uint64_t{1} << 63) | std::uint64_t{l->file_rank} << 40 | l->line, l};
  }
  sort_keys(keys);
  // A run of equal hashes is one patient unless two keys differ (a hash collision): then the run
  // is sorted by key and split where the key changes.
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [begin, end) of each patient
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i + 1;
    bool collision = false;
    const auto& key = keys[i].line->key;
    while (j < keys.size() && keys[j].hash == keys[i].hash) collision |= keys[j++].line->key != key;
    if (!collision) {
      groups.emplace_back(i, j);
      i = j;
      continue;
    }
    std::sort(keys.begin() + static_cast<std::ptrdiff_t>(i),
              keys.begin() + static_cast<std::ptrdiff_t>(j),
              [&](const SortKey& a, const SortKey& b) {
                const auto &ka = a.line->key, &kb_ = b.line->key;
                return ka != kb_ ? ka < kb_ : a.place < b.place;
              });
    for (std::size_t g = i; g < j;) {
      std::size_t h = g + 1;
      while (h < j && keys[h].line->key == keys[g].line->key) ++h;
      groups.emplace_back(g, h);
      g = h;
    }
    i = j;
  }
  // The lines stay where they are (a second copy of a partition's index would double its memory);
  // `order` walks them sorted.
  std::vector<const Line*> order(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].line;
  keys = {};
  auto at = [&](std::size_t i) -> const Line& { return *order[i]; };
  std::vector<PatientWork> work(groups.size());
  std::atomic<std::uint64_t> done{0};
  std::uint64_t total_bytes = 0;
  for (const Line* l : lines) total_bytes += l->json.size() + 1;
  std::mutex progress_mu;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, groups.size(), 8),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      std::vector<const Line*> entries;
                      for (std::size_t g = range.begin(); g != range.end(); ++g) {
                        auto [b, e] = groups[g];
                        if (!at(b).patient) continue;  // no Patient resource: counted below
                        entries.clear();
                        for (std::size_t i = b; i < e; ++i) entries.push_back(&at(i));
                        work[g] = screen_patient(kb, triggers, medications, entries, options, as_of,
                                                 cache);
                      }
                      if (options.progress) {
                        std::uint64_t bytes = 0;
                        for (std::size_t i = groups[range.begin()].first;
                             i < groups[range.end() - 1].second; ++i) {
                          bytes += at(i).json.size() + 1;
                        }
                        auto n = done.fetch_add(bytes) + bytes;
                        std::lock_guard lock(progress_mu);
                        options.progress("screen", n, total_bytes);
                      }
                    });
  std::vector<PatientResult> results;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto [b, e] = groups[g];
    if (!at(b).patient) {
      ++summary.orphan_patients;
      tally.add(
          at(b).source(),
          fmt::format("{} resource(s) of patient \"{}\" with no Patient resource: not screened",
                      e - b, at(b).key));
      continue;
    }
    ++summary.patients;
    auto& w = work[g];
    summary.assessed += w.assessed;
    summary.warnings += w.warnings;
    summary.unresolved_medication_references += w.unresolved_references;
    if (w.unreadable) {
      ++summary.unreadable_records;
      tally.add(at(b).source(),
                fmt::format("record of patient \"{}\" could not be read (see its row)", at(b).key));
    }
    if (!w.result) continue;
    ++summary.flagged;
    unsigned kinds = 0;  // bit: FindingKind
    for (const auto& f : w.result->findings) {
      const unsigned bit = 1u << static_cast<unsigned>(f.kind);
      if ((kinds & bit) == 0) ++summary.flagged_by_kind[std::string(to_string(f.kind))];
      kinds |= bit;
      if (f.kind == FindingKind::kParadoxicalReaction)
        ++summary.pr_by_classification[f.classification];
    }
    results.push_back(std::move(*w.result));
  }
  std::sort(results.begin(), results.end(),
            [](const PatientResult& a, const PatientResult& b) { return a.patient < b.patient; });
  return results;
}

std::vector<std::string> join_codes(const PatientResult& r, FindingKind kind, bool with_detail) {
  std::vector<std::string> v;
  for (const auto& f : r.findings) {
    if (f.kind != kind) continue;
    std::string s = f.drug.empty() ? f.code : f.drug + ":" + f.code;
    if (with_detail && !f.detail.empty()) s += ":" + f.detail;
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  }
  return v;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& v, char sep = ';') {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(1, sep)) + x;
  return s;
}

Result<std::vector<PatientResult>> screen_paths(const kb::KnowledgeBase& kb,
                                                const MedicationTriggers& triggers,
                                                const MedicationCatalog& medications,
                                                assess::PathwayCache& cache,
                                                const std::vector<fs::path>& paths,
                                                const ScreenOptions& options, Summary& summary,
                                                Tally& tally) {
  std::vector<Text> texts(paths.size());
  std::vector<Status> errors(paths.size());
  tbb::parallel_for(std::size_t{0}, paths.size(), [&](std::size_t i) {
    auto t = Text::read(paths[i]);
    if (t.is_ok())
      texts[i] = std::move(t.value());
    else
      errors[i] = t.status();
  });
  for (const auto& e : errors) {
    if (!e.is_ok()) return e;
  }
  // Large files (a spill partition is one) are indexed in chunks cut at line ends, in parallel.
  const std::size_t chunk = std::max<std::size_t>(options.chunk_bytes, 1);
  struct Chunk {
    std::size_t file = 0, from = 0, to = 0;
    std::uint64_t lines_in_chunk = 0;
    std::vector<Line> lines;
    Tally tally;
    Arena arena;
    std::vector<std::unique_ptr<std::string>> names;
  };
  std::vector<Chunk> chunks;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto text = texts[i].view();
    for (std::size_t from = 0; from < text.size() || (from == 0 && text.empty());) {
      std::size_t to = std::min(text.size(), from + chunk);
      if (to < text.size()) {
        auto nl = text.find('\n', to);
        to = nl == std::string_view::npos ? text.size() : nl + 1;
      }
      Chunk c;
      c.file = i;
      c.from = from;
      c.to = to;
      chunks.push_back(std::move(c));
      if (text.empty()) break;
      from = to;
    }
  }
  tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t k) {
    Chunk& c = chunks[k];
    c.tally.limit = options.listed_problems;
    c.lines_in_chunk =
        index_text(texts[c.file], c.from, c.to, file_name(paths[c.file]),
                   paths[c.file].extension() == ".spill", c.lines, c.tally, c.arena, c.names);
  });
  // Pointers into the chunks (which outlive the screen): copying the lines cost 4 % of a screen.
  std::vector<Line*> lines;
  std::size_t n = 0;
  for (const auto& c : chunks) n += c.lines.size();
  lines.reserve(n);
  std::uint64_t before = 0;  // lines of the file in earlier chunks
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    Chunk& c = chunks[k];
    if (k > 0 && chunks[k - 1].file != c.file) before = 0;
    // Spill lines carry their original file:line; only raw NDJSON lines are numbered per chunk.
    bool spill = paths[c.file].extension() == ".spill";
    if (!spill) {
      for (auto& l : c.lines) l.line += before;
    }
    for (auto& p : c.tally.problems) p.source.line += before;
    before += c.lines_in_chunk;
    for (auto& l : c.lines) lines.push_back(&l);
    merge(tally, std::move(c.tally));
  }
  auto rows = screen_lines(kb, triggers, medications, cache, lines, options, summary, tally);
  return rows;
}

// The partition pass over one bulk file: each line keyed by its patient (simdjson), appended as a
// spill line "@file:line<TAB>patient<TAB>type<TAB>resource" to the buffer of its hash partition;
// `flush(p)` writes a buffer out once it holds kFlushBytes. Problems are counted in `tl`.
template <class Flush>
Status spill_lines(const fs::path& file, const std::string& name, std::size_t partitions, Tally& tl,
                   std::vector<std::string>& buffers, Flush& flush) {
  simdjson::dom::parser parser;
  std::uint64_t line_no = 0;
  return for_each_block(file, [&](const std::string& block, std::size_t size) {
    tl.bytes += size;
    const std::string_view t(block.data(), size);
    for (std::size_t pos = 0; pos < t.size();) {
      auto end = t.find('\n', pos);
      if (end == std::string_view::npos) end = t.size();
      std::string_view s(t.data() + pos, end - pos);
      pos = end + 1;
      ++line_no;
      ++tl.lines;
      if (blank(s)) continue;
      auto k = key_line(parser, s, end + simdjson::SIMDJSON_PADDING <= block.capacity());
      if (!k.problem.empty()) {
        (k.malformed ? tl.malformed : tl.without_patient)++;
        tl.add({name, line_no}, std::move(k.problem));
        continue;
      }
      std::size_t p = fnv1a(k.key) % partitions;
      fmt::format_to(std::back_inserter(buffers[p]), "@{}:{}\t{}\t{}\t{}\n", name, line_no, k.key,
                     k.type, s);
      if (buffers[p].size() >= kFlushBytes) flush(p);
    }
  });
}

}  // namespace

namespace {

// The .ndjson[.gz] files of `dir` whose type (<Type>[.anything].ndjson[.gz]) the screen reads, or
// (read = false) does not read; sorted by name.
std::vector<fs::path> ndjson_files(const fs::path& dir, bool read) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    bool ndjson = name.size() > 7 && (name.ends_with(".ndjson") || name.ends_with(".ndjson.gz"));
    if (!ndjson) continue;
    std::string_view type(name.data(), name.find('.'));
    // Medication files are read apart (MedicationCatalog): neither per patient nor unread.
    if (type == "Medication") continue;
    if ((std::find(kBulkTypes.begin(), kBulkTypes.end(), type) != kBulkTypes.end()) == read)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> unread_bulk_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& p : ndjson_files(dir, false)) out.push_back(p.filename().string());
  return out;
}

std::vector<fs::path> bulk_files(const fs::path& dir) { return ndjson_files(dir, true); }

std::vector<fs::path> medication_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name.rfind("Medication.", 0) == 0 &&
        (name.ends_with(".ndjson") || name.ends_with(".ndjson.gz")))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<PatientResult>> screen_partition(const kb::KnowledgeBase& kb,
                                                    const std::vector<fs::path>& paths,
                                                    const ScreenOptions& options,
                                                    Summary& summary) {
  Tally tally;
  tally.limit = options.listed_problems;
  const MedicationTriggers triggers(kb);
  MedicationCatalog medications;
  // The Medication files' lines are counted once by the caller that owns the export (every
  // partition of a distributed screen reads the same files).
  Tally catalog_tally;
  catalog_tally.limit = 0;
  if (auto st = medications.load(options.medication_files, memory_budget(options), catalog_tally);
      !st.is_ok())
    return st;
  summary.medications = medications.size();
  assess::PathwayCache cache(kb);
  auto r = [&] {
    if (options.threads == 0)
      return screen_paths(kb, triggers, medications, cache, paths, options, summary, tally);
    tbb::task_arena arena(static_cast<int>(options.threads));
    return arena.execute([&] {
      return screen_paths(kb, triggers, medications, cache, paths, options, summary, tally);
    });
  }();
  if (!r.is_ok()) return r;
  order_problems(tally.problems, options.listed_problems);
  add_to_summary(summary, tally);
  return r;
}

Status spill_file(const fs::path& file, const std::vector<fs::path>& outputs,
                  const ScreenOptions& options, Summary& summary) {
  const std::size_t partitions = outputs.size();
  if (partitions == 0) return Status::invalid_input("spill_file: no output partition");
  std::vector<std::FILE*> handles(partitions, nullptr);
  std::error_code ec;
  auto close_all = [&] {
    bool ok = true;
    for (auto*& h : handles) {
      if (h && std::fclose(h) != 0) ok = false;
      h = nullptr;
    }
    return ok;
  };
  auto fail = [&](Status st) {
    close_all();
    for (const auto& p : outputs) fs::remove(p, ec);
    return st;
  };
  for (std::size_t i = 0; i < partitions; ++i) {
    handles[i] = std::fopen(outputs[i].c_str(), "wb");
    if (!handles[i])
      return fail(
          Status::io_error(fmt::format("{}: cannot create a spill file", outputs[i].string())));
  }
  Tally tl;
  tl.limit = options.listed_problems;
  ++tl.files;
  const std::string name = file_name(file);
  std::vector<std::string> buffers(partitions);
  bool write_failed = false;
  auto flush = [&](std::size_t p) {
    if (std::fwrite(buffers[p].data(), 1, buffers[p].size(), handles[p]) != buffers[p].size())
      write_failed = true;
    buffers[p].clear();
  };
  auto status = spill_lines(file, name, partitions, tl, buffers, flush);
  if (!status.is_ok()) return fail(status);
  for (std::size_t p = 0; p < partitions; ++p) flush(p);
  if (!close_all() || write_failed) {
    return fail(Status::io_error(
        fmt::format("{}: writing a spill file failed (disk full?)", outputs[0].string())));
  }
  order_problems(tl.problems, options.listed_problems);
  add_to_summary(summary, tl);
  return Status::ok();
}

Result<Summary> screen_directory(const kb::KnowledgeBase& kb, const fs::path& input,
                                 const ScreenOptions& options, Format format, std::ostream& out) {
  auto t0 = std::chrono::steady_clock::now();
  Summary summary;
  summary.region = options.region;
  ScreenOptions o = options;
  o.as_of = resolve_as_of(options);  // one date for the whole run, even across midnight
  summary.as_of = clinical::to_string(*o.as_of);
  std::error_code ec;
  if (!fs::is_directory(input, ec))
    return Status::not_found(fmt::format("{}: not a folder", input.string()));
  auto files = bulk_files(input);
  if (files.empty()) {
    return Status::not_found(fmt::format(
        "{}: no Patient, Condition, Medication{{Statement,Request,Administration,"
        "Dispense}}, Observation, AllergyIntolerance or Immunization .ndjson[.gz] file: "
        "expected a "
        "FHIR Bulk Data export folder",
        input.string()));
  }
  summary.unread_files = unread_bulk_files(input);
  if (o.medication_files.empty()) o.medication_files = medication_files(input);
  double estimate = 0;
  for (const auto& f : files) {
    double size = static_cast<double>(fs::file_size(f, ec));
    estimate += f.extension() == ".gz" ? size * kGzipExpansion : size;
  }
  double budget = static_cast<double>(std::max<std::size_t>(o.memory_mb, 1)) * 1024 * 1024;
  std::size_t partitions = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(estimate * kMemoryPerInputByte / budget)), 1,
      kMaxPartitions);
  summary.partitions = partitions;

  Tally tally;
  tally.limit = o.listed_problems;
  const MedicationTriggers triggers(kb);
  MedicationCatalog medications;
  {
    // Its malformed lines and problems are the run's; files, lines and bytes count the per-patient
    // bulk files only (as the Dask layer counts them).
    Tally catalog;
    catalog.limit = o.listed_problems;
    if (auto st = medications.load(o.medication_files, memory_budget(o), catalog); !st.is_ok())
      return st;
    tally.malformed += catalog.malformed;
    for (auto& p : catalog.problems) tally.add(std::move(p.source), std::move(p.what));
  }
  summary.medications = medications.size();
  assess::PathwayCache cache(kb);
  std::vector<PatientResult> rows;
  auto run = [&]() -> Status {
    if (partitions == 1) {
      auto r = screen_paths(kb, triggers, medications, cache, files, o, summary, tally);
      if (!r.is_ok()) return r.status();
      rows = std::move(r.value());
      return Status::ok();
    }
    // ---- partition pass: every file once, each line to its patient's spill file ----
    fs::path dir = o.spill_dir.empty() ? fs::temp_directory_path() : o.spill_dir;
    fs::create_directories(dir, ec);
    std::string stem = fmt::format("paraderm-screen-{}-{}", static_cast<long>(::getpid()),
                                   std::chrono::steady_clock::now().time_since_epoch().count());
    std::vector<fs::path> spill(partitions);
    std::vector<std::FILE*> handles(partitions, nullptr);
    std::vector<std::mutex> locks(partitions);
    auto cleanup = [&] {
      for (auto*& h : handles) {
        if (h) std::fclose(h);
        h = nullptr;
      }
      for (const auto& p : spill) fs::remove(p, ec);
    };
    for (std::size_t i = 0; i < partitions; ++i) {
      spill[i] = dir / fmt::format("{}-{:04}.spill", stem, i);
      handles[i] = std::fopen(spill[i].c_str(), "wb");
      if (!handles[i]) {
        cleanup();
        return Status::io_error(fmt::format("{}: cannot create a spill file", spill[i].string()));
      }
    }
    std::vector<Tally> tallies(files.size());
    std::vector<Status> errors(files.size());
    std::atomic<std::uint64_t> bytes_done{0};
    std::mutex progress_mu;
    std::uint64_t total_bytes = 0;
    for (const auto& f : files) total_bytes += fs::file_size(f, ec);
    std::atomic<bool> write_failed{false};
    tbb::parallel_for(std::size_t{0}, files.size(), [&](std::size_t fi) {
      Tally& tl = tallies[fi];
      tl.limit = o.listed_problems;
      ++tl.files;
      const std::string name = file_name(files[fi]);
      std::vector<std::string> buffers(partitions);
      auto flush = [&](std::size_t p) {
        if (buffers[p].empty()) return;
        std::lock_guard lock(locks[p]);
        if (std::fwrite(buffers[p].data(), 1, buffers[p].size(), handles[p]) != buffers[p].size())
          write_failed = true;
        buffers[p].clear();
      };
      auto status = spill_lines(files[fi], name, partitions, tl, buffers, flush);
      if (!status.is_ok()) errors[fi] = status;
      for (std::size_t p = 0; p < partitions; ++p) flush(p);
      auto done = bytes_done.fetch_add(fs::file_size(files[fi], ec)) + fs::file_size(files[fi], ec);
      if (o.progress) {
        std::lock_guard lock(progress_mu);
        o.progress("partition", done, total_bytes);
      }
    });
    for (auto*& h : handles) {
      if (h && std::fclose(h) != 0) write_failed = true;
      h = nullptr;
    }
    for (auto& e : errors) {
      if (!e.is_ok()) {
        cleanup();
        return e;
      }
    }
    if (write_failed) {
      cleanup();
      return Status::io_error(
          fmt::format("{}: writing a spill file failed (disk full?)", dir.string()));
    }
    for (auto& t : tallies) merge(tally, std::move(t));
    for (const auto& p : spill) summary.spilled_bytes += fs::file_size(p, ec);
    // ---- screen pass: one partition in memory at a time ----
    for (std::size_t i = 0; i < partitions; ++i) {
      auto r = screen_paths(kb, triggers, medications, cache, {spill[i]}, o, summary, tally);
      fs::remove(spill[i], ec);
      if (!r.is_ok()) {
        cleanup();
        return r.status();
      }
      for (auto& row : r.value()) rows.push_back(std::move(row));
    }
    return Status::ok();
  };
  Status st = o.threads == 0 ? run() : [&] {
    tbb::task_arena arena(static_cast<int>(o.threads));
    return arena.execute(run);
  }();
  if (!st.is_ok()) return st;
  std::sort(rows.begin(), rows.end(),
            [](const PatientResult& a, const PatientResult& b) { return a.patient < b.patient; });
  if (format == Format::kCsv) out << csv_header();
  for (const auto& r : rows) out << (format == Format::kCsv ? to_csv(r) : to_ndjson(r));
  out.flush();
  order_problems(tally.problems, o.listed_problems);
  add_to_summary(summary, tally);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out) return Status::io_error("writing the results failed");
  return summary;
}

std::string to_ndjson(const PatientResult& r) {
  Json row = {{"patient", r.patient}, {"warnings", r.warnings}};
  Json findings = Json::array();
  for (const auto& f : r.findings) {
    Json j = {{"kind", to_string(f.kind)}, {"code", f.code}};
    if (f.severity) j["severity"] = assess::to_string(*f.severity);
    if (!f.drug.empty()) j["drug"] = f.drug;
    if (f.kind == FindingKind::kParadoxicalReaction) {
      j["classification"] = f.classification;
      j["culprit_class"] = f.culprit_class;
      j["new_disease"] = f.new_disease.empty() ? Json(nullptr) : Json(f.new_disease);
      j["phenotype"] = f.phenotype;
      j["onset"] = f.onset.empty() ? Json(nullptr) : Json(f.onset);
    } else if (!f.detail.empty()) {
      j["detail"] = f.detail;
    }
    j["text"] = f.text;
    j["record"] = f.record;
    j["kb_sources"] = f.kb_sources;
    findings.push_back(std::move(j));
  }
  row["findings"] = std::move(findings);
  return row.dump() + "\n";
}

std::string csv_header() {
  return "patient,kinds,pr_classification,pr_culprit,pr_culprit_class,pr_new_disease,pr_onset,jak_"
         "drugs,"
         "contraindications,lab_thresholds,rule_unknown,missing_screening,risk_groups,unreadable,"
         "records,kb_sources,"
         "warnings\n";
}

std::string to_csv(const PatientResult& r) {
  std::vector<std::string> kinds, jak, records, sources;
  const Finding* pr = nullptr;
  for (const auto& f : r.findings) {
    std::string kind(to_string(f.kind));
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    if (f.kind == FindingKind::kParadoxicalReaction && !pr) pr = &f;
    if (f.kind != FindingKind::kParadoxicalReaction && !f.drug.empty() &&
        std::find(jak.begin(), jak.end(), f.drug) == jak.end()) {
      jak.push_back(f.drug);
    }
    for (const auto& x : f.record) {
      if (std::find(records.begin(), records.end(), x) == records.end()) records.push_back(x);
    }
    for (const auto& x : f.kb_sources) {
      if (std::find(sources.begin(), sources.end(), x) == sources.end()) sources.push_back(x);
    }
  }
  auto codes = [&](FindingKind kind, bool detail) {
    std::vector<std::string> v;
    for (auto& s : join_codes(r, kind, detail)) {
      // the drug is in jak_drugs already when there is one
      v.push_back(jak.size() == 1 && s.rfind(jak[0] + ":", 0) == 0 ? s.substr(jak[0].size() + 1)
                                                                   : s);
    }
    return joined(v);
  };
  std::vector<std::string> unreadable;
  for (const auto& f : r.findings) {
    if (f.kind == FindingKind::kUnreadableRecord) unreadable.push_back(f.text);
  }
  std::vector<std::string> cols = {r.patient,
                                   joined(kinds),
                                   pr ? pr->classification : "",
                                   pr ? pr->drug : "",
                                   pr ? pr->culprit_class : "",
                                   pr ? pr->new_disease : "",
                                   pr ? pr->onset : "",
                                   joined(jak),
                                   codes(FindingKind::kContraindication, false),
                                   codes(FindingKind::kLabThreshold, true),
                                   codes(FindingKind::kRuleUnknown, true),
                                   codes(FindingKind::kMissingScreening, true),
                                   codes(FindingKind::kRiskGroup, false),
                                   joined(unreadable),
                                   joined(records),
                                   joined(sources),
                                   std::to_string(r.warnings)};
  std::string line;
  for (std::size_t i = 0; i < cols.size(); ++i) line += (i ? "," : "") + csv_field(cols[i]);
  return line + "\n";
}

std::string summary_json(const Summary& s) {
  Json problems = Json::array();
  for (const auto& p : s.problems) problems.push_back({{"where", p.where}, {"what", p.what}});
  Json j = {{"region", s.region},
            {"as_of", s.as_of},
            {"files", s.files},
            {"lines", s.lines},
            {"bytes", s.bytes},
            {"patients", s.patients},
            {"assessed", s.assessed},
            {"flagged", s.flagged},
            {"flagged_by_kind", s.flagged_by_kind},
            {"pr_by_classification", s.pr_by_classification},
            {"warnings", s.warnings},
            {"malformed_lines", s.malformed_lines},
            {"without_patient", s.without_patient},
            {"orphan_patients", s.orphan_patients},
            {"unreadable_records", s.unreadable_records},
            {"unread_files", s.unread_files},
            {"medications", s.medications},
            {"unresolved_medication_references", s.unresolved_medication_references},
            {"problems", problems},
            {"partitions", s.partitions},
            {"spilled_bytes", s.spilled_bytes},
            {"seconds", s.seconds}};
  return j.dump(2) + "\n";
}

}  // namespace paraderm::screen
