// Pharmacovigilance reporting signals as the assessment reads them. The assessment reads a
// disproportionality store through this interface only, and the store's implementation (e.g. a
// FAERS store built by `paraderm pv`) needs nothing else of the assessment: data flows input ->
// normalise -> assess -> report, assess does not depend on pv, and pv does not depend on assess.
#pragma once

#include <optional>
#include <string>

namespace paraderm::assess {

// One drug-event pair of a store. Every statistic that is undefined for the pair (a zero cell, no
// fitted prior, ...) is std::nullopt, never 0.
struct ReportingSignal {
  std::string drug, event;
  double n = 0, expected = 0;
  std::optional<double> ror, ror_lo, ror_hi, prr, prr_chi2, ic, ic025, ic975, ebgm, eb05, eb95;
};

class SignalSource {
 public:
  virtual ~SignalSource() = default;
  // The pair's signal; nullopt: the pair never occurs in a report. Lookup is case-insensitive on
  // both names (the implementation's job). `drug` is a KB biologic id (e.g. "adalimumab"), `event`
  // a MedDRA preferred term as the KB spells it (e.g. "Psoriasis").
  virtual std::optional<ReportingSignal> find(const std::string& drug,
                                              const std::string& event) const = 0;
  // What the store is, e.g. "FAERS 2024Q1-2024Q4 store, 1 234 567 reports; MGPS prior fitted ...".
  virtual std::string description() const = 0;
  // Number of reports in the store.
  virtual double reports() const = 0;
};

}  // namespace paraderm::assess
