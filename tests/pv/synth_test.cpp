// The synthetic FAERS corpus generator (include/paraderm/pv_synth.h): the files are checked by an
// independent reader written here (split on '$', header names, latest version per case, deleted
// cases dropped, PS/SS only), not by src/pv/faers.cpp; one test also runs the real reader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "../test_support.h"
#include "faers_synth/faers_synth.h"
#include "paraderm/pv_data.h"

namespace paraderm::pv {
namespace {

namespace fs = std::filesystem;
using Layout = SynthOptions::Layout;

// A fresh folder name below the temporary directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("paraderm_synth_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == '$')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Table {
  std::string file, header;
  int quarter = 0;  // position of the file's quarter, oldest first
  std::map<std::string, std::size_t> col;
  std::vector<std::vector<std::string>> rows;  // well-formed lines (LAERS trailing '$' removed)
  std::size_t bad = 0;                         // lines whose field count is wrong
  bool crlf = true;                            // every line ends in \r\n
};

// Reads a $-delimited file: well-formed lines have exactly the header's field count (LAERS: one
// more, the last empty, as every legacy data line ends in '$').
Table read_table(const fs::path& p, bool laers) {
  Table t;
  t.file = p.filename().string();
  std::ifstream in(p, std::ios::binary);
  std::string line;
  std::getline(in, line);
  auto strip = [&](std::string& s) {
    if (!s.empty() && s.back() == '\r')
      s.pop_back();
    else
      t.crlf = false;
  };
  strip(line);
  t.header = line;
  auto h = split(line);
  for (std::size_t i = 0; i < h.size(); ++i) t.col[lower(h[i])] = i;
  while (std::getline(in, line)) {
    strip(line);
    auto f = split(line);
    bool ok = laers ? (f.size() == h.size() + 1 && f.back().empty()) : f.size() == h.size();
    if (!ok) {
      ++t.bad;
      continue;
    }
    if (laers) f.pop_back();
    t.rows.push_back(std::move(f));
  }
  return t;
}

struct Corpus {
  bool laers = false;
  std::vector<Table> demo, drug, reac;
  std::vector<std::pair<int, std::string>> deleted;  // (quarter, caseid)
  std::vector<std::string> files;
  std::size_t bad() const {
    std::size_t n = 0;
    for (const auto* v : {&demo, &drug, &reac}) {
      for (const auto& t : *v) n += t.bad;
    }
    return n;
  }
};

Corpus load(const fs::path& dir, bool laers) {
  Corpus c;
  c.laers = laers;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string().substr(4) < b.filename().string().substr(4);  // by yyQq
  });
  std::map<std::string, int> quarter_of;
  for (const auto& p : paths) {
    std::string rel = fs::relative(p, dir).string(), name = p.filename().string();
    c.files.push_back(rel);
    if (name == "planted.csv") continue;
    std::string tag = name.substr(name.size() - 8, 4);
    if (!quarter_of.count(tag)) quarter_of.emplace(tag, static_cast<int>(quarter_of.size()));
    int q = quarter_of[tag];
    if (name.rfind("DELETE", 0) == 0) {
      std::ifstream in(p);
      std::string line;
      while (std::getline(in, line)) c.deleted.emplace_back(q, line);
      continue;
    }
    Table t = read_table(p, laers);
    t.quarter = q;
    if (name.rfind("DEMO", 0) == 0)
      c.demo.push_back(std::move(t));
    else if (name.rfind("DRUG", 0) == 0)
      c.drug.push_back(std::move(t));
    else if (name.rfind("REAC", 0) == 0)
      c.reac.push_back(std::move(t));
  }
  std::sort(c.files.begin(), c.files.end());
  return c;
}

// The reader's view computed independently: per case the latest version (FAERS: highest
// caseversion; LAERS: highest ISR), deleted cases dropped, drugs with role PS or SS; only
// reports with at least one such drug and one event.
struct View {
  std::unordered_map<std::string, std::set<std::string>> drugs, events;  // report id -> names
  std::size_t kept = 0;
  std::vector<std::string> reports;  // with drugs and events
};

