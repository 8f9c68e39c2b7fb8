#include "case/terms.h"

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
  if (std::find(m.classes.begin(), m.classes.end(), cls) == m.classes.end()) m.classes.push_back(cls);
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) { return common::edit_distance(a, b); }

std::string TermIndex::normalise(std::string_view s) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(std::tolower(c));
    } else if (c < 0x80) {
      space = true;  // spaces, hyphens, slashes, punctuation: one separator
    }  // non-ASCII bytes (®, ™) are dropped
  }
  return out;
}

TermIndex::TermIndex(const kb::KnowledgeBase& kb) {
  for (const auto& d : kb.diseases) {
    disease_names_.emplace(normalise(d.id), d.id);
    disease_names_.emplace(normalise(d.name), d.id);
    for (const auto& a : d.aliases) disease_names_.emplace(normalise(a), d.id);
    for (const auto& c : d.code) disease_codes_.emplace(code_key(c.system, c.code), d.id);
  }
  // RxNorm clinical-drug codes (KB system "rxnorm-scd") arrive as plain RxNorm codes.
  auto rx_alias = [](const kb::Code& c) { return c.system == "rxnorm-scd" ? std::string("rxnorm") : c.system; };
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
  for (const auto& d : kb.drugs) {
    MedicationMatch m;
    m.jak_drug = d.id;
    m.classes = {"jak-inhibitor"};
    merge(med_names_[normalise(d.id)], m);
    merge(med_names_[normalise(d.name)], m);
    // The ingredient alone names the oral product (ruxolitinib, not the cream).
    if (d.route == "oral") merge(med_names_[normalise(d.ingredient)], m);
    for (const auto& b : d.brand) merge(med_names_[normalise(b.name)], m);
    for (const auto& c : d.code) {
      if (d.route == "oral" || c.system != "rxnorm") merge(med_codes_[code_key(rx_alias(c), c.code)], m);
    }
  }
  for (const auto& ic : kb.interaction_classes) {
    for (const auto& member : ic.member) {
      add_class(med_names_[normalise(member.name)], ic.id);
      if (member.code) add_class(med_codes_[code_key(rx_alias(*member.code), member.code->code)], ic.id);
    }
  }
  for (const auto& l : kb.labs) {
    lab_names_.emplace(normalise(l.id), l.id);
    lab_names_.emplace(normalise(l.name), l.id);
    for (const auto& c : l.code) lab_codes_.emplace(c.code, l.id);
  }
  for (const auto& a : kb.answer_codes) answers_.emplace(a.code.code, a.meaning);
}

std::optional<std::string> TermIndex::disease_by_name(std::string_view name) const {
  auto it = disease_names_.find(normalise(name));
  if (it == disease_names_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> TermIndex::disease_by_code(std::string_view system,
                                                      std::string_view code) const {
  auto it = disease_codes_.find(code_key(system, code));
  if (it == disease_codes_.end()) return std::nullopt;
  return it->second;
}

MedicationMatch TermIndex::medication_by_name(std::string_view name) const {
  auto it = med_names_.find(normalise(name));
  return it == med_names_.end() ? MedicationMatch{} : it->second;
}

MedicationMatch TermIndex::medication_by_code(std::string_view system, std::string_view code) const {
  auto it = med_codes_.find(code_key(system, code));
  return it == med_codes_.end() ? MedicationMatch{} : it->second;
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

std::optional<std::string> TermIndex::answer(std::string_view code) const {
  auto it = answers_.find(std::string(code));
  if (it == answers_.end()) return std::nullopt;
  return it->second;
}

namespace {

// A near miss is a likely typo: at most 2 edits and the name at least 5 characters long.
template <class Map>
std::optional<std::string> nearest(const Map& names, std::string_view raw) {
  std::string n = TermIndex::normalise(raw);
  if (n.size() < 5) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_d = 3;
  for (const auto& [name, _] : names) {
    if (name.size() < 5) continue;
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
