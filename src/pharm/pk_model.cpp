#include "paraderm/pk_model.h"

#include <fmt/format.h>

namespace paraderm::pharm {
namespace {

// Converts one KB model, or says which parameter is missing.
std::variant<PkParams, std::string> convert(const kb::PkModel& m) {
  PkParams p;
  std::vector<std::string> missing;
  auto need = [&](const std::optional<double>& v, const char* name) {
    if (!v) missing.emplace_back(name);
    return v.value_or(0);
  };
  if (m.compartments > 2) return std::string("three-compartment models are not supported");
  p.compartments = static_cast<int>(m.compartments);
  p.cl_l_h = need(m.cl_f_l_h, "cl_f_l_h");
  if (p.compartments == 1) {
    p.v1_l = need(m.v_f_l, "v_f_l");
  } else {
    p.v1_l = need(m.vc_f_l, "vc_f_l");
    p.v2_l = need(m.vp_f_l, "vp_f_l");
    p.q_l_h = need(m.q_f_l_h, "q_f_l_h");
  }
  if (m.absorption == kb::Absorption::kZeroOrder) {
    p.zero_order_h = need(m.duration_h, "duration_h");
  } else if (m.absorption == kb::Absorption::kMixed) {
    return std::string("mixed zero-/first-order absorption is not supported");
  } else {
    p.ka_per_h = need(m.ka_per_h, "ka_per_h");
  }
  if (m.absorption == kb::Absorption::kFirstOrderLag) p.lag_h = need(m.lag_h, "lag_h");
  if (!missing.empty()) {
    std::string list;
    for (const auto& s : missing) list += (list.empty() ? "" : ", ") + s;
    return fmt::format("unknown {}", list);
  }
  return p;
}

}  // namespace

std::vector<std::string> model_gaps(const kb::Drug& drug) {
  std::vector<std::string> out;
  for (const auto& m : drug.pk_model) {
    auto r = convert(m);
    out.push_back(std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "");
  }
  return out;
}

Result<ModelChoice> model_from_kb(const kb::Drug& drug, std::optional<std::size_t> index) {
  if (drug.pk_model.empty()) {
    return Status::not_found(
        fmt::format("{}: the KB holds no published PK model (PK unknown)", drug.id));
  }
  if (index) {
    if (*index >= drug.pk_model.size()) {
      return Status::invalid_input(
          fmt::format("model: value {}: expected 0..{}", *index, drug.pk_model.size() - 1));
    }
    auto r = convert(drug.pk_model[*index]);
    if (auto* why = std::get_if<std::string>(&r)) {
      return Status::invalid_input(fmt::format("{} model {}: {}", drug.id, *index, *why));
    }
    return ModelChoice{std::get<PkParams>(r), &drug.pk_model[*index], *index};
  }
  std::string reasons;
  for (std::size_t i = 0; i < drug.pk_model.size(); ++i) {
    auto r = convert(drug.pk_model[i]);
    if (auto* p = std::get_if<PkParams>(&r)) return ModelChoice{*p, &drug.pk_model[i], i};
    reasons += fmt::format("; model {}: {}", i, std::get<std::string>(r));
  }
  return Status::not_found(fmt::format("{}: no usable PK model{}", drug.id, reasons));
}

std::optional<double> molecular_weight(const kb::Drug& drug) {
  if (!drug.pk || drug.pk->molecular_weight.empty()) return std::nullopt;
  return drug.pk->molecular_weight.front().value;
}

}  // namespace paraderm::pharm
