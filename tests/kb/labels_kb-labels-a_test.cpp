// Label spot checks for upadacitinib, abrocitinib, baricitinib and tofacitinib (paraderm issue 11,
// items 6 and 8). Every expected value is copied from docs/reference/labels-eu-us-update.md
// (newest, wins) or safety-and-labels.md — file and section named at each check — never from a
// program run. The KB is read from the source tree so a broken row fails here without re-embedding.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::kb {
namespace {

const KnowledgeBase& source_kb() {
  static const LoadResult r = load_directory(std::filesystem::path(PARADERM_SOURCE_DIR) / "kb");
  if (!r.kb) {
    for (const auto& i : r.issues) ADD_FAILURE() << i.to_string();
  }
  static const KnowledgeBase kb = r.kb ? *r.kb : KnowledgeBase{};
  return kb;
}

const Drug& drug(const std::string& id) {
  const Drug* d = source_kb().find_drug(id);
  if (!d) throw std::runtime_error("drug not in KB: " + id);
  return *d;
}

// The row stated for exactly this region (not "both"): the checks below are about what each
// region's label says.
const DrugIndication* indication(const Drug& d, Region region, const std::string& disease) {
  for (const auto& i : d.indication) {
    if (i.region == region && i.disease == disease) return &i;
  }
  return nullptr;
}

std::vector<const Dose*> doses(const Drug& d, Region region, const std::string& disease,
                               const std::function<bool(const Dose&)>& keep = {}) {
  std::vector<const Dose*> out;
  for (const auto& x : d.dose) {
    if (applies_to(x.region, region) && x.indication == disease && (!keep || keep(x)))
      out.push_back(&x);
  }
  return out;
}

std::optional<double> threshold(const Drug& d, Region region, const std::string& analyte,
                                const std::string& action) {
  for (const auto& t : d.lab_threshold) {
    if (t.region == region && t.analyte == analyte && to_string(t.action) == action && !t.context)
      return t.below;
  }
  return std::nullopt;
}

const InteractionRule* interaction(const Drug& d, Region region, const std::string& with) {
  for (const auto& r : d.interaction) {
    if (applies_to(r.region, region) && r.with == with) return &r;
  }
  return nullptr;
}

bool is_unconfirmed_rule_row(const Provenance& p) { return p.conf == Confidence::kUnconfirmed; }

// docs/kb.md "Rule matrix (fail safe)": every product x region x category (x interaction class)
// holds a rule or a cited rule_status row; none of these four drugs may have a missing cell.
void expect_no_missing_cell(const std::string& id) {
  const auto& kb = source_kb();
  for (const auto& cell : rule_matrix(kb)) {
    if (cell.drug != id) continue;
    EXPECT_NE(cell.state, CellState::kMissing) << id << " " << to_string(cell.region) << " "
                                               << to_string(cell.category) << " " << cell.with;
  }
}

// ---------------------------------------------------------------- upadacitinib

TEST(KbLabelsA, UpadacitinibAuthorisedForAdInBothRegionsFrom12) {
  // labels-eu-us-update.md §1 (US: adults and paediatric patients 12 y and older) and §2.7 (EU:
  // adults and adolescents 12 years and older, EPAR [C]).
  const Drug& upa = drug("upadacitinib");
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* ind = indication(upa, r, "atopic-dermatitis");
    ASSERT_NE(ind, nullptr) << to_string(r);
    EXPECT_EQ(ind->status, IndicationStatus::kApproved) << to_string(r);
    EXPECT_EQ(ind->min_age_years, std::optional<double>(12)) << to_string(r);
  }
}

TEST(KbLabelsA, UpadacitinibUsAdultAdDoseHasNoWeightFloor) {
  // labels-eu-us-update.md §1 / §5 #7: the 40 kg floor attaches to paediatric patients 12-17 y
  // only; adults <65 start 15 mg QD whatever they weigh; adults >=65 15 mg.
  const Drug& upa = drug("upadacitinib");
  auto adult_start = doses(upa, Region::kUs, "atopic-dermatitis", [](const Dose& x) {
    return x.role == DoseRole::kStart && x.min_age_years == std::optional<double>(18);
  });
  ASSERT_EQ(adult_start.size(), 1u);
  EXPECT_EQ(adult_start[0]->amount, 15);
  EXPECT_EQ(adult_start[0]->max_age_years, std::optional<double>(64));
  EXPECT_FALSE(adult_start[0]->min_weight_kg.has_value());
  for (const Dose* x : doses(upa, Region::kUs, "atopic-dermatitis")) {
    if (x->min_weight_kg) {
      EXPECT_EQ(x->role, DoseRole::kPaediatric)
          << "a weight floor outside the 12-17 y rows: " << x->amount;
      EXPECT_EQ(x->min_weight_kg, std::optional<double>(40));
      EXPECT_EQ(x->min_age_years, std::optional<double>(12));
      EXPECT_EQ(x->max_age_years, std::optional<double>(17));
    }
  }
}

