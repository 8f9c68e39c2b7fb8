#include <gtest/gtest.h>

#include "paraderm/pk_model.h"

namespace paraderm::pharm {
namespace {

kb::PkModel vong_tofacitinib() {  // pharmacology.md §5, Vong 2021
  kb::PkModel m;
  m.population = "UC";
  m.compartments = 1;
  m.absorption = kb::Absorption::kFirstOrderLag;
  m.cl_f_l_h = 26.3;
  m.v_f_l = 115.8;
  m.ka_per_h = 9.85;
  m.lag_h = 0.236;
  return m;
}

TEST(PkModel, ConvertsAPublishedOneCompartmentModel) {
  kb::Drug d;
  d.id = "tofacitinib";
  d.pk_model = {vong_tofacitinib()};
  auto r = model_from_kb(d);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(r.value().params.cl_l_h, 26.3);
  EXPECT_DOUBLE_EQ(r.value().params.v1_l, 115.8);
  EXPECT_DOUBLE_EQ(r.value().params.lag_h, 0.236);
  EXPECT_EQ(r.value().index, 0u);
  // The derived half-life the paper reports: ln 2 * V / CL ~ 3.05 h.
  EXPECT_NEAR(0.693147 * 115.8 / 26.3, 3.05, 0.01);
}

TEST(PkModel, AMissingLagIsUnknownNotZero) {
  kb::Drug d;
  d.id = "tofacitinib";
  kb::PkModel no_lag = vong_tofacitinib();
  no_lag.lag_h.reset();
  d.pk_model = {no_lag};
  auto r = model_from_kb(d);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("unknown lag_h"), std::string::npos) << r.status().message();
  EXPECT_EQ(model_gaps(d), (std::vector<std::string>{"unknown lag_h"}));
}

TEST(PkModel, SkipsUnusableModelsAndPicksTheFirstUsable) {
  kb::Drug d;
  d.id = "x";
  kb::PkModel structure_only;
  structure_only.compartments = 2;
  structure_only.absorption = kb::Absorption::kFirstOrder;
  d.pk_model = {structure_only, vong_tofacitinib()};
  auto r = model_from_kb(d);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().index, 1u);
  auto forced = model_from_kb(d, 0);
  ASSERT_FALSE(forced.is_ok());
  EXPECT_NE(forced.status().message().find("cl_f_l_h"), std::string::npos);
}

TEST(PkModel, NoModelMeansUnknownPk) {
  kb::Drug d;
  d.id = "delgocitinib";
  auto r = model_from_kb(d);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("unknown"), std::string::npos);
}

}  // namespace
}  // namespace paraderm::pharm
