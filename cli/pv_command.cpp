#include "pv_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>

#include "common.h"
#include "paraderm/pv_data.h"
#include "progress.h"

namespace paraderm::cli {
namespace {

struct PvOptions {
  std::vector<std::string> faers;
  std::string roles = "PS,SS", unmapped_out, store, out;
  std::string input, id_col = "id", drug_col = "drug", event_col = "event", drug, event;
  std::vector<std::string> stratum_cols;
  std::string format = "table", fit_data = "auto", prior, qn = "published", quantiles;
  bool squash = false, no_scores = false, refit = false, quiet = false,
       drop_indication_events = false;
  int min_count = 1, fit_min_count = 1;
  pv::SignalRules rules;
};

void add_input_options(CLI::App* cmd, PvOptions& o) {
  auto* in =
      cmd->add_option("--input", o.input, "Long-format CSV: one row per report x drug x event");
  auto* fa = cmd->add_option(
      "--faers", o.faers,
      "FAERS/LAERS quarterly ASCII data: folders (searched recursively, zips inside included) "
      "or faers_ascii_*.zip / aers_ascii_*.zip files; repeatable");
  in->excludes(fa);
  if (cmd->get_name() != "ingest") {
    auto* st = cmd->add_option("--store", o.store, "A store written by `paraderm pv ingest`");
    st->excludes(in);
    st->excludes(fa);
  }
  cmd->add_option("--roles", o.roles, "FAERS drug roles kept (PS,SS,C,I)")->capture_default_str();
  cmd->add_flag("--drop-indication-events", o.drop_indication_events,
                "FAERS/LAERS: drop a report's reaction when the report gives the same PT as an "
                "indication (INDI)");
  cmd->add_option("--unmapped", o.unmapped_out,
                  "Write the FAERS drug names not mapped to a KB ingredient (CSV)");
  cmd->add_option("--id-col", o.id_col, "Report id column")->capture_default_str();
  cmd->add_option("--drug-col", o.drug_col, "Drug column")->capture_default_str();
  cmd->add_option("--event-col", o.event_col, "Event column")->capture_default_str();
  cmd->add_option("--stratum-col", o.stratum_cols,
                  "Stratum column; repeatable: the strata are the combinations of the columns' "
                  "values (as openEBGM's "
                  "strat* columns); expected counts are summed over strata");
  cmd->add_option("--prior", o.prior,
                  "Score with this MGPS prior instead of fitting one: alpha1,beta1,alpha2,beta2,p "
                  "(openEBGM's theta order)");
  cmd->add_option("--qn", o.qn,
                  "Posterior weight Q_n: published (DuMouchel 1999 eq. 6, as openEBGM) or "
                  "conditional (the marginals "
                  "divided by P(n >= the fit's minimum count), as paraderm did before)")
      ->check(CLI::IsMember({"published", "conditional"}))
      ->capture_default_str();
  cmd->add_option("--fit", o.fit_data,
                  "Data the MGPS prior is fitted on: full (every pair), squashed "
                  "(DuMouchel-Pregibon bins), or auto "
                  "(full up to 250 000 pairs)")
      ->check(CLI::IsMember({"full", "squashed", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--squash", o.squash, "Same as --fit squashed");
  cmd->add_option("--fit-min-count", o.fit_min_count,
                  "Fit the prior on pairs with at least this many reports (likelihood conditional "
                  "on n >= this)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--quiet", o.quiet, "No progress bar");
}

// Full precision (the shortest text that reads back as the same double); infinite is "inf" or
// "-inf", undefined (NaN) the empty field.
std::string num(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

// A comma list of numbers; nullopt with `error` naming the option, the value and what was expected.
std::optional<std::vector<double>> parse_numbers(const std::string& option, const std::string& text,
                                                 std::string& error) {
  std::vector<double> out;
  for (std::size_t a = 0, b; a <= text.size(); a = b + 1) {
    b = text.find(',', a);
    if (b == std::string::npos) b = text.size();
    std::string item = text.substr(a, b - a);
    char* end = nullptr;
    double v = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(v)) {
      error = fmt::format("{}: value \"{}\": \"{}\" is not a finite number", option, text, item);
      return std::nullopt;
    }
    out.push_back(v);
  }
  return out;
}

std::optional<pv::MgpsPrior> parse_prior(const std::string& text, std::string& error) {
  auto v = parse_numbers("--prior", text, error);
  if (!v) return std::nullopt;
  if (v->size() != 5 || (*v)[0] <= 0 || (*v)[1] <= 0 || (*v)[2] <= 0 || (*v)[3] <= 0 ||
      (*v)[4] <= 0 || (*v)[4] >= 1) {
    error = fmt::format(
        "--prior: value \"{}\": expected alpha1,beta1,alpha2,beta2,p with alpha and beta > 0 and "
        "0 < p < 1",
        text);
    return std::nullopt;
  }
  return pv::MgpsPrior{(*v)[0], (*v)[1], (*v)[2], (*v)[3], (*v)[4]};
}

std::optional<std::vector<double>> parse_quantiles(const std::string& text, std::string& error) {
  if (text.empty()) return std::vector<double>{};
  auto v = parse_numbers("--quantiles", text, error);
  if (!v) return std::nullopt;
  for (double p : *v) {
    if (!(p > 0 && p < 1)) {
      error = fmt::format(
          "--quantiles: value \"{}\": {} is not a probability strictly between 0 and 1", text, p);
      return std::nullopt;
    }
  }
  return v;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

// The data to analyse: a corpus (from text or a store) and, for a scored store, its scores.
struct Loaded {
  std::optional<pv::Corpus> corpus;
  std::optional<pv::SignalTable> stored;
  std::string source, input_json;
};

std::optional<Loaded> load_input(const PvOptions& o, const std::string& kb_dir, bool want_stored,
                                 Progress& progress, int& exit_code) {
  auto fail = [&](const std::string& msg) -> std::optional<Loaded> {
    fmt::print(stderr, "{}\n", msg);
    exit_code = kExitBadInput;
    return std::nullopt;
  };
  int inputs = !o.input.empty() + !o.faers.empty() + !o.store.empty();
  if (inputs != 1)
    return fail("expected one input: --input FILE.csv, --faers PATH... or --store DIR");
  Loaded l;
  if (!o.store.empty()) {
    if (want_stored) {
      auto s = pv::load_store_signals(o.store);
      if (s.is_ok()) {
        l.stored = std::move(s.value());
        l.source = l.stored->source;
        return l;
      }
      if (s.status().code() != Status::Code::kNotFound) return fail(s.status().message());
    }
    progress("load", 0, 0);
    auto c = pv::load_store_corpus(o.store);
    if (!c.is_ok()) return fail(c.status().message());
    l.corpus = std::move(c.value());
    l.source = o.store;
    return l;
  }
  if (!o.faers.empty()) {
    auto kb = load_kb(kb_dir);
    if (!kb) {
      exit_code = kExitBadInput;
      return std::nullopt;
    }
    pv::DrugNormaliser norm(pv::kb_drug_names(*kb));
    pv::FaersOptions fo;
    fo.roles.clear();
    for (std::size_t a = 0, b; a <= o.roles.size(); a = b + 1) {
      b = o.roles.find(',', a);
      if (b == std::string::npos) b = o.roles.size();
      std::string r = o.roles.substr(a, b - a);
      if (r != "PS" && r != "SS" && r != "C" && r != "I") {
        return fail(fmt::format("--roles: value \"{}\": expected a comma list of PS, SS, C, I", r));
      }
      fo.roles.push_back(r);
    }
    fo.progress = std::ref(progress);
    fo.drop_indication_events = o.drop_indication_events;
    auto data = pv::read_faers(o.faers, norm, fo);
    if (!data.is_ok()) return fail(data.status().message());
    auto& d = data.value().input;
    for (const auto& p : d.problems) fmt::print(stderr, "{}\n", p);
    fmt::print(stderr,
               "FAERS: {} files, {} report versions read ({} legacy LAERS), {} superseded, {} "
               "deleted cases dropped, "
               "{} reports kept, {} without a kept drug or event, {} drug rows ({} kept), {} "
               "reaction rows, "
               "{} reactions dropped as indications, {} malformed rows, {} unmapped drug names\n",
               d.files.size(), d.reports_read, d.laers_reports, d.superseded, d.deleted,
               d.reports_kept, d.without_pairs, d.drug_rows, d.drug_rows_kept, d.reaction_rows,
               d.indication_events_dropped, d.malformed, d.unmapped.size());
    if (!o.unmapped_out.empty()) {
      std::FILE* f = std::fopen(o.unmapped_out.c_str(), "w");
      if (!f) return fail(fmt::format("--unmapped: value \"{}\": cannot write", o.unmapped_out));
      fmt::print(f, "drugname,rows\n");
      for (const auto& [n, c] : d.unmapped) fmt::print(f, "{},{}\n", csv_field(n), c);
      std::fclose(f);
    }
    nlohmann::json j = {{"kind", "faers"},
                        {"files", d.files.size()},
                        {"report_versions", d.reports_read},
                        {"laers_versions", d.laers_reports},
                        {"superseded", d.superseded},
                        {"deleted_cases", d.deleted},
                        {"reports_kept", d.reports_kept},
                        {"without_pairs", d.without_pairs},
                        {"drug_rows", d.drug_rows},
                        {"drug_rows_kept", d.drug_rows_kept},
                        {"reaction_rows", d.reaction_rows},
                        {"malformed", d.malformed},
                        {"unmapped_names", d.unmapped.size()},
                        {"roles", o.roles},
                        {"indication_events_dropped", d.indication_events_dropped},
                        {"drop_indication_events", o.drop_indication_events}};
    l.input_json = j.dump();
    l.corpus = std::move(data.value().corpus);
    for (const auto& p : o.faers) l.source += (l.source.empty() ? "" : ", ") + p;
    l.source += fmt::format(
        " (roles {}{})", o.roles,
        o.drop_indication_events ? "; reactions also given as an indication dropped" : "");
    return l;
  }
  progress("read", 0, 0);
  pv::CsvColumns cols{o.id_col, o.drug_col, o.event_col, o.stratum_cols};
  auto data = pv::read_long_csv(o.input, cols);
  if (!data.is_ok()) return fail(data.status().message());
  const auto& in = data.value().input;
  for (const auto& p : in.problems) fmt::print(stderr, "{}\n", p);
  if (in.malformed) fmt::print(stderr, "{} malformed row(s) skipped\n", in.malformed);
  l.input_json =
      nlohmann::json({{"kind", "csv"}, {"rows", in.rows_read}, {"malformed", in.malformed}}).dump();
  l.corpus = std::move(data.value().corpus);
  l.source = o.input;
  return l;
}

// The scoring options; nullopt (after saying why, exit 2) when --prior is malformed.
std::optional<pv::ScoreOptions> score_options(const PvOptions& o, Progress& progress,
                                              int& exit_code) {
  pv::ScoreOptions so;
  if (!o.prior.empty()) {
    std::string error;
    so.prior = parse_prior(o.prior, error);
    if (!so.prior) {
      fmt::print(stderr, "{}\n", error);
      exit_code = kExitBadInput;
      return std::nullopt;
    }
  }
  so.qn = o.qn == "conditional" ? pv::QnRule::kConditional : pv::QnRule::kPublished;
  if (o.squash || o.fit_data == "squashed") so.fit_data = pv::FitData::kSquashed;
  if (!o.squash && o.fit_data == "full") so.fit_data = pv::FitData::kFull;
  so.min_count = o.fit_min_count;
  so.progress = std::ref(progress);
  return so;
}

void print_fit(std::FILE* to, const pv::SignalTable& t) {
  const auto& f = t.fit;
  if (t.prior_given) {
    fmt::print(to,
               "MGPS prior given (not fitted): alpha1={} beta1={} alpha2={} beta2={} p={}; -logL "
               "{} on {} {} points; Qn {}\n",
               f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p,
               f.neg_log_lik, t.fit_points,
               t.fit_data == pv::FitData::kFull ? "full-data" : "squashed", pv::to_string(t.qn));
    return;
  }
  fmt::print(to,
             "MGPS prior on {} {} points: alpha1={} beta1={} alpha2={} beta2={} p={}; -logL {}; "
             "{} ({} of {} starts converged, {} agree); Qn {}\n",
             t.fit_points, t.fit_data == pv::FitData::kFull ? "full-data" : "squashed",
             f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p, f.neg_log_lik,
             f.message, f.starts_converged, f.starts, f.starts_agreeing, pv::to_string(t.qn));
}

}  // namespace

// The options of every pv subcommand (CLI11 binds them to static storage: the callbacks run
// after add_pv_commands returns).
PvOptions& shared_options() {
  static PvOptions o;
  return o;
}

// `pv ingest`: parse once into a store, with every pair's scores.
void add_pv_ingest(CLI::App* pv, const std::string& kb_dir, int& exit_code) {
  static PvOptions& o = shared_options();
  auto* ingest = pv->add_subcommand(
      "ingest", "Parse CSV or FAERS input once into a store, with every pair's scores");
  add_input_options(ingest, o);
  ingest->add_option("--out", o.out, "Store folder to write")->required();
  ingest->add_flag("--no-scores", o.no_scores, "Store the corpus only (no counts, fit or scores)");
  ingest->callback([&exit_code, &kb_dir] {
    Progress progress(!o.quiet);
    auto so = score_options(o, progress, exit_code);
    if (!so) return;
    auto l = load_input(o, kb_dir, false, progress, exit_code);
    if (!l) return;
    std::optional<pv::SignalTable> table;
    if (!o.no_scores) {
      table = pv::score(*l->corpus, *so);
      table->source = l->source;
    }
    progress("write", 0, 0);
    Status st =
        pv::save_store(o.out, *l->corpus, table ? &*table : nullptr, {l->source, l->input_json});
    if (!st.is_ok()) {
      fmt::print(stderr, "{}\n", st.message());
      exit_code = kExitBadInput;
      return;
    }
    std::string times = progress.summary();
    if (table) print_fit(stderr, *table);
    fmt::print(
        stderr, "store {}: {} reports, {} report-drug-event pairs, {} drugs, {} events{}\n{}\n",
        o.out, l->corpus->reports(), l->corpus->pairs.size(), l->corpus->drugs.size(),
        l->corpus->events.size(),
        table ? fmt::format(", {} scored drug-event pairs", table->scores.size()) : std::string(),
        times);
    exit_code = kExitOk;
  });
}

// `pv fit`: the MGPS prior with standard errors and the per-start table.
void add_pv_fit(CLI::App* pv, const std::string& kb_dir, int& exit_code) {
  static PvOptions& o = shared_options();
  auto* fit = pv->add_subcommand("fit",
                                 "Fit the MGPS prior: theta with standard errors, -log L, "
                                 "convergence and the per-start table");
  add_input_options(fit, o);
  fit->callback([&exit_code, &kb_dir] {
    Progress progress(!o.quiet);
    auto so = score_options(o, progress, exit_code);
    if (!so) return;
    so->standard_errors = true;
    auto l = load_input(o, kb_dir, false, progress, exit_code);
    if (!l) return;
    auto t = pv::score(*l->corpus, *so);
    std::string times = progress.summary();
    const auto& f = t.fit;
    const auto& se = t.standard_errors->se;
    fmt::print("pairs {}\nfit_data {}\nfit_points {}\nprior {}\nqn {}\n", t.scores.size(),
               t.fit_data == pv::FitData::kFull ? "full" : "squashed", t.fit_points,
               t.prior_given ? "given" : "fitted", pv::to_string(t.qn));
    // openEBGM's conf_int layout: estimate, standard error, 95 % normal interval.
    fmt::print("parameter estimate se lower95 upper95\n");
    const char* names[] = {"alpha1", "beta1", "alpha2", "beta2", "p"};
    const double est[] = {f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p};
    constexpr double kZ975 = 1.959963984540054;
    for (std::size_t i = 0; i < 5; ++i) {
      fmt::print("{} {} {} {} {}\n", names[i], est[i], num(se[i]), num(est[i] - kZ975 * se[i]),
                 num(est[i] + kZ975 * se[i]));
    }
    fmt::print("se_note {}\n-logL {}\n", t.standard_errors->message, f.neg_log_lik);
    if (t.prior_given) {
      fmt::print("converged given prior, nothing fitted\n");
    } else {
      fmt::print("converged {} ({} of {} starts converged, {} agree)\n", f.converged ? "yes" : "no",
                 f.starts_converged, f.starts, f.starts_agreeing);
      fmt::print(
          "start start_alpha1 start_beta1 start_alpha2 start_beta2 start_p alpha1 beta1 alpha2 "
          "beta2 p -logL "
          "converged method\n");
      for (std::size_t i = 0; i < f.start_table.size(); ++i) {
        const auto& r = f.start_table[i];
        fmt::print("{} {} {} {} {} {} {} {} {} {} {} {} {} \"{}\"\n", i + 1, r.start.alpha1,
                   r.start.beta1, r.start.alpha2, r.start.beta2, r.start.p, r.theta.alpha1,
                   r.theta.beta1, r.theta.alpha2, r.theta.beta2, r.theta.p, r.neg_log_lik,
                   r.converged ? "yes" : "no", r.method);
      }
    }
    fmt::print(stderr, "{}\n", times);
    exit_code = t.prior_given || f.converged ? kExitOk : 1;
  });
}

// `pv signals`: the scored drug-event pairs.
void add_pv_signals(CLI::App* pv, const std::string& kb_dir, int& exit_code) {
  static PvOptions& o = shared_options();
  auto* sig = pv->add_subcommand(
      "signals", "Per drug-event pair: n, expected, RR, PRR, chi2, ROR, IC, EBGM, signal flags");
  add_input_options(sig, o);
  sig->add_option("--drug", o.drug, "Only this drug (case-insensitive)");
  sig->add_option("--event", o.event, "Only this event (case-insensitive)");
  sig->add_option("--min-count", o.min_count, "Only pairs with at least this many reports")
      ->capture_default_str();
  sig->add_flag("--refit", o.refit,
                "With --store: recount and refit instead of using the stored scores");
  sig->add_option("--eb05-threshold", o.rules.eb05, "EB05 signal threshold (default: the KB's)");
  sig->add_option("--ror025-threshold", o.rules.ror025,
                  "Lower 95% ROR bound threshold (default: the KB's)");
  sig->add_option("--ic025-threshold", o.rules.ic025, "IC025 threshold (default: the KB's)");
  sig->add_option("--format", o.format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  sig->add_option("--quantiles", o.quantiles,
                  "More posterior quantiles of lambda as columns q<p> (csv, json), e.g. "
                  "0.025,0.975 (eb05 and eb95 "
                  "are always given)");
  sig->callback([&exit_code, &kb_dir, sig] {
    std::string error;
    auto quantiles = parse_quantiles(o.quantiles, error);
    if (!quantiles) {
      fmt::print(stderr, "{}\n", error);
      exit_code = kExitBadInput;
      return;
    }
    // Thresholds: the KB's (with their sources), unless given on the command line. The KB is
    // parsed on another thread while the input is read, counted and scored (it takes ~40 ms; caers
    // end to end is ~100 ms).
    auto kb_loading = std::async(std::launch::async, [&] { return load_kb(kb_dir); });
    Progress progress(!o.quiet);
    auto so = score_options(o, progress, exit_code);
    if (!so) return;
    // A prior or Q_n rule given on the command line rescores the store's corpus.
    bool use_stored = !o.refit && o.prior.empty() && !sig->count("--qn");
    auto l = load_input(o, kb_dir, use_stored, progress, exit_code);
    if (!l) return;
    pv::SignalTable t;
    if (l->stored) {
      t = std::move(*l->stored);
    } else {
      t = pv::score(*l->corpus, *so);
      t.source = l->source;
    }
    {
      auto kb = kb_loading.get();
      if (!kb) {
        exit_code = kExitBadInput;
        return;
      }
      auto rules = pv::signal_rules(*kb);
      if (!rules.is_ok()) {
        fmt::print(stderr, "{}\n", rules.status().message());
        exit_code = kExitBadInput;
        return;
      }
      pv::SignalRules given = o.rules;
      o.rules = rules.value();
      if (sig->count("--eb05-threshold")) o.rules.eb05 = given.eb05;
      if (sig->count("--ror025-threshold")) o.rules.ror025 = given.ror025;
      if (sig->count("--ic025-threshold")) o.rules.ic025 = given.ic025;
    }
    std::string times = progress.summary();
    print_fit(stderr, t);
    auto same = [](const std::string& a, const std::string& b) {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
             });
    };
    std::vector<const pv::Score*> rows;
    for (const auto& s : t.scores) {
      if (s.n < o.min_count || (!o.drug.empty() && !same(t.drugs[s.drug], o.drug)) ||
          (!o.event.empty() && !same(t.events[s.event], o.event))) {
        continue;
      }
      rows.push_back(&s);
    }
    pv::sort_by_signal(rows);
    // Quantiles beyond EB05/EB95 are computed here, for the rows shown only.
    auto quantile_name = [](double p) { return fmt::format("q{}", p); };
    auto extra = [&](const pv::Score& x, double p) {
      return pv::mgps_posterior_quantile(t.fit.theta, x.n, x.expected, x.post.q, p);
    };
    if (o.format == "csv") {
      std::string header =
          "drug,event,n,expected,rr,prr,prr_chi2,ror,ror_lo,ror_hi,ic,ic025,ic975,ebgm,eb05,eb95,"
          "n_drug,n_event,total,prr_chi2_yates,prr_lo,prr_hi,signal_evans,signal_ror,signal_ic,"
          "signal_eb05,qn";
      for (double p : *quantiles) header += "," + quantile_name(p);
      fmt::print("{}\n", header);
      // One buffer for the whole table (17 189 caers rows: no per-field strings).
      fmt::memory_buffer out;
      auto put = [&](double v) {
        out.push_back(',');
        if (std::isnan(v)) return;
        if (std::isinf(v)) {
          fmt::format_to(std::back_inserter(out), "{}", v > 0 ? "inf" : "-inf");
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v);
        }
      };
      auto put_flag = [&](bool b) { fmt::format_to(std::back_inserter(out), ",{}", b); };
      for (const auto* x : rows) {
        auto f = pv::flags(*x, o.rules);
        for (const std::string* name : {&t.drugs[x->drug], &t.events[x->event]}) {
          if (name->find_first_of(",\"\n") == std::string::npos) {
            out.append(*name);
          } else {
            out.append(csv_field(*name));
          }
          out.push_back(',');
        }
        fmt::format_to(std::back_inserter(out), "{}", x->n);
        for (double v :
             {x->expected, x->d.rr, x->d.prr, x->d.chi2, x->d.ror, x->d.ror_lo, x->d.ror_hi,
              x->d.ic, x->d.ic025, x->d.ic975, x->post.ebgm, x->post.eb05, x->post.eb95, x->n_drug,
              x->n_event, x->total, x->d.chi2_yates, x->d.prr_lo, x->d.prr_hi}) {
          put(v);
        }
        for (bool b : {f.evans, f.ror, f.ic, f.eb05}) put_flag(b);
        put(x->post.q);
        for (double p : *quantiles) put(extra(*x, p));
        out.push_back('\n');
        if (out.size() > (1 << 20)) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          out.clear();
        }
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else if (o.format == "json") {
      fmt::print("{}\n", pv::signals_json(t, rows, o.rules, *quantiles));
    } else {
      fmt::print("{:<28} {:<28} {:>5} {:>8} {:>8} {:>8} {:>7} {:>7}  signals\n", "drug", "event",
                 "n", "E", "ROR", "IC025", "EBGM", "EB05");
      std::size_t shown = 0;
      for (const auto* x : rows) {
        if (++shown > 40) break;
        auto f = pv::flags(*x, o.rules);
        fmt::print("{:<28} {:<28} {:>5} {:>8.3g} {:>8} {:>8.3f} {:>7.2f} {:>7.2f}  {}{}{}{}\n",
                   t.drugs[x->drug].substr(0, 28), t.events[x->event].substr(0, 28), x->n,
                   x->expected,
                   std::isfinite(x->d.ror) ? fmt::format("{:.4g}", x->d.ror) : num(x->d.ror),
                   x->d.ic025, x->post.ebgm, x->post.eb05, f.evans ? "Evans " : "",
                   f.ror ? "ROR " : "", f.ic ? "IC " : "", f.eb05 ? "EB05" : "");
      }
      fmt::print("{} pair(s); sorted by EB05; reporting signals, not incidences\n", rows.size());
    }
    fmt::print(stderr, "{}\n", times);
    exit_code = kExitOk;
  });
}

void add_pv_commands(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* pv = app.add_subcommand(
      "pv", "Pharmacovigilance: disproportionality signals from report-level data");
  pv->require_subcommand(1);
  add_pv_ingest(pv, kb_dir, exit_code);
  add_pv_fit(pv, kb_dir, exit_code);
  add_pv_signals(pv, kb_dir, exit_code);
}

}  // namespace paraderm::cli
