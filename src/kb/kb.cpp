// Loading entry points, lookups and exporters of the public KB API.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "kb/embedded.h"
#include "kb/schema.h"
#include "paraderm/kb.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::kb {

using detail::BindContext;
using detail::Json;
using detail::RefUse;

std::string_view to_string(Confidence c) { return detail::confidence_name(c); }
std::string_view to_string(Grade g) { return detail::grade_name(g); }
std::string_view to_string(Region r) { return detail::region_name(r); }

std::optional<Region> region_of_country(const KnowledgeBase& kb, std::string_view country) {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) ==
                    std::toupper(static_cast<unsigned char>(y));
           });
  };
  for (const auto& row : kb.region_countries) {
    for (const auto& c : row.countries) {
      if (same(c, country)) return row.region;
    }
  }
  return std::nullopt;
}
std::string_view to_string(LabAction a) { return detail::lab_action_name(a); }
std::string_view to_string(RuleAction a) { return detail::rule_action_name(a); }
std::string_view to_string(RenalBasis b) { return detail::renal_basis_name(b); }
std::string_view to_string(ReproductiveAction a) { return detail::reproductive_action_name(a); }

std::string ValidationIssue::to_string() const {
  return fmt::format("{}:{}: {}{}: {}", file, line,
                     severity == Severity::kWarning ? "warning: " : "", path, message);
}

std::size_t LoadResult::error_count() const {
  return static_cast<std::size_t>(std::count_if(issues.begin(), issues.end(), [](const auto& i) {
    return i.severity == ValidationIssue::Severity::kError;
  }));
}

namespace {

// The formula constants that are age limits; each is an engine id (engine_ids.h), so the KB
// check guarantees it is there.
constexpr std::string_view kAgeConstants[] = {
    "age-group.adult-min-age", "egfr-adult-equations.min-age", "bedside-schwartz-2009.min-age"};

template <class T>
const T* find_by_id(const std::vector<T>& v, const KnowledgeBase::IdIndex& index,
                    std::string_view id) {
  if (index.size() == v.size() && !v.empty()) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &v[it->second];
  }
  auto it = std::find_if(v.begin(), v.end(), [&](const T& e) { return e.id == id; });
  return it == v.end() ? nullptr : &*it;
}

template <class T>
const T* find_by_id(const std::vector<T>& v, std::string_view id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& e) { return e.id == id; });
  return it == v.end() ? nullptr : &*it;
}

template <class T>
void index_ids(const std::vector<T>& v, KnowledgeBase::IdIndex& index) {
  index.clear();
  for (std::size_t i = 0; i < v.size(); ++i) index.emplace(v[i].id, i);
}

// FNV-1a over file names and contents: a stable content version for audit trails.
std::string content_hash(std::span<const SourceFile> files) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  std::vector<const SourceFile*> sorted;
  for (const auto& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const auto* f : sorted) {
    mix(f->name);
    mix(f->content);
  }
  return fmt::format("{:016x}", h);
}

}  // namespace

void KnowledgeBase::build_indexes() {
  index_ids(sources, source_index);
  index_ids(cytokines, cytokine_index);
  index_ids(diseases, disease_index);
  index_ids(drugs, drug_index);
  index_ids(biologics, biologic_index);
  index_ids(biologic_classes, biologic_class_index);
  rule_states = rule_state_table(*this);  // from the rows (not from the previous table)
  disease_ancestors.clear();
  for (const auto& d : diseases) {
    auto& chain = disease_ancestors[d.id];
    std::optional<std::string> p = d.parent;
    for (int depth = 0; depth < 16 && p; ++depth) {
      chain.push_back(*p);
      const Disease* parent = find_disease(*p);
      p = parent ? parent->parent : std::nullopt;
    }
  }
}

const Source* KnowledgeBase::find_source(std::string_view id) const {
  return find_by_id(sources, source_index, id);
}
const Cytokine* KnowledgeBase::find_cytokine(std::string_view id) const {
  return find_by_id(cytokines, cytokine_index, id);
}
const Disease* KnowledgeBase::find_disease(std::string_view id) const {
  return find_by_id(diseases, disease_index, id);
}
const Drug* KnowledgeBase::find_drug(std::string_view id) const {
  return find_by_id(drugs, drug_index, id);
}
const Biologic* KnowledgeBase::find_biologic(std::string_view id) const {
  return find_by_id(biologics, biologic_index, id);
}
const BiologicClass* KnowledgeBase::find_biologic_class(std::string_view id) const {
  return find_by_id(biologic_classes, biologic_class_index, id);
}
const InteractionClass* KnowledgeBase::find_interaction_class(std::string_view id) const {
  return find_by_id(interaction_classes, id);
}

std::optional<double> KnowledgeBase::formula_constant(std::string_view id) const {
  for (const auto& fc : formula_constants) {
    if (fc.id == id) return fc.value;
  }
  return std::nullopt;
}

std::optional<double> KnowledgeBase::dosing_interval_h(std::string_view frequency) const {
  for (const auto& fc : formula_constants) {
    if (fc.formula == "dosing-interval" && fc.name == frequency) return fc.value;
  }
  return std::nullopt;
}

