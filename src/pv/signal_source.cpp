// The bridge from a pv store to the assessment: the assessment asks for (KB biologic id, MedDRA
// preferred term) and gets the store's statistics, or nothing when no report names both.
#include <fmt/format.h>

#include <cmath>

#include "paraderm/pv_data.h"

namespace paraderm::pv {
namespace {

std::optional<double> defined(double v) {
  return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}

class TableSource : public assess::SignalSource {
 public:
  explicit TableSource(std::shared_ptr<const SignalTable> t) : t_(std::move(t)) {}

  std::optional<assess::ReportingSignal> find(const std::string& drug,
                                              const std::string& event) const override {
    const Score* s = t_->find(drug, event);
    if (!s) return std::nullopt;
    assess::ReportingSignal r;
    r.drug = t_->drugs[s->drug];
    r.event = t_->events[s->event];
    r.n = s->n;
    r.expected = s->expected;
    // An infinite ROR (a zero cell) is kept: it is defined as unbounded, not unknown.
    r.ror = defined(s->d.ror);
    r.ror_lo = defined(s->d.ror_lo);
    r.ror_hi = defined(s->d.ror_hi);
    r.prr = defined(s->d.prr);
    r.prr_chi2 = defined(s->d.chi2);
    r.ic = defined(s->d.ic);
    r.ic025 = defined(s->d.ic025);
    r.ic975 = defined(s->d.ic975);
    r.ebgm = defined(s->post.ebgm);
    r.eb05 = defined(s->post.eb05);
    r.eb95 = defined(s->post.eb95);
    return r;
  }

  std::string description() const override {
    const auto& f = t_->fit;
    std::string prior =
        t_->prior_given
            ? fmt::format("MGPS prior given (alpha1 {}, beta1 {}, alpha2 {}, beta2 {}, P {})",
                          f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p)
            : fmt::format("MGPS prior fitted by maximum likelihood on {} {} points, {}",
                          t_->fit_points, t_->fit_data == FitData::kFull ? "full-data" : "squashed",
                          f.converged ? "converged" : f.message);
    return fmt::format(
        "pv store of {} ({:.0f} reports, {} drug-event pairs); {}; Q_n {}",
        t_->source.empty() ? "unnamed input" : t_->source, t_->reports, t_->scores.size(), prior,
        t_->qn == QnRule::kPublished ? "as DuMouchel 1999 eq. 6"
                                     : "conditional on n >= the fit's minimum count");
  }

  double reports() const override { return t_->reports; }

 private:
  std::shared_ptr<const SignalTable> t_;
};

}  // namespace

std::shared_ptr<const assess::SignalSource> make_signal_source(
    std::shared_ptr<const SignalTable> table) {
  return std::make_shared<TableSource>(std::move(table));
}

Result<std::shared_ptr<const assess::SignalSource>> open_signal_source(const std::string& dir) {
  auto stored = load_store_signals(dir);
  if (stored.is_ok())
    return make_signal_source(std::make_shared<const SignalTable>(std::move(stored.value())));
  if (stored.status().code() != Status::Code::kNotFound) return stored.status();
  auto corpus = load_store_corpus(dir);
  if (!corpus.is_ok()) return corpus.status();
  auto t = std::make_shared<SignalTable>(score(corpus.value()));
  t->source = dir;
  return make_signal_source(std::move(t));
}

Result<SignalRules> signal_rules(const kb::KnowledgeBase& kb) {
  SignalRules r;
  bool eb05 = false, ror = false, ic = false, prr = false, chi2 = false, n = false;
  for (const auto& b : kb.score_bands) {
    if (b.score != kb::ScoreKind::kPvSignal || !b.min) continue;
    auto statistic = kb::parse_pv_statistic(b.factor);  // kb validate: always one
    if (!statistic) continue;
    switch (*statistic) {
      case kb::PvStatistic::kEb05:
        r.eb05 = *b.min, eb05 = true;
        break;
      case kb::PvStatistic::kRorLo:
        r.ror025 = *b.min, ror = true;
        break;
      case kb::PvStatistic::kIc025:
        r.ic025 = *b.min, ic = true;
        break;
      case kb::PvStatistic::kPrr:
        r.evans_prr = *b.min, prr = true;
        break;
      case kb::PvStatistic::kPrrChi2:
        r.evans_chi2 = *b.min, chi2 = true;
        break;
      case kb::PvStatistic::kN:
        r.evans_n = *b.min, n = true;
        break;
      default:  // the other statistics bound no rule the screening store applies
        break;
    }
  }
  if (!(eb05 && ror && ic && prr && chi2 && n)) {
    return Status::invalid_input(
        "kb/formulas.toml: expected score_band rows with score \"pv-signal\" for eb05, ror_lo, "
        "ic025, prr, prr_chi2 and n");
  }
  return r;
}

}  // namespace paraderm::pv
