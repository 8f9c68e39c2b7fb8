// Shared by the native and FHIR parsers: maps names and codes to KB ids, converts lab units
// (paraderm/units.h) and checks plausible ranges, records problems and warnings with their
// pointer, and finishes the case (age, eGFR).
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "case/terms.h"
#include "paraderm/case.h"

namespace simdjson::dom {
class element;
}

namespace paraderm::clinical::detail {

// A date given to the year ("2018") or the month ("2026-08") only, as FHIR allows: its first and
// last day; nullopt for anything else (a full date is parse_date's).
std::optional<std::pair<Date, Date>> parse_partial_date(std::string_view text);

using Json = nlohmann::json;

struct CodeIn {
  std::string system;  // snomed | icd10cm | rxnorm | loinc | ...
  std::string code;
};

class CaseBuilder {
 public:
  CaseBuilder(const kb::KnowledgeBase& kb, Case& c, std::vector<InputProblem>& problems)
      : kb_(kb), c_(c), problems_(problems), terms_(term_index(kb)) {}

  void problem(std::string pointer, std::string msg) {
    problems_.push_back({std::move(pointer), std::move(msg)});
  }
  void warning(std::string pointer, std::string msg) {
    c_.warnings.push_back({std::move(pointer), std::move(msg)});
  }

  // Returns false (and records why) when the entry cannot be used.
  bool add_condition(Condition cond, const std::vector<CodeIn>& codes);
  // `other_names`: further texts naming the product (coding displays, a referenced Medication's
  // text); KB names found inside them are used with a warning saying so.
  bool add_medication(Medication med, const std::vector<CodeIn>& codes,
                      const std::vector<std::string>& other_names = {});
  // value (or `bound`, a result given as "< 0.3") in `unit` is converted to the KB lab's unit. A
  // value that cannot be used (unit, plausibility) is warned about and kept as an unusable result,
  // so that an older result never stands in for it; false then.
  bool add_lab(const std::string& pointer, const std::string& label,
               const std::vector<CodeIn>& codes, Date date, std::optional<double> value,
               const std::string& unit, std::optional<std::string> text,
               std::optional<LabBound> bound = std::nullopt,
               std::optional<std::int64_t> at = std::nullopt);

  // A result that exists but cannot be read (a qualitative answer the KB does not know): kept as
  // the latest result of its lab, without a value, with `why`.
  bool add_unreadable_lab(const std::string& pointer, const std::string& label,
                          const std::vector<CodeIn>& codes, Date date, std::string why,
                          std::optional<std::int64_t> at = std::nullopt);

  // Body weight `value` in `unit` -> Patient::weight_kg (KB lab "weight"); a unit that cannot be
  // converted or an implausible value leaves the weight unknown, with a warning.
  void set_body_weight(const std::string& value_pointer, const std::string& unit_pointer,
                       double value, const std::string& unit);
  // `value` (already in the KB unit of `lab_id`) when inside the lab's plausible range, else a
  // warning naming the field and nullopt. Labs without a range, or not in the KB, pass.
  std::optional<double> plausible(const std::string& pointer, std::string_view lab_id,
                                  double value);

  // Age from birth date, computed eGFR, date sanity checks against birth and as_of.
  void finish();

  const TermIndex& terms() const { return *terms_; }
  const kb::KnowledgeBase& kb() const { return kb_; }
  Case& record() { return c_; }

 private:
  const kb::KnowledgeBase& kb_;
  Case& c_;
  std::vector<InputProblem>& problems_;
  std::shared_ptr<const TermIndex> terms_;

  // Sets LabResult::disputed on same-day results that disagree with no time to order them.
  void mark_disputed_days();
  void note_disagreeing_medications();
  // The eGFR the renal rules read: computed from creatinine by the equation for the age.
  void add_egfr();
  // Absolute counts from a differential sent only as percentages (kb/labs.toml from_percentage).
  void add_absolute_counts();
  // A birth date given to the year or month: the age, when no KB age limit lies in its range.
  void read_age_range(Patient& p);

  // Where a lab's value and unit were given, formatted only when a warning names them (a lab
  // read without one is the common case): given in full, or the fields of an entry's pointer.
  struct LabPointers {
    const std::string* entry = nullptr;
    const std::string* value = nullptr;
    const std::string* unit = nullptr;
    std::string value_pointer() const;
    std::string unit_pointer() const;
  };
  // `value` in `unit` converted to `lab`'s KB unit and checked against its plausible range;
  // nullopt (with a warning naming the field, the value, the unit and what was expected) when
  // it cannot be used.
  std::optional<double> to_lab_unit(const kb::Lab& lab, double value, const std::string& unit,
                                    const LabPointers& pointers);
  std::optional<double> plausible(const LabPointers& pointers, const kb::Lab& lab, double value,
                                  double given, const std::string& given_unit);
};

// The pointer of a field of an entry: "/labs/2" + "unit" (native) or
// "Bundle.entry[4].resource(Observation)" + "valueQuantity.code" (FHIR).
std::string field(const std::string& entry, std::string_view native_key,
                  std::string_view fhir_path);

// "loinc" for "http://loinc.org" etc.; the short system names the KB uses.
std::string short_system(std::string_view fhir_system);
// The same without a copy: a static name, or `fhir_system` itself when it is not one the KB
// shortens (so it lives as long as `fhir_system`).
std::string_view short_system_view(std::string_view fhir_system);

// A value as shown in a message: quoted, and cut to a readable length (inputs can be megabytes).
std::string shown(std::string_view value);

// `text` as JSON in `root`, or false with one problem naming the line and column: not JSON, or
// nested deeper than `max_depth` (checked in one pass before parsing, so no recursive code ever
// sees a deeper document). `root` is the document in this thread's simdjson parser: valid until
// the next call on this thread, so nothing read from it may keep a pointer or view into it.
// Text simdjson refuses but nlohmann accepts (an integer beyond 64 bits, ...) is read by nlohmann
// and parsed again from its dump, so every record nlohmann reads is accepted.
bool parse_json_dom(std::string_view text, std::size_t max_depth,
                    std::vector<InputProblem>& problems, simdjson::dom::element& root);

// The nlohmann value of a simdjson element, typed as Json::parse types it. The native reader
// walks this tree; the FHIR reader reads the DOM directly and converts only a value it quotes in
// a message (so the text is nlohmann's dump).
Json to_nlohmann(const simdjson::dom::element& e);

}  // namespace paraderm::clinical::detail