View kept_view(const Corpus& c) {
  const std::string id = c.laers ? "isr" : "primaryid", caseid = c.laers ? "case" : "caseid";
  std::unordered_map<std::string, std::pair<long long, std::string>>
      best;  // case -> (version key, id)
  for (const auto& t : c.demo) {
    for (const auto& r : t.rows) {
      const std::string& rid = r[t.col.at(id)];
      long long key = c.laers ? std::stoll(rid) : std::stoll(r[t.col.at("caseversion")]);
      auto [it, fresh] = best.emplace(r[t.col.at(caseid)], std::make_pair(key, rid));
      if (!fresh && key > it->second.first) it->second = {key, rid};
    }
  }
  std::unordered_set<std::string> deleted;
  for (const auto& [q, id_] : c.deleted) deleted.insert(id_);
  std::unordered_set<std::string> kept;
  for (const auto& [cid, v] : best) {
    if (!deleted.count(cid)) kept.insert(v.second);
  }
  View v;
  v.kept = kept.size();
  for (const auto& t : c.drug) {
    for (const auto& r : t.rows) {
      const std::string& rid = r[t.col.at(id)];
      std::string role = r[t.col.at("role_cod")];
      if (kept.count(rid) && (role == "PS" || role == "SS"))
        v.drugs[rid].insert(r[t.col.at("drugname")]);
    }
  }
  for (const auto& t : c.reac) {
    for (const auto& r : t.rows) {
      const std::string& rid = r[t.col.at(id)];
      if (kept.count(rid)) v.events[rid].insert(r[t.col.at("pt")]);
    }
  }
  for (const auto& [rid, d] : v.drugs) {
    if (v.events.count(rid)) v.reports.push_back(rid);
  }
  return v;
}

struct PairCount {
  std::size_t n = 0, n_drug = 0, n_event = 0, total = 0;
  double rrr() const {
    return static_cast<double>(n) * static_cast<double>(total) /
           (static_cast<double>(n_drug) * static_cast<double>(n_event));
  }
};

PairCount count(const View& v, const std::string& drug, const std::string& event) {
  PairCount pc;
  pc.total = v.reports.size();
  for (const auto& rid : v.reports) {
    bool d = v.drugs.at(rid).count(drug) > 0, e = v.events.at(rid).count(event) > 0;
    pc.n_drug += d;
    pc.n_event += e;
    pc.n += d && e;
  }
  return pc;
}

SynthSummary generate(const std::string& dir, const SynthOptions& o) {
  auto r = write_synthetic_faers(dir, o);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? r.value() : SynthSummary{};
}

// --- layout
// -----------------------------------------------------------------------------------------

TEST(PvSynth, FaersFilesAndHeadersAreExact) {
  TempDir dir("headers");
  SynthOptions o;
  o.reports = 2000;
  o.planted = 2;
  auto s = generate(dir.str(), o);
  EXPECT_EQ(s.quarters, (std::vector<std::string>{"24Q4", "25Q1", "25Q2", "25Q3"}));
  Corpus c = load(dir.path, false);
  std::vector<std::string> want = {"planted.csv"};
  for (std::string q : {"24Q4", "25Q1", "25Q2", "25Q3"}) {
    for (std::string f : {"ASCII/DEMO", "ASCII/DRUG", "ASCII/REAC", "Deleted/DELETE"})
      want.push_back(f + q + ".txt");
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(c.files, want);
  // The 2025Q3 FAERS headers, written out here independently of the generator's constants.
  const std::string demo =
      "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$"
      "mfr_num$mfr_sndr$"
      "lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$"
      "occr_country";
  const std::string drug =
      "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_"
      "dose_unit$dechal$"
      "rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq";
  const std::string reac = "primaryid$caseid$pt$drug_rec_act";
  ASSERT_EQ(c.demo.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.demo[i].header, demo);
    EXPECT_EQ(c.drug[i].header, drug);
    EXPECT_EQ(c.reac[i].header, reac);
    EXPECT_FALSE(c.demo[i].crlf);  // FAERS files: \n
  }
  EXPECT_EQ(synthetic_header(Layout::faers, "DEMO", 2025, 3), demo);
  // primaryid = caseid with the version appended; dates are YYYYMMDD inside the file's quarter.
  for (const auto& t : c.demo) {
    for (const auto& r : t.rows) {
      ASSERT_EQ(r[0], r[1] + r[2]);
      ASSERT_EQ(r[7].size(), 8u);
    }
  }
  const auto& r = c.demo[3].rows.at(0);
  int month = std::stoi(r[7].substr(4, 2));
  EXPECT_EQ(r[7].substr(0, 4), "2025");
  EXPECT_TRUE(month >= 7 && month <= 9) << r[7];
  // planted.csv: a header and one line per pair
  std::string planted = slurp(dir.path / "planted.csv");
  EXPECT_EQ(planted.substr(0, planted.find('\n')),
            "drug,event,relative_risk,expected_n,expected_drug,expected_event,expected_total,"
            "realised_rr,extra_probability");
  EXPECT_EQ(std::count(planted.begin(), planted.end(), '\n'), 3);
}

