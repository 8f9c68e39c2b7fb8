// Checks that need the whole KB: unique ids, resolvable references, and content integrity rules
// that no single table can check on its own.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/text.h"
#include "kb/engine_ids.h"
#include "kb/schema.h"
#include "paraderm/units.h"

namespace paraderm::kb::detail {
namespace {

using common::edit_distance;

// Edit distance is at least the difference in length, so ids that cannot beat (or tie) the best so
// far are skipped unmeasured: a broken file full of long unknown ids (a paste, a fuzzer's input)
// cost 18 % of the KB fuzzer's time in this loop.
std::string suggestion(std::string_view id, const std::unordered_set<std::string>& known) {
  std::string best;
  std::size_t best_d = 4;  // only suggest close spellings
  for (const auto& k : known) {
    std::size_t shorter = std::min(id.size(), k.size()), longer = std::max(id.size(), k.size());
    if (longer - shorter > best_d || (longer - shorter == best_d && best.empty())) continue;
    std::size_t d = edit_distance(id, k);
    if (d < best_d || (d == best_d && !best.empty() && k < best)) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

void error(std::vector<ValidationIssue>& issues, const Location& loc, std::string path,
           std::string msg) {
  issues.push_back(
      {ValidationIssue::Severity::kError, loc.file, loc.line, std::move(path), std::move(msg)});
}

void warning(std::vector<ValidationIssue>& issues, const Location& loc, std::string path,
             std::string msg) {
  issues.push_back(
      {ValidationIssue::Severity::kWarning, loc.file, loc.line, std::move(path), std::move(msg)});
}

void check_drug(const Drug& d, std::vector<ValidationIssue>& issues) {
  const std::string path = fmt::format("drug '{}'", d.id);
  bool has_pharmacology = !d.potency.empty() || d.pk.has_value() || !d.pk_model.empty();
  if (!has_pharmacology) {
    error(issues, d.loc, path,
          "no pharmacology section: expected at least one cited potency, pk or pk_model entry");
  }
  std::set<std::pair<Region, std::string>> approved;
  for (const auto& ind : d.indication) {
    if (ind.status == IndicationStatus::kApproved) approved.emplace(ind.region, ind.disease);
  }
  for (const auto& [region, disease] : approved) {
    bool dosed = std::any_of(d.dose.begin(), d.dose.end(), [&](const Dose& dose) {
      return dose.indication == disease &&
             (applies_to(dose.region, region) || applies_to(region, dose.region));
    });
    if (!dosed) {
      warning(issues, d.loc, path,
              fmt::format("approved for '{}' ({}) but no dose is encoded: the dose is unknown",
                          disease, region_name(region)));
    }
  }
  for (const auto& dose : d.dose) {
    bool listed =
        std::any_of(d.indication.begin(), d.indication.end(),
                    [&](const DrugIndication& i) { return i.disease == dose.indication; });
    if (!listed) {
      error(
          issues, d.loc, path + ".dose",
          fmt::format("dose for '{}', which is not among the drug's indications", dose.indication));
    }
    if (dose.min_age_years && dose.max_age_years && *dose.min_age_years > *dose.max_age_years) {
      error(issues, d.loc, path + ".dose",
            fmt::format("age band [{}, {}]: expected min <= max", *dose.min_age_years,
                        *dose.max_age_years));
    }
    if (dose.min_weight_kg && dose.max_weight_kg && *dose.min_weight_kg > *dose.max_weight_kg) {
      error(issues, d.loc, path + ".dose",
            fmt::format("weight band [{}, {}]: expected min <= max", *dose.min_weight_kg,
                        *dose.max_weight_kg));
    }
  }
}

// The equations the case reader and the assessment evaluate read their coefficients by these
// ids: a KB without one (a rename, a deletion) is invalid rather than computing nothing.
void check_engine_formulas(const KnowledgeBase& kb, std::vector<ValidationIssue>& issues) {
  if (!kb.formula_constants.empty()) {
    static constexpr const char* kEngineReadConstants[] = {
        "ckd-epi-2021.multiplier",        "ckd-epi-2021.kappa.female",
        "ckd-epi-2021.kappa.male",        "ckd-epi-2021.alpha.female",
        "ckd-epi-2021.alpha.male",        "ckd-epi-2021.exponent-above-hinge",
        "ckd-epi-2021.age-base",          "ckd-epi-2021.sex-factor.female",
        "ckd-epi-2021.sex-factor.male",   "cockcroft-gault.age-offset",
        "cockcroft-gault.divisor",        "cockcroft-gault.sex-factor.female",
        "cockcroft-gault.sex-factor.male"};
    for (const char* id : kEngineReadConstants) {
      // Only for an equation the KB holds at all ("ckd-epi-2021" of "ckd-epi-2021.kappa.male"); a
      // KB without it computes nothing from it, and the rules that need it say "not assessed".
      std::string_view formula(id);
      formula = formula.substr(0, formula.find('.'));
      bool holds = std::any_of(kb.formula_constants.begin(), kb.formula_constants.end(),
                               [&](const FormulaConstant& c) { return c.formula == formula; });
      bool present = std::any_of(kb.formula_constants.begin(), kb.formula_constants.end(),
                                 [&](const FormulaConstant& c) { return c.id == id; });
      if (holds && !present) {
        error(issues, kb.formula_constants.front().loc, "formula_constant",
              fmt::format("'{}' is read by the engine (an equation coefficient): expected a row",
                          id));
      }
    }
  }
}

// Unit rows carry only what code cannot know (a molar mass of one analyte); a row between two
// commensurable units would duplicate, or contradict, the unit algebra of paraderm/units.h.
void check_unit_conversions(const KnowledgeBase& kb, std::vector<ValidationIssue>& issues) {
  for (const auto& uc : kb.unit_conversions) {
    const std::string path = fmt::format("unit_conversion '{} {}->{}'", uc.analyte, uc.from, uc.to);
    auto from = units::parse(uc.from), to = units::parse(uc.to);
    for (const auto* r : {&from, &to}) {
      if (!r->is_ok())
        error(issues, uc.loc, path, r->status().message() + ": expected a UCUM unit");
    }
    if (from.is_ok() && to.is_ok() && from.value().commensurable(to.value())) {
      error(issues, uc.loc, path,
            fmt::format("\"{}\" and \"{}\" are both {}: the conversion follows from the units "
                        "(paraderm/units.h); expected a row only between different dimensions",
                        uc.from, uc.to, from.value().dimension()));
    }
  }
}

// Every threshold must be comparable with results, which are stored in the lab's unit.
void check_threshold_units(const KnowledgeBase& kb, const Drug& d,
                           std::vector<ValidationIssue>& issues) {
  for (const auto& t : d.lab_threshold) {
    const Lab* lab = nullptr;
    for (const auto& l : kb.labs) {
      if (l.id == t.analyte) lab = &l;
    }
    if (!lab) continue;  // reported as an unresolved reference
    const std::string path = fmt::format("drug '{}'.lab_threshold.unit", d.id);
    if (!lab->unit) {
      error(
          issues, t.loc, path,
          fmt::format("lab '{}' has no unit in the KB: expected a lab with a unit for a threshold",
                      t.analyte));
      continue;
    }
    auto r = units::convert(kb, t.analyte, 1, t.unit, *lab->unit);
    if (!r.is_ok()) {
      error(issues, t.loc, path,
            fmt::format("value \"{}\": {}; expected a unit convertible to the lab's unit \"{}\"",
                        t.unit, r.status().message(), *lab->unit));
    }
  }
}

}  // namespace

// How kb/fhir.toml rows may be read: each meaning is one the FHIR reader acts on.
void check_fhir_codes(const KnowledgeBase& kb, std::vector<ValidationIssue>& issues) {
  for (const auto& f : kb.fhir_codes) {
    if (f.element == "clinicalStatus" && f.effect != FhirCodeEffect::kIgnore && f.meaning &&
        !parse_condition_status(*f.meaning)) {
      error(issues, f.loc, fmt::format("fhir_code '{}'.meaning", f.id),
            fmt::format("value \"{}\": expected active or resolved for a clinicalStatus that is "
                        "used",
                        *f.meaning));
    }
    // The medication reader knows two meanings: "ended" (a stop) and "planned" (not taken yet);
    // any other would be read as taken.
    if (f.resource.rfind("Medication", 0) == 0 && f.meaning && *f.meaning != "ended" &&
        *f.meaning != "planned") {
      error(
          issues, f.loc, fmt::format("fhir_code '{}'.meaning", f.id),
          fmt::format("value \"{}\": expected ended or planned for a medication code", *f.meaning));
    }
    if (f.meaning == std::optional<std::string>("planned") &&
        (f.resource == "MedicationAdministration" || f.effect == FhirCodeEffect::kIgnore)) {
      error(issues, f.loc, fmt::format("fhir_code '{}'.meaning", f.id),
            "value \"planned\": only a MedicationStatement, MedicationRequest or "
            "MedicationDispense code that is used can mean planned (an administration "
            "happened)");
    }
    if (f.element == "intent" && f.resource != "MedicationRequest") {
      error(issues, f.loc, fmt::format("fhir_code '{}'.element", f.id),
            "value \"intent\": only MedicationRequest.intent is read");
    }
    // The reader takes a Condition.severity code's meaning as the grade: it must be one.
    if (f.element == "severity" && f.effect != FhirCodeEffect::kIgnore &&
        (!f.meaning || !parse_severity_grade(*f.meaning))) {
      error(issues, f.loc, fmt::format("fhir_code '{}'.meaning", f.id),
            fmt::format("value {}: expected mild, moderate or severe for a severity code that is "
                        "used",
                        f.meaning ? "\"" + *f.meaning + "\"" : "missing"));
    }
  }
}

// A native result names its test by a lab's id, name or alias: one name, one lab, or the reader
// would file a result under whichever lab it indexed first.
void check_lab_names(const KnowledgeBase& kb, std::vector<ValidationIssue>& issues) {
  std::map<std::string, const Lab*> owner;
  for (const auto& l : kb.labs) {
    std::vector<std::string_view> names{l.id, l.name};
    names.insert(names.end(), l.aliases.begin(), l.aliases.end());
    for (auto name : names) {
      auto [it, inserted] = owner.emplace(common::name_key(name), &l);
      if (!inserted && it->second != &l) {
        error(issues, l.loc, fmt::format("lab '{}'.aliases", l.id),
              fmt::format("name \"{}\" also names lab '{}': expected each name to identify one lab",
                          name, it->second->id));
      }
    }
  }
}

// absolute = total x percentage / 100 holds only in these units: the percentage in %, the total
// in the absolute count's own unit (a count in cells/uL from a total in cells/uL).
void check_lab_derivations(const KnowledgeBase& kb, std::vector<ValidationIssue>& issues) {
  auto unit_of = [&](const std::string& id) -> std::optional<std::string> {
    for (const auto& l : kb.labs)
      if (l.id == id) return l.unit;
    return std::nullopt;
  };
  for (const auto& l : kb.labs) {
    if (!l.from_percentage) continue;
    const auto& d = *l.from_percentage;
    const std::string path = fmt::format("lab '{}'.from_percentage", l.id);
    if (auto u = unit_of(d.percentage); u != std::optional<std::string>("%")) {
      error(issues, l.loc, path + ".percentage",
            fmt::format("lab '{}' has unit {}: expected \"%\"", d.percentage, u.value_or("none")));
    }
    if (auto u = unit_of(d.total); !l.unit || u != l.unit) {
      error(issues, l.loc, path + ".total",
            fmt::format("lab '{}' has unit {}: expected {} (the unit of '{}')", d.total,
                        u.value_or("none"), l.unit.value_or("a unit"), l.id));
    }
  }
}

void check_integrity(const KnowledgeBase& kb, const std::vector<RefUse>& refs,
                     std::vector<ValidationIssue>& issues) {
  // Unique ids per kind, and the id sets used to resolve references.
  std::unordered_map<std::string_view, std::unordered_set<std::string>> ids;
  for (const auto& kind : kinds()) {
    auto& set = ids[kind.name];
    std::map<std::string, Location> first;
    for (const auto& [id, loc] : kind.locations(kb)) {
      auto [it, inserted] = first.emplace(id, loc);
      if (!inserted && kind.name != "unit_conversion") {
        error(issues, loc, std::string(kind.name) + ".id",
              fmt::format("duplicate {} id '{}': first defined at {}:{}", kind.name, id,
                          it->second.file, it->second.line));
      }
      set.insert(id);
    }
  }

  // Only a KB that can assess a patient (drugs, diseases and labs) must carry the whole engine
  // contract; a partial KB (a reviewer's single file, a test fixture) need not.
  for (const auto& [kind, id] : kEngineIds) {
    if (kb.drugs.empty() || kb.diseases.empty() || kb.labs.empty()) break;
    if (!ids[kind].count(std::string(id))) {
      issues.push_back({ValidationIssue::Severity::kError, "(engine)", 0, std::string(kind),
                        fmt::format("{} '{}' is read by the engine (src/kb/engine_ids.h) and must "
                                    "be defined",
                                    kind, id)});
    }
  }

  std::unordered_set<std::string> cited;
  for (const auto& r : refs) {
    if (r.kind == "source") cited.insert(r.id);
    const auto& known = ids[r.kind];
    if (!known.count(r.id)) {
      issues.push_back({ValidationIssue::Severity::kError, r.file, r.line, r.path,
                        fmt::format("value \"{}\": no {} with this id is defined{}", r.id, r.kind,
                                    suggestion(r.id, known))});
    }
  }
  for (const auto& s : kb.sources) {
    if (!cited.count(s.id)) {
      warning(issues, s.loc, "source.id",
              fmt::format("source '{}' is not cited by any fact", s.id));
    }
  }

  // The record reader maps these codes onto closed sets without looking at any text: each must
  // say which member it is.
  for (const auto& a : kb.answer_codes) {
    // An answer to `question` (an engine id) must carry `field`; no other answer may.
    auto typed_on = [&](const char* question, bool has, const char* field, const char* members) {
      const bool answers = a.question && *a.question == question;
      if (answers && !has) {
        error(issues, a.loc, fmt::format("answer_code '{}'.{}", a.id, field),
              fmt::format("missing: an answer to {} must say what it records ({})", question,
                          members));
      } else if (!answers && has) {
        error(issues, a.loc, fmt::format("answer_code '{}'.{}", a.id, field),
              fmt::format("only answers to {} carry a {}", question, field));
      }
    };
    typed_on("smoking-status", a.smoking_status.has_value(), "smoking_status",
             "current, former, never, smoker or unknown");
    typed_on("pregnancy-status", a.pregnancy_status.has_value(), "pregnancy_status",
             "pregnant, not-pregnant or unknown");
  }

  check_fhir_codes(kb, issues);

  // A cytokine's modelled JAK pair must be kinases its receptors actually use.
  for (const auto& c : kb.cytokines) {
    if (!c.pair) continue;
    for (const auto& k : c.pair->kinases) {
      bool used = std::any_of(c.receptor.begin(), c.receptor.end(), [&](const Receptor& r) {
        return std::find(r.jaks.begin(), r.jaks.end(), k) != r.jaks.end();
      });
      if (!used) {
        error(issues, c.loc, fmt::format("cytokine '{}'.pair", c.id),
              fmt::format("pair kinase '{}' is not among the JAKs of any of its receptors", k));
      }
    }
  }

  // Disease parents must not form a cycle.
  for (const auto& d : kb.diseases) {
    std::set<std::string> seen{d.id};
    const Disease* cur = &d;
    while (cur && cur->parent) {
      if (!seen.insert(*cur->parent).second) {
        error(issues, d.loc, fmt::format("disease '{}'.parent", d.id),
              fmt::format("parent chain returns to '{}': expected no cycle", *cur->parent));
        break;
      }
      cur = kb.find_disease(*cur->parent);
    }
  }

  // A qualitative pathway statement names a kinase, a JAK pair of two kinases, or a cytokine; a
  // target the engine cannot place would be silently ignored.
  for (const auto& d : kb.drugs) {
    for (const auto& e : d.pathway_effect) {
      auto kinase = [&](std::string_view k) {
        return std::any_of(kb.kinases.begin(), kb.kinases.end(),
                           [&](const Kinase& x) { return x.id == k; });
      };
      auto slash = e.target.find('/');
      bool ok = slash == std::string::npos
                    ? kinase(e.target) || kb.find_cytokine(e.target) != nullptr
                    : kinase(e.target.substr(0, slash)) && kinase(e.target.substr(slash + 1));
      // Cytokine ids may contain a slash (IL-17A/F, IFN-alpha/beta).
      if (!ok && kb.find_cytokine(e.target)) ok = true;
      if (!ok) {
        error(issues, d.loc, fmt::format("drug '{}'.pathway_effect", d.id),
              fmt::format("target '{}': expected a kinase id, a pair 'JAK1/JAK3' or a cytokine id",
                          e.target));
      }
    }
  }

  // A risk factor's values are what its match rule compares with the case: an id or status that
  // does not exist would silently never match.
  for (const auto& rf : kb.risk_factors) {
    if (!rf.match) continue;
    const std::string path = fmt::format("risk_factor '{}'.values", rf.id);
    for (const auto& v : rf.values) {
      std::string_view expected;
      switch (*rf.match) {
        case RiskFactorMatch::kCondition:
          if (!kb.find_disease(v)) expected = "a disease id";
          break;
        case RiskFactorMatch::kCulpritClass:
          if (!kb.find_biologic_class(v)) expected = "a biologic_class id";
          break;
        case RiskFactorMatch::kCulprit:
          if (!kb.find_biologic(v)) expected = "a biologic id";
          break;
        case RiskFactorMatch::kSmoking:
          if (!parse_smoking_status(v)) expected = "a smoking status";
          break;
        case RiskFactorMatch::kAgePerYear:
          expected = "no values (the estimate is per year of age)";
          break;
        case RiskFactorMatch::kSex:  // the record's closed set (case.h); checked by its tests
        case RiskFactorMatch::kFlag:
        case RiskFactorMatch::kComedication:
          break;
      }
      if (!expected.empty()) {
        error(issues, rf.loc, path, fmt::format("value \"{}\": expected {}", v, expected));
      }
    }
  }

  // A repeated dose frequency needs its dosing interval (formula "dosing-interval"): without one
  // the regimen would silently drop out of the PK model and of dose picking.
  for (const auto& d : kb.drugs) {
    auto needs_interval = [&](const std::string& frequency, const std::string& path) {
      if (frequency == "once" || frequency == "as-directed") return;  // not repeated
      if (!kb.dosing_interval_h(frequency)) {
        error(issues, d.loc, fmt::format("drug '{}'.{}", d.id, path),
              fmt::format("frequency '{}' has no dosing-interval formula_constant", frequency));
      }
    };
    for (std::size_t i = 0; i < d.dose.size(); ++i)
      needs_interval(d.dose[i].frequency, fmt::format("dose[{}].frequency", i));
    for (std::size_t i = 0; i < d.pk_equivalence.size(); ++i) {
      needs_interval(d.pk_equivalence[i].frequency, fmt::format("pk_equivalence[{}].frequency", i));
      needs_interval(d.pk_equivalence[i].modelled_frequency,
                     fmt::format("pk_equivalence[{}].modelled_frequency", i));
    }
  }

  check_engine_formulas(kb, issues);
  check_unit_conversions(kb, issues);
  check_lab_names(kb, issues);
  check_lab_derivations(kb, issues);
  for (const auto& d : kb.drugs) {
    check_drug(d, issues);
    check_threshold_units(kb, d, issues);
  }
}

}  // namespace paraderm::kb::detail
