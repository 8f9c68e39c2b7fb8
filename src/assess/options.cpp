// Options: every JAK/TYK2 agent in the KB and the non-JAK strategies, each with a verdict, the
// dose after every adjustment, coverage of both diseases, label status, evidence and reasons.
// Every rule reads a KB entry and cites it. Rules: docs/assessment.md; codes: docs/reason-codes.md.
#include <cmath>
#include <map>
#include <set>

#include "assess/internal.h"
#include "common/text.h"
#include "paraderm/rule_matrix.h"
#include "paraderm/units.h"

namespace paraderm::assess::detail {
namespace {

using Role = kb::DoseRole;

using clinical::Case;

Approval approval(kb::IndicationStatus s) {
  switch (s) {
    case kb::IndicationStatus::kApproved:
      return Approval::kApproved;
    case kb::IndicationStatus::kFiled:
      return Approval::kFiled;
    case kb::IndicationStatus::kInvestigational:
      return Approval::kInvestigational;
    case kb::IndicationStatus::kNotApproved:
      return Approval::kNotApproved;
  }
  return Approval::kNotListed;
}

// "45 kg", or "45 kg on 2026-11-10" for a measured weight: a child's weight band read from an old
// measurement is then visible where it decides the dose.
std::string weight_text(const clinical::Patient& p) {
  if (!p.weight_kg) return {};
  return format_text(FMT_COMPILE("{:g} kg{}"), G{text::round_significant(*p.weight_kg)},
                     p.weight_date ? " on " + clinical::to_string(*p.weight_date) : std::string());
}

struct Ctx {
  const kb::KnowledgeBase& kb;
  const Case& c;
  const PrAssessment& pr;
  std::optional<double> age;
  std::optional<double> egfr;
  // The latest eGFR when it is a bound ("> 60"): the renal bands it settles are decided from it.
  const clinical::LabResult* egfr_bound = nullptr;
  std::vector<std::string> egfr_sources;
  // The latest eGFR when it cannot be used (a child's adult-equation eGFR, a unit that does not
  // convert): what to record says why.
  const clinical::LabResult* egfr_unusable = nullptr;
  // How a computed eGFR was computed ("bedside Schwartz: creatinine 1.2 mg/dL of ..., height
  // ..."), shown beside it as Cockcroft–Gault's inputs are; empty for a recorded eGFR.
  std::string egfr_inputs;
  std::string egfr_label() const {
    return format_text(FMT_COMPILE("eGFR {:.0f}{}"), *egfr,
                       egfr_inputs.empty() ? std::string() : " (" + egfr_inputs + ")");
  }
  bool dialysis = false;
  std::optional<std::string> child_pugh;
  std::vector<const clinical::Medication*> active_meds;
  // Patient facts every drug's rules read, computed once per assessment.
  bool smoker = false, cv = false, cancer = false, vte = false;
  bool active_tb = false, tb_diagnosis = false, latent_tb = false, latent_tb_treated = false;
  bool hbv = false, hcv = false, zoster = false, cirrhosis = false;
  // A recorded diverticulitis (any status: the labels name a history of it), for the
  // GI-perforation warnings; the first such condition, to be named.
  const clinical::Condition* diverticulitis = nullptr;
  std::string diverticulitis_label() const {
    return format_text(FMT_COMPILE("{} recorded ({})"), diverticulitis->label,
                       diverticulitis->pointer);
  }
  std::optional<double> adult_min_age;    // KB age-group constant
  std::optional<double> normal_min_egfr;  // KB kidney-function constant
  std::string child_pugh_range;           // e.g. "A-B" when ascites/encephalopathy are unknown
  kb::Region region = kb::Region::kUs;    // the case's region, typed once
  std::vector<std::string> child_pugh_sources;  // the score bands the class was computed from
  std::vector<std::string_view> flagged_interaction_classes;  // KB ids the case flags name

  // Below the KB's adult age. Unknown age or no KB constant: not known to be a child.
  bool is_child() const { return age && adult_min_age && *age < *adult_min_age; }
  std::optional<double> interval_h(const std::string& frequency) const {
    return kb.dosing_interval_h(frequency);  // one reader of the KB's dosing-interval constants
  }
  // The diseases options are chosen for (a reaction's two, or the active ones), the severity
  // the topical and strategy rules read, and the biologic a JAK inhibitor would replace.
  std::vector<std::string> targets;
  std::optional<kb::SeverityGrade> severity;
  std::string switch_from;
  // Cockcroft–Gault creatinine clearance (mL/min), for renal bands the label states as CrCl; what
  // it was computed from, or what is missing for it.
  std::optional<double> crcl;
  std::string crcl_inputs, crcl_missing;
};

// The KB disease carrying the immune signature for `id` (itself or its nearest ancestor).
std::optional<std::string> signature_disease(const kb::KnowledgeBase& kb, const std::string& id) {
  const kb::Disease* d = kb.find_disease(id);
  while (d && !d->signature && d->parent) d = kb.find_disease(*d->parent);
  if (!d || !d->signature) return std::nullopt;
  return d->id;
}

struct ChildPugh {
  std::optional<std::string> applied;  // the class the rules use
  std::string range;                   // "A-B" when unknown factors leave more than one class
};

// The Child-Pugh class: a recorded class flag, else from the five factors. With a liver disease
// recorded and bilirubin, albumin and INR known but ascites or encephalopathy not recorded, every
// class the unknown factors allow is reported and the worse one applied (fail safe).
ChildPugh child_pugh_class(const kb::KnowledgeBase& kb, const Case& c, bool liver_disease) {
  for (const char* k : {"A", "B", "C"}) {
    std::string flag = std::string("child-pugh-") + static_cast<char>(std::tolower(k[0]));
    if (c.has_flag(flag)) return {std::string(k), ""};
  }
  auto band_points = [&](const std::string& factor, double v) -> std::optional<double> {
    for (const auto& b : kb.score_bands) {
      if (b.score != kb::ScoreKind::kChildPugh || b.factor != factor || !b.points) continue;
      bool lo = !b.min || (b.min_inclusive.value_or(true) ? v >= *b.min : v > *b.min);
      bool hi = !b.max || (b.max_inclusive.value_or(true) ? v <= *b.max : v < *b.max);
      if (lo && hi && (b.min || b.max)) return b.points;
    }
    return std::nullopt;
  };
  // The points of a text factor: recorded, else [lowest, highest] of its bands.
  auto text_points =
      [&](const std::string& factor) -> std::pair<std::optional<double>, std::optional<double>> {
    std::optional<double> lo, hi;
    for (const auto& b : kb.score_bands) {
      if (b.score != kb::ScoreKind::kChildPugh || b.factor != factor || !b.text || !b.points)
        continue;
      if (c.has_flag(factor + ":" + *b.text)) return {b.points, b.points};
      lo = lo ? std::min(*lo, *b.points) : *b.points;
      hi = hi ? std::max(*hi, *b.points) : *b.points;
    }
    return {lo, hi};
  };
  auto class_of = [&](double total) -> std::optional<std::string> {
    for (const auto& b : kb.score_bands) {
      if (b.score == kb::ScoreKind::kChildPugh && b.factor == "total"sv && b.category && b.min &&
          b.max && total >= *b.min && total <= *b.max) {
        return b.category;
      }
    }
    return std::nullopt;
  };
  // On a disputed day the worse liver value: the class is never milder than one result says.
  const auto* bili = c.latest_worst("bilirubin", c.as_of, true);
  const auto* alb = c.latest_worst("albumin", c.as_of, false);
  const auto* inr = c.latest_worst("inr", c.as_of, true);
  if (!bili || !alb || !inr || !bili->value || !alb->value || !inr->value) return {};
  auto p1 = band_points("bilirubin", *bili->value), p2 = band_points("albumin", *alb->value),
       p3 = band_points("inr", *inr->value);
  auto [a_lo, a_hi] = text_points("ascites");
  auto [e_lo, e_hi] = text_points("encephalopathy");
  if (!p1 || !p2 || !p3 || !a_lo || !a_hi || !e_lo || !e_hi) return {};
  const bool factors_recorded = *a_lo == *a_hi && *e_lo == *e_hi;
  if (!factors_recorded && !liver_disease) return {};
  auto low = class_of(*p1 + *p2 + *p3 + *a_lo + *e_lo),
       high = class_of(*p1 + *p2 + *p3 + *a_hi + *e_hi);
  if (!low || !high) return {};
  if (*low == *high) return {high, ""};
  return {high, *low + "-" + *high};
}

class DrugEvaluation {
 public:
  DrugEvaluation(const Ctx& ctx, const kb::Drug& d, PathwayCache& cache)
      : x_(ctx), d_(d), cache_(cache) {
    o_.kind = OptionKind::kDrug;
    o_.id = d.id;
    o_.name = d.name;
    o_.reasons.reserve(
        32);  // an option carries ~15-25 reasons; growing the vector cost ~4% of an assessment
  }

  Option run() {
    label();
    region_assumed();
    treated_disease();
    rule_matrix();
    if (!dosing_indication_) {
      block(
          Verdict::kAvoid,
          reason(
              ReasonCode::kNoLabelInRegion, Severity::kBlock,
              format_text(
                  FMT_COMPILE("{} has no approved indication with a dose in the KB for region {}."),
                  d_.name, x_.c.region),
              {}));
    }
    base_dose();
    topical();
    risk_groups();
    contraindications();
    gi_perforation();
    unread_conditions();
    reproductive();
    infections();
    labs();
    renal();
    hepatic();
    interactions();
    evidence();
    label_support();
    cap_dose();
    current_dose();
    coverage();
    finish();
    return std::move(o_);
  }

 private:
  void block(Verdict verdict, Reason r) {
    verdict_ = std::max(verdict_, verdict);
    o_.reasons.push_back(std::move(r));
  }
  void note(Reason r) { o_.reasons.push_back(std::move(r)); }
  bool here(kb::Region r) const { return kb::applies_to(r, x_.region); }
  // A rule stated for one indication applies only to a dose for that indication (or when no
  // dosing indication is known, so that no rule is dropped).
  bool for_dosing_indication(const std::optional<std::string>& rule_indication) const {
    return !rule_indication || !dosing_indication_ ||
           related(x_.kb, *rule_indication, *dosing_indication_);
  }

  // The label rows a "not approved (here, at this age)" statement is read from: the region's
  // approved indications of the drug.
  std::vector<std::string> indication_sources() const {
    std::vector<std::string> src;
    for (const auto& ind : d_.indication) {
      if (here(ind.region) && ind.status == kb::IndicationStatus::kApproved)
        add_sources(src, ind.prov.src);
    }
    return src;
  }
  // The diseases the region's approved indication rows name, once each. The KB holds the label
  // indications its sources give, not always every one (an EU label may list Crohn disease while
  // the KB holds only the skin indications): an off-label statement says what it holds.
  std::vector<std::string> held_indications() const {
    std::vector<std::string> held;
    for (const auto& ind : d_.indication) {
      if (here(ind.region) && ind.status == kb::IndicationStatus::kApproved &&
          std::find(held.begin(), held.end(), ind.disease) == held.end()) {
        held.push_back(ind.disease);
      }
    }
    return held;
  }
  // The region's dose rows for the dosing indication (what "no child's dose" is read from).
  std::vector<std::string> dose_sources() const {
    std::vector<std::string> src;
    for (const auto& dose : d_.dose) {
      if (here(dose.region) && dosing_indication_ &&
          related(x_.kb, dose.indication, *dosing_indication_)) {
        add_sources(src, dose.prov.src);
      }
    }
    return src;
  }

