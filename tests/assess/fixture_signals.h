// The vignettes' "pv_signals" fixture (tests/vignettes/README.md): a pharmacovigilance store of
// the listed pairs, matched case-insensitively as a real store does; statistics absent or null
// are undefined. Shared by the vignette runner and the golden report files.
#pragma once

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "paraderm/assess.h"

namespace paraderm::assess::testing {

class FixtureSignalSource : public SignalSource {
 public:
  FixtureSignalSource(const nlohmann::json& pairs, std::string description)
      : description_(std::move(description)) {
    for (const auto& p : pairs) {
      ReportingSignal s;
      s.drug = p.at("drug").get<std::string>();
      s.event = p.at("event").get<std::string>();
      s.n = p.at("n").get<double>();
      s.expected = p.at("expected").get<double>();
      auto opt = [&](const char* k) {
        return p.contains(k) && !p[k].is_null() ? std::optional<double>(p[k].get<double>())
                                                : std::nullopt;
      };
      s.ror = opt("ror");
      s.ror_lo = opt("ror_lo");
      s.ror_hi = opt("ror_hi");
      s.prr = opt("prr");
      s.prr_chi2 = opt("prr_chi2");
      s.ic = opt("ic");
      s.ic025 = opt("ic025");
      s.ic975 = opt("ic975");
      s.ebgm = opt("ebgm");
      s.eb05 = opt("eb05");
      s.eb95 = opt("eb95");
      pairs_.push_back(s);
    }
  }
  std::optional<ReportingSignal> find(const std::string& drug,
                                      const std::string& event) const override {
    for (const auto& p : pairs_) {
      if (lower(p.drug) == lower(drug) && lower(p.event) == lower(event)) return p;
    }
    return std::nullopt;
  }
  std::string description() const override { return description_; }
  double reports() const override { return 0; }

 private:
  static std::string lower(std::string x) {
    for (char& ch : x) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return x;
  }
  std::vector<ReportingSignal> pairs_;
  std::string description_;
};

}  // namespace paraderm::assess::testing