TEST(PvSynth, LaersFilesAreIsrKeyedWithLegacyHeadersTrailingDollarAndCrlf) {
  TempDir dir("laers");
  SynthOptions o;
  o.reports = 3500;
  o.quarters = 35;  // 2004Q1 .. 2012Q3
  o.planted = 2;
  o.layout = Layout::laers;
  auto s = generate(dir.str(), o);
  ASSERT_EQ(s.quarters.size(), 35u);
  EXPECT_EQ(s.quarters.front(), "04Q1");
  EXPECT_EQ(s.quarters.back(), "12Q3");
  EXPECT_EQ(s.deleted_cases, 0u);  // the legacy releases have no deletion lists
  Corpus c = load(dir.path, true);
  EXPECT_TRUE(c.deleted.empty());
  EXPECT_TRUE(std::find(c.files.begin(), c.files.end(), "ascii/DEMO04Q1.TXT") != c.files.end());
  EXPECT_TRUE(std::find(c.files.begin(), c.files.end(), "ascii/REAC12Q3.TXT") != c.files.end());
  // Headers as in ltscomputingllc/faersdbstats (load_legacy_*_table.sql): DEMO without
  // REPORTER_COUNTRY up to 2005Q2.
  const std::string demo_a =
      "ISR$CASE$I_F_COD$FOLL_SEQ$IMAGE$EVENT_DT$MFR_DT$FDA_DT$REPT_COD$MFR_NUM$MFR_SNDR$AGE$AGE_"
      "COD$GNDR_COD$E_SUB$WT$"
      "WT_COD$REPT_DT$OCCP_COD$DEATH_DT$TO_MFR$CONFID";
  const std::string drug =
      "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME$VAL_VBM$ROUTE$DOSE_VBM$DECHAL$RECHAL$LOT_NUM$EXP_DT$NDA_NUM";
  for (const auto& t : c.demo) {
    bool early = t.file < "DEMO05Q3.TXT";
    EXPECT_EQ(t.header, early ? demo_a : demo_a + "$REPORTER_COUNTRY") << t.file;
    EXPECT_TRUE(t.crlf) << t.file;
  }
  for (const auto& t : c.drug) EXPECT_EQ(t.header, drug);
  for (const auto& t : c.reac) EXPECT_EQ(t.header, "ISR$PT");
  // No caseid in DRUG/REAC: their ISRs are DEMO ISRs; a case's versions have growing ISRs.
  std::unordered_set<std::string> isrs;
  for (const auto& t : c.demo) {
    for (const auto& r : t.rows) EXPECT_TRUE(isrs.insert(r[0]).second);
  }
  for (const auto& t : c.drug) {
    for (const auto& r : t.rows) ASSERT_TRUE(isrs.count(r[0])) << r[0];
  }
  std::string raw = slurp(dir.path / "ascii" / "REAC12Q3.TXT");
  std::string second = raw.substr(raw.find('\n') + 1);
  second = second.substr(0, second.find('\n'));
  EXPECT_EQ(second.substr(second.size() - 2), "$\r");
}

TEST(PvSynth, EveryLineHasTheHeaderFieldCountExceptTheCountedMalformedOnes) {
  for (Layout layout : {Layout::faers, Layout::laers}) {
    TempDir dir(layout == Layout::faers ? "fields_f" : "fields_l");
    SynthOptions o;
    o.reports = 20000;
    o.planted = 4;
    o.malformed_fraction = 0.003;
    o.layout = layout;
    auto s = generate(dir.str(), o);
    Corpus c = load(dir.path, layout == Layout::laers);
    EXPECT_GT(s.malformed_records, 50u);
    EXPECT_GE(s.malformed_lines, s.malformed_records);
    EXPECT_EQ(c.bad(), s.malformed_lines);
    std::size_t demo = 0, drug = 0, reac = 0;
    for (const auto& t : c.demo) demo += t.rows.size();
    for (const auto& t : c.drug) drug += t.rows.size();
    for (const auto& t : c.reac) reac += t.rows.size();
    // Each broken record loses its row; the others are all read.
    EXPECT_EQ(demo + drug + reac + s.malformed_records,
              s.reports_written + s.drug_rows + s.reaction_rows);
  }
}

