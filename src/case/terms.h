// Name and code lookup of KB entities for the case parsers (native and FHIR): one index per KB.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "paraderm/kb.h"

namespace paraderm::clinical::detail {

struct MedicationMatch {
  std::optional<std::string> biologic, jak_drug;
  std::vector<std::string> classes;
  bool empty() const { return !biologic && !jak_drug && classes.empty(); }
};

class TermIndex {
 public:
  explicit TermIndex(const kb::KnowledgeBase& kb);

  // Case-insensitive, whitespace- and punctuation-tolerant.
  static std::string normalise(std::string_view s);

  std::optional<std::string> disease_by_name(std::string_view name) const;
  std::optional<std::string> disease_by_code(std::string_view system, std::string_view code) const;
  MedicationMatch medication_by_name(std::string_view name) const;
  MedicationMatch medication_by_code(std::string_view system, std::string_view code) const;
  std::optional<std::string> lab_by_name(std::string_view name) const;
  std::optional<std::string> lab_by_code(std::string_view code) const;  // LOINC
  // The meaning of an answer code (e.g. SNOMED 77386006 -> "pregnant").
  std::optional<std::string> answer(std::string_view code) const;

  // The closest known disease or medication name within a small edit distance, if any.
  std::optional<std::string> near_disease(std::string_view name) const;
  std::optional<std::string> near_medication(std::string_view name) const;

 private:
  std::unordered_map<std::string, std::string> disease_names_, disease_codes_, lab_names_,
      lab_codes_, answers_;
  std::unordered_map<std::string, MedicationMatch> med_names_, med_codes_;
};

// The index of `kb`, built once per KB version and shared.
std::shared_ptr<const TermIndex> term_index(const kb::KnowledgeBase& kb);

std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace paraderm::clinical::detail
