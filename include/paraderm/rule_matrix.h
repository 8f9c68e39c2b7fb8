// The fail-safe rule matrix: for every JAK/TYK2 product x region x rule category (and, for
// interactions, every interaction class) what the KB knows — a rule, an explicit cited "label
// silent" / "not found" / "not authorised", or nothing at all.
//
// Contract:
//  * A cell is kRule when at least one rule row of that category applies to the region; else the
//    RuleStatus row that covers it decides; else it is kMissing.
//  * kNotFound and kMissing are unknowns: the assessment caps an option whose relevant cell is
//    unknown at "caution" with RULE_UNKNOWN, never lets it through as "preferred".
//  * Pure function of the KB; cheap enough to call per assessment (no allocation beyond the cell).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/kb.h"

namespace paraderm::kb {

enum class CellState { kRule, kLabelSilent, kNotFound, kNotAuthorised, kMissing };

struct MatrixCell {
  std::string drug;
  Region region = Region::kUs;
  RuleCategory category = RuleCategory::kDose;
  std::string with;  // interaction class id for kInteraction, else ""
  CellState state = CellState::kMissing;
  std::string text;                  // the RuleStatus text, or the rule count for kRule
  std::vector<std::string> sources;  // of the rules or of the RuleStatus row
};

std::string_view to_string(RuleCategory c);
std::string_view to_string(CellState s);
// "unknown" states: the assessment treats them as a rule it does not hold.
inline bool is_unknown(CellState s) {
  return s == CellState::kNotFound || s == CellState::kMissing;
}

// One cell; `region` must be kUs or kEu; `with` names an interaction class for kInteraction.
MatrixCell rule_cell(const KnowledgeBase& kb, const Drug& drug, Region region,
                     RuleCategory category, std::string_view with = {});

// The state of one cell alone (no text, no sources): rule_cell(...).state, without allocating.
CellState rule_state(const KnowledgeBase& kb, const Drug& drug, Region region,
                     RuleCategory category, std::string_view with = {});

// rule_state() of every cell, in the layout of KnowledgeBase::rule_states (build_indexes fills it).
std::vector<std::uint8_t> rule_state_table(const KnowledgeBase& kb);

// Every cell: drugs in KB order x {us, eu} x categories (interactions expanded per class).
std::vector<MatrixCell> rule_matrix(const KnowledgeBase& kb);

}  // namespace paraderm::kb