TEST(KbLabelsA, UpadacitinibEuAdolescentRowIs12To17From30Kg) {
  // labels-eu-us-update.md §2.7 and §4: EU adolescents 12-17 y weighing at least 30 kg, 15 mg QD
  // (not the Malaysian 40 kg, §5 #8). A child under 12 must fit no EU AD row.
  const Drug& upa = drug("upadacitinib");
  auto paed = doses(upa, Region::kEu, "atopic-dermatitis",
                    [](const Dose& x) { return x.role == DoseRole::kPaediatric; });
  ASSERT_EQ(paed.size(), 1u);
  EXPECT_EQ(paed[0]->amount, 15);
  EXPECT_EQ(paed[0]->min_weight_kg, std::optional<double>(30));
  EXPECT_EQ(paed[0]->min_age_years, std::optional<double>(12));
  EXPECT_EQ(paed[0]->max_age_years, std::optional<double>(17));
  for (const Dose* x : doses(upa, Region::kEu, "atopic-dermatitis")) {
    ASSERT_TRUE(x->min_age_years.has_value())
        << to_string(x->role) << " " << x->amount << " has no lower age";
    EXPECT_GE(*x->min_age_years, 12) << to_string(x->role);
  }
}

TEST(KbLabelsA, UpadacitinibEuLabThresholds) {
  // labels-eu-us-update.md §3.1: do not initiate with ALC <0.5 x 10^9/L, ANC <1 x 10^9/L or
  // Hb <8 g/dL; interrupt at the same values.
  const Drug& upa = drug("upadacitinib");
  EXPECT_EQ(threshold(upa, Region::kEu, "alc", "do-not-start"), 0.5);
  EXPECT_EQ(threshold(upa, Region::kEu, "anc", "do-not-start"), 1.0);
  EXPECT_EQ(threshold(upa, Region::kEu, "hb", "do-not-start"), 8.0);
  EXPECT_EQ(threshold(upa, Region::kEu, "alc", "interrupt"), 0.5);
  EXPECT_EQ(threshold(upa, Region::kEu, "anc", "interrupt"), 1.0);
  EXPECT_EQ(threshold(upa, Region::kEu, "hb", "interrupt"), 8.0);
}

TEST(KbLabelsA, UpadacitinibEuMonitoringAndGrapefruit) {
  // labels-eu-us-update.md §3.1: ANC/ALC/Hb at baseline and no later than 12 weeks; lipids at 12
  // weeks. §2.7: avoid grapefruit.
  const Drug& upa = drug("upadacitinib");
  auto cbc = std::find_if(upa.monitoring.begin(), upa.monitoring.end(), [](const Monitoring& m) {
    return m.region == Region::kEu && m.test == "cbc";
  });
  ASSERT_NE(cbc, upa.monitoring.end());
  EXPECT_EQ(cbc->at_weeks, (std::vector<double>{0, 12}));
  const auto* g = interaction(upa, Region::kEu, "grapefruit");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(to_string(g->action), "avoid");
}

TEST(KbLabelsA, UpadacitinibUnconfirmedRulesAreNotRules) {
  // safety-and-labels.md §3.4 / §4 gap 3: the US strong-CYP3A4-inducer rule is [U]; §5 #4 of
  // labels-eu-us-update.md re-tags US severe renal 15 mg to [P].
  const Drug& upa = drug("upadacitinib");
  EXPECT_EQ(interaction(upa, Region::kUs, "strong-cyp3a4-inducer"), nullptr);
  for (const auto& r : upa.renal)
    EXPECT_FALSE(is_unconfirmed_rule_row(r.prov)) << r.text.value_or("");
  auto cell =
      rule_cell(source_kb(), upa, Region::kUs, RuleCategory::kInteraction, "strong-cyp3a4-inducer");
  EXPECT_EQ(cell.state, CellState::kNotFound);
}

