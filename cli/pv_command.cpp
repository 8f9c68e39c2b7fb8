#include "pv_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common.h"
#include "paraderm/pv.h"

namespace paraderm::cli {
namespace {

struct PvOptions {
  std::string faers, roles = "PS,SS", unmapped_out, store, out;
  std::string input, id_col = "id", drug_col = "drug", event_col = "event", stratum_col, drug, event;
  std::string format = "table";
  bool squash = false;
  int min_count = 1;
  // Signal rules (standards-and-anchors.md §3.2): Evans PRR >= 2, chi2 >= 4, n >= 3; ROR025 > 1;
  // IC025 > 0; EB05 >= 2. Configurable.
  double evans_prr = 2, evans_chi2 = 4, evans_n = 3, ror025 = 1, ic025 = 0, eb05 = 2;
};

void add_input_options(CLI::App* cmd, PvOptions& o) {
  auto* in = cmd->add_option("--input", o.input, "Long-format CSV: one row per report x drug x event");
  auto* fa = cmd->add_option("--faers", o.faers, "Folder of extracted FAERS quarterly ASCII files (DEMO/DRUG/REAC/DELETE)");
  in->excludes(fa);
  if (cmd->get_name() != "ingest") {
    auto* st = cmd->add_option("--store", o.store, "A store written by `paraderm pv ingest`");
    st->excludes(in);
    st->excludes(fa);
  }
  cmd->add_option("--roles", o.roles, "FAERS drug roles kept (PS,SS,C,I)")->capture_default_str();
  cmd->add_option("--unmapped", o.unmapped_out, "Write the FAERS drug names not mapped to a KB ingredient (CSV)");
  cmd->add_option("--id-col", o.id_col, "Report id column")->capture_default_str();
  cmd->add_option("--drug-col", o.drug_col, "Drug column")->capture_default_str();
  cmd->add_option("--event-col", o.event_col, "Event column")->capture_default_str();
  cmd->add_option("--stratum-col", o.stratum_col, "Stratum column (expected counts summed over strata)");
  cmd->add_flag("--squash", o.squash, "Fit the prior on squashed data (bins of 50 points per count; faster)");
}

std::string num(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return "inf";
  return fmt::format("{:.6g}", v);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

void add_pv_commands(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* pv = app.add_subcommand("pv", "Pharmacovigilance: disproportionality signals from report-level data");
  pv->require_subcommand(1);
  static PvOptions o;

  auto load = [&exit_code, &kb_dir]() -> std::optional<std::pair<std::vector<pv::PairCounts>, pv::MgpsFit>> {
    std::vector<pv::Row> rows;
    int inputs = !o.input.empty() + !o.faers.empty() + !o.store.empty();
    if (inputs != 1) {
      fmt::print(stderr, "expected one input: --input FILE.csv, --faers DIR or --store DIR\n");
      exit_code = kExitBadInput;
      return std::nullopt;
    }
    if (!o.store.empty()) {
      auto loaded = pv::load_store(o.store);
      if (!loaded.is_ok()) {
        fmt::print(stderr, "{}\n", loaded.status().message());
        exit_code = kExitBadInput;
        return std::nullopt;
      }
      rows = std::move(loaded.value());
    } else if (!o.faers.empty()) {
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
          fmt::print(stderr, "--roles: value \"{}\": expected a comma list of PS, SS, C, I\n", r);
          exit_code = kExitBadInput;
          return std::nullopt;
        }
        fo.roles.push_back(r);
      }
      auto data = pv::read_faers(o.faers, norm, fo);
      if (!data.is_ok()) {
        fmt::print(stderr, "{}\n", data.status().message());
        exit_code = kExitBadInput;
        return std::nullopt;
      }
      const auto& d = data.value();
      for (const auto& p : d.problems) fmt::print(stderr, "{}\n", p);
      fmt::print(stderr, "FAERS: {} report versions read, {} superseded, {} deleted cases dropped, {} reports kept, "
                         "{} malformed rows, {} unmapped drug names\n",
                 d.reports_read, d.superseded, d.deleted, d.reports_kept, d.malformed, d.unmapped.size());
      if (!o.unmapped_out.empty()) {
        std::FILE* f = std::fopen(o.unmapped_out.c_str(), "w");
        if (!f) {
          fmt::print(stderr, "--unmapped: value \"{}\": cannot write\n", o.unmapped_out);
          exit_code = kExitBadInput;
          return std::nullopt;
        }
        fmt::print(f, "drugname,reports\n");
        for (const auto& [n, c] : d.unmapped) fmt::print(f, "{},{}\n", csv_field(n), c);
        std::fclose(f);
      }
      rows = d.rows;
    } else {
      pv::CsvColumns cols{o.id_col, o.drug_col, o.event_col,
                          o.stratum_col.empty() ? std::nullopt : std::optional<std::string>(o.stratum_col)};
      auto data = pv::read_long_csv(o.input, cols);
      if (!data.is_ok()) {
        fmt::print(stderr, "{}\n", data.status().message());
        exit_code = kExitBadInput;
        return std::nullopt;
      }
      for (const auto& p : data.value().problems) fmt::print(stderr, "{}\n", p);
      if (data.value().malformed) {
        fmt::print(stderr, "{} malformed row(s) skipped\n", data.value().malformed);
      }
      rows = std::move(data.value().rows);
    }
    if (!o.out.empty()) {  // pv ingest: write the store and stop
      Status st = pv::save_store(o.out, rows, o.faers.empty() ? o.input : o.faers);
      if (!st.is_ok()) {
        fmt::print(stderr, "{}\n", st.message());
        exit_code = kExitBadInput;
        return std::nullopt;
      }
      fmt::print(stderr, "store {}: {} rows\n", o.out, rows.size());
      return std::make_pair(std::vector<pv::PairCounts>{}, pv::MgpsFit{});
    }
    auto pairs = pv::count_pairs(rows);
    std::vector<double> n, e;
    for (const auto& p : pairs) {
      n.push_back(p.n);
      e.push_back(p.expected);
    }
    if (o.squash) {
      auto sq = pv::squash(n, e);
      fmt::print(stderr, "squashed {} pairs to {} points for the fit\n", n.size(), sq.n.size());
      return std::make_pair(std::move(pairs), pv::fit_mgps(sq.n, sq.e, sq.weight));
    }
    return std::make_pair(std::move(pairs), pv::fit_mgps(n, e));
  };