  void label() {
    const std::vector<std::string>& diseases = x_.targets;
    for (const auto& dis : diseases) {
      LabelStatus ls{dis, Approval::kNotListed, std::nullopt, {}};
      // The strongest status of the region's rows for the disease (IndicationStatus is ordered).
      std::optional<kb::IndicationStatus> best;
      for (const auto& ind : d_.indication) {
        if (!here(ind.region) || !related(x_.kb, ind.disease, dis)) continue;
        if (!best || ind.status < *best) {
          best = ind.status;
          ls.min_age_years = ind.min_age_years;
          ls.sources = ind.prov.src;
        }
      }
      if (best) ls.status = approval(*best);
      if (ls.status == Approval::kApproved && ls.min_age_years && x_.age &&
          *x_.age < *ls.min_age_years) {
        ls.status = Approval::kAgeRestricted;
      }
      if (ls.status == Approval::kApproved) {
        ++approved_;
        note(reason(ReasonCode::kLabelApproved, Severity::kInfo,
                    format_text(FMT_COMPILE("Approved for {} ({}){}."), dis, x_.c.region,
                                ls.min_age_years ? format_text(FMT_COMPILE(" from age {:g}"),
                                                               G{*ls.min_age_years})
                                                 : ""),
                    ls.sources));
        if (!dosing_indication_) dosing_indication_ = dis;
      } else if (ls.status == Approval::kAgeRestricted) {
        note(reason(
            ReasonCode::kLabelAgeRestricted, Severity::kCaution,
            format_text(FMT_COMPILE("Approved for {} only from age {:g}; the patient is {:g}."),
                        dis, G{*ls.min_age_years}, G{*x_.age}),
            ls.sources));
      }
      o_.label.push_back(ls);
    }
    primary_not_approved();
    // The indication a dose is taken from: one of the two diseases, else (off-label use) the
    // first approved indication of the region that has a dose.
    auto has_dose = [&](const std::string& ind) {
      return std::any_of(d_.dose.begin(), d_.dose.end(), [&](const kb::Dose& dose) {
        return here(dose.region) && related(x_.kb, dose.indication, ind);
      });
    };
    if (dosing_indication_ && !has_dose(*dosing_indication_)) dosing_indication_.reset();
    for (const auto& dis : diseases) {
      if (!dosing_indication_ && approved_ > 0 && has_dose(dis)) {
        auto it = std::find_if(o_.label.begin(), o_.label.end(),
                               [&](const LabelStatus& l) { return l.disease == dis; });
        if (it != o_.label.end() && it->status == Approval::kApproved) dosing_indication_ = dis;
      }
    }
    // Approved for one of the diseases, but the KB holds no label dose for it (e.g. a new
    // indication whose posology was not seen): the dose of another approved indication is shown
    // as borrowed, never as this indication's label dose.
    std::optional<std::string> approved_without_dose;
    if (!dosing_indication_ && approved_ > 0) {
      for (const auto& ls : o_.label) {
        if (ls.status == Approval::kApproved) {
          approved_without_dose = ls.disease;
          break;
        }
      }
    }
    bool age_blocked_everywhere = true, any_approved_here = false;
    for (const auto& ind : d_.indication) {
      if (!here(ind.region) || ind.status != kb::IndicationStatus::kApproved) continue;
      any_approved_here = true;
      if (!ind.min_age_years || !x_.age || *x_.age >= *ind.min_age_years)
        age_blocked_everywhere = false;
      if (!dosing_indication_ && (approved_ == 0 || approved_without_dose) &&
          has_dose(ind.disease)) {
        dosing_indication_ = ind.disease;
        if (approved_ == 0) {
          off_label_ = true;
        } else {
          dose_borrowed_for_ = approved_without_dose;
        }
      }
    }
    if (any_approved_here && age_blocked_everywhere) {
      block(Verdict::kAvoid,
            reason(ReasonCode::kAgeBelowLabelMin, Severity::kBlock,
                   format_text(FMT_COMPILE("No {} indication of {} covers age {:g}."), x_.c.region,
                               d_.name, G{x_.age.value_or(0)}),
                   indication_sources()));
    }
    if (approved_ == 0 && any_approved_here) {
      // A disease approved only from an older age is off-label by age, not "not approved".
      std::vector<std::string> too_young;
      for (const auto& ls : o_.label) {
        if (ls.status == Approval::kAgeRestricted) too_young.push_back(ls.disease);
      }
      std::string why =
          too_young.empty()
              ? format_text(FMT_COMPILE("The KB holds no {} approval for {} ({} indications it "
                                        "holds: {}): off-label use unless the current label "
                                        "says otherwise."),
                            x_.c.region,
                            diseases.empty() ? std::string("these diseases") : join_or(diseases),
                            x_.c.region, fmt::join(held_indications(), ", "))
              : format_text(FMT_COMPILE("Use for {} at age {:g} is off-label (the {} label starts "
                                        "at an older age)."),
                            join_or(too_young), G{x_.age.value_or(0)}, x_.c.region);
      block(Verdict::kCaution,
            reason(ReasonCode::kOffLabel, Severity::kCaution, why, indication_sources()));
    }
  }

  // How a label dose row fits the patient. A row without an age band is an adult row (labels
  // state children's doses with their age band); a weight band is checked only when the row has
  // one, so an adult row without a weight limit applies without a recorded weight.
  enum class Fit { kFits, kWeightUnknown, kNo };

  // The youngest age a dose row without its own age band is for: the region's approved indication's
  // lower age (e.g. "adults and paediatric patients 12 years and older"), else adults.
  std::optional<double> implied_min_age(const kb::Dose& dose) const {
    for (const auto& ind : d_.indication) {
      if (here(ind.region) && ind.status == kb::IndicationStatus::kApproved && ind.min_age_years &&
          related(x_.kb, ind.disease, dose.indication)) {
        return ind.min_age_years;
      }
    }
    return x_.adult_min_age;
  }

  Fit dose_fit(const kb::Dose& dose) const {
    const bool child = x_.is_child();
    if (dose.min_age_years || dose.max_age_years) {
      // Age not recorded: only the label's adult row (its band starts at the adult age) is shown,
      // with AGE_NEEDED; never an elderly or a children's row.
      if (!x_.age)
        return dose.min_age_years && x_.adult_min_age && *dose.min_age_years == *x_.adult_min_age
                   ? Fit::kFits
                   : Fit::kNo;
      if (dose.min_age_years && *x_.age < *dose.min_age_years) return Fit::kNo;
      if (dose.max_age_years && *x_.age >= *dose.max_age_years + 1)
        return Fit::kNo;  // "12-17": to 17.99
    } else if (child) {
      auto from = implied_min_age(dose);
      if (!from || *x_.age < *from) return Fit::kNo;
    }
    if (dose.role == kb::DoseRole::kPaediatric && !child) return Fit::kNo;
    if (dose.min_weight_kg || dose.max_weight_kg) {
      if (!x_.c.patient.weight_kg) return Fit::kWeightUnknown;
      double w = *x_.c.patient.weight_kg;
      if (dose.min_weight_kg && w < *dose.min_weight_kg) return Fit::kNo;
      if (dose.max_weight_kg && w >= *dose.max_weight_kg) return Fit::kNo;
    }
    return Fit::kFits;
  }

  // The lowest label dose of `roles` for the dosing indication that fits (`want`).
  const kb::Dose* pick_dose(std::initializer_list<kb::DoseRole> roles,
                            Fit want = Fit::kFits) const {
    const kb::Dose* best = nullptr;
    for (const auto& dose : d_.dose) {
      if (!here(dose.region)) continue;
      if (std::find(roles.begin(), roles.end(), dose.role) == roles.end()) continue;
      if (!related(x_.kb, dose.indication, *dosing_indication_)) continue;
      if (!x_.interval_h(dose.frequency))
        continue;  // once / as-directed: not a maintenance regimen
      if (dose_fit(dose) != want) continue;
      if (!best || dose.amount < best->amount) best = &dose;
    }
    return best;
  }

  void set_dose(const kb::Dose& dose, const std::string& why) {
    Dose out;
    out.amount = dose.amount;
    out.unit = dose.unit;
    out.frequency = dose.frequency;
    out.formulation = dose.formulation;
    out.indication = dose.indication;
    out.adjustments.push_back(why);
    dose_ = out;
    dose_sources_ = dose.prov.src;
  }

  static std::string weight_band(const kb::Dose& d) {
    if (d.min_weight_kg && d.max_weight_kg)
      return format_text(FMT_COMPILE("{:g} to <{:g} kg"), G{*d.min_weight_kg}, G{*d.max_weight_kg});
    if (d.min_weight_kg) return format_text(FMT_COMPILE(">= {:g} kg"), G{*d.min_weight_kg});
    return format_text(FMT_COMPILE("< {:g} kg"), G{d.max_weight_kg.value_or(0)});
  }

  void base_dose() {
    if (!dosing_indication_) return;
    const bool child = x_.is_child();
    if (child && dose_borrowed_for_) {
      // A child's dose borrowed from another indication is not a label dose for this disease.
      block(Verdict::kAvoid,
            reason(ReasonCode::kNoPaediatricLabel, Severity::kBlock,
                   format_text(FMT_COMPILE("The KB holds no {} label dose of {} for {}: a dose "
                                           "borrowed from another indication is not proposed for "
                                           "a child (age {:g})."),
                               x_.c.region, d_.name, *dose_borrowed_for_, G{*x_.age}),
                   indication_sources()));
      return;
    }
    if (child && off_label_) {
      // Off-label paediatric dosing borrowed from another indication is not a label dose for
      // this child's disease.
      block(Verdict::kAvoid,
            reason(ReasonCode::kNoPaediatricLabel, Severity::kBlock,
                   format_text(
                       FMT_COMPILE("No {} label of {} for these diseases at age {:g}: off-label "
                                   "paediatric dosing is not proposed."),
                       x_.c.region, d_.name, G{*x_.age}),
                   indication_sources()));
      return;
    }
    const kb::Dose* dose = nullptr;
    if (child) {
      dose = pick_dose({Role::kPaediatric, Role::kStart, Role::kStandard});
    } else {
      // The age group's own row (e.g. "elderly: 15 mg") when it fits, else the start dose.
      dose = pick_dose({Role::kElderly});
      if (!dose) dose = pick_dose({Role::kStart, Role::kStandard});
    }
    if (!dose) {
      auto conditional =
          child ? pick_dose({Role::kPaediatric, Role::kStart, Role::kStandard}, Fit::kWeightUnknown)
                : pick_dose({Role::kStart, Role::kStandard}, Fit::kWeightUnknown);
      if (conditional) {
        set_dose(
            *conditional,
            format_text(FMT_COMPILE("conditional: only for a body weight {} (weight not recorded)"),
                        weight_band(*conditional)));
        block(Verdict::kCaution,
              reason(ReasonCode::kWeightNeeded, Severity::kWarning,
                     format_text(
                         FMT_COMPILE("Not assessed — record the body weight: the {} label dose "
                                     "{:g} {} {} is for a body weight {}."),
                         x_.c.region, G{conditional->amount}, conditional->unit,
                         conditional->frequency, weight_band(*conditional)),
                     conditional->prov.src));
        base_ = dose_;
        return;
      }
      if (child) {
        // A band the sources were searched for and not found (a KB rule_status) is said as such:
        // the label may have a dose the KB does not hold.
        std::vector<std::string> sources = dose_sources();
        std::string why = "the adult dose is not a fallback, so none is proposed.";
        for (const auto& rs : d_.rule_status) {
          if (!here(rs.region) || rs.status != kb::RuleKnowledge::kNotFound ||
              std::find(rs.category.begin(), rs.category.end(), kb::RuleCategory::kDose) ==
                  rs.category.end())
            continue;
          why = format_text(FMT_COMPILE("not found in the sources ({}); none is proposed, and the "
                                        "adult dose is not a fallback."),
                            rs.text);
          add_sources(sources, rs.prov.src);
        }
        const auto& weight = x_.c.patient.weight_kg;
        block(Verdict::kAvoid,
              reason(ReasonCode::kNoPaediatricLabel, Severity::kBlock,
                     format_text(FMT_COMPILE("The KB holds no {} label dose of {} for {} at age "
                                             "{:g}{}: {}"),
                                 x_.c.region, d_.name, *dosing_indication_, G{*x_.age},
                                 weight ? ", " + weight_text(x_.c.patient) : std::string(), why),
                     std::move(sources)));
        return;
      }
      block(Verdict::kAvoid,
            reason(ReasonCode::kDoseUnknown, Severity::kBlock,
                   format_text(
                       FMT_COMPILE("No {} label dose of {} for {} fits this patient (age, weight): "
                                   "the dose is unknown, so none is proposed."),
                       x_.c.region, d_.name, *dosing_indication_),
                   {}));
      return;
    }
    if (!x_.age) {
      block(Verdict::kCaution,
            reason(ReasonCode::kAgeNeeded, Severity::kWarning,
                   x_.c.patient.possible_ages
                       ? format_text(FMT_COMPILE("Not assessed — record the full birth date (age "
                                                 "{:g} or {:g}): the dose shown is the adult "
                                                 "dose; another age group's dose may differ or "
                                                 "not exist."),
                                     G{x_.c.patient.possible_ages->first},
                                     G{x_.c.patient.possible_ages->second})
                       : "Not assessed — record the birth date: the dose shown is the adult dose; "
                         "a child's dose may differ or not exist.",
                   {}));
    }
    set_dose(*dose, format_text(FMT_COMPILE("{} dose for {} ({})"), kb::to_string(dose->role),
                                dose->indication, x_.c.region));
    if (dose_borrowed_for_) {
      borrowed_dose_reason(*dose);
      base_ = dose_;
      return;
    }
    note(reason(off_label_ ? ReasonCode::kDoseFromOtherIndication : ReasonCode::kDoseStart,
                off_label_ ? Severity::kCaution : Severity::kInfo,
                format_text(FMT_COMPILE("{} {:g} {} {}{}{}."),
                            off_label_ ? "Off-label: dose taken from the label for " +
                                             dose->indication + ":"
                                       : "Starting dose",
                            G{dose->amount}, dose->unit, dose->frequency,
                            dose->condition ? " (" + *dose->condition + ")" : "",
                            (dose->min_weight_kg || dose->max_weight_kg) && x_.c.patient.weight_kg
                                ? "; weight " + weight_text(x_.c.patient)
                                : std::string()),
                dose->prov.src));
    base_ = dose_;
  }

  // The dose shown for a disease the drug is approved for but whose label dose the KB does not
  // hold: taken from another approved indication, a caution, with what the KB says about the
  // missing posology (a "not found" dose row of the rule matrix) and its sources.
  void borrowed_dose_reason(const kb::Dose& dose) {
    std::string missing;
    std::vector<std::string> sources = dose.prov.src;
    for (const auto& rs : d_.rule_status) {
      if (!here(rs.region) || rs.status != kb::RuleKnowledge::kNotFound) continue;
      if (std::find(rs.category.begin(), rs.category.end(), kb::RuleCategory::kDose) ==
          rs.category.end()) {
        continue;
      }
      missing = " " + rs.text;
      add_sources(sources, rs.prov.src);
    }
    block(Verdict::kCaution,
          reason(ReasonCode::kDoseFromOtherIndication, Severity::kCaution,
                 format_text(FMT_COMPILE("Approved for {} ({}), but the KB holds no label dose "
                                         "for it: dose taken from the label for {}: {:g} {} {}{}."
                                         "{}"),
                             *dose_borrowed_for_, x_.c.region, dose.indication, G{dose.amount},
                             dose.unit, dose.frequency,
                             dose.condition ? " (" + *dose.condition + ")" : "", missing),
                 sources));
  }

