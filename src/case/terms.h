// Name and code lookup of KB entities for the case parsers (native and FHIR): one index per KB.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "paraderm/kb.h"

namespace paraderm::clinical::detail {

struct MedicationMatch {
  std::optional<std::string> biologic, jak_drug;
  std::vector<std::string> classes;
  bool empty() const { return !biologic && !jak_drug && classes.empty(); }
};

// A medication found by the KB names written inside a longer text ("ketoconazole 200 MG Oral
// Tablet", "Dupilumab 300 MG/2ML Prefilled Syringe [Dupixent]").
struct WordMatch {
  MedicationMatch match;
  std::vector<std::string> names;  // the KB names found, normalised
  bool ambiguous = false;          // names of two different products: not used
};

// How a disease code was matched: exactly, or through a KB code range.
struct DiseaseCodeMatch {
  std::string disease;
  std::optional<std::string> range;  // "icd10cm C00-C96" when matched by a range
};

class TermIndex {
 public:
  explicit TermIndex(const kb::KnowledgeBase& kb);

  // Case-insensitive, whitespace- and punctuation-tolerant.
  static std::string normalise(std::string_view s);
  // ICD-10-CM codes compare upper-case with the dot after the category ("c50912" -> "C50.912").
  static std::string normalise_code(std::string_view system, std::string_view code);

  std::optional<std::string> disease_by_name(std::string_view name) const;
  // An exact KB code first; else the narrowest KB code range that contains the code.
  std::optional<DiseaseCodeMatch> disease_by_code(std::string_view system,
                                                  std::string_view code) const;
  MedicationMatch medication_by_name(std::string_view name) const;
  MedicationMatch medication_by_code(std::string_view system, std::string_view code) const;
  // KB names matched as whole words inside `text` (longest first); empty when none.
  WordMatch medication_by_words(std::string_view text) const;
  std::optional<std::string> lab_by_name(std::string_view name) const;
  std::optional<std::string> lab_by_code(std::string_view code) const;  // LOINC
  // The KB entry of an answer code (e.g. SNOMED 77386006, meaning "pregnant"); nullptr if unknown.
  const kb::AnswerCode* answer(std::string_view system, std::string_view code) const;
  // A qualitative result (positive | negative | indeterminate) from an answer code that belongs to
  // no particular question, or from a text equal to such an answer's display.
  std::optional<std::string> qualitative_answer(std::string_view system,
                                                std::string_view code) const;
  std::optional<std::string> qualitative_text(std::string_view text) const;
  // How a coded element of a FHIR resource is read (kb/fhir.toml); nullptr when the KB does not
  // list the code. `system` is the short system of the coding ("" for FHIR code elements).
  const kb::FhirCode* fhir_code(std::string_view resource, std::string_view element,
                                std::string_view system, std::string_view code) const;

  // The closest known disease or medication name within a small edit distance, if any.
  std::optional<std::string> near_disease(std::string_view name) const;
  std::optional<std::string> near_medication(std::string_view name) const;

 private:
  struct Range {
    std::string system, from, to, disease;
  };
  std::unordered_map<std::string, std::string> disease_names_, disease_codes_, lab_names_,
      lab_codes_, qualitative_codes_, qualitative_texts_;
  std::unordered_map<std::string, kb::AnswerCode> answers_;
  std::vector<Range> disease_ranges_;
  std::unordered_map<std::string, MedicationMatch> med_names_, med_codes_;
  // Ingredient names that stand for one of several KB products (oral ruxolitinib or the cream):
  // a name found inside a longer text does not say which.
  std::unordered_set<std::string> shared_ingredients_;
  std::size_t longest_med_name_ = 0, most_med_name_words_ = 0;
  // Copies: the index outlives the KnowledgeBase object it was built from (cached by version).
  std::unordered_map<std::string, kb::FhirCode> fhir_codes_;
};

// The index of `kb`, built once per KB version and shared.
std::shared_ptr<const TermIndex> term_index(const kb::KnowledgeBase& kb);

std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace paraderm::clinical::detail
