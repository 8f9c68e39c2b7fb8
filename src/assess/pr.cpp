// Paradoxical-reaction recognition: culprit, pattern, latency, causality (Naranjo), risk factors,
// differentials and the immune-axis mechanism. Rules: docs/assessment.md.
#include <cmath>

#include "assess/internal.h"
#include "case/terms.h"

namespace paraderm::assess::detail {
namespace {

using clinical::Case;
using clinical::Date;

const kb::ScoreBand* naranjo_band(const kb::KnowledgeBase& kb, const std::string& factor,
                                  const std::string& answer) {
  for (const auto& b : kb.score_bands) {
    if (b.score == "naranjo" && b.factor == factor && b.text == answer) return &b;
  }
  return nullptr;
}

std::string quantity_text(const kb::Quantity& q) {
  std::string s;
  if (q.stat) s += *q.stat + " ";
  if (q.qualifier) s += *q.qualifier;
  if (q.value) s += fmt_num(*q.value);
  if (q.low && q.high) s += fmt::format("{}({}-{})", q.value ? " " : "", fmt_num(*q.low), fmt_num(*q.high));
  return s + " " + q.unit;
}

bool risk_factor_matches(const kb::KnowledgeBase& kb, const kb::RiskFactor& rf, const Case& c,
                         const Culprit& culprit, std::string& detail) {
  if (!rf.match) return false;
  const auto& m = *rf.match;
  auto any = [&](auto pred) { return std::any_of(rf.values.begin(), rf.values.end(), pred); };
  if (m == "condition") {
    return any([&](const std::string& v) {
      bool hit = c.has_condition(v, kb);
      if (hit) detail = "recorded condition " + v;
      return hit;
    });
  }
  if (m == "sex") {
    detail = "sex " + c.patient.sex;
    return any([&](const std::string& v) { return v == c.patient.sex; });
  }
  if (m == "smoking") {
    detail = "smoking " + c.patient.smoking.status;
    return any([&](const std::string& v) { return v == c.patient.smoking.status; });
  }
  if (m == "flag") {
    return any([&](const std::string& v) {
      bool hit = c.has_flag(v);
      if (hit) detail = "flag " + v;
      return hit;
    });
  }
  if (m == "age-per-year") {
    if (!c.patient.age_years) return false;
    detail = fmt::format("age {:g} years", *c.patient.age_years);
    return true;
  }
  if (m == "comedication") {
    return any([&](const std::string& v) {
      return std::any_of(c.medications.begin(), c.medications.end(), [&](const clinical::Medication& med) {
        bool hit = clinical::detail::TermIndex::normalise(med.label) ==
                   clinical::detail::TermIndex::normalise(v);
        if (hit) detail = "co-medication " + med.label;
        return hit;
      });
    });
  }
  if (m == "culprit-class") {
    detail = "culprit class " + culprit.biologic_class;
    return any([&](const std::string& v) { return v == culprit.biologic_class; });
  }
  if (m == "culprit") {
    detail = "culprit " + culprit.biologic;
    return any([&](const std::string& v) { return v == culprit.biologic; });
  }
  return false;
}

}  // namespace

PrAssessment assess_pr(const kb::KnowledgeBase& kb, const Case& c, const SignalSource* signals) {
  PrAssessment pr;
  if (!c.eruption) {
    pr.reasons.push_back(reason("PR_NO_ERUPTION", "info",
                                "No new or worsened eruption is recorded: nothing to assess.", {}));
    return pr;
  }
  const auto& er = *c.eruption;
  pr.phenotype = er.phenotype;
  for (const auto& p : kb.phenotypes) {
    if (p.id == er.phenotype && !p.diseases.empty()) pr.reaction_disease = p.diseases.front();
  }

  // Culprits: biologics started on or before the eruption and not stopped before it.
  const clinical::Medication* culprit_med = nullptr;
  bool started_after = false;
  for (const auto& m : c.medications) {
    if (!m.biologic) continue;
    if (m.start && *m.start > er.onset) {
      started_after = true;
      continue;
    }
    if (m.stop && *m.stop < er.onset) continue;
    const kb::Biologic* b = kb.find_biologic(*m.biologic);
    Culprit cu;
    cu.biologic = *m.biologic;
    cu.biologic_class = b ? b->biologic_class : "";
    if (m.start) {
      cu.start = clinical::to_string(*m.start);
      cu.days_to_onset = static_cast<int>((er.onset - *m.start).count());
    }
    pr.culprits.push_back(cu);
    if (!culprit_med) culprit_med = &m;
  }
  if (pr.culprits.empty()) {
    pr.classification = "none";
    pr.reasons.push_back(reason(
        "PR_NO_CULPRIT", "info",
        started_after ? "The only biologic in the record was started after the eruption began: "
                        "not a paradoxical reaction to it."
                      : "No biologic was being taken when the eruption began: not a paradoxical "
                        "reaction.",
        {}));
    return pr;
  }
  const Culprit& culprit = pr.culprits.front();
  const kb::Biologic* bio = kb.find_biologic(culprit.biologic);
  const kb::BiologicClass* cls = kb.find_biologic_class(culprit.biologic_class);

  // The disease the biologic was given for: a recorded condition among its indications.
  if (bio) {
    for (const auto& ind : bio->indication) {
      for (const auto& cond : c.conditions) {
        if (!pr.primary_disease && related(kb, ind.disease, cond.disease)) pr.primary_disease = cond.disease;
      }
    }
  }
  if (!pr.primary_disease) {
    pr.reasons.push_back(reason("PR_PRIMARY_DISEASE_UNKNOWN", "caution",
                                fmt::format("No recorded condition is among {}'s indications: the "
                                            "disease it treats is unknown, so coverage of it is "
                                            "unknown.",
                                            culprit.biologic),
                                bio ? bio->prov.src : std::vector<std::string>{}));
  }

  // Pattern: what this class is published to cause.
  std::vector<const kb::PrPattern*> matching;
  for (const auto& p : kb.pr_patterns) {
    if (p.culprit_class != culprit.biologic_class) continue;
    if (p.culprit && *p.culprit != culprit.biologic) continue;
    if (std::find(pr.expected_phenotypes.begin(), pr.expected_phenotypes.end(), p.phenotype) ==
        pr.expected_phenotypes.end()) {
      pr.expected_phenotypes.push_back(p.phenotype);
    }
    if (p.phenotype == er.phenotype) {
      matching.push_back(&p);
      pr.matching_patterns.push_back(p.id);
      for (const auto& d : p.differentials) {
        if (std::find(pr.differentials.begin(), pr.differentials.end(), d) == pr.differentials.end()) {
          pr.differentials.push_back(d);
        }
      }
    }
  }
  std::vector<std::string> pattern_sources;
  for (const auto* p : matching) add_sources(pattern_sources, p->prov.src);

  // Pre-existing disease of the eruption's kind, before the biologic: a relapse if the eruption
  // is a worsening, otherwise the eruption is not new and not a PR.
  bool predates = false;
  std::string predating;
  if (pr.reaction_disease && culprit_med && culprit_med->start) {
    for (const auto& cond : c.conditions) {
      // A disease that had abated before the biologic started is history (a risk factor),
      // not the same disease continuing.
      bool ongoing = !cond.abatement || *cond.abatement >= *culprit_med->start;
      if (related(kb, *pr.reaction_disease, cond.disease) && cond.onset && *cond.onset < *culprit_med->start &&
          ongoing) {
        predates = true;
        predating = cond.disease;
      }
    }
  }

  // Latency against the published latency of the matching patterns.
  for (const auto* p : matching) {
    if (!p->latency) continue;
    LatencyComparison l;
    l.pattern = p->id;
    l.published = quantity_text(*p->latency);
    l.published_days = days_of(*p->latency, p->latency->value);
    l.low_days = days_of(*p->latency, p->latency->low);
    l.high_days = days_of(*p->latency, p->latency->high);
    if (culprit.days_to_onset && l.low_days && l.high_days) {
      l.within_range = *culprit.days_to_onset >= *l.low_days && *culprit.days_to_onset <= *l.high_days;
    }
    l.sources = p->prov.src;
    pr.latency.push_back(l);
  }

  // Causality: the Naranjo items answered from the record.
  pr.components.reserve(10);
  auto item = [&](const char* q, std::string answer, std::string basis, std::vector<std::string> src) {
    NaranjoItem n{q, answer, 0, std::move(basis), std::move(src)};
    if (const kb::ScoreBand* b = naranjo_band(kb, q, answer)) {
      n.points = b->points.value_or(0);
      add_sources(n.sources, b->prov.src);
    }
    pr.components.push_back(n);
  };
  item("q1", matching.empty() ? "unknown" : "yes",
       matching.empty() ? fmt::format("no published {} pattern for {} in the KB", er.phenotype, culprit.biologic_class)
                        : fmt::format("{} published pattern(s) of {} eruptions on {}", matching.size(),
                                      er.phenotype, culprit.biologic_class),
       pattern_sources);
  bool after = culprit.days_to_onset && *culprit.days_to_onset >= 0 && !(predates && er.kind == "new");
  item("q2", after ? "yes" : (predates ? "no" : "unknown"),
       predates && er.kind == "new"
           ? fmt::format("{} was recorded before {} was started", predating, culprit.biologic)
           : (culprit.days_to_onset ? fmt::format("onset {} days after starting {}", *culprit.days_to_onset, culprit.biologic)
                                    : std::string("start date of the biologic unknown")),
       {});
  item("q3", er.dechallenge, "dechallenge as recorded", {});
  item("q4", er.rechallenge, "rechallenge as recorded", {});
  std::string alt_answer = !er.alternative_causes.empty() ? "yes" : (er.alternatives_excluded ? "no" : "unknown");
  std::string alt_list;
  for (const auto& a : er.alternative_causes) alt_list += (alt_list.empty() ? "" : ", ") + a;
  item("q5", alt_answer,
       !er.alternative_causes.empty() ? "alternative causes recorded: " + alt_list
                                      : (er.alternatives_excluded ? "alternative causes excluded" : "not recorded"),
       {});
  item("q6", "unknown", "no placebo re-exposure in clinical practice", {});
  item("q7", "unknown", "drug levels are not measured for biologics in practice", {});
  item("q8", er.dose_related, "dose relation as recorded", {});
  item("q9", er.previous_similar_reaction, "previous similar reaction as recorded", {});
  item("q10", er.biopsy_consistent ? (*er.biopsy_consistent ? "yes" : "no") : "unknown",
       er.biopsy ? "biopsy: " + *er.biopsy : "no biopsy recorded", {});
  double total = 0;
  for (const auto& n : pr.components) total += n.points;
  pr.score = total;
  for (const auto& b : kb.score_bands) {
    if (b.score != "naranjo" || b.factor != "total" || !b.category) continue;
    bool lo = !b.min || total >= *b.min;
    bool hi = !b.max || total <= *b.max;
    if (lo && hi) pr.naranjo_category = *b.category;
  }
  if (pr.naranjo_category == "definite" || pr.naranjo_category == "probable") pr.classification = "likely";
  else if (pr.naranjo_category == "possible") pr.classification = "possible";
  else pr.classification = "unlikely";
  if (predates && er.kind == "new") {
    pr.classification = "unlikely";
    pr.reasons.push_back(reason(
        "PR_PREDATES_BIOLOGIC", "warning",
        fmt::format("{} is recorded before {} was started and the eruption is not marked as a "
                    "worsening: a pre-existing disease, not a paradoxical reaction.",
                    predating, culprit.biologic),
        {}));
  } else if (predates) {
    pr.reasons.push_back(reason("PR_RELAPSE", "info",
                                fmt::format("Worsening of pre-existing {} after {} was started "
                                            "(relapse or flare form of the reaction).",
                                            predating, culprit.biologic),
                                pattern_sources));
  }
  pr.reasons.push_back(reason(
      "PR_CULPRIT_ACTIVE", "info",
      fmt::format("{} ({}) was being taken when the {} eruption began{}.", culprit.biologic,
                  cls ? cls->name : culprit.biologic_class, er.phenotype,
                  culprit.days_to_onset ? fmt::format(", {} days after it was started", *culprit.days_to_onset) : ""),
      bio ? bio->prov.src : std::vector<std::string>{}));
  if (!matching.empty()) {
    pr.reasons.push_back(reason("PR_PATTERN_KNOWN", "info",
                                fmt::format("{} eruptions are a published paradoxical reaction to {} "
                                            "({} source pattern(s)).",
                                            er.phenotype, cls ? cls->name : culprit.biologic_class,
                                            matching.size()),
                                pattern_sources));
  } else {
    pr.reasons.push_back(reason("PR_PATTERN_UNKNOWN", "caution",
                                fmt::format("No published {} pattern for {} in the KB.", er.phenotype,
                                            culprit.biologic_class),
                                {}));
  }
  for (const auto& l : pr.latency) {
    if (!l.within_range) continue;
    pr.reasons.push_back(reason(*l.within_range ? "PR_LATENCY_WITHIN" : "PR_LATENCY_OUTSIDE",
                                *l.within_range ? "info" : "caution",
                                fmt::format("Onset after {} days; published latency {} ({}).",
                                            *culprit.days_to_onset, l.published, l.pattern),
                                l.sources));
  }

  // Risk factors of this phenotype (and class) present in the record.
  double multiplier = 1;
  bool any_ratio = false;
  for (const auto& rf : kb.risk_factors) {
    if (rf.phenotype && *rf.phenotype != er.phenotype) continue;
    if (rf.culprit_class && *rf.culprit_class != culprit.biologic_class) continue;
    std::string detail;
    if (!risk_factor_matches(kb, rf, c, culprit, detail)) continue;
    RiskFactorHit h{rf.id, rf.factor, rf.measure, rf.direction, rf.estimate, rf.ci_low, rf.ci_high, detail, rf.prov.src};
    pr.risk_factors.push_back(h);
    bool ratio = rf.measure == "hr" || rf.measure == "or" || rf.measure == "irr" || rf.measure == "rr";
    if (ratio && rf.match != std::optional<std::string>("age-per-year")) {
      multiplier *= rf.estimate;
      any_ratio = true;
    }
    pr.reasons.push_back(reason(
        "PR_RISK_FACTOR", rf.direction == "increases" ? "caution" : "info",
        fmt::format("{} ({}): {} {}{} for {}.", rf.factor, detail, rf.measure, fmt_num(rf.estimate),
                    rf.ci_low && rf.ci_high ? fmt::format(" ({}-{})", fmt_num(*rf.ci_low), fmt_num(*rf.ci_high)) : "",
                    rf.reaction),
        rf.prov.src));
  }
  if (any_ratio) pr.risk_multiplier = multiplier;
  for (const auto& a : er.alternative_causes) {
    if (std::find(pr.differentials.begin(), pr.differentials.end(), a) == pr.differentials.end()) {
      pr.differentials.insert(pr.differentials.begin(), a);
    }
    pr.reasons.push_back(reason("PR_ALTERNATIVE_CAUSE", "caution",
                                "Alternative cause recorded: " + a + " (Naranjo item 5).", {}));
  }

  // Mechanism on the immune axis.
  if (cls) {
    pr.blocked_axes = cls->blocked_axes;
    pr.released_axes = cls->released_axes;
    pr.mechanism_sources = cls->prov.src;
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : "/") + x;
      return s.empty() ? std::string("no recorded") : s;
    };
    pr.mechanism = fmt::format("{} ({}) blocks the {} axis; the {} axis it holds in check is released{}.",
                               culprit.biologic, cls->name, list(cls->blocked_axes),
                               list(cls->released_axes),
                               pr.reaction_disease ? ", the axis that drives " + *pr.reaction_disease : "");
  }
  for (const auto& d : {pr.primary_disease, pr.reaction_disease}) {
    if (!d) continue;
    const kb::Disease* dis = kb.find_disease(*d);
    // The nearest ancestor with a signature describes a subtype without one.
    while (dis && !dis->signature && dis->parent) dis = kb.find_disease(*dis->parent);
    if (!dis || !dis->signature) continue;
    pr.axis_profiles.push_back({*d, dis->signature->dominant_axes, dis->signature->present_axes,
                                dis->signature->reduced_axes, dis->signature->prov.src});
  }

  // Pharmacovigilance: the store's reporting signals for the culprits and the phenotype.
  if (signals && !pr.phenotype.empty()) cite_reporting_signals(kb, *signals, pr);
  return pr;
}

}  // namespace paraderm::assess::detail