  // Fail safe: a rule category the KB does not hold for this product and region (no rule row and
  // no cited "label silent"; docs/kb.md "Rule matrix") caps the option at caution when the
  // category can apply to this patient. It never lets the option through as preferred.
  void rule_matrix() {
    const kb::Region region = x_.region;
    const auto& p = x_.c.patient;
    auto check = [&](kb::RuleCategory category, std::string_view with, std::string_view why) {
      if (!kb::is_unknown(kb::rule_state(x_.kb, d_, region, category, with))) return;
      auto cell = kb::rule_cell(x_.kb, d_, region, category, with);
      std::string what = std::string(kb::to_string(category)) +
                         (with.empty() ? "" : " (" + std::string(with) + ")");
      block(
          Verdict::kCaution,
          reason(ReasonCode::kRuleUnknown, Severity::kWarning,
                 format_text(
                     FMT_COMPILE("{} rule of {} for {} unknown ({}){}{}: not assumed safe."), what,
                     d_.name, x_.c.region,
                     cell.state == kb::CellState::kNotFound ? "looked for in the sources, not found"
                                                            : "not in the KB",
                     why.empty() ? "" : "; ", why),
                 cell.sources));
    };
    if (kb::rule_state(x_.kb, d_, region, kb::RuleCategory::kDose) == kb::CellState::kNotAuthorised)
      return;
    for (auto category : {kb::RuleCategory::kDose, kb::RuleCategory::kLabStart,
                          kb::RuleCategory::kLabOnTreatment, kb::RuleCategory::kInfection,
                          kb::RuleCategory::kRiskGroup, kb::RuleCategory::kMonitoring}) {
      check(category, {}, "");
    }
    // Renal rules matter unless kidney function is recorded as normal (KB constant); hepatic rules
    // when a liver disease or a Child-Pugh class is recorded.
    const bool normal_bound = x_.egfr_bound && x_.normal_min_egfr &&
                              x_.egfr_bound->below(*x_.normal_min_egfr) == std::optional(false);
    if (x_.dialysis || !x_.normal_min_egfr ||
        (x_.egfr ? *x_.egfr < *x_.normal_min_egfr : !normal_bound)) {
      check(kb::RuleCategory::kRenal, {},
            x_.dialysis        ? "on dialysis"
            : x_.egfr          ? x_.egfr_label()
            : x_.egfr_bound    ? "eGFR " + x_.egfr_bound->value_text()
            : x_.egfr_unusable ? "eGFR not known (" + *x_.egfr_unusable->unusable + ")"
                               : "eGFR not recorded");
    }
    if (x_.diverticulitis) {
      check(kb::RuleCategory::kGiPerforation, {}, x_.diverticulitis_label());
    }
    if (x_.child_pugh || x_.cirrhosis) {
      check(kb::RuleCategory::kHepatic, {},
            x_.child_pugh ? "Child-Pugh " + *x_.child_pugh : "cirrhosis recorded");
    }
    if (p.sex != clinical::Sex::kMale && p.pregnant != std::optional<bool>(false)) {
      check(kb::RuleCategory::kPregnancy, {},
            p.pregnant ? "the patient is pregnant" : "pregnancy status not recorded");
    }
    if (p.sex != clinical::Sex::kMale && p.breastfeeding != std::optional<bool>(false)) {
      check(kb::RuleCategory::kLactation, {},
            p.breastfeeding ? "the patient is breastfeeding" : "breastfeeding status not recorded");
    }
    // The biologic switched from is stopped before the start (SWITCH_FROM_CULPRIT): not a
    // co-medication.
    const std::string& culprit = x_.switch_from;
    std::set<std::string> classes;
    for (const auto* m : x_.active_meds) {
      if (m->jak_drug == d_.id || (m->biologic && *m->biologic == culprit)) continue;
      classes.insert(m->classes.begin(), m->classes.end());
    }
    for (auto id : x_.flagged_interaction_classes) classes.emplace(id);
    for (const auto& cls : classes)
      check(kb::RuleCategory::kInteraction, cls, "the patient takes one");
  }

  void topical() {
    if (d_.route != kb::Route::kTopical) return;
    // A topical product acts where it is applied: a disease outside the skin (Crohn disease,
    // systemic or drug-induced lupus) is beyond its reach, whatever the severity.
    std::vector<std::string> beyond;
    for (const auto& dis : x_.targets) {
      const kb::Disease* d = x_.kb.find_disease(dis);
      if (d && d->category != kb::DiseaseCategory::kImmuneSkin) beyond.push_back(dis);
    }
    if (!beyond.empty()) {
      block(Verdict::kAvoid,
            reason(
                ReasonCode::kTopicalNotSuited, Severity::kBlock,
                format_text(FMT_COMPILE("Topical agent: it acts at the application site, and "
                                        "{} {}."),
                            fmt::join(beyond, ", "),
                            beyond.size() == 1 ? "is not a skin disease" : "are not skin diseases"),
                {}));
      return;
    }
    const auto& severity = x_.severity;
    if (severity == kb::SeverityGrade::kMild) {
      note(reason(ReasonCode::kTopicalSuited, Severity::kInfo,
                  "Topical agent: the reaction is recorded as mild (limited extent).", {}));
    } else if (!severity) {
      // Missing data is "not assessed", never a reason to avoid.
      block(Verdict::kCaution,
            reason(ReasonCode::kTopicalSeverityUnknown, Severity::kWarning,
                   "Not assessed — record the severity (extent) of the disease: a "
                   "topical JAK inhibitor suits only a mild, limited one.",
                   {}));
    } else {
      block(Verdict::kAvoid, reason(ReasonCode::kTopicalNotSuited, Severity::kBlock,
                                    "Topical agent: the reaction is recorded as " +
                                        std::string(kb::to_string(*severity)) +
                                        ", beyond what a topical JAK inhibitor treats.",
                                    {}));
    }
  }

  // EMA PRAC groups are EU measures; in the US the boxed warnings say the same risks.
  void risk_groups() {
    const auto& p = x_.c.patient;
    const bool smoker = x_.smoker, cv = x_.cv, cancer = x_.cancer, vte = x_.vte;
    // A record without a smoking status cannot say whether the smoker measures apply: "not
    // assessed", never read as a non-smoker (the dose shown would be the full one).
    const bool smoking_unknown = p.smoking.status == clinical::SmokingStatus::kUnknown;
    if (x_.region == kb::Region::kEu) {
      bool lower = false;
      std::vector<std::string> lower_src;
      std::vector<std::string> unchecked, unchecked_src;
      for (const auto& g : x_.kb.risk_groups) {
        if (std::find(g.applies_to.begin(), g.applies_to.end(), d_.id) == g.applies_to.end())
          continue;
        bool hit = false;
        ReasonCode code = ReasonCode::kPracAge65;
        std::string why;
        switch (g.match) {
          case kb::RiskGroupMatch::kAge:
            hit = x_.age && g.min_age_years && *x_.age >= *g.min_age_years;
            code = ReasonCode::kPracAge65;
            why = x_.age ? format_text(FMT_COMPILE("age {:g}"), G{*x_.age}) : "";
            break;
          case kb::RiskGroupMatch::kSmoking:
            hit = smoker;
            code = ReasonCode::kPracSmoker;
            why = p.smoking.status == clinical::SmokingStatus::kSmoker
                      ? "smoker (current or former not recorded)"
                      : std::string(to_string(p.smoking.status)) + " smoker";
            if (p.smoking.status != clinical::SmokingStatus::kCurrent)
              why += " (the label's 'long-time' is not defined: counted)";
            break;
          case kb::RiskGroupMatch::kCvRisk:
            hit = cv;
            code = ReasonCode::kPracCvRisk;
            why = "cardiovascular risk recorded";
            break;
          case kb::RiskGroupMatch::kCancer:
            hit = cancer;
            code = ReasonCode::kPracCancerRisk;
            why = "malignancy recorded";
            break;
          case kb::RiskGroupMatch::kVteRisk:
            hit = vte;
            code = ReasonCode::kPracVteRisk;
            why = "VTE risk factor recorded";
            break;
          case kb::RiskGroupMatch::kAnyOfVteCancerMace:
            hit = smoker || cv || cancer || vte;
            code = ReasonCode::kPracLowerDose;
            why = "in a VTE / malignancy / MACE risk group";
            break;
        }
        const bool names_smokers = g.match == kb::RiskGroupMatch::kSmoking ||
                                   g.match == kb::RiskGroupMatch::kAnyOfVteCancerMace;
        if (!hit && smoking_unknown && names_smokers) {
          unchecked.push_back(format_text(FMT_COMPILE("{} ({})"), g.name, g.criterion));
          add_sources(unchecked_src, g.prov.src);
        }
        if (!hit) continue;
        if (g.measure == kb::RiskGroupMeasure::kLowerDose) {
          lower = true;
          add_sources(lower_src, g.prov.src);
          continue;
        }
        block(Verdict::kCaution,
              reason(code, Severity::kWarning,
                     format_text(FMT_COMPILE("{} ({}): {} — use only if no suitable alternative."),
                                 g.name, why, g.criterion),
                     g.prov.src));
      }
      if (lower && dosing_indication_) {
        if (auto dose = pick_dose({Role::kHighRisk, Role::kElderly});
            dose && dose_ && dose->amount <= dose_->amount) {
          set_dose(*dose, format_text(FMT_COMPILE("{} dose ({})"), kb::to_string(dose->role),
                                      x_.c.region));
          add_sources(lower_src, dose->prov.src);
          note(reason(ReasonCode::kPracLowerDose, Severity::kCaution,
                      format_text(FMT_COMPILE("Risk group: lower dose {:g} {} {}."),
                                  G{dose->amount}, dose->unit, dose->frequency),
                      lower_src));
        } else {
          note(reason(
              ReasonCode::kPracLowerDose, Severity::kCaution,
              "Risk group: use the lowest effective dose (no specific lower dose in the KB).",
              lower_src));
        }
      }
      if (!unchecked.empty()) {
        std::string groups;
        for (const auto& g : unchecked) groups += (groups.empty() ? "" : "; ") + g;
        block(Verdict::kCaution,
              reason(ReasonCode::kSmokingUnknown, Severity::kWarning,
                     format_text(FMT_COMPILE("Not assessed — record the smoking status: the eu "
                                             "measures for smokers would apply: {}."),
                                 groups),
                     std::move(unchecked_src)));
      }
    } else {
      std::vector<std::string> present;
      if (smoker) present.emplace_back("smoking");
      if (cv) present.emplace_back("cardiovascular risk");
      if (cancer) present.emplace_back("malignancy");
      if (vte) present.emplace_back("VTE risk");
      if (present.empty() && !smoking_unknown) return;
      std::vector<std::string> src;
      for (const auto& w : d_.warning) {
        if (w.kind == kb::WarningKind::kBoxed && here(w.region) &&
            is_one_of(w.topic, {kb::WarningTopic::kMace, kb::WarningTopic::kMalignancy,
                                kb::WarningTopic::kThrombosis})) {
          add_sources(src, w.prov.src);
        }
      }
      if (src.empty()) return;
      if (present.empty()) {
        block(Verdict::kCaution,
              reason(ReasonCode::kSmokingUnknown, Severity::kWarning,
                     "Not assessed — record the smoking status: the boxed warning (MACE, "
                     "malignancy, thrombosis) names current or past smokers at extra risk.",
                     std::move(src)));
        return;
      }
      std::string list;
      for (const auto& s : present) list += (list.empty() ? "" : ", ") + s;
      block(Verdict::kCaution,
            reason(ReasonCode::kUsBoxedWarning, Severity::kWarning,
                   "Boxed warning (MACE, malignancy, thrombosis) applies to this patient: " + list +
                       ".",
                   src));
    }
  }

  bool condition_present(kb::ContraCondition condition) const {
    const auto& p = x_.c.patient;
    switch (condition) {
      case kb::ContraCondition::kPregnancy:
        return p.pregnant == std::optional<bool>(true);
      case kb::ContraCondition::kBreastfeeding:
        return p.breastfeeding == std::optional<bool>(true);
      case kb::ContraCondition::kActiveTb:
        return x_.active_tb;
      case kb::ContraCondition::kActiveSeriousInfection:
        return x_.c.has_flag("active-serious-infection") || x_.active_tb;
      case kb::ContraCondition::kSevereHepaticImpairment:
        return x_.child_pugh == std::optional<std::string>("C");
      case kb::ContraCondition::kHypersensitivity:
        return x_.c.has_flag("hypersensitivity:" + d_.id);
    }
    return false;
  }

  void contraindications() {
    for (const auto& ci : d_.contraindication) {
      if (!here(ci.region) || !condition_present(ci.condition)) continue;
      block(Verdict::kContraindicated,
            reason(ReasonCode::kContraindication, Severity::kBlock,
                   format_text(FMT_COMPILE("Contraindicated ({}): {}."), x_.c.region,
                               ci.text.value_or("see label")),
                   ci.prov.src));
    }
    // A recorded allergy to the drug itself, where the KB holds no hypersensitivity rule for the
    // region (most US labels list none), is not assumed safe: it was silently ignored.
    const bool rule_held =
        std::any_of(d_.contraindication.begin(), d_.contraindication.end(), [&](const auto& ci) {
          return here(ci.region) && ci.condition == kb::ContraCondition::kHypersensitivity;
        });
    if (!rule_held && condition_present(kb::ContraCondition::kHypersensitivity)) {
      block(
          Verdict::kCaution,
          reason(ReasonCode::kDrugAllergyRecorded, Severity::kWarning,
                 format_text(FMT_COMPILE("An allergy or intolerance to {} is recorded, and the KB "
                                         "holds no {} label rule for hypersensitivity to it: "
                                         "not assumed safe — review the allergy before any "
                                         "use."),
                             d_.name, x_.c.region),
                 {}));
    }
  }

  // The label's caution on diverticular disease (GI perforation) when diverticulitis is recorded;
  // without such a rule for the product and region, rule_matrix() says it is unknown.
  void gi_perforation() {
    if (!x_.diverticulitis) return;
    for (const auto& w : d_.warning) {
      if (!here(w.region) || w.topic != kb::WarningTopic::kGiPerforation) continue;
      block(Verdict::kCaution,
            reason(ReasonCode::kGiPerforationRisk, Severity::kWarning,
                   format_text(FMT_COMPILE("{}: {}"), x_.diverticulitis_label(), w.text),
                   w.prov.src));
    }
  }