std::optional<std::string> KnowledgeBase::frequency_of_interval(double hours) const {
  for (const auto& fc : formula_constants) {
    if (fc.formula == "dosing-interval" && std::abs(fc.value - hours) < 1e-9) return fc.name;
  }
  return std::nullopt;
}

std::vector<double> KnowledgeBase::age_limits() const {
  std::vector<double> out;
  auto add = [&out](const std::optional<double>& age) {
    if (age) out.push_back(*age);
  };
  for (const auto& d : drugs) {
    for (const auto& ind : d.indication) add(ind.min_age_years);
    for (const auto& dose : d.dose) {
      add(dose.min_age_years);
      if (dose.max_age_years) out.push_back(*dose.max_age_years + 1);
    }
  }
  for (const auto& g : risk_groups) add(g.min_age_years);
  for (std::string_view id : kAgeConstants) add(formula_constant(id));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Grade> KnowledgeBase::grade_of(const Provenance& p) const {
  if (p.grade) return p.grade;
  if (p.src.empty()) return std::nullopt;
  const Source* s = find_source(p.src.front());
  return s ? std::optional<Grade>(s->grade) : std::nullopt;
}

LoadResult load_files(std::span<const SourceFile> files) {
  LoadResult result;
  KnowledgeBase kb;
  std::vector<RefUse> refs;
  for (const auto& file : files) {
    BindContext ctx{file.name, &result.issues, &refs, &kb.facts_by_confidence};
    toml::table root;
    try {
      root = toml::parse(file.content, file.name);
    } catch (const toml::parse_error& e) {
      ctx.error(static_cast<int>(e.source().begin.line), "(syntax)",
                fmt::format("invalid TOML: {}", e.description()));
      continue;
    }
    for (const auto& [key, node] : root) {
      const auto* kind = detail::find_kind(key.str());
      if (!kind) {
        std::vector<std::string_view> names(kind_names().begin(), kind_names().end());
        ctx.error(
            static_cast<int>(key.source().begin.line), std::string(key.str()),
            fmt::format("unknown kind '{}': expected one of {}", key.str(), detail::join(names)));
        continue;
      }
      kind->bind(kb, node, ctx);
    }
  }
  detail::check_integrity(kb, refs, result.issues);
  std::stable_sort(result.issues.begin(), result.issues.end(), [](const auto& a, const auto& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
  kb.version = content_hash(files);
  kb.build_indexes();
  if (result.error_count() == 0) result.kb = std::move(kb);
  return result;
}

LoadResult load_embedded() {
  std::vector<SourceFile> files;
  for (const auto& f : embedded_files()) {
    files.push_back({std::string(f.name), std::string(f.content)});
  }
  return load_files(files);
}

LoadResult load_directory(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    LoadResult r;
    r.issues.push_back({ValidationIssue::Severity::kError, root.string(), 0, "--kb",
                        "not a directory: expected the KB folder holding *.toml files"});
    return r;
  }
  std::vector<SourceFile> files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".toml") continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    files.push_back({fs::relative(it->path(), root).generic_string(), ss.str()});
  }
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.name < b.name; });
  if (files.empty()) {
    LoadResult r;
    r.issues.push_back({ValidationIssue::Severity::kError, root.string(), 0, "--kb",
                        "no *.toml files found: expected the KB folder"});
    return r;
  }
  return load_files(files);
}

std::span<const std::string_view> kind_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& k : detail::kinds()) v.push_back(k.name);
    return v;
  }();
  return names;
}

std::optional<std::size_t> count_of(const KnowledgeBase& kb, std::string_view kind) {
  const auto* k = detail::find_kind(kind);
  if (!k) return std::nullopt;
  return k->count(kb);
}

std::string export_json(const KnowledgeBase& kb, int indent) {
  Json j = Json::object();
  j["version"] = kb.version;
  for (const auto& k : detail::kinds()) j[std::string(k.name)] = k.to_json(kb);
  return j.dump(indent);
}

std::optional<std::vector<std::pair<std::string, std::string>>> list_kind(const KnowledgeBase& kb,
                                                                          std::string_view kind) {
  const auto* k = detail::find_kind(kind);
  if (!k) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  Json arr = k->to_json(kb);
  auto ids = k->locations(kb);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const Json& e = arr[i];
    std::string label;
    for (const char* key : {"name", "title", "text", "factor", "criterion", "reaction"}) {
      if (e.contains(key) && e[key].is_string()) {
        label = e[key].get<std::string>();
        break;
      }
    }
    out.emplace_back(ids[i].first, label);
  }
  return out;
}

std::vector<std::string> show_entry(const KnowledgeBase& kb, std::string_view id, int indent) {
  std::vector<std::string> out;
  for (const auto& k : detail::kinds()) {
    if (!k.has_id(kb, id)) continue;
    Json j = Json::object();
    j["kind"] = std::string(k.name);
    j["entry"] = detail::entry_json(kb, k.name, id);
    for (const auto& [eid, loc] : k.locations(kb)) {
      if (eid == id) j["defined_at"] = fmt::format("{}:{}", loc.file, loc.line);
    }
    out.push_back(j.dump(indent));
  }
  return out;
}

}  // namespace paraderm::kb
