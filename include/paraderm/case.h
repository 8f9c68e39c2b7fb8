// One patient's record, normalised: what the assessment reads. Built from native case JSON
// (docs/case-format.md, docs/case.schema.json) or a FHIR R4 Bundle, detected by `resourceType`.
//
// Contract:
//  * Every clinical entity is mapped to a KB id (disease, biologic, JAK drug, interaction class,
//    lab) by code first, then by name; labs are converted to the KB lab's unit.
//  * Nothing is silently dropped: unmapped codes and names, unknown or ignored fields become
//    `warnings`, each naming the JSON pointer (or FHIR path).
//  * Bad input (wrong type, impossible data, a name one typo away from a KB name) becomes an
//    `InputProblem` naming the pointer, the value and what was expected; no Case is returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/kb.h"

namespace paraderm::clinical {

using Date = std::chrono::sys_days;

// "YYYY-MM-DD" (a FHIR dateTime's date part is accepted); nullopt when not a valid calendar date.
std::optional<Date> parse_date(std::string_view text);
// Seconds since 1970-01-01 UTC of a dateTime with a time and a zone ("2026-11-25T16:30:00+01:00",
// "...T15:30:00.250Z"); nullopt for a date alone or a time without a zone, which order nothing.
std::optional<std::int64_t> parse_instant(std::string_view text);
std::string to_string(Date d);
// Whole years from `from` to `to` (birthday arithmetic).
int years_between(Date from, Date to);

struct InputProblem {
  std::string pointer;  // JSON pointer, e.g. /medications/2/start, or a FHIR path
  std::string message;  // names the value and what was expected
  std::string to_string() const { return pointer + ": " + message; }
};

// Closed sets read from records; to_string gives the name used in native JSON and reports. The
// two the KB maps standard codes onto are the KB's (paraderm/kb.h).
using kb::ConditionStatus;
using kb::parse_condition_status;
using kb::parse_severity_grade;
using kb::parse_smoking_status;
using kb::SeverityGrade;
using kb::SmokingStatus;
enum class Sex { kUnknown, kFemale, kMale, kOther };
enum class EruptionKind { kNew, kWorsened };
std::string_view to_string(Sex s);           // unknown | female | male | other
std::string_view to_string(EruptionKind k);  // new | worsened
std::optional<Sex> parse_sex(std::string_view name);
std::optional<EruptionKind> parse_eruption_kind(std::string_view name);

struct Smoking {
  SmokingStatus status = SmokingStatus::kUnknown;
  std::optional<double> pack_years;
  std::optional<Date> quit_date;
};

struct Patient {
  std::optional<Date> birth_date;
  // A birth date given to the month or year only (FHIR "2017-05", "2017"): birth_date is the first
  // possible day and this the last; the age is used only when no age limit of the KB lies between
  // the whole years they give (then as the older: the lower clearance).
  std::optional<Date> birth_date_latest;
  std::optional<double> age_years;  // given, or computed from birth_date at as_of
  // The two whole years such a birth date leaves, when an age limit of the KB lies between them
  // (64 or 65) and age_years is therefore absent; named where the age is needed.
  std::optional<std::pair<double, double>> possible_ages;
  Sex sex = Sex::kUnknown;
  std::optional<std::string> ancestry;
  std::optional<double> weight_kg;
  // The day of the weight measurement used (a FHIR Observation, a native weight lab); absent for
  // a weight given as /patient/weight_kg.
  std::optional<Date> weight_date;
  std::optional<bool> pregnant, breastfeeding;
  Smoking smoking;
  // EMA PRAC: "ASCVD or other CV risk factors", "other VTE risk factors" (free text items).
  std::vector<std::string> cv_risk_factors, vte_risk_factors;
};

struct Severity {
  std::optional<double> easi, pasi, bsa, iga;
};

struct Condition {
  std::string pointer;
  std::string label;    // as given
  std::string disease;  // KB disease id
  std::optional<Date> onset, abatement;
  // An onset known only as a span (FHIR "2026-03", "2026", onsetPeriod, onsetAge, onsetRange): its
  // last possible day, `onset` being the first. A span that holds a biologic's start cannot say
  // whether the condition began under it (PR_TIMING_UNKNOWN), never "it predates it".
  std::optional<Date> onset_latest;
  ConditionStatus status = ConditionStatus::kActive;
  std::optional<bool> treated;  // e.g. latent TB treated
  Severity severity;
  // Read from standard records (FHIR Condition) so a paradoxical reaction can be recognised
  // without paraderm extensions; empty / absent when the record does not say.
  std::string course;  // "recurrence" | "relapse" (FHIR clinicalStatus: a worsening) | ""
  std::optional<SeverityGrade> severity_grade;  // FHIR Condition.severity
  std::optional<Date> recorded;                 // FHIR recordedDate
  std::vector<std::string> body_sites;          // as given (text or display)
  std::vector<std::string> notes;               // note[].text and evidence[] text, as given
};

struct Medication {
  std::string pointer;
  std::string label;                    // as given
  std::optional<std::string> biologic;  // KB biologic id
  std::optional<std::string> jak_drug;  // KB drug id
  std::vector<std::string> classes;     // KB interaction classes it belongs to
  std::optional<Date> start, stop;
  // FHIR MedicationStatement.dateAsserted: the drug was being taken by then, so an unknown start
  // was on or before it (what a reaction's timing can still be read from).
  std::optional<Date> asserted;
  std::optional<double> amount;
  std::optional<std::string> unit, frequency;
  // Recorded as intended or as a draft, proposed or planned order: not yet taken. Still a
  // co-medication for the interaction rules (fail safe), never exposure (the cause of a reaction)
  // nor a drug the patient already takes.
  bool planned = false;
  // Neither a KB product nor a member of an interaction class (or a name two products share): the
  // interaction rules cannot say whether it matters (INTERACTION_UNKNOWN).
  bool unmapped = false;
  bool active_on(Date d) const;  // started on or before d and not stopped before d
  bool taken_on(Date d) const { return !planned && active_on(d); }
};

// How a result given as a bound relates to the true value: "< 0.3" is kLess.
enum class Comparator { kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
std::string_view to_string(Comparator c);  // "<", "<=", ">", ">="
std::optional<Comparator> parse_comparator(std::string_view text);

struct LabBound {
  Comparator comparator = Comparator::kLess;
  double value = 0;  // in the result's `unit`
};

struct LabResult {
  std::string pointer;
  std::string lab;  // KB lab id
  Date date;
  std::optional<double> value;  // in `unit` (the KB lab's unit when it has one)
  std::string unit;
  std::optional<std::string> text;  // qualitative results ("positive", "negative")
  double given_value = 0;
  std::string given_unit;
  // Derived from another result (eGFR from creatinine): given_value/given_unit are that result's.
  bool computed = false;
  // For a computed result the record does not hold as such (an absolute count from a percentage
  // and the leukocyte count): how, shown beside the value so that a reason citing "alc 400
  // cells/uL" also says where the number came from.
  std::string derivation;
  // When the source gave a time of day with a zone (seconds since 1970 UTC): orders results of the
  // same day. Without it the record's order decides, which an export does not promise.
  std::optional<std::int64_t> at;
  // Another result of this lab on the same day disagrees with this one and no time orders the two
  // (a repeat Hb, a second IGRA): the rules read the whole day fail-safe (Case::day_as_read).
  bool disputed = false;
  // A result given as a bound ("< 0.3", "> 60"; FHIR valueQuantity.comparator): `value` stays
  // empty, so no rule reads the bound as a measurement; the threshold checks below decide from it
  // where it alone settles the comparison.
  std::optional<LabBound> bound;
  // A result that exists but whose value cannot be used (a unit that cannot be converted, an
  // implausible value), with why. Kept so that an older result never stands in for it as "the
  // latest": the rules that read the lab then say the latest result is not usable.
  std::optional<std::string> unusable;