TEST(KbLabelsA, UpadacitinibHasNoMissingCell) { expect_no_missing_cell("upadacitinib"); }

// ---------------------------------------------------------------- abrocitinib

TEST(KbLabelsA, AbrocitinibAuthorisedForAdFrom12InBothRegions) {
  // safety-and-labels.md §2.4 (US >=12 y); labels-eu-us-update.md §2.6 (EU adults and adolescents
  // 12 years and older since the 2024 extension).
  const Drug& abro = drug("abrocitinib");
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* ind = indication(abro, r, "atopic-dermatitis");
    ASSERT_NE(ind, nullptr);
    EXPECT_EQ(ind->status, IndicationStatus::kApproved);
    EXPECT_EQ(ind->min_age_years, std::optional<double>(12));
  }
}

TEST(KbLabelsA, AbrocitinibEuAdolescentsStart100WithoutWeightSplit) {
  // labels-eu-us-update.md §2.6 and §5 #2: adolescents 12-17 y start 100 mg (UK SmPC); the
  // 25-<59 / >=59 kg split is a Thai local label and is not EU.
  const Drug& abro = drug("abrocitinib");
  auto paed = doses(abro, Region::kEu, "atopic-dermatitis",
                    [](const Dose& x) { return x.role == DoseRole::kPaediatric; });
  ASSERT_EQ(paed.size(), 1u);
  EXPECT_EQ(paed[0]->amount, 100);
  EXPECT_EQ(paed[0]->min_age_years, std::optional<double>(12));
  EXPECT_EQ(paed[0]->max_age_years, std::optional<double>(17));
  for (const auto& x : abro.dose) {
    EXPECT_FALSE(x.min_weight_kg || x.max_weight_kg)
        << "weight band on " << to_string(x.role) << " " << x.amount;
  }
}

TEST(KbLabelsA, AbrocitinibEuLabTableAndInteractions) {
  // labels-eu-us-update.md §3.4: SmPC Table 1 ALC <0.5 x 10^3/mm3 interrupt (discontinue only if
  // confirmed: kept in the row's note, the alerts read single results); platelets <50 x 10^3/mm3
  // discontinue; strong CYP2C19 inhibitors halve the dose; no EU antiplatelet rule (not found).
  const Drug& abro = drug("abrocitinib");
  auto eu = [&](const std::string& analyte, const std::string& action) -> std::optional<double> {
    for (const auto& t : abro.lab_threshold) {
      if (applies_to(t.region, Region::kEu) && t.analyte == analyte &&
          to_string(t.action) == action && !t.context)
        return t.below;
    }
    return std::nullopt;
  };
  EXPECT_EQ(eu("alc", "interrupt"), 500);
  EXPECT_EQ(eu("platelets", "discontinue"), 50000);
  EXPECT_EQ(eu("alc", "discontinue"), std::nullopt);
  const auto* cyp = interaction(abro, Region::kEu, "strong-cyp2c19-inhibitor");
  ASSERT_NE(cyp, nullptr);
  EXPECT_EQ(to_string(cyp->action), "halve");
  EXPECT_EQ(interaction(abro, Region::kEu, "antiplatelet"), nullptr);
  EXPECT_EQ(
      rule_cell(source_kb(), abro, Region::kEu, RuleCategory::kInteraction, "antiplatelet").state,
      CellState::kNotFound);
  // §3.4: probenecid +66% active moiety, not clinically significant, no dose change.
  EXPECT_EQ(
      rule_cell(source_kb(), abro, Region::kEu, RuleCategory::kInteraction, "strong-oat3-inhibitor")
          .state,
      CellState::kLabelSilent);
}

TEST(KbLabelsA, AbrocitinibHasNoMissingCell) { expect_no_missing_cell("abrocitinib"); }

// ---------------------------------------------------------------- baricitinib

