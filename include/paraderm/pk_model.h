// Turns a published population-PK model of the KB into closed-form PkParams.
//
// Contract: a model is usable only when every parameter its structure needs is present in the KB
// (e.g. a lag-time model without a lag value is not usable: the lag is unknown, not 0). Apparent
// parameters (CL/F, V/F) are used with f = 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/pk.h"
#include "paraderm/status.h"

namespace paraderm::pharm {

struct ModelChoice {
  PkParams params;
  const kb::PkModel* model = nullptr;  // the KB entry it came from
  std::size_t index = 0;               // its position in drug.pk_model
};

// Why each of the drug's models is or is not usable ("" when usable).
std::vector<std::string> model_gaps(const kb::Drug& drug);

// The model at `index`, or the first usable one; an error names what is missing.
Result<ModelChoice> model_from_kb(const kb::Drug& drug, std::optional<std::size_t> index = {});

// The molar mass (g/mol) the KB gives for the drug, if any (first value listed).
std::optional<double> molecular_weight(const kb::Drug& drug);

}  // namespace paraderm::pharm
