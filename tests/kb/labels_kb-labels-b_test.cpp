// Label spot checks of the shipped KB for deucravacitinib, delgocitinib, ruxolitinib cream, oral
// ruxolitinib, ritlecitinib and filgotinib (branch kb-labels-b). Every expected value is copied
// from docs/reference/labels-eu-us-update.md (section named at each check; it wins over the older
// files) or safety-and-labels.md, never from the program's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kb_test_util.h"
#include "paraderm/kb.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::kb {
namespace {

const KnowledgeBase& shipped() { return testing::shipped_checked(); }

const Drug& drug(const std::string& id) {
  const Drug* d = shipped().find_drug(id);
  if (!d) throw std::runtime_error("drug not in KB: " + id);
  return *d;
}

// The indication row of `disease` that applies to `region`, if any.
const DrugIndication* indication(const Drug& d, Region region, const std::string& disease) {
  for (const auto& i : d.indication) {
    if (applies_to(i.region, region) && i.disease == disease) return &i;
  }
  return nullptr;
}

bool approved(const Drug& d, Region region, const std::string& disease) {
  const auto* i = indication(d, region, disease);
  return i && i->status == IndicationStatus::kApproved;
}

bool any_approved(const Drug& d, Region region) {
  return std::any_of(d.indication.begin(), d.indication.end(), [&](const DrugIndication& i) {
    return applies_to(i.region, region) && i.status == IndicationStatus::kApproved;
  });
}

bool not_authorised(const Drug& d, Region region) {
  return std::any_of(d.rule_status.begin(), d.rule_status.end(), [&](const RuleStatus& r) {
    return applies_to(r.region, region) && r.category.empty() &&
           r.status == RuleKnowledge::kNotAuthorised;
  });
}

std::vector<const Dose*> doses(const Drug& d, Region region, const std::string& indication_id,
                               const std::string& role) {
  std::vector<const Dose*> out;
  for (const auto& x : d.dose) {
    if (applies_to(x.region, region) && x.indication == indication_id && to_string(x.role) == role)
      out.push_back(&x);
  }
  return out;
}

const LabThreshold* threshold(const Drug& d, Region region, const std::string& analyte,
                              const std::string& action) {
  for (const auto& t : d.lab_threshold) {
    if (applies_to(t.region, region) && t.analyte == analyte && to_string(t.action) == action &&
        !t.context)
      return &t;
  }
  return nullptr;
}

const InteractionRule* interaction(const Drug& d, Region region, const std::string& with) {
  for (const auto& r : d.interaction) {
    if (applies_to(r.region, region) && r.with == with) return &r;
  }
  return nullptr;
}

bool contraindicated(const Drug& d, Region region, ContraCondition c) {
  return std::any_of(
      d.contraindication.begin(), d.contraindication.end(),
      [&](const Contraindication& x) { return applies_to(x.region, region) && x.condition == c; });
}

std::optional<std::string> reproductive_action(const Drug& d, Region region,
                                               ReproductiveTopic topic) {
  for (const auto& r : d.reproductive) {
    if (applies_to(r.region, region) && r.topic == topic) return std::string(to_string(r.action));
  }
  return std::nullopt;
}

CellState cell(const std::string& id, Region region, RuleCategory category,
               std::string_view with = {}) {
  return rule_cell(shipped(), drug(id), region, category, with).state;
}

// Every product x region x category (interactions per class) is a rule or a cited status row.
void expect_no_missing_cell(const std::string& id) {
  for (const auto& c : rule_matrix(shipped())) {
    if (c.drug != id) continue;
    EXPECT_NE(c.state, CellState::kMissing)
        << id << " " << to_string(c.region) << " " << to_string(c.category) << " " << c.with;
    if (c.state != CellState::kRule && c.state != CellState::kMissing) {
      EXPECT_FALSE(c.sources.empty())
          << id << " " << to_string(c.category) << ": status row without src";
      EXPECT_FALSE(c.text.empty())
          << id << " " << to_string(c.category) << ": status row without text";
    }
  }
}

// ---- Deucravacitinib: labels-eu-us-update.md §2.1, §3.3, §4, §5 #1, #3 ----

TEST(LabelsB, DeucravacitinibIsAuthorisedForPsoriasisInBothRegionsFromAge18) {
  const auto& d = drug("deucravacitinib");
  // §2.1: EU moderate-to-severe plaque psoriasis in adults (authorised 24 March 2023) [C].
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* i = indication(d, r, "plaque-psoriasis");
    ASSERT_NE(i, nullptr) << to_string(r);
    EXPECT_EQ(i->status, IndicationStatus::kApproved) << to_string(r);
    EXPECT_EQ(i->min_age_years, std::optional<double>(18))
        << to_string(r);  // §4: adults, <18 not established
    EXPECT_FALSE(not_authorised(d, r));
  }
  // §5 #3: US PsA approval re-tagged [C] (openFDA S-002, 2026-03-06).
  const auto* psa = indication(d, Region::kUs, "psoriatic-arthritis");
  ASSERT_NE(psa, nullptr);
  EXPECT_EQ(psa->prov.conf, Confidence::kConfirmed);
  // §2.1 EU dose: 6 mg orally once daily; adults only, no paediatric row.
  auto eu = doses(d, Region::kEu, "plaque-psoriasis", "standard");
  ASSERT_EQ(eu.size(), 1u);
  EXPECT_EQ(eu[0]->amount, 6);
  EXPECT_EQ(eu[0]->frequency, "qd");
  EXPECT_EQ(eu[0]->min_age_years, std::optional<double>(18));
  EXPECT_TRUE(doses(d, Region::kEu, "plaque-psoriasis", "paediatric").empty());
}