  // A paradoxical reaction's way out treats both diseases. A drug approved (here) for the
  // reaction's disease but not for the disease the culprit was given for would leave that one
  // off-label once the culprit is stopped: said, and capped like any off-label use.
  void primary_not_approved() {
    if (x_.pr.culprits.empty() || !x_.pr.primary_disease || approved_ == 0) return;
    const auto& primary = *x_.pr.primary_disease;
    auto it = std::find_if(o_.label.begin(), o_.label.end(),
                           [&](const LabelStatus& l) { return l.disease == primary; });
    if (it == o_.label.end() || it->status == Approval::kApproved ||
        it->status == Approval::kAgeRestricted)
      return;
    block(Verdict::kCaution,
          reason(ReasonCode::kOffLabelPrimary, Severity::kWarning,
                 format_text(FMT_COMPILE("The KB holds no {} approval of {} for {}, the disease {} "
                                         "was given for ({} indications it holds: {}): off-label "
                                         "for it unless the current label says otherwise."),
                             x_.c.region, d_.name, primary, x_.pr.culprits.front().biologic,
                             x_.c.region, fmt::join(held_indications(), ", ")),
                 indication_sources()));
  }

  // A paradoxical reaction whose culprit's disease is not in the record as the KB reads it: the
  // options are for the reaction's disease alone, so whether this drug is approved for and treats
  // the disease the patient is being treated for is unknown — capped, never read as "covered".
  void treated_disease() {
    if (x_.pr.culprits.empty() || x_.pr.primary_disease) return;
    const auto& culprit = x_.pr.culprits.front();
    const kb::Biologic* bio = x_.kb.find_biologic(culprit.biologic);
    block(Verdict::kCaution,
          reason(ReasonCode::kTreatedDiseaseUnknown, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed — no recorded condition the KB reads is "
                                         "among {}'s indications: whether {} is approved for and "
                                         "treats the disease {} was given for is unknown; record "
                                         "that disease with a code the KB holds."),
                             culprit.biologic, d_.name, culprit.biologic),
                 bio ? bio->prov.src : std::vector<std::string>{}));
  }