TEST(PvSynth, SameSeedSameBytesAnyThreadsOtherSeedOtherBytes) {
  TempDir a("det_a"), b("det_b"), d("det_d");
  SynthOptions o;
  o.reports = 20000;
  o.planted = 5;
  o.malformed_fraction = 0.001;
  o.threads = 1;
  generate(a.str(), o);
  o.threads = 3;
  generate(b.str(), o);
  o.seed = 2;
  generate(d.str(), o);
  std::size_t compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(a.path)) {
    if (!e.is_regular_file()) continue;
    auto rel = fs::relative(e.path(), a.path);
    std::string x = slurp(e.path());
    EXPECT_EQ(x, slurp(b.path / rel)) << rel;
    if (rel.filename().string().rfind("DEMO", 0) == 0 ||
        rel.filename().string().rfind("REAC", 0) == 0) {
      EXPECT_NE(x, slurp(d.path / rel)) << rel;
    }
    ++compared;
  }
  EXPECT_EQ(compared, 17u);
}

// --- distributions
// --------------------------------------------------------------------------------------

TEST(PvSynth, MeanDrugsAndEventsPerReportFollowTheOptions) {
  for (auto [md, me] : {std::pair{3.0, 3.0}, {5.0, 1.5}}) {
    TempDir dir("means");
    SynthOptions o;
    o.reports = 20000;
    o.mean_drugs = md;
    o.mean_events = me;
    o.planted = 0;
    o.malformed_fraction = 0;
    auto s = generate(dir.str(), o);
    Corpus c = load(dir.path, false);
    std::size_t demo = 0, drug = 0, reac = 0;
    for (const auto& t : c.demo) demo += t.rows.size();
    for (const auto& t : c.drug) drug += t.rows.size();
    for (const auto& t : c.reac) reac += t.rows.size();
    EXPECT_EQ(demo, s.reports_written);
    // older versions lose a drug or an event now and then: a little below the mean
    EXPECT_NEAR(static_cast<double>(drug) / static_cast<double>(demo), md, 0.04 * md);
    EXPECT_NEAR(static_cast<double>(reac) / static_cast<double>(demo), me, 0.04 * me);
  }
}

// Least-squares slope of log(count) on log(rank) over ranks [lo, hi].
double loglog_slope(const std::map<std::string, std::size_t>& counts, std::size_t lo,
                    std::size_t hi, std::size_t vocab, bool drugs) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
  for (std::size_t r = lo; r <= hi; ++r) {
    auto it = counts.find(drugs ? synthetic_drug_name(r, vocab) : synthetic_event_name(r, vocab));
    if (it == counts.end()) continue;
    double x = std::log(static_cast<double>(r)), y = std::log(static_cast<double>(it->second));
    sx += x, sy += y, sxx += x * x, sxy += x * y, k += 1;
  }
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

TEST(PvSynth, NameFrequenciesFollowThePowerLaw) {
  for (double s : {1.0, 0.7}) {
    TempDir dir("zipf");
    SynthOptions o;
    o.reports = 40000;
    o.zipf_exponent = s;
    o.kb_names = false;
    o.planted = 0;
    o.follow_up_fraction = 0;
    generate(dir.str(), o);
    Corpus c = load(dir.path, false);
    std::map<std::string, std::size_t> drugs, events;
    for (const auto& t : c.drug) {
      for (const auto& r : t.rows) ++drugs[r[4]];
    }
    for (const auto& t : c.reac) {
      for (const auto& r : t.rows) ++events[r[2]];
    }
    EXPECT_NEAR(loglog_slope(drugs, 3, 300, o.drug_vocabulary, true), -s, 0.05);
    EXPECT_NEAR(loglog_slope(events, 3, 300, o.event_vocabulary, false), -s, 0.05);
    // The most frequent name against rank 10: the per-draw law gives 10^s; names are distinct
    // within a report, which costs the head a little (about 10 % at s = 1).
    double ratio = static_cast<double>(drugs[synthetic_drug_name(1, o.drug_vocabulary)]) /
                   static_cast<double>(drugs[synthetic_drug_name(10, o.drug_vocabulary)]);
    EXPECT_GT(ratio, 0.8 * std::pow(10.0, s)) << s;
    EXPECT_LT(ratio, 1.1 * std::pow(10.0, s)) << s;
  }
}