TEST(LabelsB, DeucravacitinibActiveInfectionIsContraindicatedInTheEuOnly) {
  const auto& d = drug("deucravacitinib");
  // §3.3 / §5 #1: EU SmPC 4.3 'clinically important active infections (e.g. active TB)'; the US
  // label's only contraindication is hypersensitivity.
  EXPECT_TRUE(contraindicated(d, Region::kEu, ContraCondition::kActiveSeriousInfection));
  EXPECT_TRUE(contraindicated(d, Region::kEu, ContraCondition::kActiveTb));
  EXPECT_FALSE(contraindicated(d, Region::kUs, ContraCondition::kActiveSeriousInfection));
  EXPECT_FALSE(contraindicated(d, Region::kUs, ContraCondition::kActiveTb));
  EXPECT_TRUE(contraindicated(d, Region::kUs, ContraCondition::kHypersensitivity));
}

TEST(LabelsB, DeucravacitinibEuLabsAreLabelSilentAndEuInteractionsUnknown) {
  // §3.3: 'No laboratory start/stop thresholds in SmPC 4.2' -> label-silent, not a threshold.
  EXPECT_EQ(threshold(drug("deucravacitinib"), Region::kEu, "alc", "do-not-start"), nullptr);
  EXPECT_EQ(cell("deucravacitinib", Region::kEu, RuleCategory::kLabStart), CellState::kLabelSilent);
  EXPECT_EQ(cell("deucravacitinib", Region::kEu, RuleCategory::kLabOnTreatment),
            CellState::kLabelSilent);
  // §3.3: 'SmPC 4.5 text not seen' -> not-found, never label-silent.
  EXPECT_EQ(
      cell("deucravacitinib", Region::kEu, RuleCategory::kInteraction, "strong-cyp3a4-inhibitor"),
      CellState::kNotFound);
  // safety-and-labels.md §3.4 'All JAKi (and Sotyktu)': not with potent immunosuppressants (US
  // label).
  const auto* r = interaction(drug("deucravacitinib"), Region::kUs, "potent-immunosuppressant");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(to_string(r->action), "not-recommended");
  // §3.3 EU renal: no adjustment incl. ESRD on dialysis; hepatic severe: not recommended.
  EXPECT_EQ(cell("deucravacitinib", Region::kEu, RuleCategory::kRenal), CellState::kRule);
  bool severe_not_recommended = false;
  for (const auto& h : drug("deucravacitinib").hepatic) {
    if (h.region == Region::kEu && h.child_pugh == "C")
      severe_not_recommended = to_string(h.action) == "not-recommended";
  }
  EXPECT_TRUE(severe_not_recommended);
}

TEST(LabelsB, DeucravacitinibHasNoMissingMatrixCell) { expect_no_missing_cell("deucravacitinib"); }

// ---- Delgocitinib: labels-eu-us-update.md §2.2, §3.6, §4 ----