  // Whether the result is below (above) `threshold`, in `unit`: from the value, else from a bound
  // that settles it ("< 0.3" is below 0.5; "> 60" is not below 30); nullopt when neither does.
  std::optional<bool> below(double threshold) const;
  std::optional<bool> above(double threshold) const;
  // "0.4" or "< 0.3" (the bound), in `unit`; "" with neither.
  std::string value_text() const;
  // The result for a reason text, with its unit: "0.4 10^9/L", "< 0.3 10^9/L"; a value converted
  // from the unit it was entered in, where the conversion is not exact, has four significant digits
  // and the entry beside it, "7.412 g/dL (entered as 4.6 mmol/L)"; "" with neither.
  std::string shown() const;
};

struct Eruption {
  std::string phenotype;  // KB phenotype id
  Date onset;
  EruptionKind kind = EruptionKind::kNew;
  std::vector<std::string> sites;
  std::optional<std::string> biopsy;
  std::optional<bool> biopsy_consistent;
  std::optional<double> bsa_pct;
  std::optional<SeverityGrade> severity;
  // Causality items (Naranjo): "yes" | "no" | "unknown".
  std::string dechallenge = "unknown", rechallenge = "unknown", dose_related = "unknown",
              previous_similar_reaction = "unknown";
  std::vector<std::string> alternative_causes;
  bool alternatives_excluded = false;
};

// A dose of a KB vaccine the record says was given (FHIR Immunization, status completed).
struct Immunization {
  std::string pointer;
  std::string vaccine;  // KB vaccine id
  Date date;
};

struct Case {
  std::string input_kind;  // native | fhir
  std::string region = "us";
  // Neither given (--region, the native "region") nor named by the record (one label region in the
  // patient's addresses): "us" was assumed, so the other region's rules were not checked
  // (REGION_ASSUMED caps every option).
  bool region_assumed = false;
  Date as_of{};
  Patient patient;
  std::vector<Condition> conditions;
  std::vector<Medication> medications;
  std::vector<LabResult> labs;
  std::optional<Eruption> eruption;
  std::vector<std::string> flags;  // e.g. raised-ige, eosinophilia, cyp2c19-poor-metaboliser
  std::vector<Immunization> immunizations;
  std::vector<InputProblem> warnings;
  // Conditions the KB does not know (also a warning each): kept so that one beginning under a
  // biologic is named by the reaction assessment instead of reading as "no eruption".
  std::vector<Condition> unrecognised_conditions;
  // Every recorded disease id with its KB ancestors (all / active only), sorted; filled by the
  // parser so the rules' many condition checks are lookups.
  std::vector<std::string> condition_closure, active_condition_closure;

