#include "case/terms.h"
#include "paraderm/case.h"

#include "common/text.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

namespace paraderm::clinical::detail {
namespace {

void merge(MedicationMatch& into, const MedicationMatch& from) {
  if (from.biologic) into.biologic = from.biologic;
  if (from.jak_drug) into.jak_drug = from.jak_drug;
  for (const auto& c : from.classes) {
    if (std::find(into.classes.begin(), into.classes.end(), c) == into.classes.end()) {
      into.classes.push_back(c);
    }
  }
}

std::string code_key(std::string_view system, std::string_view code) {
  return std::string(system) + "|" + std::string(code);
}

void add_class(MedicationMatch& m, const std::string& cls) {
  if (std::find(m.classes.begin(), m.classes.end(), cls) == m.classes.end())
    m.classes.push_back(cls);
}

std::size_t word_count(std::string_view normalised) {
  return normalised.empty()
             ? 0
             : 1 + static_cast<std::size_t>(std::count(normalised.begin(), normalised.end(), ' '));
}

// `code` lies in [from, to] when it sorts at or after `from` and its leading characters (as many as
// `to` has) sort at or before `to`: C96.Z is inside C00..C96, C97 is not.
bool in_range(const std::string& code, const std::string& from, const std::string& to) {
  return code >= from && code.compare(0, to.size(), to) <= 0;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  return common::edit_distance(a, b);
}

std::string TermIndex::normalise(std::string_view s) { return normalise_name(s); }

}  // namespace paraderm::clinical::detail

namespace paraderm::clinical {

std::string normalise_name(std::string_view s) { return common::name_key(s); }

}  // namespace paraderm::clinical

namespace paraderm::clinical::detail {

std::string TermIndex::normalise_code(std::string_view system, std::string_view code) {
  std::string out(code);
  if (system != "icd10cm" && system != "icd10") return out;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out.size() > 3 && out.find('.') == std::string::npos) out.insert(3, ".");
  return out;
}

TermIndex::TermIndex(const kb::KnowledgeBase& kb) {
  for (const auto& d : kb.diseases) {
    disease_names_.emplace(normalise(d.id), d.id);
    disease_names_.emplace(normalise(d.name), d.id);
    for (const auto& a : d.aliases) disease_names_.emplace(normalise(a), d.id);
    for (const auto& c : d.code)
      disease_codes_.emplace(code_key(c.system, normalise_code(c.system, c.code)), d.id);
    for (const auto& r : d.code_range) {
      disease_ranges_.push_back(
          {r.system, normalise_code(r.system, r.from), normalise_code(r.system, r.to), d.id});
    }
  }
  // RxNorm clinical-drug codes (KB system "rxnorm-scd") arrive as plain RxNorm codes.
  auto rx_alias = [](const kb::Code& c) {
    return c.system == "rxnorm-scd" ? std::string("rxnorm") : c.system;
  };
  for (const auto& b : kb.biologics) {
    MedicationMatch m;
    m.biologic = b.id;
    m.classes = {"biologic-immunomodulator"};
    for (const auto& name : {b.id, b.name}) merge(med_names_[normalise(name)], m);
    if (b.brands) {
      for (const auto& n : b.brands->names) merge(med_names_[normalise(n)], m);
    }
    for (const auto& c : b.code) merge(med_codes_[code_key(rx_alias(c), c.code)], m);
  }
  std::map<std::string, int> products_per_ingredient;
  for (const auto& d : kb.drugs) ++products_per_ingredient[normalise(d.ingredient)];
  for (const auto& d : kb.drugs) {
    MedicationMatch m;
    m.jak_drug = d.id;
    m.classes = {"jak-inhibitor"};
    merge(med_names_[normalise(d.id)], m);
    merge(med_names_[normalise(d.name)], m);
    // The ingredient alone names the oral product (ruxolitinib, not the cream).
    if (d.route == kb::Route::kOral) merge(med_names_[normalise(d.ingredient)], m);
    if (products_per_ingredient[normalise(d.ingredient)] > 1)
      shared_ingredients_.insert(normalise(d.ingredient));
    for (const auto& b : d.brand) merge(med_names_[normalise(b.name)], m);
    for (const auto& c : d.code) {
      if (d.route == kb::Route::kOral || c.system != "rxnorm")
        merge(med_codes_[code_key(rx_alias(c), c.code)], m);
    }
  }
  for (const auto& ic : kb.interaction_classes) {
    for (const auto& member : ic.member) {
      add_class(med_names_[normalise(member.name)], ic.id);
      if (member.code)
        add_class(med_codes_[code_key(rx_alias(*member.code), member.code->code)], ic.id);
    }
  }
  for (const auto& [name, _] : med_names_) {
    longest_med_name_ = std::max(longest_med_name_, name.size());
    most_med_name_words_ = std::max(most_med_name_words_, word_count(name));
  }
  for (const auto& l : kb.labs) {
    lab_names_.emplace(normalise(l.id), l.id);
    lab_names_.emplace(normalise(l.name), l.id);
    for (const auto& a : l.aliases) lab_names_.emplace(normalise(a), l.id);
    for (const auto& c : l.code) lab_codes_.emplace(c.code, l.id);
  }
  for (const auto& a : kb.answer_codes) {
    answers_.emplace(code_key(a.code.system, a.code.code), a);
    if (!a.question) {
      qualitative_codes_.emplace(code_key(a.code.system, a.code.code), a.meaning);
      if (a.code.display) qualitative_texts_.emplace(normalise(*a.code.display), a.meaning);
    }
  }
  for (const auto& f : kb.fhir_codes) {
    fhir_codes_.emplace(f.resource + "." + f.element + "|" + f.system.value_or("") + "|" + f.code,
                        f);
  }
}

std::optional<std::string> TermIndex::disease_by_name(std::string_view name) const {
  auto it = disease_names_.find(normalise(name));
  if (it == disease_names_.end()) return std::nullopt;
  return it->second;
}

std::optional<DiseaseCodeMatch> TermIndex::disease_by_code(std::string_view system,
                                                           std::string_view code) const {
  std::string c = normalise_code(system, code);
  if (auto it = disease_codes_.find(code_key(system, c)); it != disease_codes_.end()) {
    return DiseaseCodeMatch{it->second, std::nullopt};
  }
  // The narrowest range wins: C44 inside C00..C96 is more specific than C00..C96.
  const Range* best = nullptr;
  for (const auto& r : disease_ranges_) {
    if (r.system != system || !in_range(c, r.from, r.to)) continue;
    if (!best || r.from > best->from || (r.from == best->from && r.to < best->to)) best = &r;
  }
  if (!best) return std::nullopt;
  std::string label = best->from == best->to ? best->from : best->from + "-" + best->to;
  return DiseaseCodeMatch{best->disease, best->system + " " + label};
}

MedicationMatch TermIndex::medication_by_name(std::string_view name) const {
  auto it = med_names_.find(normalise(name));
  return it == med_names_.end() ? MedicationMatch{} : it->second;
}

MedicationMatch TermIndex::medication_by_code(std::string_view system,
                                              std::string_view code) const {
  auto it = med_codes_.find(code_key(system, code));
  return it == med_codes_.end() ? MedicationMatch{} : it->second;
}

WordMatch TermIndex::medication_by_words(std::string_view text) const {
  WordMatch out;
  std::string n = normalise(text);
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < n.size();) {
    std::size_t end = n.find(' ', pos);
    if (end == std::string::npos) end = n.size();
    words.emplace_back(n.data() + pos, end - pos);
    pos = end + 1;
  }
  std::vector<bool> used(words.size(), false);
  for (std::size_t len = std::min(most_med_name_words_, words.size()); len >= 1; --len) {
    for (std::size_t i = 0; i + len <= words.size(); ++i) {
      if (std::any_of(used.begin() + static_cast<std::ptrdiff_t>(i),
                      used.begin() + static_cast<std::ptrdiff_t>(i + len),
                      [](bool u) { return u; })) {
        continue;
      }
      std::size_t chars = static_cast<std::size_t>(words[i + len - 1].end() - words[i].begin());
      if (chars > longest_med_name_) continue;  // no KB name is that long
      std::string key(words[i].begin(), words[i + len - 1].end());
      auto it = med_names_.find(key);
      if (it == med_names_.end()) continue;
      std::fill(used.begin() + static_cast<std::ptrdiff_t>(i),
                used.begin() + static_cast<std::ptrdiff_t>(i + len), true);
      const MedicationMatch& m = it->second;
      bool conflict = (m.biologic && out.match.biologic && *m.biologic != *out.match.biologic) ||
                      (m.jak_drug && out.match.jak_drug && *m.jak_drug != *out.match.jak_drug);
      if (conflict || shared_ingredients_.count(key)) out.ambiguous = true;
      merge(out.match, m);
      out.names.push_back(key);
    }
  }
  return out;
}

