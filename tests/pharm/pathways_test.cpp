// The pathway engine: derived PK, potency resolution, inhibition, modifiers, metabolites,
// aggregation, and the published qualitative findings it must reproduce (pharmacology.md §1c,
// §2c, §2e). Expected numbers are computed here from the KB inputs by independent arithmetic
// (closed forms, fine-grid integration), never copied from the engine's output.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "paraderm/pathways.h"
#include "paraderm/pk_model.h"

namespace paraderm::pharm {
namespace {

const kb::KnowledgeBase& shipped() {
  static const kb::LoadResult r = kb::load_embedded();
  return *r.kb;
}

const kb::Drug& drug(const std::string& id) {
  const kb::Drug* d = shipped().find_drug(id);
  if (!d) throw std::runtime_error("no drug " + id);
  return *d;
}

const kb::Cytokine& cytokine(const std::string& id) {
  const kb::Cytokine* c = shipped().find_cytokine(id);
  if (!c) throw std::runtime_error("no cytokine " + id);
  return *c;
}

const PathwayResult& pathway(const PathwayProfile& p, const std::string& id) {
  for (const auto& r : p.pathways) {
    if (r.cytokine == id) return r;
  }
  throw std::runtime_error("no pathway " + id);
}

Regimen regimen(double mg, double tau, std::optional<std::string> formulation = std::nullopt) {
  return Regimen{mg, tau, std::move(formulation), {}};
}

kb::Quantity quantity(double v, std::string unit) {
  kb::Quantity q;
  q.value = v;
  q.unit = std::move(unit);
  q.prov.src = {"test"};
  q.prov.conf = kb::Confidence::kConfirmed;
  return q;
}

// A synthetic oral drug: one-compartment model, molar mass, unbound fraction, a cellular pair
// IC50 for JAK1/JAK3 and enzymatic kinase IC50s.
kb::Drug synthetic(double cl, double v, double ka, double ic50_pair, double fu = 0.5) {
  kb::Drug d;
  d.id = "synthetic";
  d.route = kb::Route::kOral;
  kb::PkModel m;
  m.population = "test";
  m.compartments = 1;
  m.absorption = kb::Absorption::kFirstOrder;
  m.cl_f_l_h = cl;
  m.v_f_l = v;
  m.ka_per_h = ka;
  m.prov.src = {"test"};
  d.pk_model = {m};
  d.pk = kb::PkParameters{};
  d.pk->molecular_weight = {quantity(300, "g/mol")};
  d.pk->unbound_fraction = {quantity(fu, "1")};
  kb::Potency p;
  p.assay = kb::PotencyAssay::kCellular;
  p.target = "JAK1/JAK3";
  p.ic50_nm = ic50_pair;
  p.prov.src = {"test"};
  d.potency = {p};
  for (auto [k, nm] : {std::pair{"JAK1", 10.0}, {"JAK2", 40.0}, {"JAK3", 5.0}, {"TYK2", 80.0}}) {
    kb::Potency e;
    e.assay = kb::PotencyAssay::kEnzymatic;
    e.target = k;
    e.ic50_nm = nm;
    e.prov.src = {"test"};
    d.potency.push_back(e);
  }
  return d;
}

// ---------------------------------------------------------------- derived PK

TEST(DerivedPk, BaricitinibFromLabelVolumeHalfLifeTmaxAndF) {
  auto r = derive_one_compartment(drug("baricitinib"));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& p = r.value().params;
  // V/F = 76 L / 0.79; k from the confirmed 5.7–7.3 h half-life (midpoint 6.5 h); CL/F = k V/F.
  double v = 76 / 0.79, k = std::log(2.0) / 6.5;
  EXPECT_NEAR(p.v1_l, v, 1e-9);
  EXPECT_NEAR(p.cl_l_h, k * v, 1e-9);
  // ka reproduces the label tmax of 1 h.
  EXPECT_NEAR(std::log(p.ka_per_h / k) / (p.ka_per_h - k), 1.0, 1e-9);
  EXPECT_EQ(r.value().origin, "derived");
  ASSERT_EQ(r.value().inputs.size(), 4u);
  bool midpoint_said =
      std::any_of(r.value().inputs.begin(), r.value().inputs.end(), [](const PkInput& in) {
        return in.quantity == "half_life" &&
               in.how.find("midpoint of 5.7-7.3") != std::string::npos;
      });
  EXPECT_TRUE(midpoint_said);
}

TEST(DerivedPk, DeucravacitinibUsesTheMeasuredClearance) {
  auto r = derive_one_compartment(drug("deucravacitinib"));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  // CL 254 mL/min (i.v., confirmed) / F 0.99; V/F from the 10 h half-life keeps that AUC.
  double cl = 254 * 60.0 / 1000 / 0.99;
  EXPECT_NEAR(r.value().params.cl_l_h, cl, 1e-9);
  EXPECT_NEAR(r.value().params.v1_l, cl * 10 / std::log(2.0), 1e-9);
  double k = std::log(2.0) / 10;
  double ka = r.value().params.ka_per_h;
  EXPECT_NEAR(std::log(ka / k) / (ka - k), (1.5 + 2.3) / 2, 1e-9);  // confirmed tmax range
}

// Cross-check of the derivation rule on the one drug with both: tofacitinib's label values (F
// 74 %, V 87 L, half-life 3.2 h) against the Vong 2021 population-PK model (CL/F 26.3 L/h,
// V/F 115.8 L), two independent sources.
TEST(DerivedPk, AgreesWithThePublishedModelForTofacitinib) {
  auto r = derive_one_compartment(drug("tofacitinib"));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_NEAR(r.value().params.v1_l, 87 / 0.74, 1e-9);
  EXPECT_NEAR(r.value().params.cl_l_h / 26.3, 1.0, 0.05);
  EXPECT_NEAR(r.value().params.v1_l / 115.8, 1.0, 0.05);
}

TEST(DerivedPk, NamesEveryMissingInput) {
  auto r = derive_one_compartment(drug("filgotinib"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("bioavailability"), std::string::npos);
  EXPECT_NE(r.status().message().find("volume or clearance"), std::string::npos);
}

TEST(DerivedPk, RejectsATmaxTheHalfLifeCannotProduce) {
  kb::Drug d = synthetic(10, 100, 1, 50);
  d.pk_model.clear();
  d.pk->bioavailability = {quantity(50, "%")};
  d.pk->half_life = {quantity(1, "h")};  // 1/k = 1.44 h
  d.pk->tmax = {quantity(2, "h")};
  d.pk->volume = {quantity(50, "L")};
  auto r = derive_one_compartment(d);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("tmax 2 h"), std::string::npos) << r.status().message();
}

TEST(DerivedPk, PublishedModelIsPreferred) {
  auto r = resolve_pk(drug("tofacitinib"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().origin, "published-model");
  EXPECT_DOUBLE_EQ(r.value().params.cl_l_h, 26.3);  // Vong 2021
  auto b = resolve_pk(drug("baricitinib"));
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b.value().origin, "derived");
}

// ---------------------------------------------------------------- potency

TEST(Potency, MeasuredCellularPairIc50) {
  auto p = pathway_potency(drug("tofacitinib"), cytokine("IL-2"), Assay::kCellular);
  EXPECT_EQ(p.basis, Basis::kQuantitative);
  EXPECT_EQ(p.assay, Assay::kCellular);
  ASSERT_TRUE(p.pair_ic50_nm);
  EXPECT_EQ(*p.pair_ic50_nm, 56);
  EXPECT_FALSE(p.versus_total);
  EXPECT_EQ(p.sources, (std::vector<std::string>{"xeljanz-label-mims-moa"}));
}

// pharmacology-potency-pk.md §1c: whole-blood EC50s are compared with total plasma concentration;
// the confirmed whole-blood value (Mohamed 2020, IL-7/pSTAT5 79.1 nM) is preferred over the
// secondary label cellular value for the same pair.
TEST(Potency, WholeBloodPairIc50IsPreferredAndComparedWithTotalConcentration) {
  auto p = pathway_potency(drug("tofacitinib"), cytokine("IL-7"));
  EXPECT_EQ(p.basis, Basis::kQuantitative);
  EXPECT_EQ(p.assay, Assay::kWholeBlood);
  EXPECT_EQ(*p.pair_ic50_nm, 79.1);
  EXPECT_TRUE(p.versus_total);
  auto upa = pathway_potency(drug("upadacitinib"), cytokine("IL-6"));
  EXPECT_EQ(upa.assay, Assay::kWholeBlood);
  EXPECT_EQ(*upa.pair_ic50_nm, 60.7);
  // Restricted to cells, upadacitinib has no value at all.
  EXPECT_EQ(pathway_potency(drug("upadacitinib"), cytokine("IL-6"), Assay::kCellular).basis,
            Basis::kUnknown);
}

TEST(Potency, EnzymaticKinasesCombineByIndependentAction) {
  auto p = pathway_potency(drug("tofacitinib"), cytokine("IFN-alpha/beta"));
  EXPECT_EQ(p.assay, Assay::kEnzymaticDerived);
  ASSERT_TRUE(p.kinase_ic50_nm[0] && p.kinase_ic50_nm[1]);
  EXPECT_EQ(*p.kinase_ic50_nm[0], 3.2);  // JAK1
  EXPECT_EQ(*p.kinase_ic50_nm[1], 34);   // TYK2
  // (1 + c/3.2)(1 + c/34) = 2  ->  c = 2.7251...
  EXPECT_NEAR(*effective_ic50(p), 2.725102578885757, 1e-12);
}

TEST(Potency, HomodimerCountsBothKinaseMolecules) {
  auto p = pathway_potency(drug("baricitinib"), cytokine("EPO"));  // JAK2/JAK2, 5.7 nM
  EXPECT_EQ(p.assay, Assay::kEnzymaticDerived);
  EXPECT_NEAR(*effective_ic50(p), 5.7 * (std::sqrt(2.0) - 1), 1e-12);
}

TEST(Potency, GreaterThanIc50MakesInhibitionAnUpperBound) {
  auto p = pathway_potency(drug("baricitinib"), cytokine("IL-2"));  // JAK3 > 400 nM
  EXPECT_EQ(p.assay, Assay::kEnzymaticDerived);
  EXPECT_TRUE(p.at_most);
  EXPECT_FALSE(p.at_least);
  auto il6 = pathway_potency(drug("baricitinib"), cytokine("IL-6"));  // cellular < 50 nM
  EXPECT_EQ(il6.assay, Assay::kCellular);
  EXPECT_TRUE(il6.at_least);
}

TEST(Potency, SelectivityFoldDerivesAKinaseIc50) {
  auto p = pathway_potency(drug("ruxolitinib"), cytokine("IL-2"));  // JAK1/JAK3
  EXPECT_EQ(p.assay, Assay::kEnzymaticDerived);
  ASSERT_TRUE(p.kinase_ic50_nm[1]);
  EXPECT_NEAR(*p.kinase_ic50_nm[1], 130 * 3.3, 1e-9);
}

TEST(Potency, UnknownNamesTheMissingKinase) {
  auto upa = pathway_potency(drug("upadacitinib"), cytokine("IL-23"));  // JAK2/TYK2
  EXPECT_EQ(upa.basis, Basis::kUnknown);
  EXPECT_NE(upa.unknown_reason.find("JAK2"), std::string::npos) << upa.unknown_reason;
  auto deucra = pathway_potency(drug("deucravacitinib"), cytokine("IL-23"));
  EXPECT_EQ(deucra.basis, Basis::kUnknown);
  EXPECT_NE(deucra.unknown_reason.find("TYK2"), std::string::npos) << deucra.unknown_reason;
}

TEST(Potency, NonJakCytokineIsNotBlockedDirectly) {
  EXPECT_EQ(pathway_potency(drug("tofacitinib"), cytokine("IL-17A/F")).basis,
            Basis::kNotJakDependent);
  EXPECT_EQ(pathway_potency(drug("tofacitinib"), cytokine("TNF")).basis, Basis::kNotJakDependent);
}

TEST(Inhibition, HalfAtTheEffectiveIc50AndMonotone) {
  for (const char* id : {"IL-2", "IL-6", "IFN-alpha/beta", "EPO"}) {
    auto p = pathway_potency(drug("tofacitinib"), cytokine(id));
    double c50 = *effective_ic50(p);
    EXPECT_NEAR(inhibition_at(p, c50), 0.5, 1e-12) << id;
    EXPECT_EQ(inhibition_at(p, 0), 0) << id;
    double prev = 0;
    for (double c = 0.1; c < 1e5; c *= 1.5) {
      double i = inhibition_at(p, c);
      EXPECT_GT(i, prev) << id << " at " << c;
      EXPECT_LT(i, 1) << id;
      prev = i;
    }
  }
}

// ---------------------------------------------------------------- regimens and modifiers

TEST(Regimens, EveryDistinctOralRegimenOnce) {
  auto tofa = approved_regimens(shipped(), drug("tofacitinib"));
  ASSERT_EQ(tofa.size(), 2u);
  EXPECT_EQ(tofa[0].amount_mg, 5);
  EXPECT_EQ(tofa[0].tau_h, 12);
  EXPECT_EQ(tofa[1].amount_mg, 11);
  EXPECT_EQ(tofa[1].tau_h, 24);
  EXPECT_TRUE(approved_regimens(shipped(), drug("ruxolitinib-cream")).empty());  // topical
  auto deucra = approved_regimens(shipped(), drug("deucravacitinib"));
  ASSERT_EQ(deucra.size(), 1u);
  EXPECT_EQ(deucra[0].amount_mg, 6);
}

// The dosing interval of a frequency is the KB's (kb/formulas.toml dosing-interval.*, HL7
// timing abbreviations), not a number in C++: changed in a copy of the KB, the regimen follows.
TEST(Regimens, DosingIntervalsComeFromTheKb) {
  EXPECT_EQ(shipped().dosing_interval_h("qd"), std::optional<double>(24));
  EXPECT_EQ(shipped().dosing_interval_h("bid"), std::optional<double>(12));
  EXPECT_EQ(shipped().dosing_interval_h("once"), std::nullopt);
  EXPECT_EQ(shipped().dosing_interval_h("as-directed"), std::nullopt);
  EXPECT_EQ(shipped().frequency_of_interval(12), std::optional<std::string>("bid"));
  EXPECT_EQ(shipped().frequency_of_interval(8), std::nullopt);
  EXPECT_EQ(frequency_label(shipped(), 24), "qd");
  EXPECT_EQ(frequency_label(shipped(), 8), "8h");

  kb::KnowledgeBase changed = shipped();
  for (auto& fc : changed.formula_constants) {
    if (fc.formula == "dosing-interval" && fc.name == "bid") fc.value = 8;
  }
  auto tofa = approved_regimens(changed, *changed.find_drug("tofacitinib"));
  ASSERT_EQ(tofa.size(), 2u);
  EXPECT_EQ(tofa[0].tau_h, 8);  // 5 mg bid
  EXPECT_EQ(tofa[0].frequency, "bid");
  EXPECT_EQ(frequency_label(changed, 12), "12h");
  for (auto& fc : changed.formula_constants) {
    if (fc.formula == "dosing-interval" && fc.name == "bid") fc.name = "twice-daily";
  }
  // Without an interval for bid the bid rows are not a regimen the PK model can take.
  tofa = approved_regimens(changed, *changed.find_drug("tofacitinib"));
  ASSERT_EQ(tofa.size(), 1u);
  EXPECT_EQ(tofa[0].amount_mg, 11);
}

TEST(Modifiers, FindsThePrintedAucChange) {
  auto keto = find_modifier(drug("tofacitinib"), "strong-cyp3a4-inhibitor");
  ASSERT_TRUE(keto.is_ok());
  EXPECT_EQ(keto.value().auc_change_pct, 103);
  // Two strong CYP2C19 inhibitors studied with abrocitinib: the larger change unless named.
  auto worst = find_modifier(drug("abrocitinib"), "strong-cyp2c19-inhibitor");
  ASSERT_TRUE(worst.is_ok());
  EXPECT_EQ(worst.value().auc_change_pct, 155);
  auto fluvox = find_modifier(drug("abrocitinib"), "strong-cyp2c19-inhibitor:fluvoxamine");
  ASSERT_TRUE(fluvox.is_ok());
  EXPECT_EQ(fluvox.value().auc_change_pct, 91);
  auto renal = find_modifier(drug("upadacitinib"), "renal-moderate");
  ASSERT_TRUE(renal.is_ok());
  EXPECT_EQ(renal.value().auc_change_pct, 32);
}

TEST(Modifiers, UnknownEffectIsAnErrorNotZero) {
  auto r = find_modifier(drug("deucravacitinib"), "strong-cyp3a4-inhibitor");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("unknown"), std::string::npos);
  auto typo = find_modifier(drug("tofacitinib"), "strong-cyp3a4-inhibiter");
  ASSERT_FALSE(typo.is_ok());
  EXPECT_NE(typo.status().message().find("strong-cyp3a4-inhibitor"), std::string::npos);
}

TEST(Modifiers, ScaleTheAucByThePrintedChange) {
  auto keto = find_modifier(drug("tofacitinib"), "strong-cyp3a4-inhibitor").value();
  auto base = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12));
  auto with = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12), &keto);
  double a = std::accumulate(base.total_nm.begin(), base.total_nm.end(), 0.0);
  double b = std::accumulate(with.total_nm.begin(), with.total_nm.end(), 0.0);
  EXPECT_NEAR(b / a, 2.03, 2e-3);  // AUC +103 %
  EXPECT_GT(*pathway(with, "IL-2").avg_inhibition_pct, *pathway(base, "IL-2").avg_inhibition_pct);
}