TEST(LabelsB, DelgocitinibIsAuthorisedForAdultChronicHandEczemaInBothRegions) {
  const auto& d = drug("delgocitinib");
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* i = indication(d, r, "chronic-hand-eczema");
    ASSERT_NE(i, nullptr) << to_string(r);
    EXPECT_EQ(i->status, IndicationStatus::kApproved);
    EXPECT_EQ(i->min_age_years, std::optional<double>(18));  // §4: adults (<18 not established)
    auto std_doses = doses(d, r, "chronic-hand-eczema", "standard");
    ASSERT_EQ(std_doses.size(), 1u) << to_string(r);
    EXPECT_EQ(std_doses[0]->frequency, "bid");  // §2.2: twice daily to hands and wrists
    EXPECT_EQ(std_doses[0]->min_age_years, std::optional<double>(18));
    EXPECT_TRUE(doses(d, r, "chronic-hand-eczema", "paediatric").empty());
  }
  EXPECT_FALSE(approved(d, Region::kUs, "atopic-dermatitis"));
}

TEST(LabelsB, DelgocitinibInteractionsFollowEachLabel) {
  const auto& d = drug("delgocitinib");
  // §2.2 US: 'not recommended with other JAK inhibitors or potent immunosuppressants'.
  const auto* jak = interaction(d, Region::kUs, "jak-inhibitor");
  ASSERT_NE(jak, nullptr);
  EXPECT_EQ(to_string(jak->action), "not-recommended");
  // §3.6 EU SmPC 4.5: no interaction studies, low potential with systemic drugs -> label-silent.
  EXPECT_EQ(interaction(d, Region::kEu, "jak-inhibitor"), nullptr);
  EXPECT_EQ(
      cell("delgocitinib", Region::kEu, RuleCategory::kInteraction, "strong-cyp3a4-inhibitor"),
      CellState::kLabelSilent);
  // §3.6: preferable to avoid in pregnancy; can be used during breast-feeding (nothing to apply).
  EXPECT_EQ(reproductive_action(d, Region::kEu, ReproductiveTopic::kPregnancy),
            std::optional<std::string>("avoid"));
  EXPECT_EQ(reproductive_action(d, Region::kEu, ReproductiveTopic::kLactation), std::nullopt);
  EXPECT_EQ(cell("delgocitinib", Region::kEu, RuleCategory::kLactation), CellState::kLabelSilent);
  // No EU lab thresholds (topical; SmPC 4.2/4.4 hold none).
  EXPECT_EQ(cell("delgocitinib", Region::kEu, RuleCategory::kLabStart), CellState::kLabelSilent);
}

TEST(LabelsB, DelgocitinibHasNoMissingMatrixCell) { expect_no_missing_cell("delgocitinib"); }

// ---- Ruxolitinib cream: labels-eu-us-update.md §2.3, §4, §5 #6 ----

TEST(LabelsB, RuxolitinibCreamUsAtopicDermatitisFrom2AndVitiligoFrom12) {
  const auto& d = drug("ruxolitinib-cream");
  const auto* ad = indication(d, Region::kUs, "atopic-dermatitis");
  ASSERT_NE(ad, nullptr);
  EXPECT_EQ(ad->min_age_years, std::optional<double>(2));  // since Sept 2025
  const auto* vit = indication(d, Region::kUs, "vitiligo");
  ASSERT_NE(vit, nullptr);
  EXPECT_EQ(vit->min_age_years, std::optional<double>(12));
  // Paediatric AD rows 2-11 y (added Sept 2025) and 12-17 y, adult row from 18: every age from 2
  // has exactly one row, so a 2-year-old and a 17-year-old have a dose and a 1-year-old none.
  auto paed = doses(d, Region::kUs, "atopic-dermatitis", "paediatric");
  ASSERT_EQ(paed.size(), 2u);
  for (int age : {1, 2, 11, 12, 17}) {
    int fitting = 0;
    for (const auto* x : paed) {
      if (*x->min_age_years <= age && age <= *x->max_age_years) ++fitting;
      EXPECT_EQ(x->amount, 1.5);
      EXPECT_EQ(x->frequency, "bid");
    }
    EXPECT_EQ(fitting, age < 2 ? 0 : 1) << "age " << age;
  }
  auto adult = doses(d, Region::kUs, "atopic-dermatitis", "standard");
  ASSERT_EQ(adult.size(), 1u);
  EXPECT_EQ(adult[0]->min_age_years, std::optional<double>(18));
  auto vit_paed = doses(d, Region::kUs, "vitiligo", "paediatric");
  ASSERT_EQ(vit_paed.size(), 1u);
  EXPECT_EQ(vit_paed[0]->min_age_years, std::optional<double>(12));
}

