// The safety plan for the top-ranked drug: baseline screening with what the record shows,
// the monitoring calendar from the start date, and alerts for follow-up results that cross a
// label threshold while a JAK inhibitor is being taken, or the planned drug's do-not-start
// threshold before it is.
#include <chrono>
#include <limits>

#include "assess/internal.h"
#include "paraderm/units.h"

namespace paraderm::assess::detail {
namespace {

using clinical::Case;
using clinical::Date;

// Which lab results show a screening item as done (KB lab.screening_item: terminology).
std::vector<std::pair<kb::ScreeningKind, std::vector<std::string>>> item_labs(
    const kb::KnowledgeBase& kb) {
  std::vector<std::pair<kb::ScreeningKind, std::vector<std::string>>> m;
  for (const auto& lab : kb.labs) {
    if (!lab.screening_item) continue;
    auto it = std::find_if(m.begin(), m.end(),
                           [&](const auto& e) { return e.first == *lab.screening_item; });
    if (it == m.end()) it = m.insert(m.end(), {*lab.screening_item, {}});
    it->second.push_back(lab.id);
  }
  return m;
}

ReasonCode alert_code(kb::LabAction action) {
  switch (action) {
    case kb::LabAction::kInterrupt:
      return ReasonCode::kLabInterrupt;
    case kb::LabAction::kDiscontinue:
      return ReasonCode::kLabDiscontinue;
    case kb::LabAction::kDoseReduce:
      return ReasonCode::kLabDoseReduce;
    case kb::LabAction::kDoNotStart:
      return ReasonCode::kLabDoNotStart;
  }
  return ReasonCode::kLabInterrupt;
}

std::string days_before(Date d, Date start) {
  auto n = (start - d).count();
  return n >= 0 ? format_text(FMT_COMPILE("{} days before start"), n)
                : format_text(FMT_COMPILE("{} days after start"), -n);
}

// The doses a FHIR record lists (Immunization) for a screening item: a dose of the item's vaccine
// records it, with the dates; a live vaccine is named with its date on the vaccination item, since
// the labels say to avoid live vaccines during and immediately before treatment and state no
// interval (shown, never judged).
void vaccine_doses(const kb::KnowledgeBase& kb, const Case& c, Date start, ScreeningItem& item) {
  std::string doses, live;
  Date latest{};
  for (const auto& im : c.immunizations) {
    if (im.date > c.as_of) continue;  // recorded ahead of the assessment date: not yet given
    const kb::Vaccine* v = nullptr;
    for (const auto& k : kb.vaccines) {
      if (k.id == im.vaccine) v = &k;
    }
    if (!v) continue;
    if (v->screening_item == item.item) {
      doses += format_text(FMT_COMPILE("{}{} {}"), doses.empty() ? "" : ", ", v->name,
                           clinical::to_string(im.date));
      latest = std::max(latest, im.date);
    }
    if (v->live && item.item == kb::ScreeningKind::kVaccination) {
      live += format_text(FMT_COMPILE("{}{} on {} ({})"), live.empty() ? "" : ", ", v->name,
                          clinical::to_string(im.date), days_before(im.date, start));
    }
  }
  if (!doses.empty()) {
    item.status = ScreeningStatus::kRecorded;
    item.last_date = clinical::to_string(latest);
    item.detail = doses + "; " + days_before(latest, start);
  }
  if (!live.empty()) {
    // The renderers show the detail in place of the item's text: keep the text in front of it.
    if (item.detail.empty()) item.detail = item.text;
    const bool sentence_ended = !item.detail.empty() && item.detail.back() == '.';
    item.detail += format_text(FMT_COMPILE("{}ive vaccine recorded: {} — the labels say avoid "
                                           "live vaccines during and immediately before "
                                           "treatment (no interval stated: judge clinically)"),
                               item.detail.empty() ? "L"
                               : sentence_ended    ? " L"
                                                   : "; l",
                               live);
  }
}

}  // namespace

SafetyPlan safety_plan(const kb::KnowledgeBase& kb, const Case& c,
                       const std::vector<Option>& options, Date start,
                       const std::optional<std::string>& planned_drug) {
  SafetyPlan plan;
  plan.start_date = clinical::to_string(start);
  const Option* top = nullptr;
  // A drug the clinician has already planned stays the plan's drug when new results rank it
  // lower: the plan then says why it would not be started instead of silently moving on.
  for (const auto& o : options) {
    if (planned_drug && o.kind == OptionKind::kDrug && o.id == *planned_drug) top = &o;
  }
  for (const auto& o : options) {
    if (top) break;
    if (o.kind == OptionKind::kDrug && o.verdict <= Verdict::kCaution) top = &o;
  }
  if (top) {
    plan.for_drug = top->id;
    const kb::Drug* d = kb.find_drug(top->id);
    const auto screening_labs = item_labs(kb);
    for (const auto& s : d->screening) {
      ScreeningItem item{s.item,    ScreeningStatus::kNotRecorded, std::nullopt, "", s.text,
                         s.prov.src};
      if (s.item == kb::ScreeningKind::kPregnancy && c.patient.sex == clinical::Sex::kMale) {
        item.status = ScreeningStatus::kNotApplicable;
        item.detail = "male patient";
      }
      for (const auto& [name, labs] : screening_labs) {
        if (name != s.item || item.status == ScreeningStatus::kNotApplicable) continue;
        std::string found, unreadable;
        Date latest{};
        bool all = true, any = false;
        for (const auto& lab : labs) {
          const auto* r = c.latest(lab, c.as_of);
          if (!r || r->unusable) {
            // A result that cannot be read is not a screening done: said, never counted.
            if (r) {
              unreadable += format_text(FMT_COMPILE("{}{} on {} could not be read ({})"),
                                        unreadable.empty() ? "" : "; ", lab,
                                        clinical::to_string(r->date), *r->unusable);
            }
            all = false;
            continue;
          }
          any = true;
          if (r->date > latest) latest = r->date;
          std::string readings;
          for (const auto* day : c.day_as_read(*r)) {
            readings += (readings.empty() ? "" : " / ") +
                        (day->value || day->bound ? day->shown() : day->text.value_or(""));
          }
          found +=
              format_text(FMT_COMPILE("{}{} {} ({}{})"), found.empty() ? "" : ", ", lab, readings,
                          clinical::to_string(r->date), r->disputed ? ", disagreeing results" : "");
        }
        // CBC needs all four counts; the others any one of their tests.
        bool done = s.item == kb::ScreeningKind::kCbc ? all : any;
        if (done) {
          item.status = ScreeningStatus::kRecorded;
          item.last_date = clinical::to_string(latest);
          item.detail =
              found + "; " + days_before(latest, start) +
              " (how recent is recent enough is not stated in the label: judge clinically)";
        } else if (any) {
          item.detail = "partly recorded: " + found;
        }
        if (!unreadable.empty()) {
          item.detail += (item.detail.empty() ? "" : "; ") + unreadable;
        }
      }
      if (s.item == kb::ScreeningKind::kZosterVaccine && c.has_flag("zoster-vaccinated")) {
        item.status = ScreeningStatus::kRecorded;
        item.detail = "recorded as given";
      }
      vaccine_doses(kb, c, start, item);
      if (s.item == kb::ScreeningKind::kVaccination && c.has_flag("vaccinations-up-to-date")) {
        item.status = ScreeningStatus::kRecorded;
        item.detail = "recorded as up to date";
      }
      plan.screening.push_back(item);
    }
    // kb/formulas.toml monitoring-plan.repeats (an engine-read id, so the KB always has it).
    int repeats = 0;
    for (const auto& fc : kb.formula_constants) {
      if (fc.formula == "monitoring-plan"sv && fc.name == "repeats"sv)
        repeats = static_cast<int>(fc.value);
    }
    for (const auto& m : d->monitoring) {
      if (!applies(m.region, c.region)) continue;
      std::vector<double> weeks = m.at_weeks;
      if (m.every_weeks) {
        double from = weeks.empty() ? 0 : weeks.back();
        for (int i = 1; i <= repeats; ++i) weeks.push_back(from + i * *m.every_weeks);
      }
      if (weeks.empty()) {
        plan.monitoring.push_back({m.test, "", m.text, m.prov.src});
        continue;
      }
      for (double w : weeks) {
        Date when = start + std::chrono::days(static_cast<int>(std::lround(w * 7)));
        plan.monitoring.push_back({m.test, clinical::to_string(when),
                                   format_text(FMT_COMPILE("week {:g}: {}"), G{w}, m.text),
                                   m.prov.src});
      }
    }
    std::stable_sort(plan.monitoring.begin(), plan.monitoring.end(),
                     [](const MonitoringEvent& a, const MonitoringEvent& b) {
                       return !a.date.empty() && (b.date.empty() || a.date < b.date);
                     });
  }
  // Follow-up results on a JAK inhibitor already being taken.
  for (const auto& m : c.medications) {
    if (!m.jak_drug || !m.taken_on(c.as_of)) continue;
    const kb::Drug* d = kb.find_drug(*m.jak_drug);
    if (!d) continue;
    for (const auto& t : d->lab_threshold) {
      if (!applies(t.region, c.region) || t.action == kb::LabAction::kDoNotStart || t.context)
        continue;
      for (const auto& r : c.labs) {
        if (r.lab != t.analyte || (!r.value && !r.bound) || (m.start && r.date < *m.start))
          continue;
        auto below =
            t.below ? units::converted(kb, t.analyte, *t.below, t.unit, r.unit) : std::nullopt;
        auto above =
            t.above ? units::converted(kb, t.analyte, *t.above, t.unit, r.unit) : std::nullopt;
        // A bound ("< 0.3") alerts only when it settles the comparison.
        if (!((below && r.below(*below) == std::optional(true)) ||
              (above && r.above(*above) == std::optional(true))))
          continue;
        ReasonCode code = alert_code(t.action);
        plan.alerts.push_back(
            {code, d->id, t.analyte, clinical::to_string(r.date),
             r.value ? *r.value : r.bound->value, r.unit, t.below ? *t.below : *t.above,
             std::string(kb::to_string(t.action)),
             format_text(FMT_COMPILE("{} {} on {}: {} {} (threshold {}{:g} {})."), t.analyte,
                         r.shown(), clinical::to_string(r.date), kb::to_string(t.action), d->name,
                         t.below ? "<" : ">", G{t.below ? *t.below : *t.above}, t.unit),
             t.prov.src, r.bound ? std::string(clinical::to_string(r.bound->comparator)) : ""});
      }
    }
  }
  // The planned drug, not yet being taken: its latest results against its do-not-start
  // thresholds ("would not start"), so a follow-up result is never judged only against drugs the
  // patient is already on.
  const bool taking_top =
      top && std::any_of(c.medications.begin(), c.medications.end(), [&](const auto& m) {
        return m.jak_drug == top->id && m.taken_on(c.as_of);
      });
  if (const kb::Drug* d = top && !taking_top ? kb.find_drug(top->id) : nullptr) {
    for (const auto& t : d->lab_threshold) {
      if (!applies(t.region, c.region) || t.action != kb::LabAction::kDoNotStart || t.context)
        continue;
      const auto* latest = c.latest(t.analyte, c.as_of);
      if (!latest) continue;
      // A disputed day (results that disagree, no time to order them): any that crosses counts.
      for (const auto* r : c.day_as_read(*latest)) {
        if (!r->value && !r->bound) continue;
        // The KB integrity check guarantees every threshold converts to its lab's unit.
        constexpr double kNone = std::numeric_limits<double>::infinity();
        const double low =
            t.below ? units::converted(kb, t.analyte, *t.below, t.unit, r->unit).value_or(-kNone)
                    : -kNone;
        const double high =
            t.above ? units::converted(kb, t.analyte, *t.above, t.unit, r->unit).value_or(kNone)
                    : kNone;
        // A bound ("< 0.3") counts only where it settles the comparison.
        const bool is_below = r->below(low) == std::optional(true);
        if (!is_below && r->above(high) != std::optional(true)) continue;
        const double value = r->value ? *r->value : r->bound->value;
        const double stated = t.below && is_below ? *t.below : t.above.value_or(0);
        const char* side = is_below ? "<" : ">";
        // Said in the unit the result was entered in ("ALC 0.4 10*9/L < 0.5 10*9/L").
        auto said_limit = r->given_unit.empty()
                              ? std::nullopt
                              : units::converted(kb, t.analyte, stated, t.unit, r->given_unit);
        const bool as_given = said_limit.has_value();
        const double shown_value = as_given ? r->given_value : value;
        const double shown_limit = said_limit.value_or(is_below ? low : high);
        const std::string& shown_unit = as_given ? r->given_unit : r->unit;
        const std::string comparator =
            r->bound ? std::string(clinical::to_string(r->bound->comparator)) : "";
        plan.alerts.push_back(
            {alert_code(t.action), d->id, t.analyte, clinical::to_string(r->date), value, r->unit,
             stated, std::string(kb::to_string(t.action)),
             fmt::format(FMT_COMPILE("would not start {}: {} {}{:g} {} on {} {} {:g} {} "
                                     "(do-not-start threshold {}{:g} {})."),
                         d->name, t.analyte, comparator.empty() ? "" : comparator + " ",
                         G{shown_value}, shown_unit, clinical::to_string(r->date), side,
                         G{shown_limit}, shown_unit, side, G{stated}, t.unit),
             t.prov.src, comparator});
        break;
      }
    }
  }
  return plan;
}

}  // namespace paraderm::assess::detail