// ---------------------------------------------------------------- the steady-state profile

TEST(Profile, AverageMatchesAnIndependentFineIntegration) {
  // Tofacitinib 5 mg BID, IL-2 (JAK1/JAK3 cellular IC50 56 nM), fu 0.6, MW 312.37, Vong 2021.
  ProfileOptions cellular;
  cellular.assay = Assay::kCellular;
  auto prof = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12), nullptr, cellular);
  const auto& il2 = pathway(prof, "IL-2");
  PkParams p;
  p.cl_l_h = 26.3;
  p.v1_l = 115.8;
  p.ka_per_h = 9.85;
  p.lag_h = 0.236;
  const int n = 12 * 3600;  // 1-s steps over one interval, trapezoid
  double sum = 0, peak = 0, trough = 1, above = 0;
  auto inh = [&](double t) {
    double cu = steady_state(p, 5, 12, t) * 1e6 / 312.37 * 0.6;
    return cu / (cu + 56);
  };
  for (int i = 0; i < n; ++i) {
    double t0 = 12.0 * i / n, t1 = 12.0 * (i + 1) / n;
    double a = inh(t0), b = inh(t1);
    sum += (a + b) / 2 * (t1 - t0);
    peak = std::max(peak, a);
    trough = std::min(trough, a);
    if ((a + b) / 2 > 0.5) above += t1 - t0;
  }
  EXPECT_NEAR(*il2.avg_inhibition_pct, 100 * sum / 12, 0.05);
  EXPECT_NEAR(*il2.peak_inhibition_pct, 100 * peak, 0.2);
  EXPECT_NEAR(*il2.trough_inhibition_pct, 100 * trough, 0.05);
  EXPECT_NEAR(*il2.hours_above_50pct, 2 * above, 2.0 / 60 + 1e-9);  // two intervals a day
  EXPECT_EQ(il2.basis, Basis::kQuantitative);
  EXPECT_EQ(il2.assay, Assay::kCellular);
  EXPECT_EQ(il2.bound, Bound::kEstimate);
}