TEST(LabelsB, RuxolitinibCreamEuIsVitiligoOnlyAndNotInPregnancyOrBreastfeeding) {
  const auto& d = drug("ruxolitinib-cream");
  // §2.3 [C]: EU EPAR - non-segmental vitiligo with facial involvement from 12; no AD indication.
  EXPECT_FALSE(not_authorised(d, Region::kEu));
  const auto* vit = indication(d, Region::kEu, "vitiligo");
  ASSERT_NE(vit, nullptr);
  EXPECT_EQ(vit->status, IndicationStatus::kApproved);
  EXPECT_EQ(vit->min_age_years, std::optional<double>(12));
  EXPECT_FALSE(approved(d, Region::kEu, "atopic-dermatitis"));
  EXPECT_TRUE(doses(d, Region::kEu, "atopic-dermatitis", "standard").empty());
  EXPECT_TRUE(doses(d, Region::kEu, "atopic-dermatitis", "paediatric").empty());
  auto paed = doses(d, Region::kEu, "vitiligo", "paediatric");
  ASSERT_EQ(paed.size(), 1u);
  EXPECT_EQ(paed[0]->min_age_years, std::optional<double>(12));
  EXPECT_EQ(paed[0]->max_age_years, std::optional<double>(17));
  // §2.3 / §5 #6: do not use if pregnant or breastfeeding.
  EXPECT_EQ(reproductive_action(d, Region::kEu, ReproductiveTopic::kPregnancy),
            std::optional<std::string>("contraindicated"));
  EXPECT_EQ(reproductive_action(d, Region::kEu, ReproductiveTopic::kLactation),
            std::optional<std::string>("contraindicated"));
  EXPECT_TRUE(contraindicated(d, Region::kEu, ContraCondition::kPregnancy));
  EXPECT_FALSE(contraindicated(d, Region::kUs, ContraCondition::kPregnancy));  // US: registry
  // §2.3 EU renal: no adjustment, but not in ESRD.
  bool esrd_not_recommended = false;
  for (const auto& r : d.renal) {
    if (r.region == Region::kEu && r.egfr_max == std::optional<double>(15)) {
      esrd_not_recommended = to_string(r.action) == "not-recommended";
    }
  }
  EXPECT_TRUE(esrd_not_recommended);
  // safety-and-labels.md §2.3b: US CYP3A4 inhibitors may raise exposure -> monitor.
  const auto* inh = interaction(d, Region::kUs, "strong-cyp3a4-inhibitor");
  ASSERT_NE(inh, nullptr);
  EXPECT_EQ(to_string(inh->action), "monitor");
}

TEST(LabelsB, RuxolitinibCreamHasNoMissingMatrixCell) {
  expect_no_missing_cell("ruxolitinib-cream");
}

// ---- Oral ruxolitinib: safety-and-labels.md §2.3a ----

TEST(LabelsB, OralRuxolitinibHasNoDermatologyIndicationInEitherRegion) {
  const auto& kb = shipped();
  const auto& d = drug("ruxolitinib");
  ASSERT_FALSE(d.indication.empty());
  for (const auto& i : d.indication) {
    const Disease* dis = kb.find_disease(i.disease);
    ASSERT_NE(dis, nullptr) << i.disease;
    EXPECT_NE(dis->category, kb::DiseaseCategory::kImmuneSkin)
        << "oral ruxolitinib indication " << i.disease;
  }
  for (const char* derm : {"atopic-dermatitis", "vitiligo", "alopecia-areata", "psoriasis",
                           "plaque-psoriasis", "chronic-hand-eczema"}) {
    EXPECT_EQ(indication(d, Region::kUs, derm), nullptr) << derm;
    EXPECT_EQ(indication(d, Region::kEu, derm), nullptr) << derm;
  }
  for (const auto& x : d.dose) {
    const Disease* dis = kb.find_disease(x.indication);
    ASSERT_NE(dis, nullptr);
    EXPECT_NE(dis->category, kb::DiseaseCategory::kImmuneSkin)
        << "oral ruxolitinib dose for " << x.indication;
  }
}

