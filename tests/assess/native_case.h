// Native cases built in tests/assess (docs/case-format.md) and assessed against the shipped KB.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess::testing {

// A 50-year-old never-smoking man of 80 kg with atopic dermatitis since 2015, assessed on
// 2026-11-20; `extra_conditions` are appended to the AD.
inline nlohmann::json adult_ad_case(
    const std::string& region, const nlohmann::json& labs,
    const nlohmann::json& extra_conditions = nlohmann::json::array()) {
  nlohmann::json conditions =
      nlohmann::json::array({{{"name", "atopic dermatitis"}, {"onset", "2015-01-01"}}});
  for (const auto& c : extra_conditions) conditions.push_back(c);
  return {{"schema_version", "1"},
          {"region", region},
          {"as_of", "2026-11-20"},
          {"patient",
           {{"birth_date", "1976-02-01"},
            {"sex", "male"},
            {"weight_kg", 80},
            {"smoking", {{"status", "never"}}}}},
          {"conditions", conditions},
          {"labs", labs}};
}

inline Assessment assess_native(const nlohmann::json& input) {
  const auto& kb = paraderm::testing::shipped_kb();
  auto parsed = clinical::parse_case(input.dump(), kb);
  EXPECT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(kb, *parsed.record);
}

}  // namespace paraderm::assess::testing