  bool has_condition(std::string_view disease_id, const kb::KnowledgeBase& kb,
                     bool active_only = false) const;  // the disease or a descendant
  // The first recorded condition that is the disease or a descendant (to be named), or nullptr.
  const Condition* first_condition(std::string_view disease_id, const kb::KnowledgeBase& kb,
                                   bool active_only = false) const;
  bool has_flag(std::string_view flag) const;
  // The latest result of `lab` on or before `on` (nullptr when none): by date, then by time of day
  // where both results have one, else the one later in the record.
  const LabResult* latest(std::string_view lab, Date on) const;
  // What a rule reads for result r: r alone, or, when r's day is disputed, every result of r's lab
  // on r's date (r included, in record order).
  std::vector<const LabResult*> day_as_read(const LabResult& r) const;
  // The latest result of `lab` on or before `on`; on a disputed day, the day's worst value (the
  // highest when `higher_is_worse`, else the lowest: creatinine, eGFR, bilirubin, albumin, INR),
  // so no rule is milder than one of the day's results says. nullptr when none.
  const LabResult* latest_worst(std::string_view lab, Date on, bool higher_is_worse) const;
};

struct ParseOptions {
  std::optional<std::string> region;  // overrides the record's region
  std::optional<Date> as_of;          // overrides the record's as_of
  std::size_t max_bytes = 4 << 20;    // input size limit
  std::size_t max_depth = 256;        // JSON nesting limit (objects and arrays); not clinical
};

struct ParseResult {
  std::optional<Case> record;  // absent when there is any problem
  std::vector<InputProblem> problems;
};

// Native case JSON or a FHIR R4 Bundle (detected from resourceType).
ParseResult parse_case(std::string_view json, const kb::KnowledgeBase& kb,
                       const ParseOptions& options = {});

// A name as the case readers match it against KB names: lower case, each run of spaces and ASCII
// punctuation one space, non-ASCII bytes dropped ("Methotrexate-Sodium" == "methotrexate sodium").
std::string normalise_name(std::string_view name);

// Today's date in UTC: the default assessment date, and the latest day a result can carry.
Date today_utc();

// eGFR (mL/min/1.73 m²) by CKD-EPI 2021 from serum creatinine in mg/dL, with the KB's
// coefficients; nullopt when sex is not female/male.
std::optional<double> ckd_epi_2021(const kb::KnowledgeBase& kb, double creatinine_mg_dl,
                                   double age_years, Sex sex);

// eGFR (mL/min/1.73 m²) of a child by the bedside Schwartz equation (2009) from serum creatinine
// in mg/dL and height in cm, with the KB's constant; nullopt without it or with a creatinine <= 0.
std::optional<double> bedside_schwartz_2009(const kb::KnowledgeBase& kb, double creatinine_mg_dl,
                                            double height_cm);

}  // namespace paraderm::clinical