TEST(KbLabelsA, BaricitinibAdEuOnlyFrom2) {
  // labels-eu-us-update.md §4: no US AD indication; EU AD adult and paediatric patients >=2 y.
  const Drug& bari = drug("baricitinib");
  const auto* eu = indication(bari, Region::kEu, "atopic-dermatitis");
  ASSERT_NE(eu, nullptr);
  EXPECT_EQ(eu->status, IndicationStatus::kApproved);
  EXPECT_EQ(eu->min_age_years, std::optional<double>(2));
  const auto* us = indication(bari, Region::kUs, "atopic-dermatitis");
  ASSERT_NE(us, nullptr);
  EXPECT_NE(us->status, IndicationStatus::kApproved);
  EXPECT_TRUE(doses(bari, Region::kUs, "atopic-dermatitis").empty());
}

TEST(KbLabelsA, BaricitinibEuPaediatricOnlyFrom30KgAndTheGapIsNamed) {
  // labels-eu-us-update.md §2.8: >=30 kg 4 mg; 10 to <30 kg the SmPC text breaks off before the
  // dose
  // -> no row, and a dose rule_status names the band.
  const Drug& bari = drug("baricitinib");
  auto paed = doses(bari, Region::kEu, "atopic-dermatitis",
                    [](const Dose& x) { return x.role == DoseRole::kPaediatric; });
  ASSERT_EQ(paed.size(), 1u);
  EXPECT_EQ(paed[0]->amount, 4);
  EXPECT_EQ(paed[0]->min_weight_kg, std::optional<double>(30));
  EXPECT_EQ(paed[0]->min_age_years, std::optional<double>(2));
  EXPECT_EQ(paed[0]->max_age_years, std::optional<double>(17));
  bool named =
      std::any_of(bari.rule_status.begin(), bari.rule_status.end(), [](const RuleStatus& r) {
        return r.region == Region::kEu && r.status == RuleKnowledge::kNotFound &&
               std::find(r.category.begin(), r.category.end(), RuleCategory::kDose) !=
                   r.category.end() &&
               r.text.find("10 to <30 kg") != std::string::npos;
      });
  EXPECT_TRUE(named);
}

TEST(KbLabelsA, BaricitinibEuRenalAndOat3) {
  // labels-eu-us-update.md §3.5: CrCl 30-60 -> 2 mg QD, <30 not recommended; strong OAT3 inhibitors
  // (probenecid) -> 2 mg QD.
  const Drug& bari = drug("baricitinib");
  bool moderate = std::any_of(bari.renal.begin(), bari.renal.end(), [](const RenalRule& r) {
    return r.region == Region::kEu && r.egfr_min == 30.0 && r.egfr_max == 60.0 &&
           to_string(r.action) == "dose" && r.amount == 2.0;
  });
  bool severe = std::any_of(bari.renal.begin(), bari.renal.end(), [](const RenalRule& r) {
    return r.region == Region::kEu && !r.egfr_min && r.egfr_max == 30.0 &&
           to_string(r.action) == "not-recommended";
  });
  EXPECT_TRUE(moderate);
  EXPECT_TRUE(severe);
  const auto* oat3 = interaction(bari, Region::kEu, "strong-oat3-inhibitor");
  ASSERT_NE(oat3, nullptr);
  EXPECT_EQ(to_string(oat3->action), "dose");
  EXPECT_EQ(oat3->amount, std::optional<double>(2));
}

TEST(KbLabelsA, BaricitinibUsHepaticIsAnExplicitUnknown) {
  // The US Child-Pugh C cell was missing (silently ignored). safety-and-labels.md §3.3 tags the US
  // values [U]: no rule, a not-found row (caps at caution) instead.
  const Drug& bari = drug("baricitinib");
  EXPECT_EQ(rule_cell(source_kb(), bari, Region::kUs, RuleCategory::kHepatic).state,
            CellState::kNotFound);
  EXPECT_EQ(rule_cell(source_kb(), bari, Region::kEu, RuleCategory::kHepatic).state,
            CellState::kRule);
  for (const auto& r : bari.renal)
    EXPECT_FALSE(is_unconfirmed_rule_row(r.prov)) << r.text.value_or("");
  for (const auto& r : bari.interaction) EXPECT_FALSE(is_unconfirmed_rule_row(r.prov)) << r.text;
}

TEST(KbLabelsA, BaricitinibHasNoMissingCell) { expect_no_missing_cell("baricitinib"); }

// ---------------------------------------------------------------- tofacitinib

