// The fail-safe rule matrix (include/paraderm/rule_matrix.h). Which rule rows count for which
// category is the one place this mapping lives; the assessment and `paraderm kb coverage` share it.
#include "paraderm/rule_matrix.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace paraderm::kb {
namespace {

constexpr std::array<std::string_view, kRuleCategories> kCategoryNames = {
    "dose",      "lab-start", "lab-on-treatment", "renal",      "hepatic",    "interaction",
    "pregnancy", "lactation", "infection",        "risk-group", "monitoring", "gi-perforation"};

bool here(Region fact, Region region) { return applies_to(fact, region); }

void add(std::vector<std::string>& to, const Provenance& p) {
  for (const auto& s : p.src) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

bool risk_topic(WarningTopic t) {
  return t == WarningTopic::kMace || t == WarningTopic::kMalignancy ||
         t == WarningTopic::kThrombosis || t == WarningTopic::kPracRiskGroups;
}

bool infection_topic(WarningTopic t) {
  return t == WarningTopic::kSeriousInfection || t == WarningTopic::kHerpesZoster;
}

bool infection_condition(ContraCondition c) {
  return c == ContraCondition::kActiveTb || c == ContraCondition::kActiveSeriousInfection;
}

// The rule rows of `category` that apply to `region`; returns how many and, when `sources` is
// given, collects their sources (the assessment asks only for the state, per drug and category).
int rules_for(const KnowledgeBase& kb, const Drug& d, Region region, RuleCategory category,
              std::string_view with, std::vector<std::string>* sources) {
  int n = 0;
  auto hit = [&](const Provenance& p) {
    ++n;
    if (sources) add(*sources, p);
  };
  switch (category) {
    case RuleCategory::kDose:
      for (const auto& x : d.dose)
        if (here(x.region, region)) hit(x.prov);
      break;
    case RuleCategory::kLabStart:
      for (const auto& x : d.lab_threshold) {
        if (here(x.region, region) && !x.context && x.action == LabAction::kDoNotStart) hit(x.prov);
      }
      break;
    case RuleCategory::kLabOnTreatment:
      for (const auto& x : d.lab_threshold) {
        if (here(x.region, region) && !x.context && x.action != LabAction::kDoNotStart) hit(x.prov);
      }
      break;
    case RuleCategory::kRenal:
      for (const auto& x : d.renal)
        if (here(x.region, region)) hit(x.prov);
      break;
    case RuleCategory::kHepatic:
      for (const auto& x : d.hepatic)
        if (here(x.region, region)) hit(x.prov);
      break;
    case RuleCategory::kInteraction:
      for (const auto& x : d.interaction) {
        if (here(x.region, region) && x.with == with) hit(x.prov);
      }
      break;
    case RuleCategory::kPregnancy:
    case RuleCategory::kLactation: {
      auto topic = category == RuleCategory::kPregnancy ? ReproductiveTopic::kPregnancy
                                                        : ReproductiveTopic::kLactation;
      for (const auto& x : d.reproductive) {
        if (here(x.region, region) && x.topic == topic) hit(x.prov);
      }
      break;
    }
    case RuleCategory::kInfection:
      for (const auto& x : d.warning) {
        if (here(x.region, region) && infection_topic(x.topic)) hit(x.prov);
      }
      for (const auto& x : d.contraindication) {
        if (here(x.region, region) && infection_condition(x.condition)) hit(x.prov);
      }
      break;
    case RuleCategory::kRiskGroup:
      // EMA PRAC risk groups are EU measures; the label's own warnings count in either region.
      if (region == Region::kEu) {
        for (const auto& g : kb.risk_groups) {
          if (std::find(g.applies_to.begin(), g.applies_to.end(), d.id) != g.applies_to.end())
            hit(g.prov);
        }
      }
      for (const auto& x : d.warning) {
        if (here(x.region, region) && risk_topic(x.topic)) hit(x.prov);
      }
      break;
    case RuleCategory::kMonitoring:
      for (const auto& x : d.monitoring)
        if (here(x.region, region)) hit(x.prov);
      break;
    case RuleCategory::kGiPerforation:
      for (const auto& x : d.warning) {
        if (here(x.region, region) && x.topic == WarningTopic::kGiPerforation) hit(x.prov);
      }
      break;
  }
  return n;
}

// The RuleStatus row that covers a cell without rules: a row naming the category wins over a
// whole-product "not authorised" row.
const RuleStatus* status_row(const Drug& d, Region region, RuleCategory category,
                             std::string_view with) {
  const RuleStatus* specific = nullptr;
  const RuleStatus* product = nullptr;
  for (const auto& r : d.rule_status) {
    if (!here(r.region, region)) continue;
    if (r.category.empty()) {
      if (!product) product = &r;
      continue;
    }
    if (std::find(r.category.begin(), r.category.end(), category) == r.category.end()) continue;
    if (category == RuleCategory::kInteraction &&
        std::find(r.with.begin(), r.with.end(), with) == r.with.end()) {
      continue;
    }
    if (!specific) specific = &r;
  }
  return specific ? specific : product;
}

CellState state_of(const RuleStatus& r) {
  switch (r.status) {
    case RuleKnowledge::kLabelSilent:
      return CellState::kLabelSilent;
    case RuleKnowledge::kNotFound:
      return CellState::kNotFound;
    case RuleKnowledge::kNotAuthorised:
      return CellState::kNotAuthorised;
  }
  return CellState::kMissing;
}

}  // namespace

std::string_view to_string(RuleCategory c) { return kCategoryNames[static_cast<std::size_t>(c)]; }

std::string_view to_string(CellState s) {
  switch (s) {
    case CellState::kRule:
      return "rule";
    case CellState::kLabelSilent:
      return "label-silent";
    case CellState::kNotFound:
      return "not-found";
    case CellState::kNotAuthorised:
      return "not-authorised";
    case CellState::kMissing:
      return "missing";
  }
  return "missing";
}

MatrixCell rule_cell(const KnowledgeBase& kb, const Drug& d, Region region, RuleCategory category,
                     std::string_view with) {
  MatrixCell cell;
  cell.drug = d.id;
  cell.region = region;
  cell.category = category;
  cell.with = std::string(with);
  int n = rules_for(kb, d, region, category, with, &cell.sources);
  if (n > 0) {
    cell.state = CellState::kRule;
    cell.text = fmt::format("{} rule row(s)", n);
    return cell;
  }
  const RuleStatus* r = status_row(d, region, category, with);
  if (!r) return cell;  // kMissing
  cell.state = state_of(*r);
  cell.text = r->text;
  add(cell.sources, r->prov);
  return cell;
}

namespace {

std::size_t region_slot(Region r) { return r == Region::kEu ? 1 : 0; }

// The position of a cell in KnowledgeBase::rule_states, when the table covers it.
std::optional<std::size_t> table_slot(const KnowledgeBase& kb, const Drug& d, Region region,
                                      RuleCategory category, std::string_view with) {
  const std::size_t drugs = kb.drugs.size(), classes = kb.interaction_classes.size();
  if (region == Region::kBoth || drugs == 0 || &d < kb.drugs.data() ||
      &d >= kb.drugs.data() + drugs) {
    return std::nullopt;
  }
  const std::size_t di = static_cast<std::size_t>(&d - kb.drugs.data());
  const std::size_t plain = drugs * 2 * kRuleCategories;
  if (kb.rule_states.size() != plain + drugs * 2 * classes) return std::nullopt;
  if (category != RuleCategory::kInteraction) {
    return (di * 2 + region_slot(region)) * kRuleCategories + static_cast<std::size_t>(category);
  }
  for (std::size_t i = 0; i < classes; ++i) {
    if (kb.interaction_classes[i].id == with)
      return plain + (di * 2 + region_slot(region)) * classes + i;
  }
  return std::nullopt;
}

CellState computed_state(const KnowledgeBase& kb, const Drug& d, Region region,
                         RuleCategory category, std::string_view with) {
  if (rules_for(kb, d, region, category, with, nullptr) > 0) return CellState::kRule;
  const RuleStatus* r = status_row(d, region, category, with);
  return r ? state_of(*r) : CellState::kMissing;
}

}  // namespace

std::vector<std::uint8_t> rule_state_table(const KnowledgeBase& kb) {
  const std::size_t drugs = kb.drugs.size(), classes = kb.interaction_classes.size();
  std::vector<std::uint8_t> table(drugs * 2 * kRuleCategories + drugs * 2 * classes);
  for (std::size_t di = 0; di < drugs; ++di) {
    for (Region region : {Region::kUs, Region::kEu}) {
      const std::size_t row = di * 2 + region_slot(region);
      for (std::size_t c = 0; c < kRuleCategories; ++c) {
        table[row * kRuleCategories + c] = static_cast<std::uint8_t>(
            computed_state(kb, kb.drugs[di], region, static_cast<RuleCategory>(c), {}));
      }
      for (std::size_t i = 0; i < classes; ++i) {
        table[drugs * 2 * kRuleCategories + row * classes + i] = static_cast<std::uint8_t>(
            computed_state(kb, kb.drugs[di], region, RuleCategory::kInteraction,
                           kb.interaction_classes[i].id));
      }
    }
  }
  return table;
}

CellState rule_state(const KnowledgeBase& kb, const Drug& d, Region region, RuleCategory category,
                     std::string_view with) {
  if (auto slot = table_slot(kb, d, region, category, with))
    return static_cast<CellState>(kb.rule_states[*slot]);
  if (rules_for(kb, d, region, category, with, nullptr) > 0) return CellState::kRule;
  const RuleStatus* r = status_row(d, region, category, with);
  return r ? state_of(*r) : CellState::kMissing;
}

std::vector<MatrixCell> rule_matrix(const KnowledgeBase& kb) {
  std::vector<MatrixCell> out;
  for (const auto& d : kb.drugs) {
    for (Region region : {Region::kUs, Region::kEu}) {
      for (std::size_t i = 0; i < kRuleCategories; ++i) {
        auto category = static_cast<RuleCategory>(i);
        if (category == RuleCategory::kInteraction) {
          for (const auto& ic : kb.interaction_classes)
            out.push_back(rule_cell(kb, d, region, category, ic.id));
        } else {
          out.push_back(rule_cell(kb, d, region, category));
        }
      }
    }
  }
  return out;
}

}  // namespace paraderm::kb