// --- versions and deletions
// ---------------------------------------------------------------------------------

TEST(PvSynth, DeletedCasesAreListedOnceInTheirQuarterOrLater) {
  TempDir dir("deleted");
  SynthOptions o;
  o.reports = 20000;
  o.deleted_fraction = 0.02;
  o.planted = 0;
  o.malformed_fraction = 0;
  auto s = generate(dir.str(), o);
  Corpus c = load(dir.path, false);
  EXPECT_EQ(c.deleted.size(), s.deleted_cases);
  EXPECT_NEAR(static_cast<double>(s.deleted_cases), 0.02 * 20000, 4 * std::sqrt(0.02 * 20000));
  std::unordered_map<std::string, int> latest_quarter;
  for (const auto& t : c.demo) {
    for (const auto& r : t.rows) latest_quarter[r[1]] = std::max(latest_quarter[r[1]], t.quarter);
  }
  std::set<std::string> seen;
  for (const auto& [q, caseid] : c.deleted) {
    EXPECT_TRUE(seen.insert(caseid).second) << caseid;
    ASSERT_TRUE(latest_quarter.count(caseid)) << caseid << " is deleted but was never reported";
    EXPECT_GE(q, latest_quarter[caseid]);
  }
  EXPECT_EQ(kept_view(c).kept, s.kept_cases);
  EXPECT_EQ(s.kept_cases, s.distinct_cases - s.deleted_cases);
}

TEST(PvSynth, FollowUpsShareTheCaseidWithAHigherVersionInALaterQuarter) {
  TempDir dir("followup");
  SynthOptions o;
  o.reports = 20000;
  o.follow_up_fraction = 0.2;
  o.planted = 0;
  o.malformed_fraction = 0;
  auto s = generate(dir.str(), o);
  Corpus c = load(dir.path, false);
  struct V {
    int quarter;
    long long version;
    std::string i_f, primaryid;
  };
  std::unordered_map<std::string, std::vector<V>> versions;
  for (const auto& t : c.demo) {
    for (const auto& r : t.rows)
      versions[r[1]].push_back({t.quarter, std::stoll(r[2]), r[3], r[0]});
  }
  EXPECT_EQ(versions.size(), s.distinct_cases);
  std::size_t followed = 0;
  for (auto& [caseid, v] : versions) {
    ASSERT_LE(v.size(), 2u);
    if (v.size() == 1) {
      EXPECT_EQ(v[0].version, 1);
      EXPECT_EQ(v[0].i_f, "I");
      continue;
    }
    ++followed;
    std::sort(v.begin(), v.end(), [](const V& a, const V& b) { return a.quarter < b.quarter; });
    EXPECT_LT(v[0].quarter, v[1].quarter);
    EXPECT_EQ(v[0].version, 1);
    EXPECT_GT(v[1].version, 1);
    EXPECT_EQ(v[0].i_f, "I");
    EXPECT_EQ(v[1].i_f, "F");
    EXPECT_NE(v[0].primaryid, v[1].primaryid);
  }
  EXPECT_EQ(followed, s.superseded_versions);
  EXPECT_EQ(s.reports_written, s.distinct_cases + s.superseded_versions);
  EXPECT_NEAR(static_cast<double>(followed), 0.2 * 20000, 4 * std::sqrt(0.2 * 20000));
}

// --- planted signals
// ---------------------------------------------------------------------------------------

// Frequent non-planted synthetic pairs (drug ranks 2..7 without KB names, event ranks 1..6).
std::vector<std::pair<std::string, std::string>> frequent_null_pairs(const SynthOptions& o,
                                                                     const SynthSummary& s) {
  std::set<std::string> planted_drugs, planted_events;
  for (const auto& p : s.planted) planted_drugs.insert(p.drug), planted_events.insert(p.event);
  std::set<std::size_t> kb_ranks;
  for (const auto& k : synthetic_kb_drugs(o.drug_vocabulary)) kb_ranks.insert(k.rank);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t dr = 2; dr <= 7; ++dr) {
    if (kb_ranks.count(dr)) continue;
    std::string d = synthetic_drug_name(dr, o.drug_vocabulary);
    for (std::size_t er = 1; er <= 6; ++er) {
      std::string e = synthetic_event_name(er, o.event_vocabulary);
      if (!planted_drugs.count(d) && !planted_events.count(e)) out.emplace_back(d, e);
    }
  }
  return out;
}