TEST(LabelsB, OralRuxolitinibGvhdDosesStartAt12AndKeepTheirRules) {
  const auto& d = drug("ruxolitinib");
  // §2.3a: aGVHD (>=12 y) 5 mg BID (US) / 10 mg BID (EU).
  auto us = doses(d, Region::kUs, "acute-gvhd", "paediatric");
  ASSERT_EQ(us.size(), 1u);
  EXPECT_EQ(us[0]->min_age_years, std::optional<double>(12));
  EXPECT_EQ(us[0]->max_age_years, std::optional<double>(17));
  EXPECT_EQ(us[0]->amount, 5);
  auto eu = doses(d, Region::kEu, "acute-gvhd", "paediatric");
  ASSERT_EQ(eu.size(), 1u);
  EXPECT_EQ(eu[0]->amount, 10);
  // §2.3a: fluconazole <=200 mg/day in GVHD -> 5 mg BID.
  const auto* flu = interaction(d, Region::kUs, "moderate-cyp3a4-and-strong-cyp2c19-inhibitor");
  ASSERT_NE(flu, nullptr);
  EXPECT_EQ(to_string(flu->action), "dose");
  EXPECT_EQ(flu->amount, std::optional<double>(5));
  // §2.3a: withhold for ANC <0.5 x 10^9/L.
  const auto* anc = threshold(d, Region::kUs, "anc", "interrupt");
  ASSERT_NE(anc, nullptr);
  EXPECT_EQ(anc->below, std::optional<double>(0.5));
  // The EU SmPC is not in the reference: EU cells other than the dose are not-found (unknown).
  EXPECT_EQ(cell("ruxolitinib", Region::kEu, RuleCategory::kLabStart), CellState::kNotFound);
}

TEST(LabelsB, OralRuxolitinibHasNoMissingMatrixCell) { expect_no_missing_cell("ruxolitinib"); }

// ---- Ritlecitinib: labels-eu-us-update.md §1, §2.4, §3.6, §4 ----

TEST(LabelsB, RitlecitinibIsAuthorisedFrom12InBothRegionsWithOneDose) {
  const auto& d = drug("ritlecitinib");
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* i = indication(d, r, "alopecia-areata");
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->status, IndicationStatus::kApproved);
    EXPECT_EQ(i->min_age_years, std::optional<double>(12));
    auto paed = doses(d, r, "alopecia-areata", "paediatric");
    ASSERT_EQ(paed.size(), 1u) << to_string(r);
    EXPECT_EQ(paed[0]->min_age_years, std::optional<double>(12));
    EXPECT_EQ(paed[0]->max_age_years, std::optional<double>(17));
    EXPECT_EQ(paed[0]->amount, 50);
    EXPECT_FALSE(paed[0]->min_weight_kg.has_value());  // §1: no weight criterion
    auto adult = doses(d, r, "alopecia-areata", "standard");
    ASSERT_EQ(adult.size(), 1u);
    EXPECT_EQ(adult[0]->min_age_years, std::optional<double>(18));
    EXPECT_FALSE(adult[0]->min_weight_kg.has_value());
  }
}

TEST(LabelsB, RitlecitinibEuDoNotInitiateThresholds) {
  const auto& d = drug("ritlecitinib");
  // §3.6: EU do not initiate with ALC <0.5 x 10^3/mm3 or platelets <100 x 10^3/mm3 (= x 10^9/L).
  const auto* alc = threshold(d, Region::kEu, "alc", "do-not-start");
  ASSERT_NE(alc, nullptr);
  ASSERT_TRUE(alc->below.has_value());
  double alc_per_ul = alc->unit == "10*9/L" ? *alc->below * 1000 : *alc->below;
  EXPECT_DOUBLE_EQ(alc_per_ul, 500);
  const auto* plt = threshold(d, Region::kEu, "platelets", "do-not-start");
  ASSERT_NE(plt, nullptr);
  ASSERT_TRUE(plt->below.has_value());
  double plt_per_ul = plt->unit == "10*9/L" ? *plt->below * 1000 : *plt->below;
  EXPECT_DOUBLE_EQ(plt_per_ul, 100000);
  // safety-and-labels.md §2.7 [C] S19, S20: narrow-index CYP3A substrates -> monitor, both regions.
  for (Region r : {Region::kUs, Region::kEu}) {
    const auto* cyp3a = interaction(d, r, "narrow-index-cyp3a-substrate");
    ASSERT_NE(cyp3a, nullptr);
    EXPECT_EQ(to_string(cyp3a->action), "monitor");
  }
  // The class row 'All JAKi' cites the US label only: no EU rule claimed from it.
  EXPECT_NE(interaction(d, Region::kUs, "jak-inhibitor"), nullptr);
  EXPECT_EQ(interaction(d, Region::kEu, "jak-inhibitor"), nullptr);
  EXPECT_EQ(cell("ritlecitinib", Region::kEu, RuleCategory::kInteraction, "jak-inhibitor"),
            CellState::kNotFound);
}