// Whole-blood potency against total concentration: IL-7 (79.1 nM), no unbound fraction applied.
TEST(Profile, WholeBloodPotencyUsesTotalConcentration) {
  auto prof = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12));
  const auto& il7 = pathway(prof, "IL-7");
  ASSERT_EQ(il7.assay, Assay::kWholeBlood);
  double sum = 0;
  for (double c : prof.total_nm) sum += c / (c + 79.1);
  EXPECT_NEAR(*il7.avg_inhibition_pct, 100 * sum / static_cast<double>(prof.total_nm.size()), 1e-9);
}

TEST(Profile, ExtendedReleaseIsModelledByItsPublishedEquivalent) {
  auto regs = approved_regimens(shipped(), drug("upadacitinib"));
  auto er15 = std::find_if(regs.begin(), regs.end(),
                           [](const Regimen& r) { return r.amount_mg == 15 && r.tau_h == 24; });
  ASSERT_NE(er15, regs.end());
  auto prof = compute_profile(shipped(), drug("upadacitinib"), *er15);
  ASSERT_TRUE(prof.modelled_as);
  EXPECT_EQ(prof.modelled_as->amount_mg, 6);
  EXPECT_EQ(prof.modelled_as->tau_h, 12);
  EXPECT_EQ(prof.equivalence_sources,
            (std::vector<std::string>{"mohamed-2019-upadacitinib-er-ir"}));
  // Without an equivalence (a dose given by hand) the regimen is modelled as given.
  auto plain = compute_profile(shipped(), drug("upadacitinib"), regimen(15, 24));
  EXPECT_FALSE(plain.modelled_as);
}