TEST(KbLabelsA, TofacitinibPsaForAdultsInBothRegions) {
  // safety-and-labels.md §2.1: PsA (adults); not approved for plaque psoriasis or AD (US sources).
  // US PsA is also approved from 2 y (S34) with no paediatric dose in the reference, so the US
  // adult rows carry min_age 18; the EU PsA indication itself starts at 18 (un-banded rows are
  // adult rows).
  const Drug& tofa = drug("tofacitinib");
  auto us = doses(tofa, Region::kUs, "psoriatic-arthritis");
  ASSERT_FALSE(us.empty());
  for (const Dose* x : us) EXPECT_EQ(x->min_age_years, std::optional<double>(18));
  ASSERT_FALSE(doses(tofa, Region::kEu, "psoriatic-arthritis").empty());
  const auto* eu_psa = indication(tofa, Region::kEu, "psoriatic-arthritis");
  ASSERT_NE(eu_psa, nullptr);
  EXPECT_EQ(eu_psa->min_age_years, std::optional<double>(18));
  const auto* us_ad = indication(tofa, Region::kUs, "atopic-dermatitis");
  ASSERT_NE(us_ad, nullptr);
  EXPECT_EQ(us_ad->status, IndicationStatus::kNotApproved);
}

TEST(KbLabelsA, TofacitinibEuInteractionsWithKetoconazoleFluconazoleRifampicin) {
  // labels-eu-us-update.md §3.2: EU SmPC 4.5 — potent CYP3A4 inhibitors and moderate CYP3A4 +
  // potent CYP2C19 inhibition need a dose adjustment (EU value not seen); potent inducers lower
  // the response. CYP2C19 inhibitors alone are unlikely to matter (label-silent).
  const Drug& tofa = drug("tofacitinib");
  for (const char* with :
       {"strong-cyp3a4-inhibitor", "moderate-cyp3a4-and-strong-cyp2c19-inhibitor",
        "strong-cyp3a4-inducer"}) {
    const InteractionRule* r = interaction(tofa, Region::kEu, with);
    ASSERT_NE(r, nullptr) << with;
    EXPECT_EQ(r->region, Region::kEu) << with << ": the EU row, not the US 5 mg QD";
    EXPECT_FALSE(r->amount.has_value()) << with << ": the EU dose was not seen";
  }
  EXPECT_EQ(rule_cell(source_kb(), tofa, Region::kEu, RuleCategory::kInteraction,
                      "strong-cyp2c19-inhibitor")
                .state,
            CellState::kLabelSilent);
}

TEST(KbLabelsA, TofacitinibEuRenalHepaticAndLabs) {
  // labels-eu-us-update.md §3.2 (review table on the EU SmPC): CrCl <30 -> 5 mg QD; Child-Pugh C
  // contraindicated; ALC 500-750 and ANC 500-1000 reduce, ALC <500 and ANC <500 discontinue, Hb <8
  // interrupt. S10: do not start below ALC 0.75 x 10^9/L.
  const Drug& tofa = drug("tofacitinib");
  bool renal = std::any_of(tofa.renal.begin(), tofa.renal.end(), [](const RenalRule& r) {
    return r.region == Region::kEu && r.egfr_max == 30.0 && to_string(r.action) == "dose" &&
           r.amount == 5.0 && r.frequency == std::optional<std::string>("qd");
  });
  EXPECT_TRUE(renal);
  bool hepatic = std::any_of(tofa.hepatic.begin(), tofa.hepatic.end(), [](const HepaticRule& r) {
    return r.region == Region::kEu && r.child_pugh == "C" &&
           to_string(r.action) == "contraindicated";
  });
  EXPECT_TRUE(hepatic);
  EXPECT_EQ(threshold(tofa, Region::kEu, "alc", "do-not-start"), 0.75);
  EXPECT_EQ(threshold(tofa, Region::kEu, "alc", "dose-reduce"), 0.75);  // 500-750 reduce
  EXPECT_EQ(threshold(tofa, Region::kEu, "alc", "discontinue"), 0.5);
  EXPECT_EQ(threshold(tofa, Region::kEu, "anc", "dose-reduce"), 1.0);  // 500-1000 reduce
  EXPECT_EQ(threshold(tofa, Region::kEu, "anc", "discontinue"), 0.5);
  EXPECT_EQ(threshold(tofa, Region::kEu, "hb", "interrupt"), 8.0);
}

TEST(KbLabelsA, TofacitinibHasNoMissingCell) { expect_no_missing_cell("tofacitinib"); }

}  // namespace
}  // namespace paraderm::kb
