// The fail-safe rule matrix: which KB rows make a cell a rule, which status row decides an empty
// cell, and that the shipped KB leaves no cell of any product empty in either region.
#include <gtest/gtest.h>

#include <algorithm>

#include "paraderm/kb.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::kb {
namespace {

Provenance cite(const char* id) {
  return Provenance{{id}, Confidence::kSecondary, std::nullopt, std::nullopt};
}

KnowledgeBase one_drug() {
  KnowledgeBase kb;
  Drug d;
  d.id = "testinib";
  kb.drugs.push_back(d);
  InteractionClass ic;
  ic.id = "strong-cyp3a4-inhibitor";
  kb.interaction_classes.push_back(ic);
  return kb;
}

TEST(RuleMatrix, EmptyCellIsMissingAndUnknown) {
  auto kb = one_drug();
  auto cell = rule_cell(kb, kb.drugs[0], Region::kEu, RuleCategory::kLabStart);
  EXPECT_EQ(cell.state, CellState::kMissing);
  EXPECT_TRUE(is_unknown(cell.state));
}

TEST(RuleMatrix, DoNotStartThresholdOfTheRegionIsALabStartRule) {
  auto kb = one_drug();
  LabThreshold t;
  t.region = Region::kUs;
  t.analyte = "alc";
  t.below = 500;
  t.unit = "cells/uL";
  t.action = LabAction::kDoNotStart;
  t.prov = cite("S1");
  kb.drugs[0].lab_threshold.push_back(t);
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kLabStart).state,
            CellState::kRule);
  // A US rule says nothing for the EU, and a start threshold is no on-treatment rule.
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kEu, RuleCategory::kLabStart).state,
            CellState::kMissing);
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kLabOnTreatment).state,
            CellState::kMissing);
  // A threshold stated for another context (e.g. COVID-19) is not this use's rule.
  kb.drugs[0].lab_threshold[0].context = "COVID-19";
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kLabStart).state,
            CellState::kMissing);
}

TEST(RuleMatrix, StatusRowDecidesAnEmptyCellAndASpecificRowBeatsNotAuthorised) {
  auto kb = one_drug();
  RuleStatus silent;
  silent.region = Region::kEu;
  silent.category = {RuleCategory::kRenal, RuleCategory::kHepatic};
  silent.status = RuleKnowledge::kLabelSilent;
  silent.prov = cite("S2");
  RuleStatus product;
  product.region = Region::kBoth;
  product.status = RuleKnowledge::kNotAuthorised;
  product.prov = cite("S3");
  kb.drugs[0].rule_status = {product, silent};
  auto renal = rule_cell(kb, kb.drugs[0], Region::kEu, RuleCategory::kRenal);
  EXPECT_EQ(renal.state, CellState::kLabelSilent);
  EXPECT_EQ(renal.sources, std::vector<std::string>{"S2"});
  EXPECT_FALSE(is_unknown(renal.state));
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kEu, RuleCategory::kDose).state,
            CellState::kNotAuthorised);
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kRenal).state,
            CellState::kNotAuthorised);
}

TEST(RuleMatrix, InteractionCellsArePerClass) {
  auto kb = one_drug();
  RuleStatus nf;
  nf.region = Region::kUs;
  nf.category = {RuleCategory::kInteraction};
  nf.with = {"strong-cyp3a4-inhibitor"};
  nf.status = RuleKnowledge::kNotFound;
  nf.prov = cite("S4");
  kb.drugs[0].rule_status = {nf};
  auto hit = rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kInteraction,
                       "strong-cyp3a4-inhibitor");
  EXPECT_EQ(hit.state, CellState::kNotFound);
  EXPECT_TRUE(is_unknown(hit.state));
  EXPECT_EQ(
      rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kInteraction, "antiplatelet").state,
      CellState::kMissing);
  InteractionRule r;
  r.region = Region::kBoth;
  r.with = "strong-cyp3a4-inhibitor";
  r.action = RuleAction::kDose;
  r.prov = cite("S5");
  kb.drugs[0].interaction.push_back(r);
  EXPECT_EQ(
      rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kInteraction, "strong-cyp3a4-inhibitor")
          .state,
      CellState::kRule);
}