TEST(Profile, WithoutPotencyOrStatementAPathwayStaysUnknown) {
  // Filgotinib: no potency and no usable PK in the KB; cited statements only for JAK1 pathways
  // (Traves 2021) and GM-CSF (SmPC). Every other pathway has no number and no effect.
  auto prof = compute_profile(shipped(), drug("filgotinib"), regimen(200, 24));
  for (const auto& r : prof.pathways) {
    if (r.basis == Basis::kNotJakDependent) continue;
    bool stated = r.jak_pair.find("JAK1") != std::string::npos || r.cytokine == "GM-CSF";
    EXPECT_EQ(r.basis, stated ? Basis::kQualitative : Basis::kUnknown) << r.cytokine;
    EXPECT_EQ(r.effect.has_value(), stated) << r.cytokine;
    EXPECT_FALSE(r.avg_inhibition_pct) << r.cytokine;
    EXPECT_FALSE(r.peak_inhibition_pct) << r.cytokine;
    EXPECT_FALSE(r.hours_above_50pct) << r.cytokine;
    EXPECT_FALSE(r.notes.empty()) << r.cytokine;
  }
  for (const auto& a : prof.axes) EXPECT_FALSE(a.avg_inhibition_pct) << a.axis;
  EXPECT_TRUE(prof.total_nm.empty());
}

TEST(Profile, UnknownUnboundFractionBlocksComparisonWithCellIc50s) {
  kb::Drug d = synthetic(20, 100, 2, 50);
  d.pk->unbound_fraction.clear();
  auto prof = compute_profile(shipped(), d, regimen(10, 24));
  EXPECT_EQ(pathway(prof, "IL-2").basis, Basis::kUnknown);
  // A whole-blood IC50 is compared with total concentrations and needs no unbound fraction.
  d.potency[0].matrix = kb::PotencyMatrix::kWholeBlood;
  auto wb = compute_profile(shipped(), d, regimen(10, 24));
  EXPECT_EQ(pathway(wb, "IL-2").basis, Basis::kQuantitative);
  EXPECT_EQ(pathway(wb, "IL-2").assay, Assay::kWholeBlood);
  ASSERT_TRUE(pathway(wb, "IL-2").avg_inhibition_pct);
}

// An aggregate's assay: none, one, or mixed once two assays meet (and mixed stays mixed).
TEST(AssayBasis, OneAssayUntilASecondOneMeetsIt) {
  AssayBasis b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.name(), "");
  EXPECT_FALSE(b.single());
  b.add(Assay::kCellular);
  b.add(Assay::kCellular);
  EXPECT_EQ(b.single(), Assay::kCellular);
  EXPECT_EQ(b.name(), "cellular");
  EXPECT_FALSE(b.mixed());
  AssayBasis other;
  other.add(Assay::kWholeBlood);
  AssayBasis merged = b;
  merged.add(other);
  EXPECT_TRUE(merged.mixed());
  EXPECT_FALSE(merged.single());
  EXPECT_EQ(merged.name(), "mixed");
  merged.add(Assay::kCellular);
  EXPECT_TRUE(merged.mixed());
  AssayBasis from_mixed;
  from_mixed.add(merged);
  EXPECT_TRUE(from_mixed.mixed());
  AssayBasis from_empty = b;
  from_empty.add(AssayBasis{});
  EXPECT_EQ(from_empty, b);
}

// Issue 12: enzymatic-derived values more than 10x away from the drug's cellular values are shown
// with a warning and kept out of every aggregate; aggregates never average two assays.
TEST(Profile, DistantEnzymaticValuesAreKeptOutAndAssaysNeverMix) {
  auto prof = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12));
  ASSERT_TRUE(prof.cellular_over_enzymatic_min);
  // The scale gap is measured on the label's cellular pair IC50s: JAK1/JAK3 56 nM over the root
  // of (1+c/3.2)(1+c/1.6)=2, JAK2/JAK2 1377 nM over 4.1 (sqrt2 - 1).
  double jak13 = 56 / ((-(4.8) + std::sqrt(4.8 * 4.8 + 4 * 3.2 * 1.6)) / 2);
  double jak22 = 1377 / (4.1 * (std::sqrt(2.0) - 1));
  EXPECT_NEAR(*prof.cellular_over_enzymatic_min, jak13, 1e-9);
  EXPECT_NEAR(*prof.cellular_over_enzymatic_max, jak22, 1e-9);
  const auto& il23 = pathway(prof, "IL-23");
  EXPECT_EQ(il23.assay, Assay::kEnzymaticDerived);
  EXPECT_TRUE(il23.excluded_from_aggregates);
  EXPECT_TRUE(il23.avg_inhibition_pct);  // shown
  EXPECT_FALSE(pathway(prof, "IL-6").excluded_from_aggregates);
  for (const auto& a : prof.axes) {
    if (a.axis == "Th2") {
      // IL-4/IL-31 whole-blood, IL-5 cellular: two assays, no average.
      EXPECT_TRUE(a.basis.mixed());
      EXPECT_EQ(a.basis.name(), "mixed");
      EXPECT_FALSE(a.avg_inhibition_pct);
    }
    if (a.axis == "Th1") {
      // IL-2 and IFN-gamma whole-blood, IL-12 kept out: the average is over whole-blood values.
      EXPECT_EQ(a.basis.single(), Assay::kWholeBlood);
      EXPECT_EQ(a.known, 2);
      EXPECT_DOUBLE_EQ(*a.avg_inhibition_pct, (*pathway(prof, "IFN-gamma").avg_inhibition_pct +
                                               *pathway(prof, "IL-2").avg_inhibition_pct) /
                                                  2);
    }
  }
  // Psoriasis' dominant JAK cytokine IL-23 is kept out: no quantitative score.
  auto pso = disease_coverage(shipped(), prof, "psoriasis");
  EXPECT_FALSE(pso.score_pct);
  // A drug without a cellular value keeps its enzymatic-derived values in aggregates.
  auto rux = compute_profile(shipped(), drug("ruxolitinib"), regimen(10, 12));
  EXPECT_FALSE(pathway(rux, "IL-2").excluded_from_aggregates);
}