std::optional<std::string> TermIndex::lab_by_name(std::string_view name) const {
  auto it = lab_names_.find(normalise(name));
  if (it == lab_names_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> TermIndex::lab_by_code(std::string_view code) const {
  auto it = lab_codes_.find(std::string(code));
  if (it == lab_codes_.end()) return std::nullopt;
  return it->second;
}

const kb::AnswerCode* TermIndex::answer(std::string_view system, std::string_view code) const {
  auto it = answers_.find(code_key(system, code));
  return it == answers_.end() ? nullptr : &it->second;
}

std::optional<std::string> TermIndex::qualitative_answer(std::string_view system,
                                                         std::string_view code) const {
  auto it = qualitative_codes_.find(code_key(system, code));
  if (it == qualitative_codes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> TermIndex::qualitative_text(std::string_view text) const {
  auto it = qualitative_texts_.find(normalise(text));
  if (it == qualitative_texts_.end()) return std::nullopt;
  return it->second;
}

const kb::FhirCode* TermIndex::fhir_code(std::string_view resource, std::string_view element,
                                         std::string_view system, std::string_view code) const {
  std::string prefix = std::string(resource) + "." + std::string(element) + "|";
  // Codes of FHIR's own code systems are listed without a system; others (SNOMED, HL7 v3) with one.
  for (const std::string& key :
       {prefix + "|" + std::string(code), prefix + std::string(system) + "|" + std::string(code)}) {
    if (auto it = fhir_codes_.find(key); it != fhir_codes_.end()) return &it->second;
  }
  return nullptr;
}

namespace {

// A near miss is a likely typo: at most 2 edits and the name at least 5 characters long. Names
// whose lengths differ by more than 2 cannot be 2 edits apart, so long inputs cost no edit
// distance.
template <class Map>
std::optional<std::string> nearest(const Map& names, std::string_view raw) {
  constexpr std::size_t kMaxEdits = 2;
  std::string n = TermIndex::normalise(raw);
  if (n.size() < 5) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_d = kMaxEdits + 1;
  for (const auto& [name, _] : names) {
    if (name.size() < 5) continue;
    if (name.size() + kMaxEdits < n.size() || n.size() + kMaxEdits < name.size()) continue;
    std::size_t d = edit_distance(n, name);
    if (d > 0 && (d < best_d || (d == best_d && best && name < *best))) {
      best_d = d;
      best = name;
    }
  }
  return best;
}

}  // namespace

std::optional<std::string> TermIndex::near_disease(std::string_view name) const {
  return nearest(disease_names_, name);
}

std::optional<std::string> TermIndex::near_medication(std::string_view name) const {
  return nearest(med_names_, name);
}

std::shared_ptr<const TermIndex> term_index(const kb::KnowledgeBase& kb) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TermIndex>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[kb.version];
  if (!slot) slot = std::make_shared<const TermIndex>(kb);
  return slot;
}

}  // namespace paraderm::clinical::detail