TEST(RuleMatrix, PracRiskGroupsCountOnlyInTheEu) {
  auto kb = one_drug();
  RiskGroup g;
  g.id = "ema-prac-age-65";
  g.applies_to = {"testinib"};
  g.prov = cite("S29");
  kb.risk_groups.push_back(g);
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kEu, RuleCategory::kRiskGroup).state,
            CellState::kRule);
  EXPECT_EQ(rule_cell(kb, kb.drugs[0], Region::kUs, RuleCategory::kRiskGroup).state,
            CellState::kMissing);
}

TEST(RuleMatrix, MatrixHasEveryCategoryAndEveryInteractionClassPerRegion) {
  auto kb = one_drug();
  auto cells = rule_matrix(kb);
  // 2 regions x (10 non-interaction categories + 1 interaction class)
  EXPECT_EQ(cells.size(), 2u * (kRuleCategories - 1 + kb.interaction_classes.size()));
}

// Issue 11 item 6: the shipped KB holds, for every product, region and category, a rule or an
// explicit cited status. A missing cell would silently read as "no rule".
TEST(RuleMatrix, ShippedKbHasNoMissingCell) {
  auto loaded = load_embedded();
  ASSERT_TRUE(loaded.kb);
  std::vector<std::string> missing;
  for (const auto& c : rule_matrix(*loaded.kb)) {
    if (c.state == CellState::kMissing) {
      missing.push_back(c.drug + " " + std::string(to_string(c.region)) + " " +
                        std::string(to_string(c.category)) + (c.with.empty() ? "" : " " + c.with));
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " missing cells, first: " << missing.front();
  // Every status row cites a source (the loader insists on src; this guards the matrix's use).
  for (const auto& c : rule_matrix(*loaded.kb)) {
    if (c.state != CellState::kRule && c.state != CellState::kMissing) {
      EXPECT_FALSE(c.sources.empty()) << c.drug << " " << to_string(c.category);
    }
  }
}

// rule_state() answers from KnowledgeBase::rule_states (built by build_indexes); every cell of
// the table must equal the state computed from the rows, and a KB without the table (assembled
// by hand) must still be answered from the rows.
TEST(RuleMatrix, PrecomputedStatesEqualTheRowsForEveryCell) {
  auto loaded = load_embedded();
  ASSERT_TRUE(loaded.kb);
  const KnowledgeBase& kb = *loaded.kb;
  ASSERT_FALSE(kb.rule_states.empty());
  std::size_t checked = 0;
  for (const auto& c : rule_matrix(kb)) {
    const Drug* d = kb.find_drug(c.drug);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(rule_state(kb, *d, c.region, c.category, c.with), c.state)
        << c.drug << " " << to_string(c.region) << " " << to_string(c.category) << " " << c.with;
    ++checked;
  }
  EXPECT_EQ(checked, kb.drugs.size() * 2 * (kRuleCategories - 1 + kb.interaction_classes.size()));

  // A KB assembled by hand has no table: the rows answer, before and after build_indexes().
  auto by_hand = one_drug();
  by_hand.drugs[0].dose.push_back(Dose{});
  by_hand.drugs[0].dose.back().region = Region::kEu;
  by_hand.drugs[0].dose.back().prov = cite("src");
  EXPECT_TRUE(by_hand.rule_states.empty());
  EXPECT_EQ(rule_state(by_hand, by_hand.drugs[0], Region::kEu, RuleCategory::kDose),
            CellState::kRule);
  EXPECT_EQ(rule_state(by_hand, by_hand.drugs[0], Region::kUs, RuleCategory::kDose),
            CellState::kMissing);
  by_hand.build_indexes();
  EXPECT_EQ(rule_state(by_hand, by_hand.drugs[0], Region::kEu, RuleCategory::kDose),
            CellState::kRule);
  EXPECT_EQ(rule_state(by_hand, by_hand.drugs[0], Region::kUs, RuleCategory::kDose),
            CellState::kMissing);
  // A drug that is not an element of the KB's vector (a copy) is answered from its own rows.
  Drug copy = by_hand.drugs[0];
  copy.dose.clear();
  EXPECT_EQ(rule_state(by_hand, copy, Region::kEu, RuleCategory::kDose), CellState::kMissing);
}

}  // namespace
}  // namespace paraderm::kb