  auto* ingest = pv->add_subcommand("ingest", "Parse CSV or FAERS input once into a store for repeated analyses");
  add_input_options(ingest, o);
  ingest->add_option("--out", o.out, "Store folder to write")->required();
  ingest->callback([&exit_code, load] {
    if (load()) exit_code = kExitOk;
  });

  auto* fit = pv->add_subcommand("fit", "Fit the MGPS prior and print theta, -log L and convergence");
  add_input_options(fit, o);
  fit->callback([&exit_code, load] {
    auto r = load();
    if (!r) return;
    const auto& f = r->second;
    fmt::print("pairs {}\ntheta alpha1={:.6g} beta1={:.6g} alpha2={:.6g} beta2={:.6g} p={:.6g}\n"
               "-logL {:.6f}\nconverged {} ({} of {} starts converged, {} agree)\n",
               r->first.size(), f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p,
               f.neg_log_lik, f.converged ? "yes" : "no", f.starts_converged, f.starts, f.starts_agreeing);
    exit_code = f.converged ? kExitOk : 1;
  });

  auto* sig = pv->add_subcommand("signals", "Per drug-event pair: n, expected, RR, PRR, chi2, ROR, IC, EBGM, signal flags");
  add_input_options(sig, o);
  sig->add_option("--drug", o.drug, "Only this drug");
  sig->add_option("--event", o.event, "Only this event");
  sig->add_option("--min-count", o.min_count, "Only pairs with at least this many reports")->capture_default_str();
  sig->add_option("--eb05-threshold", o.eb05, "EB05 signal threshold")->capture_default_str();
  sig->add_option("--format", o.format, "Output format")->check(CLI::IsMember({"table", "csv", "json"}))->capture_default_str();
  sig->callback([&exit_code, load] {
    auto r = load();
    if (!r) return;
    auto& [pairs, f] = *r;
    fmt::print(stderr, "MGPS theta alpha1={:.6g} beta1={:.6g} alpha2={:.6g} beta2={:.6g} p={:.6g}; -logL {:.4f}; {}\n",
               f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p, f.neg_log_lik, f.message);
    struct Out {
      const pv::PairCounts* p;
      pv::Disproportionality d;
      pv::Posterior post;
    };
    std::vector<Out> rows;
    for (const auto& p : pairs) {
      if (p.n < o.min_count || (!o.drug.empty() && p.drug != o.drug) || (!o.event.empty() && p.event != o.event)) continue;
      rows.push_back({&p, pv::disproportionality(p.n, p.n_drug, p.n_event, p.total, p.expected),
                      pv::mgps_posterior(f.theta, p.n, p.expected)});
    }
    std::sort(rows.begin(), rows.end(), [](const Out& a, const Out& b) { return a.post.eb05 > b.post.eb05; });
    auto flags = [&](const Out& x) {
      bool evans = x.d.prr >= o.evans_prr && x.d.chi2 >= o.evans_chi2 && x.p->n >= o.evans_n;
      return std::array<bool, 4>{evans, x.d.ror_lo > o.ror025, x.d.ic025 > o.ic025, x.post.eb05 >= o.eb05};
    };
    if (o.format == "csv") {
      fmt::print("drug,event,n,expected,rr,prr,prr_chi2,ror,ror_lo,ror_hi,ic,ic025,ic975,ebgm,eb05,eb95,"
                 "n_drug,n_event,total,prr_chi2_yates,prr_lo,prr_hi,signal_evans,signal_ror,signal_ic,signal_eb05\n");
      for (const auto& x : rows) {
        auto s = flags(x);
        fmt::print("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(x.p->drug),
                   csv_field(x.p->event), x.p->n, num(x.p->expected), num(x.d.rr), num(x.d.prr), num(x.d.chi2),
                   num(x.d.ror), num(x.d.ror_lo), num(x.d.ror_hi), num(x.d.ic), num(x.d.ic025), num(x.d.ic975),
                   num(x.post.ebgm), num(x.post.eb05), num(x.post.eb95), x.p->n_drug, x.p->n_event, x.p->total,
                   num(x.d.chi2_yates), num(x.d.prr_lo), num(x.d.prr_hi), s[0], s[1], s[2], s[3]);
      }
    } else if (o.format == "json") {
      nlohmann::json j;
      j["fit"] = {{"alpha1", f.theta.alpha1}, {"beta1", f.theta.beta1}, {"alpha2", f.theta.alpha2},
                  {"beta2", f.theta.beta2}, {"p", f.theta.p}, {"neg_log_lik", f.neg_log_lik}, {"converged", f.converged}};
      j["pairs"] = nlohmann::json::array();
      auto jn = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
      for (const auto& x : rows) {
        auto s = flags(x);
        j["pairs"].push_back({{"drug", x.p->drug}, {"event", x.p->event}, {"n", x.p->n}, {"expected", x.p->expected},
                              {"rr", jn(x.d.rr)}, {"prr", jn(x.d.prr)}, {"prr_chi2", jn(x.d.chi2)}, {"ror", jn(x.d.ror)},
                              {"ror_lo", jn(x.d.ror_lo)}, {"ror_hi", jn(x.d.ror_hi)}, {"ic", x.d.ic}, {"ic025", x.d.ic025},
                              {"ic975", x.d.ic975}, {"ebgm", x.post.ebgm}, {"eb05", x.post.eb05}, {"eb95", x.post.eb95},
                              {"signal", {{"evans", s[0]}, {"ror", s[1]}, {"ic", s[2]}, {"eb05", s[3]}}}});
      }
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{:<28} {:<28} {:>5} {:>8} {:>8} {:>8} {:>7} {:>7}  signals\n", "drug", "event", "n", "E", "ROR", "IC025",
                 "EBGM", "EB05");
      std::size_t shown = 0;
      for (const auto& x : rows) {
        if (++shown > 40) break;
        auto s = flags(x);
        fmt::print("{:<28} {:<28} {:>5} {:>8.3g} {:>8} {:>8.3f} {:>7.2f} {:>7.2f}  {}{}{}{}\n", x.p->drug.substr(0, 28),
                   x.p->event.substr(0, 28), x.p->n, x.p->expected, num(x.d.ror), x.d.ic025, x.post.ebgm, x.post.eb05,
                   s[0] ? "Evans " : "", s[1] ? "ROR " : "", s[2] ? "IC " : "", s[3] ? "EB05" : "");
      }
      fmt::print("{} pair(s); sorted by EB05; reporting signals, not incidences\n", rows.size());
    }
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