TEST(Metabolites, AnActiveMetaboliteAddsItsPotencyWeightedExposure) {
  kb::Drug d = synthetic(20, 100, 2, 50);
  auto base = compute_profile(shipped(), d, regimen(10, 24));
  kb::Metabolite m;
  m.name = "M1";
  m.active = true;
  m.potency_vs_parent = quantity(0.5, "1");
  m.exposure_vs_parent = quantity(4, "1");
  m.half_life = quantity(15, "h");
  d.metabolite = {m};
  auto with = compute_profile(shipped(), d, regimen(10, 24));
  ASSERT_EQ(with.metabolites_modelled, (std::vector<std::string>{"M1"}));
  double a = std::accumulate(base.total_nm.begin(), base.total_nm.end(), 0.0);
  double b = std::accumulate(with.total_nm.begin(), with.total_nm.end(), 0.0);
  EXPECT_NEAR(b / a, 1 + 0.5 * 4, 1e-3);  // parent + potency × AUC ratio
  EXPECT_EQ(pathway(with, "IL-2").bound, Bound::kEstimate);
  // Without its potency it is left out, and every value becomes a lower bound.
  d.metabolite[0].potency_vs_parent.reset();
  auto partial = compute_profile(shipped(), d, regimen(10, 24));
  EXPECT_EQ(pathway(partial, "IL-2").bound, Bound::kLowerBound);
  EXPECT_DOUBLE_EQ(*pathway(partial, "IL-2").avg_inhibition_pct,
                   *pathway(base, "IL-2").avg_inhibition_pct);
}

// ---------------------------------------------------------------- coverage

TEST(Coverage, QuantitativeScoreAveragesOneAssayOnly) {
  ProfileOptions enzymatic;
  enzymatic.assay = Assay::kEnzymaticDerived;
  auto prof = compute_profile(shipped(), drug("baricitinib"), regimen(4, 24), nullptr, enzymatic);
  auto pso = disease_coverage(shipped(), prof, "psoriasis");  // dominant TNF, IL-23, IL-17A/F
  ASSERT_TRUE(pso.score_pct);
  EXPECT_EQ(pso.scored_on, "dominant");
  EXPECT_EQ(pso.basis.single(), Assay::kEnzymaticDerived);
  EXPECT_DOUBLE_EQ(*pso.score_pct, *pathway(prof, "IL-23").avg_inhibition_pct);
  EXPECT_EQ(pso.not_jak_dependent, (std::vector<std::string>{"TNF", "IL-17A/F"}));
  auto ad = disease_coverage(shipped(), prof, "atopic-dermatitis");  // dominant IL-13, IL-22
  ASSERT_TRUE(ad.score_pct);
  EXPECT_DOUBLE_EQ(*ad.score_pct, (*pathway(prof, "IL-13").avg_inhibition_pct +
                                   *pathway(prof, "IL-22").avg_inhibition_pct) /
                                      2);
  // Default (best value per pathway): IL-6 cellular beside IL-13 enzymatic in the Th2 axis of a
  // disease: psoriasis' "present" is not scored, but AD's dominant set is one assay.
  auto best = compute_profile(shipped(), drug("baricitinib"), regimen(4, 24));
  EXPECT_EQ(pathway(best, "IL-23").assay, Assay::kCellular);
  EXPECT_EQ(disease_coverage(shipped(), best, "psoriasis").basis.single(), Assay::kCellular);
}

// Like-for-like pair coverage: the same kind of value (a cited statement) for every product.
// Chimalakonda 2021: deucravacitinib inhibits TYK2 only (IL-23 is JAK2/TYK2 -> inhibited);
// abrocitinib spares JAK2/TYK2 (EU SmPC 5.1) -> psoriasis' IL-23 spared; both inhibit the JAK1/TYK2
// AD cytokines IL-13 and IL-22.
TEST(Coverage, PairCoverageComesFromCitedStatementsForEveryProduct) {
  auto deucra = compute_profile(shipped(), drug("deucravacitinib"), regimen(6, 24));
  auto abro = compute_profile(shipped(), drug("abrocitinib"), regimen(100, 24));
  auto tofa = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12));
  EXPECT_EQ(disease_coverage(shipped(), deucra, "psoriasis").pair_coverage_pct, 100.0);
  auto abro_pso = disease_coverage(shipped(), abro, "psoriasis");
  EXPECT_EQ(abro_pso.pair_coverage_pct, 0.0);
  EXPECT_EQ(abro_pso.spared, (std::vector<std::string>{"IL-23"}));
  for (const auto* p : {&deucra, &abro, &tofa}) {
    auto ad = disease_coverage(shipped(), *p, "atopic-dermatitis");
    EXPECT_EQ(ad.pair_coverage_pct, 100.0) << p->drug;
    EXPECT_EQ(ad.exposure, kb::Exposure::kClinical) << p->drug;
  }
  // Ritlecitinib: JAK3 inhibited, the other JAKs spared (registry) -> AD's JAK1/TYK2 cytokines
  // spared, the gamma-c cytokine IL-15 inhibited.
  auto ritle = compute_profile(shipped(), drug("ritlecitinib"), regimen(50, 24));
  EXPECT_EQ(disease_coverage(shipped(), ritle, "atopic-dermatitis").pair_coverage_pct, 0.0);
  EXPECT_EQ(pathway(ritle, "IL-15").effect->effect, Effect::kInhibited);
  // Filgotinib: no statement on IL-23's pair -> pair coverage of psoriasis unknown, not 0.
  auto filgo = compute_profile(shipped(), drug("filgotinib"), regimen(200, 24));
  auto filgo_pso = disease_coverage(shipped(), filgo, "psoriasis");
  EXPECT_FALSE(filgo_pso.pair_coverage_pct);
  EXPECT_EQ(filgo_pso.effect_unknown, (std::vector<std::string>{"IL-23"}));
}

