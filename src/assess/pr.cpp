// Paradoxical-reaction recognition: culprit, pattern, latency, causality (Naranjo), risk factors,
// differentials and the immune-axis mechanism. Rules: docs/assessment.md.
#include <cmath>
#include <map>
#include <tuple>

#include "assess/internal.h"

namespace paraderm::assess::detail {
namespace {

using clinical::Case;
using clinical::Date;

const kb::ScoreBand* naranjo_band(const kb::KnowledgeBase& kb, const std::string& factor,
                                  const std::string& answer) {
  for (const auto& b : kb.score_bands) {
    if (b.score == kb::ScoreKind::kNaranjo && b.factor == factor && b.text == answer) return &b;
  }
  return nullptr;
}

std::string quantity_text(const kb::Quantity& q) {
  std::string s;
  if (q.stat) s += *q.stat + " ";
  if (q.qualifier) s += kb::to_string(*q.qualifier);
  if (q.value) s += fmt_num(*q.value);
  if (q.low && q.high)
    s += format_text(FMT_COMPILE("{}({}-{})"), q.value ? " " : "", fmt_num(*q.low),
                     fmt_num(*q.high));
  return s + " " + q.unit;
}

// `reaction` is the condition the reaction was inferred from (nullptr for an explicit eruption):
// a recorded condition is a risk factor only as history, not as the reaction itself.
bool risk_factor_matches(const kb::KnowledgeBase& kb, const kb::RiskFactor& rf, const Case& c,
                         const Culprit& culprit, const clinical::Condition* reaction, Date onset,
                         std::string& detail) {
  if (!rf.match) return false;
  auto any = [&](auto pred) { return std::any_of(rf.values.begin(), rf.values.end(), pred); };
  switch (*rf.match) {
    case kb::RiskFactorMatch::kCondition: {
      return any([&](const std::string& v) {
        bool hit = std::any_of(
            c.conditions.begin(), c.conditions.end(), [&](const clinical::Condition& cond) {
              // History only: the reaction's own condition counts when it began before the reaction
              // (a recurrence of a known disease), any other when it did not begin after it.
              bool history = &cond == reaction ? cond.onset && *cond.onset < onset
                                               : !(cond.onset && *cond.onset > onset);
              return history && is_ancestor(kb, v, cond.disease);
            });
        if (hit) detail = "recorded condition " + v;
        return hit;
      });
    }
    case kb::RiskFactorMatch::kSex: {
      const std::string_view sex = to_string(c.patient.sex);
      detail = fmt::format("sex {}", sex);
      return any([&](const std::string& v) { return v == sex; });
    }
    case kb::RiskFactorMatch::kSmoking: {
      const std::string_view status = to_string(c.patient.smoking.status);
      detail = fmt::format("smoking {}", status);
      if (c.patient.smoking.status == clinical::SmokingStatus::kSmoker) {
        // Current or former, not said which: inside the factor only when it names both.
        auto named = [&](std::string_view v) {
          return std::find(rf.values.begin(), rf.values.end(), v) != rf.values.end();
        };
        return named("current") && named("former");
      }
      return any([&](const std::string& v) { return v == status; });
    }
    case kb::RiskFactorMatch::kFlag: {
      return any([&](const std::string& v) {
        bool hit = c.has_flag(v);
        if (hit) detail = "flag " + v;
        return hit;
      });
    }
    case kb::RiskFactorMatch::kAgePerYear: {
      if (!c.patient.age_years) return false;
      detail = format_text(FMT_COMPILE("age {:g} years"), G{*c.patient.age_years});
      return true;
    }
    case kb::RiskFactorMatch::kComedication: {
      return any([&](const std::string& v) {
        return std::any_of(
            c.medications.begin(), c.medications.end(), [&](const clinical::Medication& med) {
              // Co-therapy: taken together with the culprit (on its start date, else on the
              // record's date).
              auto when = culprit.start ? clinical::parse_date(*culprit.start) : std::nullopt;
              bool hit = clinical::normalise_name(med.label) == clinical::normalise_name(v) &&
                         med.active_on(when.value_or(c.as_of));
              if (hit) detail = "co-medication " + med.label;
              return hit;
            });
      });
    }
    case kb::RiskFactorMatch::kCulpritClass: {
      detail = "culprit class " + culprit.biologic_class;
      return any([&](const std::string& v) { return v == culprit.biologic_class; });
    }
    case kb::RiskFactorMatch::kCulprit: {
      detail = "culprit " + culprit.biologic;
      return any([&](const std::string& v) { return v == culprit.biologic; });
    }
  }
  return false;
}

// One reaction to assess: the record's explicit eruption, or one inferred from a condition.
struct Reaction {
  clinical::Eruption er;
  const clinical::Condition* from = nullptr;  // the condition it was inferred from
  std::string biologic;                       // the biologic it was inferred against
  std::string kind_basis;                     // why an inferred reaction is a worsening
};

// Steps from `id` up to `ancestor` in the disease tree (0: the same), or -1.
int ancestor_distance(const kb::KnowledgeBase& kb, const std::string& ancestor,
                      const std::string& id) {
  if (ancestor == id) return 0;
  const auto& chain = ancestors_of(kb, id);
  auto it = std::find(chain.begin(), chain.end(), ancestor);
  return it == chain.end() ? -1 : static_cast<int>(it - chain.begin()) + 1;
}

bool has_pattern(const kb::KnowledgeBase& kb, const std::string& cls, const std::string& biologic,
                 const std::string& phenotype) {
  return std::any_of(kb.pr_patterns.begin(), kb.pr_patterns.end(), [&](const kb::PrPattern& p) {
    return p.culprit_class == cls && (!p.culprit || *p.culprit == biologic) &&
           p.phenotype == phenotype;
  });
}

// A later entry of the same disease with a higher severity grade or score than an earlier one.
std::string severity_rise(const kb::KnowledgeBase& kb, const Case& c,
                          const clinical::Condition& later, Date onset) {
  for (const auto& earlier : c.conditions) {
    if (&earlier == &later || !earlier.onset || *earlier.onset >= onset ||
        !related(kb, earlier.disease, later.disease)) {
      continue;
    }
    const auto& a = earlier.severity_grade;
    const auto& b = later.severity_grade;
    if (a && b && *b > *a) {
      return format_text(FMT_COMPILE("severity {} ({}) after {} ({})"), kb::to_string(*b),
                         later.pointer, kb::to_string(*a), earlier.pointer);
    }
    const std::pair<const char*, std::optional<double> clinical::Severity::*> scores[] = {
        {"EASI", &clinical::Severity::easi},
        {"PASI", &clinical::Severity::pasi},
        {"BSA", &clinical::Severity::bsa},
        {"IGA", &clinical::Severity::iga}};
    for (const auto& [name, field] : scores) {
      const auto& x = earlier.severity.*field;
      const auto& y = later.severity.*field;
      if (x && y && *y > *x) {
        return format_text(FMT_COMPILE("{} {} ({}) after {} ({})"), name, fmt_num(*y),
                           later.pointer, fmt_num(*x), earlier.pointer);
      }
    }
  }
  return "";
}

// Biologics recorded as intended or proposed are never a cause; said where no culprit is found, so
// a biologic that was in fact given but recorded as planned is noticed.
std::string planned_note(const Case& c) {
  std::string planned;
  for (const auto& m : c.medications) {
    if (m.biologic && m.planned) {
      planned += (planned.empty() ? "" : ", ") + m.label + " (" + m.pointer + ")";
    }
  }
  if (planned.empty()) return planned;
  return " Recorded as planned, not taken, so not a cause: " + planned +
         "; if it was in fact given, record it as taken with its start date.";
}

// The phenotypes whose diseases include `disease` (or an ancestor of it), the most specific first
// (palmoplantar pustulosis is palmoplantar-pustular before it is pustular or psoriasiform).
std::vector<const kb::Phenotype*> phenotypes_of(const kb::KnowledgeBase& kb,
                                                const std::string& disease) {
  std::vector<std::pair<int, const kb::Phenotype*>> found;
  for (const auto& p : kb.phenotypes) {
    int best = -1;
    for (const auto& d : p.diseases) {
      int dist = ancestor_distance(kb, d, disease);
      if (dist >= 0 && (best < 0 || dist < best)) best = dist;
    }
    if (best >= 0) found.emplace_back(best, &p);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const kb::Phenotype*> out;
  out.reserve(found.size());
  for (const auto& [dist, p] : found) out.push_back(p);
  return out;
}

// A published pattern of the biologic (its class, or itself) for any of the phenotypes.
bool causes_any(const kb::KnowledgeBase& kb, const kb::Biologic& bio,
                const std::vector<const kb::Phenotype*>& phenotypes) {
  return std::any_of(phenotypes.begin(), phenotypes.end(), [&](const kb::Phenotype* ph) {
    return has_pattern(kb, bio.biologic_class, bio.id, ph->id);
  });
}

// Reactions a standard record implies: a condition whose disease is the disease of a phenotype
// that a biologic the patient was taking is published to cause (KB pr_pattern of its class and
// phenotype), begun after that biologic was started and while it was taken.
std::vector<Reaction> infer_reactions(const kb::KnowledgeBase& kb, const Case& c) {
  std::vector<Reaction> out;
  for (const auto& cond : c.conditions) {
    if (cond.disease.empty()) continue;
    bool found = false;
    for (const kb::Phenotype* ph : phenotypes_of(kb, cond.disease)) {
      for (const auto& m : c.medications) {
        // Started by: the start, else the date a statement asserted it was taken (the start was
        // on or before it, so a later onset is after the start).
        const std::optional<Date> started_by = m.start ? m.start : m.asserted;
        if (!m.biologic || !started_by || m.planned) continue;
        const kb::Biologic* bio = kb.find_biologic(*m.biologic);
        if (!bio || !has_pattern(kb, bio->biologic_class, bio->id, ph->id)) continue;
        // The reaction's onset: the condition's, or, for a recorded recurrence of a disease that
        // began before the biologic, the date the recurrence was recorded.
        std::optional<Date> onset;
        if (cond.onset && *cond.onset > *started_by)
          onset = cond.onset;
        else if (!cond.course.empty() && cond.recorded && *cond.recorded > *started_by)
          onset = cond.recorded;
        if (!onset || *onset > c.as_of || (m.stop && *m.stop < *onset)) continue;
        Reaction r;
        r.from = &cond;
        r.biologic = bio->id;
        r.er.phenotype = ph->id;
        r.er.onset = *onset;
        r.er.severity = cond.severity_grade;
        r.er.sites = cond.body_sites;
        if (!cond.course.empty()) {
          r.er.kind = clinical::EruptionKind::kWorsened;
          r.kind_basis = "recorded as a " + cond.course;
        } else if (auto rise = severity_rise(kb, c, cond, *onset); !rise.empty()) {
          r.er.kind = clinical::EruptionKind::kWorsened;
          r.kind_basis = rise;
        }
        // One reaction per phenotype and biologic: the earliest condition that shows it.
        auto same = std::find_if(out.begin(), out.end(), [&](const Reaction& o) {
          return o.er.phenotype == r.er.phenotype && o.biologic == r.biologic;
        });
        if (same == out.end())
          out.push_back(std::move(r));
        else if (r.er.onset < same->er.onset)
          *same = std::move(r);
        found = true;
        break;
      }
      if (found) break;
    }
  }
  return out;
}

// The number of decimals a published bound is printed with ("2.5" -> 1, "3" -> 0).
int decimals(double v) {
  std::string s = fmt_num(v);
  auto dot = s.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(s.size() - dot - 1);
}

LatencyComparison compare_latency(const kb::PrPattern& p, std::optional<int> days_to_onset) {
  const kb::Quantity& q = *p.latency;
  LatencyComparison l;
  l.pattern = p.id;
  l.published = quantity_text(q);
  l.unit = q.unit;
  l.published_days = days_of(q, q.value);
  l.low_days = days_of(q, q.low);
  l.high_days = days_of(q, q.high);
  l.sources = p.prov.src;
  add_sources(l.sources, q.prov.src);
  auto per_unit = days_of(q, 1.0);
  if (!days_to_onset || !per_unit) return l;
  l.onset_in_unit = *days_to_onset / *per_unit;
  // The range the source gives: low-high, or an upper bound ("usually within 4 months").
  std::optional<double> low = q.low, high = q.high;
  bool strict_high = false;
  if (!low && !high && q.value && q.qualifier) {
    if (*q.qualifier == kb::Qualifier::kLessOrEqual || *q.qualifier == kb::Qualifier::kLess) {
      low = 0;
      high = q.value;
      strict_high = *q.qualifier == kb::Qualifier::kLess;
    }
  }
  if (!low || !high) return l;
  // Compared in the source's unit at the precision it prints ("3 months" includes 3.04 months).
  int places = std::max(decimals(*low), decimals(*high));
  double scale = std::pow(10.0, places);
  double onset = std::round(*l.onset_in_unit * scale) / scale;
  l.within_range = onset >= *low && (strict_high ? onset < *high : onset <= *high);
  return l;
}

// The KB mechanism of this class and phenotype, else the class's general one.
const kb::PrMechanism* find_mechanism(const kb::KnowledgeBase& kb, const std::string& cls,
                                      const std::string& phenotype) {
  const kb::PrMechanism* general = nullptr;
  for (const auto& m : kb.pr_mechanisms) {
    if (m.culprit_class != cls) continue;
    if (m.phenotype && *m.phenotype == phenotype) return &m;
    if (!m.phenotype && !general) general = &m;
  }
  return general;
}

bool is_ratio(const kb::RiskFactor& rf) {
  using M = kb::EffectMeasure;
  return (rf.measure == M::kHr || rf.measure == M::kOr || rf.measure == M::kIrr ||
          rf.measure == M::kRr) &&
         rf.match != kb::RiskFactorMatch::kAgePerYear;
}

// What the Naranjo items are answered from.
struct CausalityInput {
  const Reaction& rx;
  const Culprit& culprit;
  const clinical::Medication* culprit_med;
  const std::vector<const kb::PrPattern*>& matching;
  const std::vector<std::string>& pattern_sources;
  bool predates;                 // a disease of the eruption's kind recorded before the culprit
  const std::string& predating;  // that disease
};

// Causality: the Naranjo items answered from the record (what it cannot answer is unknown), their
// total and its category (KB score bands, Naranjo 1981).
void score_naranjo(const kb::KnowledgeBase& kb, const CausalityInput& in, PrAssessment& pr) {
  const Reaction& rx = in.rx;
  const auto& er = rx.er;
  const Culprit& culprit = in.culprit;
  const clinical::Medication* culprit_med = in.culprit_med;
  const auto& matching = in.matching;
  const auto& pattern_sources = in.pattern_sources;
  const bool predates = in.predates;
  const std::string& predating = in.predating;
  const std::string unanswered = rx.from ? "not in the record" : "";
  pr.components.reserve(10);
  auto item = [&](const char* q, const std::string& answer, std::string basis,
                  std::vector<std::string> src) {
    NaranjoItem n{q, answer, 0, std::move(basis), std::move(src)};
    if (const kb::ScoreBand* b = naranjo_band(kb, q, answer)) {
      n.points = b->points.value_or(0);
      add_sources(n.sources, b->prov.src);
    }
    pr.components.push_back(n);
  };
  item("q1", matching.empty() ? "unknown" : "yes",
       matching.empty() ? format_text(FMT_COMPILE("no published {} pattern for {} in the KB"),
                                      er.phenotype, culprit.biologic_class)
                        : format_text(FMT_COMPILE("{} published pattern(s) of {} eruptions on {}"),
                                      matching.size(), er.phenotype, culprit.biologic_class),
       pattern_sources);
  bool after = culprit.days_to_onset && *culprit.days_to_onset >= 0 &&
               !(predates && er.kind == clinical::EruptionKind::kNew);
  item("q2", after ? "yes" : (predates ? "no" : "unknown"),
       predates && er.kind == clinical::EruptionKind::kNew
           ? format_text(FMT_COMPILE("{} was recorded before {} was started"), predating,
                         culprit.biologic)
           : (culprit.days_to_onset ? format_text(FMT_COMPILE("onset {} days after starting {}"),
                                                  *culprit.days_to_onset, culprit.biologic)
                                    : std::string("start date of the biologic unknown")),
       {});
  // Dechallenge from a standard record: the condition abated after the culprit was stopped.
  std::string dechallenge = er.dechallenge, dechallenge_basis = "dechallenge as recorded";
  if (rx.from) {
    dechallenge_basis = unanswered;
    if (culprit_med && culprit_med->stop && *culprit_med->stop >= er.onset && rx.from->abatement &&
        *rx.from->abatement >= *culprit_med->stop) {
      dechallenge = "yes";
      dechallenge_basis = format_text(FMT_COMPILE("{} abated on {}, after {} was stopped on {}"),
                                      *pr.condition, clinical::to_string(*rx.from->abatement),
                                      culprit.biologic, clinical::to_string(*culprit_med->stop));
    }
  }
  item("q3", dechallenge, dechallenge_basis, {});
  item("q4", er.rechallenge, rx.from ? unanswered : "rechallenge as recorded", {});
  std::string alt_answer =
      !er.alternative_causes.empty() ? "yes" : (er.alternatives_excluded ? "no" : "unknown");
  std::string alt_list;
  for (const auto& a : er.alternative_causes) alt_list += (alt_list.empty() ? "" : ", ") + a;
  item("q5", alt_answer,
       !er.alternative_causes.empty()
           ? "alternative causes recorded: " + alt_list
           : (er.alternatives_excluded ? "alternative causes excluded" : "not recorded"),
       {});
  item("q6", "unknown", "no placebo re-exposure in clinical practice", {});
  item("q7", "unknown", "drug levels are not measured for biologics in practice", {});
  item("q8", er.dose_related, rx.from ? unanswered : "dose relation as recorded", {});
  item("q9", er.previous_similar_reaction,
       rx.from ? unanswered : "previous similar reaction as recorded", {});
  item("q10", er.biopsy_consistent ? (*er.biopsy_consistent ? "yes" : "no") : "unknown",
       er.biopsy ? "biopsy: " + *er.biopsy : "no biopsy recorded", {});
  double total = 0;
  for (const auto& n : pr.components) total += n.points;
  pr.score = total;
  for (const auto& b : kb.score_bands) {
    if (b.score != kb::ScoreKind::kNaranjo || b.factor != "total"sv || !b.category) continue;
    bool lo = !b.min || total >= *b.min;
    bool hi = !b.max || total <= *b.max;
    if (lo && hi) pr.naranjo_category = parse_naranjo_category(*b.category);
  }
}

// Risk factors of this phenotype (and class) present in the record. Factors of one KB group
// overlap (the same exposure, or one containing the other): only the group's strongest effect
// enters the multiplier, so a history of AD is not counted again inside "personal atopy".
void add_risk_factors(const kb::KnowledgeBase& kb, const Case& c, const Reaction& rx,
                      const Culprit& culprit, PrAssessment& pr) {
  const auto& er = rx.er;
  std::vector<const kb::RiskFactor*> matched;
  for (const auto& rf : kb.risk_factors) {
    if (rf.phenotype && *rf.phenotype != er.phenotype) continue;
    if (rf.culprit_class && *rf.culprit_class != culprit.biologic_class) continue;
    std::string detail;
    if (!risk_factor_matches(kb, rf, c, culprit, rx.from, er.onset, detail)) continue;
    pr.risk_factors.push_back({rf.id, rf.factor, rf.measure, rf.direction, rf.estimate, rf.ci_low,
                               rf.ci_high, detail, rf.group, false, rf.prov.src});
    matched.push_back(&rf);
  }
  std::map<std::string, std::size_t> strongest;  // group (or the factor's own id) -> hit
  for (std::size_t i = 0; i < matched.size(); ++i) {
    if (!is_ratio(*matched[i]) || matched[i]->estimate <= 0) continue;
    const std::string key = matched[i]->group.value_or("id:" + matched[i]->id);
    auto it = strongest.find(key);
    if (it == strongest.end() || std::abs(std::log(matched[i]->estimate)) >
                                     std::abs(std::log(matched[it->second]->estimate))) {
      strongest[key] = i;
    }
  }
  if (!strongest.empty()) {
    double multiplier = 1;
    for (const auto& [key, i] : strongest) {
      multiplier *= matched[i]->estimate;
      pr.risk_factors[i].in_multiplier = true;
    }
    pr.risk_multiplier = multiplier;
  }
  for (std::size_t i = 0; i < matched.size(); ++i) {
    const auto& rf = *matched[i];
    const auto& hit = pr.risk_factors[i];
    std::string overlap;
    if (rf.group && is_ratio(rf)) {
      std::vector<std::string> others;
      for (std::size_t j = 0; j < matched.size(); ++j) {
        if (j != i && matched[j]->group == rf.group && is_ratio(*matched[j]))
          others.push_back(matched[j]->id);
      }
      if (!others.empty()) {
        std::string list;
        for (const auto& o : others) list += (list.empty() ? "" : ", ") + o;
        overlap = format_text(FMT_COMPILE(" Overlaps {} (group {}): {}."), list, *rf.group,
                              hit.in_multiplier
                                  ? "the strongest of the group, used in the risk multiplier"
                                  : "not multiplied again");
      }
    }
    pr.reasons.push_back(reason(
        ReasonCode::kPrRiskFactor,
        rf.direction == kb::EffectDirection::kIncreases ? Severity::kCaution : Severity::kInfo,
        format_text(FMT_COMPILE("{} ({}): {} {}{} for {}.{}"), rf.factor, hit.detail,
                    kb::to_string(rf.measure), fmt_num(rf.estimate),
                    rf.ci_low && rf.ci_high ? format_text(FMT_COMPILE(" ({}-{})"),
                                                          fmt_num(*rf.ci_low), fmt_num(*rf.ci_high))
                                            : "",
                    rf.reaction, overlap),
        rf.prov.src));
  }
}

// Mechanism: the KB's proposed mechanism for this class and phenotype (else the class's general
// one; with none, only the axes the class blocks are shown), and the two diseases' axis profiles.
void add_mechanism(const kb::KnowledgeBase& kb, const kb::BiologicClass* cls,
                   const std::string& phenotype, PrAssessment& pr) {
  if (cls) {
    if (const kb::PrMechanism* m = find_mechanism(kb, cls->id, phenotype)) {
      pr.mechanism = m->text;
      pr.blocked_axes = m->blocked_axes;
      pr.released_axes = m->released_axes;
      pr.mechanism_sources = m->prov.src;
    } else {
      pr.blocked_axes = cls->blocked_axes;
    }
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
}

// The disease the biologic was given for: a recorded condition among its indications, other than
// the reaction's own, preferring one recorded before the biologic was started.
void set_primary_disease(const kb::KnowledgeBase& kb, const Case& c, const Reaction& rx,
                         const Culprit& culprit, const kb::Biologic* bio,
                         const clinical::Medication* culprit_med, PrAssessment& pr) {
  if (bio) {
    for (bool before_start : {true, false}) {
      for (const auto& ind : bio->indication) {
        for (const auto& cond : c.conditions) {
          if (pr.primary_disease || &cond == rx.from) continue;
          bool later =
              culprit_med && culprit_med->start && cond.onset && *cond.onset > *culprit_med->start;
          if (before_start && later) continue;
          if (related(kb, ind.disease, cond.disease)) pr.primary_disease = cond.disease;
        }
      }
    }
  }
  if (!pr.primary_disease) {
    pr.reasons.push_back(
        reason(ReasonCode::kPrPrimaryDiseaseUnknown, Severity::kCaution,
               format_text(FMT_COMPILE("No recorded condition is among {}'s indications: the "
                                       "disease it treats is unknown, so coverage of it is "
                                       "unknown."),
                           culprit.biologic),
               bio ? bio->prov.src : std::vector<std::string>{}));
  }
}

// The biologics started on or before `onset` and not stopped before it, one per biologic (the
// same one in two records — an order and a statement of one export — from the earliest start
// that reaches the onset); `started_after` when a biologic was started only after it.
struct CandidateCulprits {
  std::vector<std::pair<Culprit, const clinical::Medication*>> found;
  bool started_after = false;
};

CandidateCulprits candidate_culprits(const kb::KnowledgeBase& kb, const Case& c,
                                     clinical::Date onset) {
  CandidateCulprits out;
  auto& found = out.found;
  for (const auto& m : c.medications) {
    if (!m.biologic || m.planned) continue;
    if (m.start && *m.start > onset) {
      out.started_after = true;
      continue;
    }
    if (m.stop && *m.stop < onset) continue;
    const kb::Biologic* b = kb.find_biologic(*m.biologic);
    Culprit cu;
    cu.biologic = *m.biologic;
    cu.biologic_class = b ? b->biologic_class : "";
    if (m.start) {
      cu.start = clinical::to_string(*m.start);
      cu.days_to_onset = static_cast<int>((onset - *m.start).count());
    }
    auto same = std::find_if(found.begin(), found.end(),
                             [&](const auto& f) { return f.first.biologic == cu.biologic; });
    if (same == found.end()) {
      found.emplace_back(cu, &m);
    } else if (m.start && (!same->second->start || *m.start < *same->second->start)) {
      *same = {cu, &m};
    }
  }
  return out;
}

PrAssessment assess_reaction(const kb::KnowledgeBase& kb, const Case& c, const Reaction& rx,
                             const SignalSource* signals) {
  PrAssessment pr;
  const auto& er = rx.er;
  pr.source = rx.from ? "condition" : "eruption";
  pr.kind = er.kind;
  pr.onset = clinical::to_string(er.onset);
  pr.severity = er.severity;
  pr.sites = er.sites;
  if (rx.from) {
    pr.condition = rx.from->label.empty() ? rx.from->disease : rx.from->label;
    pr.condition_pointer = rx.from->pointer;
    pr.record_notes = rx.from->notes;
  }
  pr.phenotype = er.phenotype;
  const kb::Phenotype* phenotype = nullptr;
  for (const auto& p : kb.phenotypes) {
    if (p.id == er.phenotype) phenotype = &p;
  }
  if (phenotype && !phenotype->diseases.empty()) pr.reaction_disease = phenotype->diseases.front();
  if (rx.from) {
    pr.reasons.push_back(reason(
        ReasonCode::kPrInferredFromCondition, Severity::kInfo,
        format_text(
            FMT_COMPILE(
                "Inferred from the recorded condition {} ({}): {} reaction, {}{}, onset {}. The "
                "record has no eruption details: the causality items it cannot answer are "
                "unknown."),
            *pr.condition, rx.from->pointer, er.phenotype, to_string(er.kind),
            rx.kind_basis.empty() ? "" : " (" + rx.kind_basis + ")", *pr.onset),
        phenotype ? phenotype->prov.src : std::vector<std::string>{}));
  }

  // Culprits: biologics started on or before the eruption and not stopped before it; those
  // published to cause this phenotype first.
  auto [found, started_after] = candidate_culprits(kb, c, er.onset);
  std::stable_partition(found.begin(), found.end(), [&](const auto& f) {
    return f.first.biologic == rx.biologic ||
           (rx.biologic.empty() &&
            has_pattern(kb, f.first.biologic_class, f.first.biologic, er.phenotype));
  });
  for (const auto& f : found) pr.culprits.push_back(f.first);
  const clinical::Medication* culprit_med = found.empty() ? nullptr : found.front().second;
  if (pr.culprits.empty()) {
    pr.classification = PrClass::kNone;
    std::string text = started_after ? "The only biologic in the record was started after the "
                                       "eruption began: not a paradoxical reaction to it."
                                     : "No biologic was being taken when the eruption began: not "
                                       "a paradoxical reaction.";
    pr.reasons.push_back(
        reason(ReasonCode::kPrNoCulprit, Severity::kInfo, text + planned_note(c), {}));
    return pr;
  }
  const Culprit& culprit = pr.culprits.front();
  const kb::Biologic* bio = kb.find_biologic(culprit.biologic);
  const kb::BiologicClass* cls = kb.find_biologic_class(culprit.biologic_class);

  set_primary_disease(kb, c, rx, culprit, bio, culprit_med, pr);

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
        if (std::find(pr.differentials.begin(), pr.differentials.end(), d) ==
            pr.differentials.end()) {
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
      if (related(kb, *pr.reaction_disease, cond.disease) && cond.onset &&
          *cond.onset < *culprit_med->start && ongoing) {
        predates = true;
        predating = cond.disease;
      }
    }
  }

  // Latency against the published latency of the matching patterns, in their units.
  for (const auto* p : matching) {
    if (p->latency) pr.latency.push_back(compare_latency(*p, culprit.days_to_onset));
  }

  score_naranjo(kb, {rx, culprit, culprit_med, matching, pattern_sources, predates, predating}, pr);
  using enum NaranjoCategory;
  if (pr.naranjo_category == kDefinite || pr.naranjo_category == kProbable)
    pr.classification = PrClass::kLikely;
  else if (pr.naranjo_category == kPossible)
    pr.classification = PrClass::kPossible;
  else
    pr.classification = PrClass::kUnlikely;
  if (predates && er.kind == clinical::EruptionKind::kNew) {
    pr.classification = PrClass::kUnlikely;
    pr.reasons.push_back(reason(
        ReasonCode::kPrPredatesBiologic, Severity::kWarning,
        format_text(
            FMT_COMPILE("{} is recorded before {} was started and the eruption is not marked as a "
                        "worsening: a pre-existing disease, not a paradoxical reaction."),
            predating, culprit.biologic),
        {}));
  } else if (predates) {
    pr.reasons.push_back(
        reason(ReasonCode::kPrRelapse, Severity::kInfo,
               format_text(FMT_COMPILE("Worsening of pre-existing {} after {} was started "
                                       "(relapse or flare form of the reaction)."),
                           predating, culprit.biologic),
               pattern_sources));
  }
  pr.reasons.push_back(reason(
      ReasonCode::kPrCulpritActive, Severity::kInfo,
      format_text(FMT_COMPILE("{} ({}) was being taken when the {} eruption began{}."),
                  culprit.biologic, cls ? cls->name : culprit.biologic_class, er.phenotype,
                  culprit.days_to_onset ? format_text(FMT_COMPILE(", {} days after it was started"),
                                                      *culprit.days_to_onset)
                                        : ""),
      bio ? bio->prov.src : std::vector<std::string>{}));
  if (!matching.empty()) {
    pr.reasons.push_back(
        reason(ReasonCode::kPrPatternKnown, Severity::kInfo,
               format_text(FMT_COMPILE("{} eruptions are a published paradoxical reaction to {} "
                                       "({} source pattern(s))."),
                           er.phenotype, cls ? cls->name : culprit.biologic_class, matching.size()),
               pattern_sources));
  } else {
    pr.reasons.push_back(
        reason(ReasonCode::kPrPatternUnknown, Severity::kCaution,
               format_text(FMT_COMPILE("No published {} pattern for {} in the KB."), er.phenotype,
                           culprit.biologic_class),
               {}));
  }
  for (const auto& l : pr.latency) {
    if (!l.within_range) continue;
    pr.reasons.push_back(reason(
        *l.within_range ? ReasonCode::kPrLatencyWithin : ReasonCode::kPrLatencyOutside,
        *l.within_range ? Severity::kInfo : Severity::kCaution,
        format_text(FMT_COMPILE("Onset after {} days ({} {}); published latency {} ({})."),
                    *culprit.days_to_onset, format_text(FMT_COMPILE("{:.1f}"), *l.onset_in_unit),
                    l.unit, l.published, l.pattern),
        l.sources));
  }

  add_risk_factors(kb, c, rx, culprit, pr);
  for (const auto& a : er.alternative_causes) {
    if (std::find(pr.differentials.begin(), pr.differentials.end(), a) == pr.differentials.end()) {
      pr.differentials.insert(pr.differentials.begin(), a);
    }
    pr.reasons.push_back(reason(ReasonCode::kPrAlternativeCause, Severity::kCaution,
                                "Alternative cause recorded: " + a + " (Naranjo item 5).", {}));
  }

  add_mechanism(kb, cls, er.phenotype, pr);

  // Pharmacovigilance: the store's reporting signals for the culprits and the phenotype.
  if (signals && !pr.phenotype.empty()) cite_reporting_signals(kb, *signals, pr);
  return pr;
}

// PrClass is ordered most certain first.
int classification_rank(PrClass c) { return static_cast<int>(c); }

// 0: onset within a published range, 1: not judged, 2: only outside.
int latency_rank(const PrAssessment& pr) {
  bool outside = false;
  for (const auto& l : pr.latency) {
    if (l.within_range == std::optional<bool>(true)) return 0;
    if (l.within_range == std::optional<bool>(false)) outside = true;
  }
  return outside ? 2 : 1;
}

// A biologic published to cause a recorded condition's phenotype that cannot be placed before or
// after it — the biologic has no start date (and no asserted date before the onset), or the
// condition has no onset date — is named as not assessed, so that "no eruption" is not read as
// "none occurred".
std::vector<Reason> timing_unknown_under_biologic(const kb::KnowledgeBase& kb, const Case& c) {
  std::vector<Reason> out;
  for (const auto& m : c.medications) {
    if (!m.biologic || m.planned) continue;
    const kb::Biologic* bio = kb.find_biologic(*m.biologic);
    if (!bio) continue;
    for (const auto& cond : c.conditions) {
      if (cond.disease.empty() || (cond.onset && *cond.onset > c.as_of)) continue;
      const bool start_unknown =
          !m.start && !(cond.onset && m.asserted && *m.asserted < *cond.onset);
      // An onset known as a span ("2026-03", an age) that holds the start: before or after it?
      const bool span_holds_start = cond.onset && cond.onset_latest && m.start &&
                                    *cond.onset <= *m.start && *cond.onset_latest > *m.start;
      // Placed: inferred, or it predates the start.
      if (cond.onset && !start_unknown && !span_holds_start) continue;
      if (cond.onset && m.stop && *m.stop < *cond.onset) continue;  // stopped before it began
      // Recorded before the biologic was started: it predates it.
      if (!cond.onset && cond.recorded && m.start && *cond.recorded < *m.start) continue;
      if (!cond.course.empty()) continue;  // a recorded recurrence is placed by its recorded date
      const auto phenotypes = phenotypes_of(kb, cond.disease);
      const bool published = causes_any(kb, *bio, phenotypes);
      if (!published) continue;
      const std::string name = cond.label.empty() ? cond.disease : cond.label;
      std::string missing;
      if (start_unknown) {
        missing =
            format_text(FMT_COMPILE("{} ({}) has no start date{}"), m.label, m.pointer,
                        m.asserted ? " (asserted as taken on " + clinical::to_string(*m.asserted) +
                                         ", not before the condition)"
                                   : std::string());
      }
      if (span_holds_start) {
        missing += format_text(
            FMT_COMPILE("{}{} ({}) began between {} and {}, and {} was started "
                        "on {}"),
            missing.empty() ? "" : " and ", name, cond.pointer, clinical::to_string(*cond.onset),
            clinical::to_string(*cond.onset_latest), m.label, clinical::to_string(*m.start));
      }
      if (!cond.onset) {
        missing +=
            format_text(FMT_COMPILE("{}{} ({}) has no onset date{}"),
                        missing.empty() ? "" : " and ", name, cond.pointer,
                        cond.recorded ? " (recorded " + clinical::to_string(*cond.recorded) + ")"
                                      : std::string());
      }
      out.push_back(reason(
          ReasonCode::kPrTimingUnknown, Severity::kWarning,
          format_text(FMT_COMPILE("Not assessed: {}, so whether {}{} began while {} was taken "
                                  "cannot be said — a published paradoxical reaction of its "
                                  "class. Record the {}."),
                      missing, name,
                      cond.onset && !span_holds_start
                          ? " (onset " + clinical::to_string(*cond.onset) + ")"
                          : std::string(),
                      m.label,
                      start_unknown && !cond.onset ? "start and onset dates"
                      : start_unknown              ? "start date"
                                                   : "onset date"),
          bio->prov.src));
    }
  }
  return out;
}

// A condition the KB does not know that began while a biologic was being taken might be the
// reaction: named as not assessed, so that "no eruption" is not read as "none occurred".
std::vector<Reason> unrecognised_under_biologic(const kb::KnowledgeBase& kb, const Case& c) {
  std::vector<Reason> out;
  if (c.unrecognised_conditions.empty()) return out;
  // The phenotypes' diseases, as the KB names them: what such a condition could be recorded as.
  std::string known;
  for (const auto& ph : kb.phenotypes) {
    if (ph.diseases.empty()) continue;
    const kb::Disease* d = kb.find_disease(ph.diseases.front());
    std::string name = d ? d->name : ph.diseases.front();
    if (known.find(name) == std::string::npos) known += (known.empty() ? "" : ", ") + name;
  }
  for (const auto& cond : c.unrecognised_conditions) {
    if (!cond.onset) continue;
    for (const auto& m : c.medications) {
      if (!m.biologic || !m.start || *m.start > *cond.onset || !m.taken_on(*cond.onset)) continue;
      out.push_back(reason(
          ReasonCode::kPrUnrecognisedCondition, Severity::kWarning,
          format_text(FMT_COMPILE("Not assessed: {} ({}) began on {} while {} was being taken, "
                                  "but is not a condition the KB knows. If it is a skin eruption, "
                                  "record it with a SNOMED CT or ICD-10 code of its disease ({}) "
                                  "to have it assessed as a paradoxical reaction."),
                      cond.label, cond.pointer, clinical::to_string(*cond.onset), m.label, known),
          {}));
      break;
    }
  }
  return out;
}

// A condition some biologic class is published to cause began while a medication recorded only
// by a code the KB does not hold (an NDC, a local code) was being taken: were it a biologic, the
// reaction went unseen. Named as not assessed, so that "no eruption" is not read as "none
// occurred". A medication with a name is not: the name says what it is (and is warned about).
std::vector<Reason> under_unidentified_medication(const kb::KnowledgeBase& kb, const Case& c) {
  std::vector<Reason> out;
  std::vector<const clinical::Medication*> unidentified;
  for (const auto& m : c.medications) {
    if (m.unmapped && m.label.empty() && !m.planned && m.start) unidentified.push_back(&m);
  }
  if (unidentified.empty()) return out;
  for (const auto& cond : c.conditions) {
    if (cond.disease.empty() || !cond.onset || *cond.onset > c.as_of ||
        cond.status != clinical::ConditionStatus::kActive)
      continue;
    const auto phenotypes = phenotypes_of(kb, cond.disease);
    const bool published =
        std::any_of(kb.pr_patterns.begin(), kb.pr_patterns.end(), [&](const kb::PrPattern& p) {
          return std::any_of(phenotypes.begin(), phenotypes.end(),
                             [&](const kb::Phenotype* ph) { return ph->id == p.phenotype; });
        });
    if (!published) continue;
    std::string meds;
    for (const auto* m : unidentified) {
      if (*m->start > *cond.onset || (m->stop && *m->stop < *cond.onset)) continue;
      meds += (meds.empty() ? "" : ", ") + m->pointer;
    }
    if (meds.empty()) continue;
    out.push_back(reason(
        ReasonCode::kPrUnidentifiedMedication, Severity::kWarning,
        format_text(FMT_COMPILE("Not assessed: {} ({}) began on {} while a medication recorded "
                                "only by a code the KB does not hold was being taken ({}; see "
                                "warnings). If it is a biologic, this may be a paradoxical "
                                "reaction: record the medication with an RxNorm or ATC code, or "
                                "its name."),
                    cond.label.empty() ? cond.disease : cond.label, cond.pointer,
                    clinical::to_string(*cond.onset), meds),
        {}));
  }
  return out;
}

// A condition some biologic's class is published to cause that began after the biologic was
// stopped (it was started before the onset): a biologic acts for some time after its last dose,
// and the KB holds no elimination time for any of them, so whether it was still acting is not
// assessed — named, never read as "no reaction".
std::vector<Reason> after_stop_of_biologic(const kb::KnowledgeBase& kb, const Case& c) {
  std::vector<Reason> out;
  for (const auto& cond : c.conditions) {
    if (cond.disease.empty() || !cond.onset || *cond.onset > c.as_of ||
        cond.status != clinical::ConditionStatus::kActive)
      continue;
    const auto phenotypes = phenotypes_of(kb, cond.disease);
    // The biologic stopped last before the onset, of those published to cause it.
    const clinical::Medication* latest = nullptr;
    const kb::Biologic* latest_bio = nullptr;
    for (const auto& m : c.medications) {
      if (!m.biologic || m.planned || !m.start || !m.stop || *m.start > *cond.onset ||
          *m.stop >= *cond.onset)
        continue;
      const kb::Biologic* bio = kb.find_biologic(*m.biologic);
      if (!bio) continue;
      const bool published = causes_any(kb, *bio, phenotypes);
      if (published && (!latest || *m.stop > *latest->stop)) {
        latest = &m;
        latest_bio = bio;
      }
    }
    if (!latest) continue;
    out.push_back(reason(
        ReasonCode::kPrAfterStop, Severity::kWarning,
        format_text(FMT_COMPILE("Not assessed: {} ({}) began on {}, {} days after {} ({}) was "
                                "stopped on {} — a published paradoxical reaction of its class. "
                                "The KB holds no elimination time for {}, so whether it was "
                                "still acting at the onset is not assessed: judge clinically."),
                    cond.label.empty() ? cond.disease : cond.label, cond.pointer,
                    clinical::to_string(*cond.onset), (*cond.onset - *latest->stop).count(),
                    latest->label, latest->pointer, clinical::to_string(*latest->stop),
                    latest_bio->name),
        latest_bio->prov.src));
  }
  return out;
}

}  // namespace

std::vector<PrAssessment> assess_pr_candidates(const kb::KnowledgeBase& kb, const Case& c,
                                               const SignalSource* signals) {
  std::vector<PrAssessment> out;
  // The explicit eruption (native `eruption`, FHIR extension) describes the reaction in full:
  // it is the one assessed.
  if (c.eruption) {
    Reaction r;
    r.er = *c.eruption;
    out.push_back(assess_reaction(kb, c, r, signals));
    return out;
  }
  for (const auto& r : infer_reactions(kb, c)) out.push_back(assess_reaction(kb, c, r, signals));
  if (out.empty()) {
    PrAssessment pr;
    pr.reasons.push_back(reason(ReasonCode::kPrNoEruption, Severity::kInfo,
                                "No eruption is recorded, and no recorded condition began or "
                                "recurred while a biologic published to cause it was being taken: "
                                "no paradoxical reaction to assess." +
                                    planned_note(c),
                                {}));
    for (auto& r : unrecognised_under_biologic(kb, c)) pr.reasons.push_back(std::move(r));
    for (auto& r : under_unidentified_medication(kb, c)) pr.reasons.push_back(std::move(r));
    for (auto& r : timing_unknown_under_biologic(kb, c)) pr.reasons.push_back(std::move(r));
    for (auto& r : after_stop_of_biologic(kb, c)) pr.reasons.push_back(std::move(r));
    out.push_back(std::move(pr));
    return out;
  }
  // Most likely first: classification, Naranjo score, onset within a published latency range,
  // the number of published patterns of the class for the phenotype, then the earlier onset.
  std::stable_sort(out.begin(), out.end(), [](const PrAssessment& a, const PrAssessment& b) {
    auto key = [](const PrAssessment& p) {
      return std::make_tuple(classification_rank(p.classification), -p.score.value_or(-99),
                             latency_rank(p), -static_cast<int>(p.matching_patterns.size()),
                             p.onset.value_or(""));
    };
    return key(a) < key(b);
  });
  return out;
}

std::vector<std::string> option_diseases(const kb::KnowledgeBase& kb, const Case& c,
                                         const PrAssessment& pr) {
  std::vector<std::string> out;
  auto add = [&](const std::string& d) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  };
  // A paradoxical reaction: the disease the culprit treats and the reaction's disease.
  if (!pr.culprits.empty()) {
    if (pr.primary_disease) add(*pr.primary_disease);
    if (pr.reaction_disease) add(*pr.reaction_disease);
    return out;
  }
  // None: the eruption's disease and every active immune-mediated dermatosis or disease a KB
  // JAK/TYK2 inhibitor is approved for.
  if (pr.reaction_disease) add(*pr.reaction_disease);
  for (const auto& cond : c.conditions) {
    if (cond.status != clinical::ConditionStatus::kActive || cond.disease.empty() ||
        (cond.onset && *cond.onset > c.as_of))
      continue;
    const kb::Disease* d = kb.find_disease(cond.disease);
    bool skin = d && d->category == kb::DiseaseCategory::kImmuneSkin;
    bool indication = std::any_of(kb.drugs.begin(), kb.drugs.end(), [&](const kb::Drug& drug) {
      return std::any_of(drug.indication.begin(), drug.indication.end(),
                         [&](const kb::DrugIndication& ind) {
                           return ind.status == kb::IndicationStatus::kApproved &&
                                  is_ancestor(kb, ind.disease, cond.disease);
                         });
    });
    if (skin || indication) add(cond.disease);
  }
  return out;
}

}  // namespace paraderm::assess::detail
