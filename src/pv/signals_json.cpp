// `pv signals --format json`, shared by the CLI and the Python module (include/paraderm/pv_data.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "paraderm/pv_data.h"

namespace paraderm::pv {
namespace {

// JSON has no infinity: infinite is the string "inf" / "-inf", undefined (NaN) is null.
nlohmann::json json_num(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

}  // namespace

void sort_by_signal(std::vector<const Score*>& rows) {
  std::sort(rows.begin(), rows.end(), [](const Score* a, const Score* b) {
    return a->post.eb05 != b->post.eb05 ? a->post.eb05 > b->post.eb05 : a->n > b->n;
  });
}

std::string signals_json(const SignalTable& t, const std::vector<const Score*>& rows,
                         const SignalRules& rules, const std::vector<double>& quantiles) {
  const auto& f = t.fit;
  nlohmann::json j;
  j["fit"] = {{"alpha1", f.theta.alpha1},
              {"beta1", f.theta.beta1},
              {"alpha2", f.theta.alpha2},
              {"beta2", f.theta.beta2},
              {"p", f.theta.p},
              {"neg_log_lik", json_num(f.neg_log_lik)},
              {"converged", f.converged},
              {"fit_data", t.fit_data == FitData::kFull ? "full" : "squashed"},
              {"fit_points", t.fit_points},
              {"prior", t.prior_given ? "given" : "fitted"},
              {"qn", to_string(t.qn)}};
  j["source"] = t.source;
  j["label"] = "reporting signals (disproportionality in spontaneous reports), not incidences";
  j["pairs"] = nlohmann::json::array();
  for (const auto* x : rows) {
    auto fl = flags(*x, rules);
    nlohmann::json row = {
        {"drug", t.drugs[x->drug]},
        {"event", t.events[x->event]},
        {"n", x->n},
        {"expected", json_num(x->expected)},
        {"rr", json_num(x->d.rr)},
        {"prr", json_num(x->d.prr)},
        {"prr_chi2", json_num(x->d.chi2)},
        {"ror", json_num(x->d.ror)},
        {"ror_lo", json_num(x->d.ror_lo)},
        {"ror_hi", json_num(x->d.ror_hi)},
        {"ic", json_num(x->d.ic)},
        {"ic025", json_num(x->d.ic025)},
        {"ic975", json_num(x->d.ic975)},
        {"qn", json_num(x->post.q)},
        {"ebgm", json_num(x->post.ebgm)},
        {"eb05", json_num(x->post.eb05)},
        {"eb95", json_num(x->post.eb95)},
        {"signal", {{"evans", fl.evans}, {"ror", fl.ror}, {"ic", fl.ic}, {"eb05", fl.eb05}}}};
    for (double p : quantiles) {
      row[fmt::format("q{}", p)] =
          json_num(mgps_posterior_quantile(t.fit.theta, x->n, x->expected, x->post.q, p));
    }
    j["pairs"].push_back(std::move(row));
  }
  return j.dump(2);
}

}  // namespace paraderm::pv