TEST(Coverage, QualitativeEffectResolution) {
  // A pair statement wins over kinase inference: abrocitinib JAK2/TYK2 spared although nothing
  // is said of TYK2 alone; JAK1 inhibited makes every JAK1 pair inhibited.
  EXPECT_EQ(qualitative_effect(drug("abrocitinib"), cytokine("IL-12"))->effect, Effect::kSpared);
  EXPECT_EQ(qualitative_effect(drug("abrocitinib"), cytokine("IL-13"))->effect, Effect::kInhibited);
  // Spared needs both kinases spared: deucravacitinib JAK1/JAK3 spared, JAK1/TYK2 inhibited.
  EXPECT_EQ(qualitative_effect(drug("deucravacitinib"), cytokine("IL-2"))->effect, Effect::kSpared);
  EXPECT_EQ(qualitative_effect(drug("deucravacitinib"), cytokine("IL-22"))->effect,
            Effect::kInhibited);
  // A cytokine statement applies to that cytokine only: filgotinib GM-CSF spared, EPO unknown.
  EXPECT_EQ(qualitative_effect(drug("filgotinib"), cytokine("GM-CSF"))->effect, Effect::kSpared);
  EXPECT_FALSE(qualitative_effect(drug("filgotinib"), cytokine("EPO")));
  EXPECT_FALSE(qualitative_effect(drug("tofacitinib"), cytokine("TNF")));
}

TEST(Coverage, UnknownWithoutASignature) {
  auto prof = compute_profile(shipped(), drug("baricitinib"), regimen(4, 24));
  auto rosacea = disease_coverage(shipped(), prof, "rosacea");
  EXPECT_FALSE(rosacea.has_signature);
  EXPECT_FALSE(rosacea.score_pct);
  EXPECT_FALSE(rosacea.pair_coverage_pct);
}

// Topical products: no systemic curve, the cited systemic-exposure statement instead, and
// qualitative effects at the application site; never an error.
TEST(Coverage, TopicalProductsAreQualitativeAtTheApplicationSite) {
  for (const char* id : {"ruxolitinib-cream", "delgocitinib"}) {
    auto prof = compute_profile(shipped(), drug(id), Regimen{0, 24, std::string("topical"), {}});
    ASSERT_TRUE(prof.topical) << id;
    EXPECT_FALSE(prof.topical->prov.src.empty()) << id;
    EXPECT_TRUE(prof.total_nm.empty()) << id;
    const auto& il13 = pathway(prof, "IL-13");
    EXPECT_EQ(il13.basis, Basis::kQualitative) << id;
    EXPECT_EQ(il13.effect->exposure, kb::Exposure::kApplicationSite) << id;
    EXPECT_EQ(disease_coverage(shipped(), prof, "atopic-dermatitis").exposure,
              kb::Exposure::kApplicationSite);
  }
}

// ---------------------------------------------------------------- published findings

// pharmacology.md §2e: tofacitinib inhibits JAK1/JAK3 signalling (56 nM) more than JAK2/JAK2
// (1377 nM); at 5 mg BID the JAK1/JAK3 cytokines are inhibited more than the JAK2/JAK2 ones.
// Compared on one assay (the label's cellular pair IC50s), like for like.
TEST(PublishedFindings, TofacitinibJak13OverJak22) {
  ProfileOptions cellular;
  cellular.assay = Assay::kCellular;
  auto prof = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12), nullptr, cellular);
  for (const char* jak13 : {"IL-2", "IL-15"}) {
    for (const char* jak22 : {"EPO", "GM-CSF", "TPO"}) {
      EXPECT_EQ(pathway(prof, jak13).assay, Assay::kCellular);
      EXPECT_EQ(pathway(prof, jak22).assay, Assay::kCellular);
      EXPECT_GT(*pathway(prof, jak13).avg_inhibition_pct,
                3 * *pathway(prof, jak22).avg_inhibition_pct)
          << jak13 << " vs " << jak22;
      EXPECT_GT(*pathway(prof, jak13).hours_above_50pct, *pathway(prof, jak22).hours_above_50pct);
    }
  }
}

// Chimalakonda 2021: tofacitinib does not inhibit TYK2 at clinical exposures, so IL-12/IL-23
// (JAK2/TYK2) must not come out above IL-6 (JAK1/JAK2). The enzymatic-derived 87.9 % the engine
// used to print is kept out of every aggregate; what is comparable (the qualitative effect) is
// the same for both.
TEST(PublishedFindings, TofacitinibIl12Il23NotAboveIl6) {
  auto prof = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12));
  const auto& il6 = pathway(prof, "IL-6");
  for (const char* id : {"IL-12", "IL-23"}) {
    const auto& r = pathway(prof, id);
    EXPECT_TRUE(r.excluded_from_aggregates) << id;
    ASSERT_TRUE(r.effect && il6.effect);
    EXPECT_EQ(r.effect->effect, Effect::kInhibited);  // via JAK2, "to varying degrees"
    EXPECT_EQ(il6.effect->effect, Effect::kInhibited);
    // No comparable quantitative IL-12/IL-23 value exists on IL-6's assay.
    ProfileOptions same;
    same.assay = *il6.assay;
    auto like = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12), nullptr, same);
    EXPECT_FALSE(pathway(like, id).avg_inhibition_pct) << id;
  }
  auto pso = disease_coverage(shipped(), prof, "psoriasis");
  auto ra_like = disease_coverage(shipped(), prof, "atopic-dermatitis");
  EXPECT_FALSE(pso.score_pct);  // IL-23's quantitative value cannot score
  EXPECT_EQ(pso.pair_coverage_pct, ra_like.pair_coverage_pct);
}

// Where the peak and the end-of-interval value of the concentration (hence of any inhibition)
// fall, for one dosing interval of the modelled regimen.
struct TimeCourse {
  double peak_h, end_over_peak;
};
TimeCourse time_course(const PathwayProfile& p) {
  const auto& c = p.total_nm;
  double tau = p.modelled_as ? p.modelled_as->tau_h : p.regimen.tau_h;
  int n = static_cast<int>(tau * p.steps_per_hour);
  auto peak = std::max_element(c.begin(), c.begin() + n);
  return {static_cast<double>(peak - c.begin()) / p.steps_per_hour, c[n - 1] / *peak};
}