void check_planted(Layout layout, std::uint64_t reports) {
  TempDir dir(layout == Layout::faers ? "planted_f" : "planted_l");
  SynthOptions o;
  o.reports = reports;
  o.planted = 10;
  o.planted_rr_min = 5;
  o.planted_rr_max = 10;
  o.follow_up_fraction = 0.15;
  o.deleted_fraction = 0.01;
  o.malformed_fraction = 0.002;
  o.layout = layout;
  auto s = generate(dir.str(), o);
  ASSERT_EQ(s.planted.size(), 10u);
  View v = kept_view(load(dir.path, layout == Layout::laers));
  EXPECT_EQ(v.kept, s.kept_cases);
  double log_ratio = 0;
  for (const auto& p : s.planted) {
    PairCount pc = count(v, p.drug, p.event);
    // the generator's exact expectation is what an independent count finds
    EXPECT_EQ(pc.n, p.expected_n) << p.drug << " x " << p.event;
    EXPECT_EQ(pc.n_drug, p.expected_drug) << p.drug;
    EXPECT_EQ(pc.n_event, p.expected_event) << p.event;
    EXPECT_EQ(pc.total, p.expected_total);
    EXPECT_GT(pc.rrr(), 2.0) << p.drug << " x " << p.event << " n " << pc.n << " target "
                             << p.relative_risk;
    log_ratio += std::log(pc.rrr() / p.relative_risk);
  }
  // On average the realised ratio is the target one.
  EXPECT_NEAR(log_ratio / 10, 0.0, 0.2);
  auto nulls = frequent_null_pairs(o, s);
  ASSERT_GE(nulls.size(), 20u);
  // Independence elsewhere: the count is within 4 Poisson standard deviations of n_drug * n_event /
  // N.
  for (const auto& [d, e] : nulls) {
    PairCount pc = count(v, d, e);
    double expected = static_cast<double>(pc.n_drug) * static_cast<double>(pc.n_event) /
                      static_cast<double>(pc.total);
    EXPECT_LT(std::abs(static_cast<double>(pc.n) - expected) / std::sqrt(expected), 4.0)
        << d << " x " << e << " n " << pc.n << " expected " << expected;
    EXPECT_NEAR(pc.rrr(), 1.0, 0.3) << d << " x " << e;
  }
}

TEST(PvSynth, PlantedPairsStandOutAndFrequentOtherPairsDoNot) {
  check_planted(Layout::faers, 50000);
}

TEST(PvSynth, LaersPlantedCountsMatchAnIndependentCountByLatestIsr) {
  check_planted(Layout::laers, 30000);
}