TEST(LabelsB, RitlecitinibHasNoMissingMatrixCell) { expect_no_missing_cell("ritlecitinib"); }

// ---- Filgotinib: labels-eu-us-update.md §2.5, §4 ----

TEST(LabelsB, FilgotinibIsEuOnlyWithNoDermatologyIndication) {
  const auto& kb = shipped();
  const auto& d = drug("filgotinib");
  EXPECT_TRUE(not_authorised(d, Region::kUs));
  EXPECT_FALSE(any_approved(d, Region::kUs));
  EXPECT_FALSE(not_authorised(d, Region::kEu));
  EXPECT_TRUE(approved(d, Region::kEu, "rheumatoid-arthritis"));
  EXPECT_TRUE(approved(d, Region::kEu, "ulcerative-colitis"));
  for (const auto& i : d.indication) {
    const Disease* dis = kb.find_disease(i.disease);
    ASSERT_NE(dis, nullptr);
    if (i.status == IndicationStatus::kApproved) {
      EXPECT_NE(dis->category, kb::DiseaseCategory::kImmuneSkin) << i.disease;
    }
  }
  // Every US cell is 'not authorised'.
  EXPECT_EQ(cell("filgotinib", Region::kUs, RuleCategory::kDose), CellState::kNotAuthorised);
  EXPECT_EQ(cell("filgotinib", Region::kUs, RuleCategory::kInteraction, "live-vaccine"),
            CellState::kNotAuthorised);
  // §2.5 EU RA: 200 mg QD; 100 mg for >=65 y; adults only.
  auto ra = doses(d, Region::kEu, "rheumatoid-arthritis", "standard");
  ASSERT_EQ(ra.size(), 1u);
  EXPECT_EQ(ra[0]->amount, 200);
  EXPECT_EQ(ra[0]->min_age_years, std::optional<double>(18));
  auto elderly = doses(d, Region::kEu, "rheumatoid-arthritis", "elderly");
  ASSERT_EQ(elderly.size(), 1u);
  EXPECT_EQ(elderly[0]->amount, 100);
  EXPECT_EQ(elderly[0]->min_age_years, std::optional<double>(65));
  EXPECT_TRUE(doses(d, Region::kEu, "rheumatoid-arthritis", "paediatric").empty());
}

TEST(LabelsB, FilgotinibEuLabThresholdsAndRenalDose) {
  const auto& d = drug("filgotinib");
  // §2.5 SmPC Table 1: do not start / interrupt if ANC <1, ALC <0.5 x 10^9/L or Hb <8 g/dL.
  const auto* anc = threshold(d, Region::kEu, "anc", "do-not-start");
  ASSERT_NE(anc, nullptr);
  EXPECT_EQ(anc->below, std::optional<double>(1));
  EXPECT_EQ(anc->unit, "10*9/L");
  const auto* hb = threshold(d, Region::kEu, "hb", "interrupt");
  ASSERT_NE(hb, nullptr);
  EXPECT_EQ(hb->below, std::optional<double>(8));
  EXPECT_EQ(hb->unit, "g/dL");
  // §2.5: CrCl 15 to <60 mL/min -> 100 mg once daily.
  bool renal_100 = false;
  for (const auto& r : d.renal) {
    if (r.region == Region::kEu && r.egfr_min == std::optional<double>(15) &&
        r.egfr_max == std::optional<double>(60)) {
      renal_100 = to_string(r.action) == "dose" && r.amount == std::optional<double>(100);
    }
  }
  EXPECT_TRUE(renal_100);
  const auto* immuno = interaction(d, Region::kEu, "potent-immunosuppressant");
  ASSERT_NE(immuno, nullptr);
  EXPECT_EQ(to_string(immuno->action), "not-recommended");
}

TEST(LabelsB, FilgotinibHasNoMissingMatrixCell) { expect_no_missing_cell("filgotinib"); }

}  // namespace
}  // namespace paraderm::kb