// pharmacology.md §2e (label PD): baricitinib IL-6/pSTAT3 inhibition is maximal about 2 h after
// the dose and near baseline by 24 h.
TEST(PublishedFindings, BaricitinibPeaksEarlyAndFallsBackByTheEndOfTheInterval) {
  auto prof = compute_profile(shipped(), drug("baricitinib"), regimen(4, 24));
  const auto& il6 = pathway(prof, "IL-6");
  ASSERT_TRUE(il6.avg_inhibition_pct);
  auto tc = time_course(prof);
  EXPECT_LE(tc.peak_h, 3.0);
  EXPECT_LT(tc.end_over_peak, 0.15);
  EXPECT_LT(*il6.trough_inhibition_pct, *il6.peak_inhibition_pct / 4);
  EXPECT_LT(*il6.trough_inhibition_pct, 15.0);
}

// pharmacology.md §2e (label PD): upadacitinib IL-6/pSTAT3 and IL-7/pSTAT5 inhibition is maximal
// about 1 h after the dose and back near baseline by the end of the interval. ER 15 mg QD is
// modelled as its published equivalent IR 6 mg BID; whole-blood EC50s against total levels.
TEST(PublishedFindings, UpadacitinibInhibitionPeaksEarlyInTheInterval) {
  auto regs = approved_regimens(shipped(), drug("upadacitinib"));
  auto er15 = std::find_if(regs.begin(), regs.end(),
                           [](const Regimen& r) { return r.amount_mg == 15 && r.tau_h == 24; });
  ASSERT_NE(er15, regs.end());
  auto prof = compute_profile(shipped(), drug("upadacitinib"), *er15);
  for (const char* id : {"IL-6", "IL-7"}) {
    const auto& r = pathway(prof, id);
    ASSERT_TRUE(r.avg_inhibition_pct) << id;
    EXPECT_EQ(r.assay, Assay::kWholeBlood) << id;
    // series every 15 min over 24 h; the first modelled interval is 12 h (49 points).
    auto peak = std::max_element(r.series_pct.begin(), r.series_pct.begin() + 49);
    EXPECT_LE(static_cast<double>(peak - r.series_pct.begin()) * 0.25, 2.0) << id;
    EXPECT_LT(r.series_pct[48], 0.35 * *peak) << id;
  }
}