  // The label region was assumed (case.h region_assumed): the rules of the patient's own region
  // were not checked — the EMA PRAC groups, say, are not in the US label — so no option passes
  // as if they had been.
  void region_assumed() {
    if (!x_.c.region_assumed) return;
    block(Verdict::kCaution,
          reason(ReasonCode::kRegionAssumed, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed for the patient's own label region — "
                                         "neither given (--region) nor named by the record's "
                                         "address: {} assessed against the {} label only; the "
                                         "other region's rules (e.g. the EMA PRAC risk groups) "
                                         "were not checked. Give the region."),
                             d_.name, x_.c.region),
                 {}));
  }

  // A condition the KB cannot read (a code system it does not hold, a code outside its lists, or
  // text alone) may be one of this drug's contraindications or warnings — a malignancy coded in
  // SNOMED CT below the KB's concept, a German ICD-10-GM thrombosis —, so it is "not assessed",
  // never read as absent (as INTERACTION_UNKNOWN for medications).
  void unread_conditions() {
    constexpr std::size_t kNamed = 5;
    std::string who;
    std::size_t count = 0;
    for (const auto& cond : x_.c.unrecognised_conditions) {
      if (cond.onset && *cond.onset > x_.c.as_of) continue;
      if (++count > kNamed) continue;
      who += format_text(FMT_COMPILE("{}{} ({})"), who.empty() ? "" : ", ",
                         common::excerpt(cond.label), cond.pointer);
    }
    if (count == 0) return;
    if (count > kNamed) who += format_text(FMT_COMPILE(" and {} more"), count - kNamed);
    // The rules it should have been checked against: the region's contraindications and
    // warnings, else its label (indication rows).
    std::vector<std::string> sources;
    for (const auto& ci : d_.contraindication) {
      if (here(ci.region)) add_sources(sources, ci.prov.src);
    }
    for (const auto& w : d_.warning) {
      if (here(w.region)) add_sources(sources, w.prov.src);
    }
    if (sources.empty()) sources = indication_sources();
    if (sources.empty()) return;  // no label in the region: NO_LABEL_IN_REGION says so
    block(Verdict::kCaution,
          reason(ReasonCode::kConditionUnknown, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed — {} the KB does not know: {}; check {} "
                                         "against the {} contraindications and warnings of {}, or "
                                         "record {} with a SNOMED CT, ICD-10-CM or WHO ICD-10 "
                                         "code the KB holds."),
                             count == 1 ? "a condition" : "conditions", who,
                             count == 1 ? "it" : "them", x_.c.region, d_.name,
                             count == 1 ? "it" : "them"),
                 std::move(sources)));
  }

  // The pregnancy and lactation rules: applied when the patient is pregnant (breastfeeding);
  // when that is not recorded and not ruled out (a male patient), every rule the region has caps
  // the option at caution as "not assessed" — the rule cannot be checked, so it is not assumed
  // not to apply (fail safe, as RENAL_UNKNOWN).
  void reproductive() {
    const auto& p = x_.c.patient;
    struct Unchecked {
      std::vector<std::string> what, sources;
      bool contraindicated = false;  // a rule already says so (a contraindication row restates it)
    };
    Unchecked pregnancy_unchecked, lactation_unchecked;
    auto unchecked_for = [&](bool pregnancy) -> Unchecked* {
      const auto& status = pregnancy ? p.pregnant : p.breastfeeding;
      if (status || p.sex == clinical::Sex::kMale) return nullptr;
      return pregnancy ? &pregnancy_unchecked : &lactation_unchecked;
    };
    for (const auto& r : d_.reproductive) {
      if (!here(r.region)) continue;
      const bool pregnancy = is_one_of(r.topic, {kb::ReproductiveTopic::kPregnancy});
      const bool lactation = is_one_of(r.topic, {kb::ReproductiveTopic::kLactation});
      for (bool topic_pregnancy : {true, false}) {
        if (!(topic_pregnancy ? pregnancy : lactation)) continue;
        if (Unchecked* u = unchecked_for(topic_pregnancy)) {
          std::string w = format_text(FMT_COMPILE("{} ({})"), kb::to_string(r.action), r.text);
          if (std::find(u->what.begin(), u->what.end(), w) == u->what.end()) u->what.push_back(w);
          u->contraindicated |= r.action == kb::ReproductiveAction::kContraindicated;
          add_sources(u->sources, r.prov.src);
        }
      }
      bool hit = (pregnancy && p.pregnant == std::optional<bool>(true)) ||
                 (lactation && p.breastfeeding == std::optional<bool>(true));
      if (!hit) continue;
      ReasonCode code = pregnancy ? ReasonCode::kPregnancy : ReasonCode::kLactation;
      switch (r.action) {
        case kb::ReproductiveAction::kContraindicated:
          block(Verdict::kContraindicated, reason(code, Severity::kBlock, r.text, r.prov.src));
          break;
        case kb::ReproductiveAction::kAvoid:
          block(Verdict::kAvoid, reason(code, Severity::kBlock, r.text, r.prov.src));
          break;
        case kb::ReproductiveAction::kCaution:
        case kb::ReproductiveAction::kRegistry:
        case kb::ReproductiveAction::kNoData:
          // No human data is not reassurance: it is weighed like a caution.
          block(Verdict::kCaution, reason(code, Severity::kWarning, r.text, r.prov.src));
          break;
      }
    }
    for (const auto& ci : d_.contraindication) {
      if (!here(ci.region)) continue;
      const bool pregnancy = ci.condition == kb::ContraCondition::kPregnancy;
      if (!pregnancy && ci.condition != kb::ContraCondition::kBreastfeeding) continue;
      if (Unchecked* u = unchecked_for(pregnancy)) {
        // A contraindication row usually restates the reproductive row: said once.
        if (!u->contraindicated) {
          u->what.push_back(format_text(FMT_COMPILE("contraindicated ({})"),
                                        ci.text.value_or("listed contraindication")));
          u->contraindicated = true;
        }
        add_sources(u->sources, ci.prov.src);
      }
    }
    auto cap = [&](Unchecked& u, ReasonCode code, const char* status) {
      if (u.what.empty()) return;
      std::string says;
      for (const auto& w : u.what) says += (says.empty() ? "" : "; ") + w;
      block(Verdict::kCaution,
            reason(code, Severity::kWarning,
                   format_text(FMT_COMPILE("Not assessed — record the {} status: the {} label "
                                           "says {}."),
                               status, x_.c.region, says),
                   std::move(u.sources)));
    };
    cap(pregnancy_unchecked, ReasonCode::kPregnancyUnknown, "pregnancy");
    cap(lactation_unchecked, ReasonCode::kLactationUnknown, "breastfeeding");
  }

  // The drug's screening text for `item` (the label's words), or a generic sentence.
  std::string screening_text(kb::ScreeningKind item) const {
    for (const auto& s : d_.screening) {
      if (s.item == item && !s.text.empty()) return s.text;
    }
    return "screen before starting.";
  }

  std::vector<std::string> screening_sources(kb::ScreeningKind item) const {
    std::vector<std::string> src;
    for (const auto& s : d_.screening) {
      if (s.item == item) add_sources(src, s.prov.src);
    }
    return src;
  }

  // Whether a viral nucleic-acid result shows the virus: a qualitative answer, or a measured load
  // (any load above zero is virus detected: a viral load of 250 000 IU/mL was not read as active
  // hepatitis C). Nullopt when it says neither (a bound below the assay's limit, an unread answer).
  static std::optional<bool> virus_detected(const clinical::LabResult* r) {
    if (!r) return std::nullopt;
    if (r->text == std::optional<std::string>("positive")) return true;
    if (r->text == std::optional<std::string>("negative")) return false;
    if (r->value) return *r->value > 0;
    return std::nullopt;
  }

  // The latest result, or on a disputed day (results that disagree, no time to order them) the
  // first of that day's results, for which `pred` holds: a positive IGRA listed before a negative
  // one of the same day is still a positive test (fail safe). nullptr when none.
  template <class Pred>
  const clinical::LabResult* latest_day_with(const char* lab, Pred pred) const {
    const auto* l = x_.c.latest(lab, x_.c.as_of);
    if (!l) return nullptr;
    for (const auto* r : x_.c.day_as_read(*l)) {
      if (pred(*r)) return r;
    }
    return nullptr;
  }
  static bool is_positive(const clinical::LabResult& r) {
    return r.text == std::optional<std::string>("positive");
  }

  // The latest result of a test an infection rule reads (IGRA, TST, HBsAg, HCV RNA) that cannot
  // be read ("Nonreactive" spelled another way, a local code, a unit that cannot be converted):
  // positive or not is unknown, so the rule is "not assessed", never read as negative.
  void unread_screening() {
    std::vector<std::string> sources;
    std::string unread;
    for (auto [lab, kind] :
         {std::pair{"igra", kb::ScreeningKind::kTb}, std::pair{"tst", kb::ScreeningKind::kTb},
          std::pair{"hbsag", kb::ScreeningKind::kHbv},
          std::pair{"hcv-rna", kb::ScreeningKind::kHcv}}) {
      const auto* l = x_.c.latest(lab, x_.c.as_of);
      if (!l) continue;
      std::string why;
      if (l->disputed) {
        if (latest_day_with(lab, is_positive)) continue;  // a positive test: its own rule
        std::string readings;
        for (const auto* r : x_.c.day_as_read(*l)) {
          readings += (readings.empty() ? "" : ", ") + (r->text                ? *r->text
                                                        : r->value || r->bound ? r->shown()
                                                                               : "not usable");
        }
        why = format_text(FMT_COMPILE("results of that day disagree ({}) and no time of day "
                                      "orders them"),
                          readings);
      } else if (l->unusable) {
        why = *l->unusable;
      } else if (!l->text && (l->value || l->bound) && kind != kb::ScreeningKind::kHcv) {
        // A measured IGRA (IU/mL) or TST (mm) without the lab's interpretation: the KB holds no
        // cut-off, so it is neither positive nor negative here (2.5 IU/mL read as "recorded").
        why = format_text(FMT_COMPILE("a measured {} without a positive/negative "
                                      "interpretation (the KB holds no cut-off for it)"),
                          l->shown());
      } else if (l->text == std::optional<std::string>("indeterminate")) {
        why = "indeterminate: not a negative result";
      } else {
        continue;
      }
      auto src = screening_sources(kind);
      if (src.empty()) continue;
      add_sources(sources, src);
      unread += format_text(FMT_COMPILE("{}{} on {} ({}): {}"), unread.empty() ? "" : "; ", lab,
                            clinical::to_string(l->date), l->pointer, why);
    }
    if (unread.empty()) return;
    block(Verdict::kCaution,
          reason(ReasonCode::kScreeningResultUnread, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed — the latest screening result cannot be "
                                         "read: {}. A positive one means do not start: check it, "
                                         "or record it with a KB answer code."),
                             unread),
                 std::move(sources)));
  }

  void infections() {
    auto tb = screening_sources(kb::ScreeningKind::kTb);
    if (!tb.empty()) {
      if (x_.active_tb) {
        block(Verdict::kAvoid, reason(ReasonCode::kActiveTb, Severity::kBlock,
                                      "Active tuberculosis: do not start.", tb));
      }
      const bool latent = x_.latent_tb, treated = x_.latent_tb_treated;
      if (latent && !treated) {
        block(Verdict::kAvoid,
              reason(ReasonCode::kLatentTbUntreated, Severity::kBlock,
                     "Latent tuberculosis not yet treated: treat before starting.", tb));
      } else if (latent) {
        note(reason(ReasonCode::kLatentTbTreated, Severity::kInfo,
                    "Latent tuberculosis under treatment: may start; monitor for TB.", tb));
      } else if ((latest_day_with("igra", is_positive) || latest_day_with("tst", is_positive)) &&
                 !x_.tb_diagnosis) {
        block(Verdict::kAvoid,
              reason(ReasonCode::kTbTestPositive, Severity::kBlock,
                     "Positive TB test: evaluate and treat latent TB before starting.", tb));
      }
    }
    auto hbv = screening_sources(kb::ScreeningKind::kHbv);
    if (!hbv.empty() && (x_.hbv || latest_day_with("hbsag", is_positive))) {
      block(Verdict::kAvoid, reason(ReasonCode::kActiveHbv, Severity::kBlock,
                                    "Active hepatitis B (or HBsAg positive): do not start.", hbv));
    } else if (const auto* core = latest_day_with("anti-hbc", is_positive); !hbv.empty() && core) {
      // The labels let a resolved infection start, with monitoring (baricitinib: HBV DNA): said,
      // not a cap; a positive core antibody was read and then ignored.
      note(reason(
          ReasonCode::kHbvCoreAntibodyPositive, Severity::kCaution,
          format_text(FMT_COMPILE("Anti-HBc positive ({}): evidence of a hepatitis B "
                                  "infection, past or current, with HBsAg not positive "
                                  "— the label's hepatitis B screening: {}"),
                      clinical::to_string(core->date), screening_text(kb::ScreeningKind::kHbv)),
          hbv));
    }
    auto hcv = screening_sources(kb::ScreeningKind::kHcv);
    const auto* rna = x_.c.latest("hcv-rna", x_.c.as_of);
    const bool rna_detected = latest_day_with("hcv-rna", [](const clinical::LabResult& r) {
      return virus_detected(&r) == std::optional(true);
    });
    if (!hcv.empty() && (x_.hcv || rna_detected)) {
      block(Verdict::kAvoid, reason(ReasonCode::kActiveHcv, Severity::kBlock,
                                    "Active hepatitis C: do not start.", hcv));
    } else if (const auto* ab = latest_day_with("hcv-ab", is_positive); !hcv.empty() && ab) {
      // Antibodies stay after a cleared infection; only an HCV RNA result after them says whether
      // the infection is active.
      if (!rna || rna->date < ab->date || !virus_detected(rna)) {
        block(Verdict::kCaution,
              reason(ReasonCode::kHcvAntibodyPositive, Severity::kWarning,
                     format_text(FMT_COMPILE("HCV antibody positive ({}) and no HCV RNA result "
                                             "since that says detected or not: active hepatitis "
                                             "C is not excluded "
                                             "(do not start in active hepatitis C) — check HCV "
                                             "RNA."),
                                 clinical::to_string(ab->date)),
                     hcv));
      }
    }
    unread_screening();
    std::vector<std::string> infection_src, zoster_src;
    for (const auto& w : d_.warning) {
      if (!here(w.region)) continue;
      if (is_one_of(w.topic, {kb::WarningTopic::kSeriousInfection}))
        add_sources(infection_src, w.prov.src);
      if (is_one_of(w.topic, {kb::WarningTopic::kHerpesZoster}))
        add_sources(zoster_src, w.prov.src);
    }
    if (!infection_src.empty() && x_.c.has_flag("active-serious-infection")) {
      block(
          Verdict::kAvoid,
          reason(ReasonCode::kActiveSeriousInfection, Severity::kBlock,
                 "Active serious infection: do not start until it is controlled.", infection_src));
    }
    if (zoster_src.empty()) zoster_src = screening_sources(kb::ScreeningKind::kZosterVaccine);
    if (!zoster_src.empty() && x_.zoster) {
      block(Verdict::kCaution,
            reason(ReasonCode::kHerpesZosterHistory, Severity::kWarning,
                   "History of herpes zoster: higher zoster risk on JAK inhibitors; "
                   "recombinant zoster vaccine before start.",
                   zoster_src));
    }
  }

  void labs() {
    // Per lab: the latest result when it cannot be compared (not usable, or a bound that does not
    // settle the threshold); nullptr when there is none at all.
    std::map<std::string, const clinical::LabResult*> missing;
    // The results that settled a threshold without crossing it, per lab: the basis of an option
    // that passes, shown with their dates (the labels state no recency for a baseline).
    std::map<std::string, const clinical::LabResult*> passed;
    std::vector<std::string> passed_src;
    for (const auto& t : d_.lab_threshold) {
      // A threshold stated for another context (e.g. COVID-19 treatment) is not this use's.
      if (!here(t.region) || t.action != kb::LabAction::kDoNotStart || t.context) continue;
      const auto* latest = x_.c.latest(t.analyte, x_.c.as_of);
      if (!latest || (!latest->value && !latest->bound && !latest->disputed)) {
        missing.emplace(t.analyte, latest);
        continue;
      }
      // A disputed day (results that disagree, no time to order them): any that crosses counts.
      const auto day = x_.c.day_as_read(*latest);
      bool fired = false, settled = true;
      for (const auto* lab : day) {
        if (!lab->value && !lab->bound) continue;
        // The KB integrity check guarantees every threshold converts to its lab's unit.
        auto below = t.below ? units::converted(x_.kb, t.analyte, *t.below, t.unit, lab->unit)
                             : std::nullopt;
        auto above = t.above ? units::converted(x_.kb, t.analyte, *t.above, t.unit, lab->unit)
                             : std::nullopt;
        // A bound ("< 0.3") counts only where it settles the comparison.
        const auto is_below = below ? lab->below(*below) : std::optional(false);
        const auto is_above = above ? lab->above(*above) : std::optional(false);
        const bool fires_below = is_below == std::optional(true);
        if (!fires_below && is_above != std::optional(true)) {
          if (!is_below || !is_above) settled = false;
          continue;
        }
        const double limit = fires_below ? *t.below : *t.above;
        // Said in the result's unit too: "380 cells/uL ... <0.5 10*9/L (= 500 cells/uL)".
        std::string in_result_unit;
        if (t.unit != lab->unit) {
          if (auto v = units::converted(x_.kb, t.analyte, limit, t.unit, lab->unit))
            in_result_unit =
                format_text(FMT_COMPILE(" (= {:g} {})"), G{text::round_significant(*v)}, lab->unit);
        }
        block(Verdict::kAvoid,
              reason(ReasonCode::kLabDoNotStart, Severity::kBlock,
                     format_text(
                         FMT_COMPILE("{} {} on {} is {} the do-not-start threshold {}{:g} {}{}{}."),
                         t.analyte, lab->shown(), clinical::to_string(lab->date),
                         fires_below ? "below" : "above", fires_below ? "<" : ">", G{limit}, t.unit,
                         in_result_unit,
                         day.size() > 1 ? format_text(FMT_COMPILE(" ({} {} results that day "
                                                                  "disagree: this one counts)"),
                                                      day.size(), t.analyte)
                                        : std::string()),
                     t.prov.src));
        fired = true;
        break;
      }
      if (!fired && (!settled || (!latest->value && !latest->bound))) {
        missing.emplace(t.analyte, latest);
      } else if (!fired) {
        passed.emplace(t.analyte, latest);
        add_sources(passed_src, t.prov.src);
      }
    }
    for (const auto& [m, _] : missing) passed.erase(m);  // another threshold of it was unsettled
    if (!passed.empty()) {
      std::string list;
      clinical::Date oldest = x_.c.as_of;
      for (const auto& [m, lab] : passed) {
        list += format_text(FMT_COMPILE("{}{} {} ({})"), list.empty() ? "" : ", ", m, lab->shown(),
                            clinical::to_string(lab->date));
        oldest = std::min(oldest, lab->date);
      }
      note(reason(ReasonCode::kLabChecked, Severity::kInfo,
                  format_text(FMT_COMPILE("Do-not-start thresholds checked, none crossed: {}; "
                                          "oldest {} days before the assessment date (the label "
                                          "sets no recency for a baseline: judge clinically)."),
                              list, (x_.c.as_of - oldest).count()),
                  std::move(passed_src)));
    }
    for (const auto& [m, latest] : missing) {
      std::vector<std::string> src;
      for (const auto& t : d_.lab_threshold) {
        if (t.analyte == m && t.action == kb::LabAction::kDoNotStart && here(t.region))
          add_sources(src, t.prov.src);
      }
      std::string what =
          !latest ? format_text(FMT_COMPILE("No {} result in the record"), m)
          : latest->bound && !latest->unusable
              ? format_text(FMT_COMPILE("The latest {} result, {} on {} ({}), is a bound that "
                                        "does not settle the threshold"),
                            m, latest->shown(), clinical::to_string(latest->date), latest->pointer)
              : format_text(FMT_COMPILE("The latest {} result, on {} ({}), is not usable{}"), m,
                            clinical::to_string(latest->date), latest->pointer,
                            latest->unusable ? ": " + *latest->unusable : std::string());
      note(reason(
          ReasonCode::kLabMissing, Severity::kInfo,
          format_text(FMT_COMPILE("{}: check it before starting (do-not-start threshold)."), what),
          src));
    }
  }

  void apply_dose_action(kb::RuleAction action, std::optional<double> amount,
                         const std::optional<std::string>& unit,
                         const std::optional<std::string>& frequency, const std::string& why) {
    if (!dose_) return;
    if (action == kb::RuleAction::kHalve) {
      // Label halvings reduce the label dose once; two reasons to halve do not quarter it.
      if (halved_) {
        dose_->adjustments.push_back("already halved: " + why);
        return;
      }
      halved_ = true;
      dose_->amount /= 2;
      dose_->adjustments.push_back("halved: " + why);
    } else if (action == kb::RuleAction::kDose && amount) {
      // A label adjustment never raises the dose above the one already chosen.
      if (*amount < dose_->amount || (frequency && *frequency != dose_->frequency)) {
        dose_->amount = *amount;
        if (unit) dose_->unit = *unit;
        if (frequency) dose_->frequency = *frequency;
      }
      dose_->adjustments.push_back(why);
    }
  }

  // The patient's kidney function on a rule's basis: eGFR (mL/min/1.73 m²) or Cockcroft–Gault
  // creatinine clearance (mL/min). The two scales are never compared with each other's bands.
  std::optional<double> kidney_value(kb::RenalBasis b) const {
    return b == kb::RenalBasis::kCrcl ? x_.crcl : x_.egfr;
  }
  static bool dialysis_rule(const kb::RenalRule& r) { return r.dialysis && *r.dialysis; }
  std::string kidney_label(kb::RenalBasis b) const {
    return b == kb::RenalBasis::kCrcl
               ? format_text(FMT_COMPILE("CrCl {:.0f} mL/min (Cockcroft–Gault{})"), *x_.crcl,
                             x_.crcl_inputs.empty() ? "" : ": " + x_.crcl_inputs)
           : x_.egfr ? x_.egfr_label()
                     : "eGFR " + x_.egfr_bound->value_text();
  }

  // Whether the patient's kidney function is in the rule's band: from the value on the rule's
  // basis, else from an eGFR bound that settles it ("> 60" is in ">= 60" and not in "30–<60", but
  // says nothing of "60–<90"); nullopt when unknown.
  std::optional<bool> in_band(const kb::RenalRule& r) const {
    if (auto v = kidney_value(r.basis))
      return (!r.egfr_min || *v >= *r.egfr_min) && (!r.egfr_max || *v < *r.egfr_max);
    if (r.basis != kb::RenalBasis::kEgfr || !x_.egfr_bound) return std::nullopt;
    std::optional<bool> from_min = true, to_max = true;
    if (r.egfr_min) {
      auto below_min = x_.egfr_bound->below(*r.egfr_min);
      from_min = below_min ? std::optional(!*below_min) : std::nullopt;
    }
    if (r.egfr_max) to_max = x_.egfr_bound->below(*r.egfr_max);
    if (from_min == std::optional(false) || to_max == std::optional(false)) return false;
    if (from_min && to_max) return true;
    return std::nullopt;
  }

  void renal() {
    bool unassessed = false;
    bool has_rules = std::any_of(d_.renal.begin(), d_.renal.end(),
                                 [&](const kb::RenalRule& r) { return here(r.region); });
    if (!has_rules) return;
    if (!x_.dialysis) {
      // The bases the rules for this dose are stated in that have no value for this patient.
      bool egfr_missing = false, crcl_missing = false;
      for (const auto& r : d_.renal) {
        if (!here(r.region) || !for_dosing_indication(r.indication) || dialysis_rule(r)) continue;
        if (in_band(r)) continue;
        (r.basis == kb::RenalBasis::kCrcl ? crcl_missing : egfr_missing) = true;
      }
      // Rules that cannot be checked cap the option; the ones that can (a bound that settles
      // them, a value on the other basis) still apply below.
      unassessed = egfr_missing || crcl_missing;
      if (unassessed) renal_not_assessed(egfr_missing, crcl_missing);
    }
    bool fired_any = false;
    for (const auto& r : d_.renal) {
      if (!here(r.region)) continue;
      if (!for_dosing_indication(r.indication)) continue;
      bool fires = false;
      if (r.dialysis) {
        fires = *r.dialysis && x_.dialysis;
      } else if (!x_.dialysis) {
        fires = in_band(r).value_or(false);
      }
      if (!fires) continue;
      fired_any = true;
      // "eGFR 25: <the rule's text>", "CrCl 24 mL/min (Cockcroft–Gault: ...): ..." or
      // "Dialysis: ...".
      const std::string stated = r.text ? *r.text : std::string(kb::to_string(r.action));
      const std::string text =
          x_.dialysis ? "Dialysis: " + stated : kidney_label(r.basis) + ": " + stated;
      switch (r.action) {
        case kb::RuleAction::kContraindicated:
          block(Verdict::kContraindicated,
                reason(ReasonCode::kRenalContraindicated, Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kAvoid:
        case kb::RuleAction::kNotRecommended:
          block(Verdict::kAvoid,
                reason(ReasonCode::kRenalAvoid, Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kNotStudied:
        case kb::RuleAction::kMonitor:
          block(Verdict::kCaution,
                reason(ReasonCode::kRenalNotStudied, Severity::kWarning, text, r.prov.src));
          break;
        case kb::RuleAction::kDose:
        case kb::RuleAction::kHalve:
          apply_dose_action(r.action, r.amount, r.unit, r.frequency, "renal: " + text);
          block(Verdict::kCaution,
                reason(ReasonCode::kRenalDose, Severity::kCaution, text, r.prov.src));
          add_sources(dose_sources_, r.prov.src);
          break;
        case kb::RuleAction::kNoChange:
          note(reason(ReasonCode::kRenalNoChange, Severity::kInfo, text, r.prov.src));
          break;
      }
    }
    if (!fired_any && !unassessed) renal_gap();
  }

  // No value on the basis the renal rules for this dose are stated in. A rule that changes or
  // stops the dose makes the dose shown depend on kidney function: unchecked, it caps the verdict
  // like a missing weight does (fail safe). Rules that all say "no change" leave nothing to check.
  void renal_not_assessed(bool egfr_missing, bool crcl_missing) {
    std::vector<std::string> sources;
    for (const auto& r : d_.renal) {
      if (!here(r.region) || r.action == kb::RuleAction::kNoChange) continue;
      if (!for_dosing_indication(r.indication) || dialysis_rule(r)) continue;
      if (in_band(r)) continue;
      // A renal dose equal to the dose shown changes nothing for this patient.
      if (r.action == kb::RuleAction::kDose && dose_ && r.amount && *r.amount == dose_->amount &&
          (!r.unit || *r.unit == dose_->unit) && (!r.frequency || *r.frequency == dose_->frequency))
        continue;
      add_sources(sources, r.prov.src);
    }
    // What to record: the eGFR, or for creatinine-clearance bands what Cockcroft–Gault needs.
    std::string record =
        x_.egfr_bound && egfr_missing
            ? format_text(FMT_COMPILE("the measured eGFR (the latest, eGFR {} on {}, is a bound "
                                      "that does not settle every band)"),
                          x_.egfr_bound->value_text(), clinical::to_string(x_.egfr_bound->date))
        : x_.egfr_unusable && egfr_missing
            ? x_.egfr_unusable->computed
                  ? format_text(FMT_COMPILE("the eGFR ({})"), *x_.egfr_unusable->unusable)
                  : format_text(FMT_COMPILE("the eGFR (the latest, of {}, is not usable: {})"),
                                clinical::to_string(x_.egfr_unusable->date),
                                *x_.egfr_unusable->unusable)
            : std::string("the eGFR");
    // A recorded or computed eGFR beside creatinine-clearance bands: said, never compared.
    const std::string other_scale =
        x_.egfr ? format_text(FMT_COMPILE("; eGFR {:.0f} is another scale and is not compared "
                                          "with them"),
                              *x_.egfr)
                : std::string();
    if (crcl_missing) {
      record = format_text(
          FMT_COMPILE("{}the creatinine, weight, age and sex (the {} label states these renal "
                      "bands as creatinine clearance, Cockcroft–Gault, mL/min{}{})"),
          egfr_missing ? "the eGFR, and " : "", x_.c.region, other_scale,
          x_.crcl_missing.empty() ? "" : "; missing: " + x_.crcl_missing);
    }
    // A child's creatinine clearance is not estimated (Cockcroft–Gault is an adult equation):
    // nothing to record makes these bands assessable, so the text says why instead.
    std::string lead = "record " + record;
    if (crcl_missing && x_.is_child() && x_.age) {
      lead = format_text(
          FMT_COMPILE("the {} label states these renal bands as creatinine clearance "
                      "(Cockcroft–Gault, mL/min), an adult equation not used at age {:.0f}{}{}"),
          x_.c.region, std::floor(*x_.age), other_scale, egfr_missing ? "; record the eGFR" : "");
    }
    if (sources.empty()) {
      for (const auto& r : d_.renal) {
        if (here(r.region)) add_sources(sources, r.prov.src);
      }
      note(reason(ReasonCode::kRenalUnknown, Severity::kInfo,
                  format_text(FMT_COMPILE("Kidney function not recorded as the renal rules state "
                                          "it: the rules (no dose change) cannot be checked; "
                                          "{}."),
                              lead),
                  std::move(sources)));
      return;
    }
    block(Verdict::kCaution,
          reason(ReasonCode::kRenalUnknown, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed — {}: {} has renal rules that "
                                         "change or stop the dose; the dose shown assumes they "
                                         "do not apply."),
                             lead, d_.name),
                 sources));
  }

  // "eGFR 15–<30 in atopic-dermatitis: dose" (or "CrCl 30–<60: dose"), as a rule states its band.
  static std::string renal_band(const kb::RenalRule& r) {
    const char* what = r.basis == kb::RenalBasis::kCrcl ? "CrCl" : "eGFR";
    std::string band = dialysis_rule(r)           ? std::string("dialysis")
                       : r.egfr_min && r.egfr_max ? format_text(FMT_COMPILE("{} {:g}–<{:g}"), what,
                                                                *r.egfr_min, *r.egfr_max)
                       : r.egfr_max ? format_text(FMT_COMPILE("{} <{:g}"), what, *r.egfr_max)
                       : r.egfr_min ? format_text(FMT_COMPILE("{} ≥{:g}"), what, *r.egfr_min)
                                    : std::string("any kidney function");
    return format_text(FMT_COMPILE("{}{}: {}"), band, r.indication ? " in " + *r.indication : "",
                       kb::to_string(r.action));
  }

  // Fail safe inside a category the KB holds: the region's renal rules speak of kidney function
  // as impaired as this patient's (an eGFR below the highest band limit they state, or dialysis),
  // yet none of those that apply to this dose covers the patient — a band stated only for another
  // indication, or no dialysis row. The label's answer is unknown here: it caps the verdict and is
  // never read as "no change".
  void renal_gap() {
    // Per basis: the highest band limit the region's rules state on it.
    std::optional<double> ceiling[2];
    std::vector<std::string> sources, stated;
    std::optional<kb::RenalBasis> below;  // a basis on which the patient is below its ceiling
    for (const auto& r : d_.renal) {
      if (!here(r.region)) continue;
      auto& c = ceiling[static_cast<int>(r.basis)];
      if (!dialysis_rule(r) && r.egfr_max) c = std::max(c.value_or(*r.egfr_max), *r.egfr_max);
      add_sources(sources, r.prov.src);
      stated.push_back(renal_band(r));
    }
    for (auto b : {kb::RenalBasis::kEgfr, kb::RenalBasis::kCrcl}) {
      auto v = kidney_value(b);
      const auto& c = ceiling[static_cast<int>(b)];
      const bool bound_below = b == kb::RenalBasis::kEgfr && !v && x_.egfr_bound && c &&
                               x_.egfr_bound->below(*c) == std::optional(true);
      if (((v && c && *v < *c) || bound_below) && !below) below = b;
    }
    const bool impaired = x_.dialysis || below.has_value();
    if (!impaired) return;
    std::string list;
    for (const auto& s : stated) list += (list.empty() ? "" : "; ") + s;
    block(Verdict::kCaution,
          reason(
              ReasonCode::kRenalUnknown, Severity::kWarning,
              format_text(FMT_COMPILE("{}: none of the {} renal rules of {} in the KB covers "
                                      "it{} (they state: {}): not assessed — check the label's "
                                      "renal dosing."),
                          x_.dialysis ? std::string("Dialysis") : kidney_label(*below), x_.c.region,
                          d_.name, dosing_indication_ ? " for " + *dosing_indication_ : "", list),
              std::move(sources)));
  }

  void hepatic() {
    if (!x_.child_pugh) {
      // The rules that could not be checked are cited; a region without any is the rule matrix's
      // (RULE_UNKNOWN, or nothing when the label is cited as silent).
      std::vector<std::string> sources;
      for (const auto& r : d_.hepatic) {
        if (here(r.region)) add_sources(sources, r.prov.src);
      }
      if (x_.cirrhosis && !sources.empty()) {
        block(Verdict::kCaution, reason(ReasonCode::kHepaticUnknown, Severity::kCaution,
                                        "Cirrhosis recorded but the Child-Pugh class is unknown: "
                                        "hepatic rules not checked.",
                                        std::move(sources)));
      }
      return;
    }
    bool matched = false;
    for (const auto& r : d_.hepatic) {
      if (!here(r.region) || r.child_pugh != *x_.child_pugh) continue;
      matched = true;
      std::string text = format_text(FMT_COMPILE("Child-Pugh {}: {}"), r.child_pugh,
                                     r.text ? *r.text : std::string(kb::to_string(r.action)));
      if (!x_.child_pugh_range.empty()) {
        note(reason(
            ReasonCode::kChildPughRange, Severity::kWarning,
            format_text(
                FMT_COMPILE(
                    "Child-Pugh {} from bilirubin, albumin and INR (ascites or encephalopathy "
                    "not recorded): the worse class {} is applied — record them."),
                x_.child_pugh_range, *x_.child_pugh),
            x_.child_pugh_sources));
      }
      switch (r.action) {
        case kb::RuleAction::kContraindicated:
          block(Verdict::kContraindicated,
                reason(ReasonCode::kHepaticContraindicated, Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kAvoid:
        case kb::RuleAction::kNotRecommended:
          block(Verdict::kAvoid,
                reason(ReasonCode::kHepaticAvoid, Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kNotStudied:
        case kb::RuleAction::kMonitor:
          block(Verdict::kCaution,
                reason(ReasonCode::kHepaticNotStudied, Severity::kWarning, text, r.prov.src));
          break;
        case kb::RuleAction::kDose:
        case kb::RuleAction::kHalve:
          apply_dose_action(r.action, r.amount, r.unit, r.frequency, "hepatic: " + text);
          block(Verdict::kCaution,
                reason(ReasonCode::kHepaticDose, Severity::kCaution, text, r.prov.src));
          break;
        case kb::RuleAction::kNoChange:
          note(reason(ReasonCode::kHepaticNoChange, Severity::kInfo, text, r.prov.src));
          break;
      }
    }
    if (!matched) hepatic_gap();
  }

  // Fail safe inside a category the KB holds, as renal_gap: the region has hepatic rules, but none
  // for this Child-Pugh class (e.g. only "C: contraindicated", while the label may reduce the dose
  // in B). A region with no hepatic rule at all is the rule matrix's RULE_UNKNOWN instead.
  void hepatic_gap() {
    std::vector<std::string> sources;
    std::string list;
    for (const auto& r : d_.hepatic) {
      if (!here(r.region)) continue;
      add_sources(sources, r.prov.src);
      list += format_text(FMT_COMPILE("{}{}: {}"), list.empty() ? "" : "; ", r.child_pugh,
                          kb::to_string(r.action));
    }
    if (list.empty()) return;
    block(Verdict::kCaution,
          reason(ReasonCode::kHepaticUnknown, Severity::kWarning,
                 format_text(FMT_COMPILE("Child-Pugh {}: the {} hepatic rules of {} in the KB "
                                         "state other classes only ({}): not assessed — check the "
                                         "label's hepatic dosing."),
                             *x_.child_pugh, x_.c.region, d_.name, list),
                 std::move(sources)));
  }

  // A co-medication the KB cannot place in any interaction class: whether this drug's interaction
  // rules apply is unknown — "not assessed", never read as "no interaction".
  void unmapped_comedications() {
    std::string who;
    for (const auto* m : x_.active_meds) {
      if (m->unmapped) {
        who += (who.empty() ? "" : ", ") + common::excerpt(m->label) + " (" + m->pointer + ")";
      }
    }
    if (who.empty()) return;
    std::vector<std::string> classes, sources;
    for (const auto& r : d_.interaction) {
      if (!here(r.region) || !for_dosing_indication(r.indication)) continue;
      const kb::InteractionClass* cls = x_.kb.find_interaction_class(r.with);
      if (cls && (cls->kind == kb::InteractionKind::kPhenotype ||
                  cls->kind == kb::InteractionKind::kFood)) {
        continue;  // never a recorded medication
      }
      std::string name = cls ? cls->name : r.with;
      if (std::find(classes.begin(), classes.end(), name) == classes.end()) classes.push_back(name);
      add_sources(sources, r.prov.src);
    }
    if (classes.empty()) {
      // No rule to check it against: the region's label (its indication rows' sources) is where to
      // look.
      for (const auto& ind : d_.indication) {
        if (here(ind.region)) add_sources(sources, ind.prov.src);
      }
      // No label in the region either: nothing to check against (NO_LABEL_IN_REGION says so).
      if (sources.empty()) return;
    }
    std::string against = classes.empty()
                              ? format_text(FMT_COMPILE("the KB holds no {} interaction rules for "
                                                        "{}: check the label"),
                                            x_.c.region, d_.name)
                              : format_text(FMT_COMPILE("check it against the {} interaction "
                                                        "rules of {} ({})"),
                                            x_.c.region, d_.name, fmt::join(classes, "; "));
    block(Verdict::kCaution,
          reason(ReasonCode::kInteractionUnknown, Severity::kWarning,
                 format_text(FMT_COMPILE("Not assessed — not a medication the KB knows: {}; {}, "
                                         "or record it with its RxNorm or ATC code."),
                             who, against),
                 std::move(sources)));
  }

  void interactions() {
    unmapped_comedications();
    const std::string culprit = x_.switch_from;
    for (const auto& r : d_.interaction) {
      if (!here(r.region)) continue;
      if (!for_dosing_indication(r.indication)) continue;
      std::string who;
      bool only_culprit = true;
      for (const auto* m : x_.active_meds) {
        if (m->jak_drug == d_.id) continue;  // the drug itself
        if (std::find(m->classes.begin(), m->classes.end(), r.with) == m->classes.end()) continue;
        who += (who.empty() ? "" : ", ") + m->label + (m->planned ? " (planned)" : "");
        if (!(m->biologic && *m->biologic == culprit)) only_culprit = false;
      }
      if (x_.c.has_flag(r.with)) {
        who += (who.empty() ? "" : ", ") + r.with;
        only_culprit = false;
      }
      if (who.empty()) continue;
      if (r.with == "biologic-immunomodulator"sv && only_culprit) {
        note(reason(ReasonCode::kSwitchFromCulprit, Severity::kInfo,
                    format_text(FMT_COMPILE("Stop {} before starting: {}"), who, r.text),
                    r.prov.src));
        continue;
      }
      if (r.within_days) {
        note(reason(ReasonCode::kInteractionTimeLimited, Severity::kInfo,
                    format_text(FMT_COMPILE("Applies during the first {:g} days of treatment."),
                                G{*r.within_days}),
                    r.prov.src));
      }
      std::string text = who + ": " + r.text;
      switch (r.action) {
        case kb::RuleAction::kContraindicated:
          block(Verdict::kContraindicated, reason(ReasonCode::kInteractionContraindicated,
                                                  Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kAvoid:
        case kb::RuleAction::kNotRecommended:
          block(Verdict::kAvoid,
                reason(ReasonCode::kInteractionAvoid, Severity::kBlock, text, r.prov.src));
          break;
        case kb::RuleAction::kDose:
        case kb::RuleAction::kHalve:
          apply_dose_action(r.action, r.amount, r.unit, r.frequency, "interaction: " + who);
          block(Verdict::kCaution,
                reason(ReasonCode::kInteractionDose, Severity::kCaution, text, r.prov.src));
          break;
        case kb::RuleAction::kMonitor:
        case kb::RuleAction::kNotStudied:
        case kb::RuleAction::kNoChange:
          block(Verdict::kCaution,
                reason(ReasonCode::kInteractionMonitor, Severity::kCaution, text, r.prov.src));
          break;
      }
      // The pathway profile reflects the exposure change when the KB quantifies it.
      if (!modifier_) {
        auto m = pharm::find_modifier(d_, r.with);
        if (m.is_ok()) modifier_ = m.value();
      }
    }
  }

  // A case of the same reaction: the phenotype, or one whose disease contains the other's
  // (a psoriasis case covers its palmoplantar pustular form; an eczema case never a lupus-like
  // one).
  bool same_reaction(const std::optional<std::string>& case_phenotype) const {
    if (!case_phenotype) return false;
    if (*case_phenotype == x_.pr.phenotype) return true;
    auto first_disease = [&](const std::string& id) -> std::optional<std::string> {
      for (const auto& p : x_.kb.phenotypes) {
        if (p.id == id && !p.diseases.empty()) return p.diseases.front();
      }
      return std::nullopt;
    };
    auto a = first_disease(*case_phenotype), b = first_disease(x_.pr.phenotype);
    return a && b && related(x_.kb, *a, *b);
  }

  void evidence() {
    for (const auto& pc : x_.kb.pr_cases) {
      if (pc.drug != d_.id || x_.pr.culprits.empty()) continue;
      const auto& cu = x_.pr.culprits.front();
      if (pc.kind == kb::PrCaseKind::kTreatedWithJak && same_reaction(pc.phenotype) &&
          ((pc.culprit && *pc.culprit == cu.biologic) ||
           (pc.culprit_class && *pc.culprit_class == cu.biologic_class))) {
        o_.pr_evidence.push_back(pc.id);
        note(reason(
            ReasonCode::kPrCaseEvidence, Severity::kInfo,
            format_text(
                FMT_COMPILE("Reported to treat this reaction: {} — {}{}"), pc.reaction, pc.outcome,
                pc.patients ? format_text(FMT_COMPILE(" ({} patient(s))"), *pc.patients) : ""),
            pc.prov.src));
      } else if (pc.kind == kb::PrCaseKind::kCausedByJak) {
        note(reason(ReasonCode::kJakCausedPr, Severity::kCaution,
                    format_text(FMT_COMPILE("{} itself has been reported to cause: {}."), d_.name,
                                pc.reaction),
                    pc.prov.src));
      }
    }
    for (const auto& ar : d_.adverse_reaction) {
      if (!ar.drug_pct && !ar.rate_per_100py) continue;
      o_.adverse_reactions.push_back(&ar);
    }
  }

  // Off-label use needs support: a product the KB cites as not meant for inflammatory disease
  // (`off_label_needs_pr_evidence`, e.g. oral ruxolitinib) is offered for these diseases only with
  // PR case evidence; so is a disease whose indication row says off-label use
  // is blocked (`block_off_label`, e.g. ruxolitinib cream for atopic dermatitis in the EU).
  void label_support() {
    // On-label for one of the diseases (e.g. the cream for a vitiligo reaction) is support enough.
    if (!o_.pr_evidence.empty() || approved_ > 0) return;
    for (const auto& ls : o_.label) {
      for (const auto& ind : d_.indication) {
        if (ind.block_off_label != std::optional<bool>(true) || !here(ind.region) ||
            !related(x_.kb, ind.disease, ls.disease)) {
          continue;
        }
        block(Verdict::kAvoid,
              reason(ReasonCode::kLabelNotApproved, Severity::kBlock,
                     format_text(
                         FMT_COMPILE(
                             "The {} regulator did not approve {} for {}, and no reported case "
                             "supports it for this reaction."),
                         x_.c.region, d_.name, ls.disease),
                     ind.prov.src));
        return;
      }
    }
    if (!off_label_ || !d_.off_label_needs_pr_evidence) return;
    block(
        Verdict::kAvoid,
        reason(ReasonCode::kOffLabelUnsupported, Severity::kBlock,
               format_text(
                   FMT_COMPILE("{}: {} No reported case supports it for this reaction: not offered "
                               "off-label."),
                   d_.name, d_.off_label_needs_pr_evidence->text),
               d_.off_label_needs_pr_evidence->prov.src));
  }

  // No dose above the region's largest label daily dose for the drug.
  // The daily amount of a dose given at a KB frequency code (unknown for any other frequency).
  std::optional<double> per_day(double amount, const std::optional<std::string>& frequency) const {
    auto tau = frequency ? x_.interval_h(*frequency) : std::nullopt;
    return tau && *tau > 0 ? std::optional<double>(amount * 24 / *tau) : std::nullopt;
  }

  void cap_dose() {
    if (!dose_) return;
    double max_daily = 0;
    kb::Provenance prov;
    for (const auto& d : d_.dose) {
      if (!here(d.region) || d.unit != dose_->unit) continue;
      auto daily = per_day(d.amount, d.frequency);
      if (daily && *daily > max_daily) {
        max_daily = *daily;
        prov = d.prov;
      }
    }
    auto daily = per_day(dose_->amount, dose_->frequency);
    if (daily && max_daily > 0 && *daily > max_daily + 1e-9) {
      dose_->amount = max_daily * *x_.interval_h(dose_->frequency) / 24;
      dose_->adjustments.emplace_back("capped at the label maximum");
      note(reason(ReasonCode::kDoseCappedAtMaximum, Severity::kWarning,
                  "Dose capped at the label maximum.", prov.src));
    }
  }

  // The patient already takes this drug at a recorded dose above the one this assessment gives
  // (age, risk group, kidney, liver, interactions): continuing must not read as continuing at that
  // dose. Daily doses are compared when both frequencies are KB codes; otherwise the amount per
  // administration (a higher one is above whatever the frequency).
  void current_dose() {
    if (!dose_) return;
    // The label's step-up dose for this patient (upadacitinib 30 mg qd after an inadequate
    // response to 15 mg, abrocitinib 200 mg): where nothing lowered the dose (age, kidney, liver,
    // an interaction), a recorded dose up to it is the label's escalation, not a dose above it.
    const kb::Dose* step_up =
        dose_->adjustments.size() == 1 && !x_.is_child() ? pick_dose({Role::kStepUp}) : nullptr;
    for (const auto* m : x_.active_meds) {
      if (m->jak_drug != d_.id || m->planned || !m->amount || m->unit != dose_->unit) continue;
      auto recorded = per_day(*m->amount, m->frequency),
           adjusted = per_day(dose_->amount, dose_->frequency);
      bool above =
          recorded && adjusted ? *recorded > *adjusted + 1e-9 : *m->amount > dose_->amount + 1e-9;
      if (!above) continue;
      if (auto step_daily = step_up && step_up->unit == dose_->unit
                                ? per_day(step_up->amount, step_up->frequency)
                                : std::nullopt;
          step_daily && recorded && *recorded <= *step_daily + 1e-9) {
        note(reason(ReasonCode::kCurrentDoseStepUp, Severity::kInfo,
                    format_text(FMT_COMPILE("{} is recorded at {:g} {} {} ({}): the label's "
                                            "step-up dose, {:g} {} {} ({}); the start dose is "
                                            "{:g} {} {}."),
                                m->label, G{*m->amount}, *m->unit, *m->frequency, m->pointer,
                                G{step_up->amount}, step_up->unit, step_up->frequency,
                                step_up->condition.value_or("no condition stated"),
                                G{dose_->amount}, dose_->unit, dose_->frequency),
                    step_up->prov.src));
        continue;
      }
      std::string why;
      for (const auto& a : dose_->adjustments) why += (why.empty() ? "" : "; ") + a;
      // Cited by what set the dose: the start dose and each adjustment already said.
      std::vector<std::string> sources;
      for (const auto& r : o_.reasons) {
        switch (r.code) {
          case ReasonCode::kDoseStart:
          case ReasonCode::kDoseFromOtherIndication:
          case ReasonCode::kPracLowerDose:
          case ReasonCode::kRenalDose:
          case ReasonCode::kHepaticDose:
          case ReasonCode::kInteractionDose:
          case ReasonCode::kDoseCappedAtMaximum:
            add_sources(sources, r.sources);
            break;
          default:
            break;
        }
      }
      // A KB frequency code reads as part of the dose; free text is quoted as recorded.
      std::string as_recorded = !m->frequency ? " per dose"
                                : recorded    ? " " + *m->frequency
                                              : " per dose (\"" + *m->frequency + "\")";
      block(Verdict::kCaution,
            reason(ReasonCode::kCurrentDoseAbove, Severity::kWarning,
                   format_text(FMT_COMPILE("{} is recorded at {:g} {}{} ({}), above the "
                                           "dose for this patient: {:g} {} {}{}. Review the dose."),
                               m->label, G{*m->amount}, *m->unit, as_recorded, m->pointer,
                               G{dose_->amount}, dose_->unit, dose_->frequency,
                               why.empty() ? "" : " (" + why + ")"),
                   std::move(sources)));
    }
  }

  void coverage() {
    // Topical products are covered at the application site; they have no systemic regimen.
    const bool topical = d_.route == kb::Route::kTopical;
    const Dose* basis = dose_ ? &*dose_ : (base_ ? &*base_ : nullptr);
    pharm::Regimen r{0, 24, std::string("topical"), {}};
    if (!topical) {
      if (!basis || basis->unit != "mg"sv || !x_.interval_h(basis->frequency)) return;
      r = pharm::Regimen{basis->amount, *x_.interval_h(basis->frequency), basis->formulation, {}};
    }
    auto profile = cache_.get(d_, r, modifier_ ? &*modifier_ : nullptr);
    o_.coverage.regimen =
        topical ? std::string("topical")
                : format_text(FMT_COMPILE("{:g} mg {}{}"), G{basis->amount}, basis->frequency,
                              modifier_ ? " with " + modifier_->id : "");
    std::optional<kb::Exposure> exposure;
    pharm::AssayBasis assay;
    // Every disease the options are for; a reaction whose primary or reaction disease is unknown
    // is not fully covered by what is known.
    bool all = !x_.targets.empty() &&
               (x_.pr.culprits.empty() || (x_.pr.primary_disease && x_.pr.reaction_disease));
    bool all_quantitative = all;
    std::string listed;
    std::vector<std::string> uncovered;
    for (const auto& dis : x_.targets) {
      auto sig = signature_disease(x_.kb, dis);
      std::optional<double> pct, qpct;
      if (sig) {
        const auto& cov = cache_.coverage(profile, *sig);
        pct = cov.pair_coverage_pct;
        if (pct && cov.exposure) {
          exposure = !exposure || *exposure == *cov.exposure ? *cov.exposure : kb::Exposure::kMixed;
        }
        qpct = cov.score_pct;
        if (qpct) assay.add(cov.basis);
      }
      o_.coverage.diseases.push_back({dis, pct, qpct});
      if (x_.pr.primary_disease == dis) o_.coverage.primary_pct = pct;
      if (x_.pr.reaction_disease == dis) o_.coverage.reaction_pct = pct;
      if (qpct) {
        o_.coverage.quantitative_both_pct =
            std::min(o_.coverage.quantitative_both_pct.value_or(100.0), *qpct);
      } else {
        all_quantitative = false;
      }
      if (!pct) {
        all = false;
        continue;
      }
      o_.coverage.both_pct = std::min(o_.coverage.both_pct.value_or(100.0), *pct);
      listed += format_text(FMT_COMPILE("{}{} {:.0f}%"), listed.empty() ? "" : ", ", dis, *pct);
      if (*pct <= 0) uncovered.push_back(dis);
    }
    // The way out of a paradoxical reaction is a drug that treats both diseases. One that inhibits
    // none of the signature cytokines of the disease the patient is treated for (the primary
    // disease, or an active disease without a reaction) would leave it untreated: a caution. The
    // reaction disease alone uncovered is said, not capped: the reaction may settle once the
    // culprit is stopped (the stop-the-culprit strategy is listed with its evidence).
    std::vector<std::string> untreated, reaction_only;
    for (const auto& dis : uncovered) {
      bool reaction =
          !x_.pr.culprits.empty() && x_.pr.reaction_disease == dis && x_.pr.primary_disease != dis;
      (reaction ? reaction_only : untreated).push_back(dis);
    }
    if (!untreated.empty()) {
      block(Verdict::kCaution,
            reason(ReasonCode::kCoverageNone, Severity::kWarning,
                   format_text(FMT_COMPILE("{} inhibits none of the signature cytokines of {} per "
                                           "the cited statements: it would leave {} untreated."),
                               d_.name, join_and(untreated), untreated.size() == 1 ? "it" : "them"),
                   cache_.effect_sources(profile)));
    }
    if (!reaction_only.empty()) {
      note(reason(ReasonCode::kCoverageNone, Severity::kInfo,
                  format_text(FMT_COMPILE("{} inhibits none of the signature cytokines of {} per "
                                          "the cited statements: it does not treat the reaction "
                                          "itself, which has to settle once the culprit is "
                                          "stopped."),
                              d_.name, join_and(reaction_only)),
                  cache_.effect_sources(profile)));
    }
    if (!all_quantitative || !assay.single()) o_.coverage.quantitative_both_pct.reset();
    if (o_.coverage.quantitative_both_pct) o_.coverage.quantitative_assay = assay.single();
    if (all) {
      o_.coverage.basis =
          format_text(FMT_COMPILE("qualitative ({})"), exposure ? kb::to_string(*exposure) : "");
      const auto& src = cache_.effect_sources(profile);
      note(reason(
          ReasonCode::kCoverageBoth, Severity::kInfo,
          format_text(FMT_COMPILE("Pair-level pathway coverage{}: {} of the signature cytokines "
                                  "inhibited per cited statements."),
                      topical ? " at the application site" : " at clinical exposure", listed),
          src));
    } else {
      o_.coverage.both_pct.reset();
      note(
          reason(ReasonCode::kCoverageUnknown, Severity::kInfo,
                 "Pathway coverage of the diseases is unknown (no cited inhibited/spared statement "
                 "for a signature pathway, or a disease signature missing in the KB).",
                 {}));
    }
  }

  void finish() {
    if (verdict_ >= Verdict::kAvoid) {
      dose_.reset();
    } else if (dose_) {
      o_.dose = dose_;
    }
    if (verdict_ == Verdict::kAcceptable && approved_ > 0 && !o_.pr_evidence.empty())
      verdict_ = Verdict::kPreferred;
    o_.verdict = verdict_;
  }

  const Ctx& x_;
  const kb::Drug& d_;
  PathwayCache& cache_;
  Option o_;
  Verdict verdict_ = Verdict::kAcceptable;
  int approved_ = 0;
  bool off_label_ = false;
  // The approved disease whose label dose the KB lacks, when the dose shown is another
  // indication's (label()).
  std::optional<std::string> dose_borrowed_for_;
  bool halved_ = false;
  std::optional<std::string> dosing_indication_;
  std::optional<Dose> dose_, base_;
  std::vector<std::string> dose_sources_;
  std::optional<pharm::ExposureModifier> modifier_;
};

Option evaluate_strategy(const Ctx& x, const kb::Strategy& s) {
  Option o;
  o.kind = OptionKind::kStrategy;
  o.id = s.id;
  o.name = s.name;
  o.verdict = Verdict::kAcceptable;
  const auto& sev = x.severity;
  if (sev == kb::SeverityGrade::kMild &&
      std::find(s.severities.begin(), s.severities.end(), kb::SeverityGrade::kMild) !=
          s.severities.end()) {
    o.verdict = Verdict::kPreferred;
  }
  o.reasons.push_back(reason(ReasonCode::kStrategyReported, Severity::kInfo,
                             s.text + (s.evidence ? " Evidence: " + *s.evidence : ""), s.prov.src));
  return o;
}

// Creatinine clearance by Cockcroft–Gault (kb/formulas.toml constants; actual body weight, as the
// original) from the latest creatinine (mg/dL, the KB lab unit), age, weight and sex. Labels that
// state renal bands as creatinine clearance are compared with it, never with eGFR.
void cockcroft_gault(const kb::KnowledgeBase& kb, const Case& c, Ctx& x) {
  const auto& p = c.patient;
  const auto* scr = c.latest("creatinine", c.as_of);
  const bool sexed = p.sex == clinical::Sex::kFemale || p.sex == clinical::Sex::kMale;
  std::string missing;
  auto miss = [&](const char* what) {
    missing += (missing.empty() ? "" : ", ") + std::string(what);
  };
  if (!scr || !scr->value || *scr->value <= 0) miss("creatinine");
  if (!p.age_years) miss("age");
  if (!p.weight_kg) miss("weight");
  if (!sexed) miss("sex");
  auto offset = kb.formula_constant("cockcroft-gault.age-offset"),
       divisor = kb.formula_constant("cockcroft-gault.divisor");
  auto sex_factor = sexed ? kb.formula_constant("cockcroft-gault.sex-factor." +
                                                std::string(clinical::to_string(p.sex)))
                          : std::nullopt;
  // Derived in adults (18-92 years): a child's creatinine clearance is not estimated with it.
  if (x.is_child()) miss("an adult patient (Cockcroft–Gault is an adult equation)");
  if (!missing.empty() || !offset || !divisor || !sex_factor) {
    x.crcl_missing = missing.empty() ? "the KB's Cockcroft–Gault constants" : missing;
    return;
  }
  x.crcl = (*offset - *p.age_years) * *p.weight_kg / (*divisor * *scr->value) * *sex_factor;
  x.crcl_inputs = format_text(FMT_COMPILE("age {:.0f}, {}, creatinine {:g} mg/dL on {}"),
                              *p.age_years, weight_text(p), G{text::round_significant(*scr->value)},
                              clinical::to_string(scr->date));
}

}  // namespace

std::vector<Option> assess_options(const kb::KnowledgeBase& kb, const Case& c,
                                   const PrAssessment& pr, const std::vector<std::string>& diseases,
                                   PathwayCache& cache) {
  std::vector<Option> out;
  // Options for a reaction (strategies need one) or for the active diseases.
  if (pr.culprits.empty() && diseases.empty()) return out;
  Ctx x{kb, c, pr, c.patient.age_years};
  x.region = region_of(c.region);
  x.targets = diseases;
  x.severity = pr.severity;
  if (!pr.culprits.empty()) {
    x.switch_from = pr.culprits.front().biologic;
  } else {
    // No reaction: the severity is the highest recorded for an option disease, and the biologic
    // taken for one of them is the one a JAK inhibitor would replace.
    for (const auto& cond : c.conditions) {
      if (cond.status != clinical::ConditionStatus::kActive || !cond.severity_grade ||
          std::find(diseases.begin(), diseases.end(), cond.disease) == diseases.end()) {
        continue;
      }
      if (!x.severity || *cond.severity_grade > *x.severity) x.severity = cond.severity_grade;
    }
    for (const auto& m : c.medications) {
      const kb::Biologic* b = m.biologic ? kb.find_biologic(*m.biologic) : nullptr;
      if (!b || !m.taken_on(c.as_of) || !x.switch_from.empty()) continue;
      for (const auto& ind : b->indication) {
        for (const auto& dis : diseases) {
          if (related(kb, ind.disease, dis)) x.switch_from = b->id;
        }
      }
    }
  }
  // On a disputed day the lowest eGFR: the more reduced dose (fail safe).
  if (const auto* e = c.latest_worst("egfr", c.as_of, false)) {
    if (e->value) {
      x.egfr = e->value;
      if (e->computed && e->text) x.egfr_inputs = *e->text;
    } else if (e->bound) {
      x.egfr_bound = e;
    } else if (e->unusable) {
      x.egfr_unusable = e;
    }
  }
  x.dialysis = c.has_flag("dialysis");
  for (const auto& ic : kb.interaction_classes) {
    if (c.has_flag(ic.id)) x.flagged_interaction_classes.push_back(ic.id);
  }
  x.cirrhosis = c.has_condition("cirrhosis", kb);
  x.diverticulitis = c.first_condition("diverticulitis", kb);
  auto cp = child_pugh_class(kb, c, x.cirrhosis);
  x.child_pugh = cp.applied;
  x.child_pugh_range = cp.range;
  if (!cp.range.empty()) {
    for (const auto& band : kb.score_bands) {
      if (band.score == kb::ScoreKind::kChildPugh) add_sources(x.child_pugh_sources, band.prov.src);
    }
  }
  for (const auto& fc : kb.formula_constants) {
    if (fc.formula == "age-group"sv && fc.name == "adult-min-age"sv) x.adult_min_age = fc.value;
    if (fc.formula == "kidney-function"sv && fc.name == "normal-min-egfr"sv)
      x.normal_min_egfr = fc.value;
  }
  cockcroft_gault(kb, c, x);  // after adult_min_age: the equation is for adults
  for (const auto& m : c.medications) {
    if (m.active_on(c.as_of)) x.active_meds.push_back(&m);
  }
  const auto& p = c.patient;
  x.smoker = p.smoking.status == clinical::SmokingStatus::kCurrent ||
             p.smoking.status == clinical::SmokingStatus::kFormer ||
             p.smoking.status == clinical::SmokingStatus::kSmoker;
  x.cv = !p.cv_risk_factors.empty() || c.has_condition("myocardial-infarction", kb) ||
         c.has_condition("stroke", kb);
  x.cancer = c.has_condition("malignancy", kb);
  x.vte = !p.vte_risk_factors.empty() || c.has_condition("venous-thromboembolism", kb);
  x.active_tb = c.has_condition("tuberculosis", kb, true);
  x.tb_diagnosis =
      c.has_condition("tuberculosis", kb) || c.has_condition("latent-tuberculosis", kb);
  for (const auto& cond : c.conditions) {
    if (cond.disease == "latent-tuberculosis"sv &&
        cond.status == clinical::ConditionStatus::kActive) {
      x.latent_tb = true;
      x.latent_tb_treated = cond.treated == std::optional<bool>(true);
    }
  }
  x.hbv = c.has_condition("hepatitis-b", kb, true);
  x.hcv = c.has_condition("hepatitis-c", kb, true);
  x.zoster = c.has_condition("herpes-zoster", kb);
  out.reserve(kb.drugs.size() + kb.strategies.size());
  for (const auto& d : kb.drugs) out.push_back(DrugEvaluation(x, d, cache).run());
  // A JAK inhibitor the patient already takes: its option is to continue it.
  for (auto& o : out) {
    for (const auto* m : x.active_meds) {
      if (m->jak_drug != o.id || m->planned) continue;
      o.reasons.push_back(reason(
          ReasonCode::kCurrentJak, Severity::kInfo,
          format_text(
              FMT_COMPILE("The patient already takes {}{}: this option is to continue it; the "
                          "safety plan checks its follow-up results against the label thresholds."),
              m->label, m->start ? " (since " + clinical::to_string(*m->start) + ")" : ""),
          {}));
    }
  }
  if (!pr.culprits.empty()) {
    const auto& cu = pr.culprits.front();
    for (const auto& s : kb.strategies) {
      if (!s.culprit_classes.empty() &&
          std::find(s.culprit_classes.begin(), s.culprit_classes.end(), cu.biologic_class) ==
              s.culprit_classes.end()) {
        continue;
      }
      if (!s.phenotypes.empty() &&
          std::find(s.phenotypes.begin(), s.phenotypes.end(), pr.phenotype) == s.phenotypes.end()) {
        continue;
      }
      const auto& sev = x.severity;
      if (!s.severities.empty() && (!sev || std::find(s.severities.begin(), s.severities.end(),
                                                      *sev) == s.severities.end())) {
        continue;
      }
      out.push_back(evaluate_strategy(x, s));
    }
  }
  // Rank: a drug approved for none of the diseases and without case evidence after every other
  // option (whatever its verdict: the absence of a KB rule must not lift it); then verdict, drugs
  // before strategies, labels for the diseases, PR case evidence, an off-label drug approved for a
  // disease of the same KB category (immune-skin, immune-systemic) before one approved for others
  // only, coverage (unknown last), then id for a stable order.
  std::vector<kb::DiseaseCategory> categories;
  for (const auto& dis : diseases) {
    if (const kb::Disease* d = kb.find_disease(dis)) categories.push_back(d->category);
  }
  std::vector<std::pair<std::tuple<int, int, int, int, int, int, double>, std::size_t>> keys;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Option& o = out[i];
    int approved = 0;
    for (const auto& l : o.label) approved += l.status == Approval::kApproved;
    bool unsupported = o.kind == OptionKind::kDrug && approved == 0 && o.pr_evidence.empty();
    int same_category = 0;
    if (const kb::Drug* d = o.kind == OptionKind::kDrug ? kb.find_drug(o.id) : nullptr) {
      for (const auto& ind : d->indication) {
        if (same_category || ind.status != kb::IndicationStatus::kApproved ||
            !kb::applies_to(ind.region, x.region))
          continue;
        const kb::Disease* dis = kb.find_disease(ind.disease);
        if (dis &&
            std::find(categories.begin(), categories.end(), dis->category) != categories.end()) {
          same_category = 1;
        }
      }
    }
    keys.push_back(
        {{unsupported ? 1 : 0, static_cast<int>(o.verdict), o.kind == OptionKind::kDrug ? 0 : 1,
          -approved, -static_cast<int>(o.pr_evidence.size()), -same_category,
          -o.coverage.both_pct.value_or(-1)},
         i});
  }
  std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return out[a.second].id < out[b.second].id;
  });
  std::vector<Option> ranked;
  ranked.reserve(out.size());
  for (const auto& k : keys) ranked.push_back(std::move(out[k.second]));
  return ranked;
}

}  // namespace paraderm::assess::detail

namespace paraderm::assess {}  // namespace paraderm::assess