TEST(PvSynth, TheProjectReaderFindsTheExpectedCounts) {
  TempDir dir("reader");
  SynthOptions o;
  o.reports = 20000;
  o.planted = 6;
  o.planted_rr_min = 5;
  o.follow_up_fraction = 0.15;
  o.deleted_fraction = 0.01;
  o.malformed_fraction = 0.002;
  auto s = generate(dir.str(), o);
  DrugNormaliser none({});  // names kept verbatim (upper case)
  auto r = read_faers({dir.str()}, none);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const FaersReport& d = r.value().input;
  EXPECT_EQ(d.reports_kept, s.kept_cases);
  EXPECT_EQ(d.malformed, s.malformed_lines);
  // The whole pipeline: counts, the MGPS fit on every pair, every score.
  SignalTable t = score(r.value().corpus);
  EXPECT_TRUE(t.fit.converged) << t.fit.message;
  SignalRules rules;
  for (const auto& p : s.planted) {
    const Score* it = t.find(p.drug, p.event);
    ASSERT_NE(it, nullptr) << p.drug << " x " << p.event;
    EXPECT_EQ(it->n, static_cast<double>(p.expected_n));
    EXPECT_EQ(it->n_drug, static_cast<double>(p.expected_drug));
    EXPECT_EQ(it->n_event, static_cast<double>(p.expected_event));
    EXPECT_EQ(it->total, static_cast<double>(p.expected_total));
    // Planted at a relative reporting ratio >= 5 with >= 25 expected reports: every rule finds it.
    SignalFlags f = flags(*it, rules);
    EXPECT_TRUE(f.eb05 && f.ror && f.ic && f.evans)
        << p.drug << " x " << p.event << " EB05 " << it->post.eb05;
  }
  // And the rules stay quiet elsewhere: few pairs among the frequent non-planted ones are flagged.
  std::size_t frequent = 0, flagged = 0;
  for (const auto& x : t.scores) {
    bool planted = std::any_of(s.planted.begin(), s.planted.end(), [&](const PlantedSignal& p) {
      return upper(p.drug) == upper(t.drugs[x.drug]) && upper(p.event) == t.events[x.event];
    });
    if (planted || x.expected < 10) continue;
    ++frequent;
    flagged += x.post.eb05 >= rules.eb05;
  }
  ASSERT_GT(frequent, 50u);
  EXPECT_EQ(flagged, 0u) << "of " << frequent << " frequent non-planted pairs";
}

// --- names
// ---------------------------------------------------------------------------------------------------

TEST(PvSynth, KbSpellingsMapToTheirIngredientAndMadeUpNamesMapToNothing) {
  DrugNormaliser n(kb_drug_names(paraderm::testing::shipped_kb()));
  auto kb = synthetic_kb_drugs(5000);
  ASSERT_GE(kb.size(), 8u);
  for (const auto& k : kb) {
    auto ing = n.ingredient(k.ingredient);
    ASSERT_TRUE(ing) << k.ingredient;
    for (const auto& sp : k.spellings) EXPECT_EQ(n.ingredient(sp), ing) << sp;
  }
  std::set<std::string> names;
  for (std::size_t r = 1; r <= 5000; ++r) {
    std::string name = synthetic_drug_name(r, 5000);
    EXPECT_FALSE(n.ingredient(name)) << name << " -> " << *n.ingredient(name);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 5000u);
  std::set<std::string> events;
  for (std::size_t r = 1; r <= 8000; ++r) events.insert(upper(synthetic_event_name(r, 8000)));
  EXPECT_EQ(events.size(), 8000u);

  // In the files: every KB spelling written maps, in a corpus read with the KB normaliser.
  TempDir dir("kb");
  SynthOptions o;
  o.reports = 3000;
  o.planted = 2;
  generate(dir.str(), o);
  auto r = read_faers({dir.str()}, n);
  ASSERT_TRUE(r.is_ok());
  std::set<std::string> mapped(r.value().corpus.drugs.begin(), r.value().corpus.drugs.end());
  for (const auto& k : kb) EXPECT_TRUE(mapped.count(*n.ingredient(k.ingredient))) << k.ingredient;
  for (const auto& [name, count] : r.value().input.unmapped) {
    for (const auto& k : kb) {
      for (const auto& sp : k.spellings) EXPECT_NE(name, upper(sp));
    }
  }
}

TEST(PvSynth, RejectsBadOptionsAndNonEmptyFolders) {
  TempDir dir("bad");
  SynthOptions o;
  o.reports = 100;
  o.planted = 0;
  auto fails = [&](SynthOptions x, const std::string& what) {
    auto r = write_synthetic_faers((dir.path / "x").string(), x);
    ASSERT_FALSE(r.is_ok()) << what;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  SynthOptions x = o;
  x.quarters = 0;
  fails(x, "quarters");
  x = o;
  x.layout = Layout::laers;
  x.quarters = 36;  // before 2004Q1
  fails(x, "quarters");
  x = o;
  x.reports = 0;
  fails(x, "reports");
  x = o;
  x.malformed_fraction = 2;
  fails(x, "malformed_fraction");
  x = o;
  x.planted = 500;
  fails(x, "planted");
  x = o;
  x.planted = 2;
  x.planted_rr_min = 40;
  x.planted_rr_max = 80;
  fails(x, "too large");
  fs::create_directories(dir.path / "x");
  std::ofstream(dir.path / "x" / "keep.txt") << "x";
  fails(o, "not an empty folder");
}

}  // namespace
}  // namespace paraderm::pv