// The dose of upadacitinib IR (BID) whose average daily inhibition of `cytokine` equals
// `target_pct`, by bisection (inhibition rises with dose: property tested below).
double upadacitinib_dose_matching(const std::string& cytokine_id, double target_pct) {
  double lo = 0.1, hi = 100;
  for (int i = 0; i < 60; ++i) {
    double mid = std::sqrt(lo * hi);
    auto prof = compute_profile(shipped(), drug("upadacitinib"), regimen(mid, 12));
    (*pathway(prof, cytokine_id).avg_inhibition_pct < target_pct ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

// pharmacology-potency-pk.md §1c (Mohamed 2020 [C]): "tofacitinib 5 mg BID ≈ upadacitinib ~3 mg
// BID (IR) on IL-6/pSTAT3" and "upadacitinib ~12 mg BID (IR) ≈ tofacitinib 5 mg BID on
// IL-7/pSTAT5". Reproduced with the published whole-blood EC50s, the tofacitinib popPK (Vong 2021,
// UC patients) and the upadacitinib IR popPK (healthy/RA phase 1/2): each matching dose within a
// factor of 2 of the published one (stated tolerance: the two popPK populations differ, e.g. RA
// AUC +32 % vs healthy, and the published doses are rounded), and the IL-7 dose at least twice the
// IL-6 dose (published: 4-fold).
TEST(PublishedFindings, UpadacitinibTofacitinibWholeBloodEquivalences) {
  ProfileOptions wb;
  wb.assay = Assay::kWholeBlood;
  auto tofa = compute_profile(shipped(), drug("tofacitinib"), regimen(5, 12), nullptr, wb);
  double il6 = upadacitinib_dose_matching("IL-6", *pathway(tofa, "IL-6").avg_inhibition_pct);
  double il7 = upadacitinib_dose_matching("IL-7", *pathway(tofa, "IL-7").avg_inhibition_pct);
  EXPECT_GE(il6, 3.0 / 2);
  EXPECT_LE(il6, 3.0 * 2);
  EXPECT_GE(il7, 12.0 / 2);
  EXPECT_LE(il7, 12.0 * 2);
  EXPECT_GE(il7 / il6, 2.0);
  RecordProperty("upa_ir_bid_mg_matching_tofa_on_il6", std::to_string(il6));
  RecordProperty("upa_ir_bid_mg_matching_tofa_on_il7", std::to_string(il7));
  // And the direct reading: at the published doses the two drugs are within 10 %-points.
  auto upa3 = compute_profile(shipped(), drug("upadacitinib"), regimen(3, 12));
  auto upa12 = compute_profile(shipped(), drug("upadacitinib"), regimen(12, 12));
  EXPECT_NEAR(*pathway(upa3, "IL-6").avg_inhibition_pct, *pathway(tofa, "IL-6").avg_inhibition_pct,
              10.0);
  EXPECT_NEAR(*pathway(upa12, "IL-7").avg_inhibition_pct, *pathway(tofa, "IL-7").avg_inhibition_pct,
              10.0);
}

// Chimalakonda 2021 [C]: deucravacitinib at clinical exposure inhibits TYK2 pathways only.
// Enzymatic JH1 IC50s do not apply to an allosteric JH2 binder and no whole-blood IC50 is in the
// KB, so the finding is reproduced qualitatively: IL-12, IL-23, IFN-alpha inhibited; EPO, TPO,
// GM-CSF (JAK2/JAK2) spared.
TEST(PublishedFindings, DeucravacitinibInhibitsTyk2PathwaysAndSparesJak2Homodimers) {
  auto prof = compute_profile(shipped(), drug("deucravacitinib"), regimen(6, 24));
  ASSERT_FALSE(prof.total_nm.empty());  // its PK is derivable
  for (const char* id : {"IL-12", "IL-23", "IFN-alpha/beta"}) {
    EXPECT_EQ(pathway(prof, id).basis, Basis::kQualitative) << id;
    EXPECT_EQ(pathway(prof, id).effect->effect, Effect::kInhibited) << id;
    EXPECT_FALSE(pathway(prof, id).avg_inhibition_pct) << id;
  }
  for (const char* id : {"EPO", "TPO", "GM-CSF"}) {
    EXPECT_EQ(pathway(prof, id).effect->effect, Effect::kSpared) << id;
  }
}

// EU SmPC 5.1: abrocitinib preferentially inhibits JAK1-containing pairs and spares JAK2/JAK2
// (and JAK2/TYK2): every JAK1 pathway ranks above every JAK2/JAK2 one.
TEST(PublishedFindings, AbrocitinibJak1PathwaysAboveJak2Homodimers) {
  auto prof = compute_profile(shipped(), drug("abrocitinib"), regimen(200, 24));
  for (const auto& r : prof.pathways) {
    if (r.jak_pair.empty()) continue;
    ASSERT_TRUE(r.effect) << r.cytokine;  // every JAK pathway is decided by the label statements
    if (r.jak_pair.find("JAK1") != std::string::npos) {
      EXPECT_EQ(r.effect->effect, Effect::kInhibited) << r.cytokine;
    }
    if (r.jak_pair == "JAK2/JAK2" || r.jak_pair == "JAK2/TYK2") {
      EXPECT_EQ(r.effect->effect, Effect::kSpared) << r.cytokine;
    }
  }
  // The active moiety drives abrocitinib; its potency weights and PK are not in the KB, so no
  // number is printed.
  for (const auto& r : prof.pathways) EXPECT_FALSE(r.avg_inhibition_pct) << r.cytokine;
}

// Ritlecitinib binds JAK3 irreversibly: the concentration-driven model is flagged and gives no
// number even for a KB that had a potency; the pathways are qualitative.
TEST(PublishedFindings, RitlecitinibIrreversibleBindingIsFlagged) {
  auto prof = compute_profile(shipped(), drug("ritlecitinib"), regimen(50, 24));
  EXPECT_TRUE(prof.covalent);
  EXPECT_EQ(pathway(prof, "IL-15").basis, Basis::kQualitative);
  kb::Drug d = synthetic(20, 100, 2, 50);
  d.mechanism.binding = kb::Binding::kCovalent;
  auto syn = compute_profile(shipped(), d, regimen(10, 24));
  EXPECT_FALSE(pathway(syn, "IL-2").avg_inhibition_pct);
  EXPECT_NE(pathway(syn, "IL-2").notes.front().find("irreversible"), std::string::npos);
}

// Issue 12 "done": every product prints a pathway table: each JAK row is quantitative,
// qualitative or unknown, and none needs a dose the KB lacks.
TEST(PublishedFindings, EveryProductHasAPathwayTable) {
  for (const auto& d : shipped().drugs) {
    auto regs = approved_regimens(shipped(), d);
    Regimen r = regs.empty() ? Regimen{0, 24, std::string("topical"), {}} : regs.front();
    if (d.route == kb::Route::kOral) {
      EXPECT_FALSE(regs.empty()) << d.id;
    }
    auto prof = compute_profile(shipped(), d, r);
    EXPECT_EQ(prof.pathways.size(), shipped().cytokines.size()) << d.id;
    int stated = 0;
    for (const auto& p : prof.pathways) stated += p.basis != Basis::kUnknown;
    EXPECT_GT(stated, 0) << d.id;
  }
}

// ---------------------------------------------------------------- properties

RC_GTEST_PROP(PathwayProperties, InhibitionRisesWithDoseAndWithAnInhibitingModifier, ()) {
  double cl = *rc::gen::inRange(5, 200) / 2.0;  // 2.5–100 L/h
  double v = *rc::gen::inRange(20, 400) * 1.0;
  double ka = *rc::gen::inRange(2, 60) / 4.0;
  double ic50 = *rc::gen::inRange(1, 3000) * 1.0;
  double dose = *rc::gen::inRange(1, 200) / 2.0;
  double more = dose * (1 + *rc::gen::inRange(1, 300) / 100.0);
  double tau = *rc::gen::element(12.0, 24.0);
  kb::Drug d = synthetic(cl, v, ka, ic50);
  // Whole-blood potency (against total concentration) must behave the same way.
  if (*rc::gen::arbitrary<bool>()) d.potency[0].matrix = kb::PotencyMatrix::kWholeBlood;
  auto low = compute_profile(shipped(), d, regimen(dose, tau));
  auto high = compute_profile(shipped(), d, regimen(more, tau));
  ExposureModifier inhibitor{"test-inhibitor",
                             std::nullopt,
                             static_cast<double>(*rc::gen::inRange(1, 400)),
                             {"test"},
                             "confirmed"};
  auto modified = compute_profile(shipped(), d, regimen(dose, tau), &inhibitor);
  for (std::size_t i = 0; i < low.pathways.size(); ++i) {
    const auto& a = low.pathways[i];
    if (!a.avg_inhibition_pct) continue;
    const auto& b = high.pathways[i];
    const auto& m = modified.pathways[i];
    RC_ASSERT(*b.avg_inhibition_pct >= *a.avg_inhibition_pct);
    RC_ASSERT(*b.peak_inhibition_pct >= *a.peak_inhibition_pct);
    RC_ASSERT(*b.trough_inhibition_pct >= *a.trough_inhibition_pct);
    RC_ASSERT(*b.hours_above_50pct >= *a.hours_above_50pct);
    RC_ASSERT(*m.avg_inhibition_pct >= *a.avg_inhibition_pct);
    for (const auto* r : {&a, &b, &m}) {
      for (double pct :
           {*r->avg_inhibition_pct, *r->peak_inhibition_pct, *r->trough_inhibition_pct}) {
        RC_ASSERT(pct >= 0.0);
        RC_ASSERT(pct <= 100.0);
      }
      RC_ASSERT(*r->trough_inhibition_pct <= *r->avg_inhibition_pct + 1e-9);
      RC_ASSERT(*r->avg_inhibition_pct <= *r->peak_inhibition_pct + 1e-9);
      RC_ASSERT(*r->hours_above_50pct >= 0.0);
      RC_ASSERT(*r->hours_above_50pct <= 24.0);
    }
  }
}

TEST(PathwayProperties, EveryShippedDrugAndRegimenStaysInRange) {
  for (const auto& d : shipped().drugs) {
    for (const auto& r : approved_regimens(shipped(), d)) {
      auto prof = compute_profile(shipped(), d, r);
      for (const auto& p : prof.pathways) {
        if (!p.avg_inhibition_pct) {
          EXPECT_NE(p.basis, Basis::kQuantitative) << d.id << " " << p.cytokine;
          continue;
        }
        for (double pct :
             {*p.avg_inhibition_pct, *p.peak_inhibition_pct, *p.trough_inhibition_pct}) {
          EXPECT_GE(pct, 0) << d.id << " " << p.cytokine;
          EXPECT_LE(pct, 100) << d.id << " " << p.cytokine;
        }
        EXPECT_GE(*p.hours_above_50pct, 0);
        EXPECT_LE(*p.hours_above_50pct, 24);
        EXPECT_FALSE(p.sources.empty()) << d.id << " " << p.cytokine;
      }
    }
  }
}

}  // namespace
}  // namespace paraderm::pharm
