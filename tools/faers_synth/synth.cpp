// Synthetic FAERS/LAERS quarterly ASCII corpus with planted signals (docs/pv-synth.md).
//
// Model, per case c (all draws from generators seeded by (seed, c, purpose), so any case can be
// regenerated anywhere and blocks of cases can be formatted in parallel in any order):
//   - its latest version lands in quarter floor(c * Q / cases); with probability f*Q/(Q-1) (cases
//     after the first quarter) an older version (caseversion 1, a perturbed copy) lands in an
//     earlier quarter; with probability d the caseid is listed in a Deleted file of the latest
//     version's quarter or a later one;
//   - drugs: 1 + Poisson(mean - 1) distinct ranks from the rank-frequency law (alias table), the
//     first PS, each later one C/I with probability ns * mean / (mean - 1), else SS;
//   - events: 1 + Poisson(mean - 1) distinct ranks from their own law, then for each suspect drug
//   of
//     a planted pair its event is added with probability q (computed so that the pair's relative
//     reporting ratio is the target);
//   - each record is broken (malformed) with probability m: an embedded line break before a '$'
//     (two lines with a wrong field count), or for the two-column LAERS REAC an embedded '$'.
// The exact counts the reader must find are accumulated while writing the latest version, from the
// same regenerated content of both versions.
#include "faers_synth/faers_synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <string_view>
#include <thread>

namespace paraderm::pv {
namespace {

namespace fs = std::filesystem;
using Layout = SynthOptions::Layout;

// --- deterministic random numbers (no std:: distributions: their output is library-specific) ---

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

std::uint64_t mix64(std::uint64_t z) {  // splitmix64's finaliser
  z += kGolden;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** seeded from (seed, a, b) through splitmix64.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
    std::uint64_t x = mix64(mix64(seed) ^ mix64(a * 0xd1b54a32d192ed03ULL + b));
    for (auto& w : s_) {
      x += kGolden;
      w = mix64(x);
    }
  }
  std::uint64_t next() {
    std::uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(uniform() * n); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
};

// Purposes of the per-case generators.
enum Tag : std::uint64_t { kMeta = 1, kContent = 2, kOld = 3, kFormat = 10 /* + version */ };

// Walker/Vose alias table: one uniform per draw.
class Alias {
 public:
  explicit Alias(const std::vector<double>& w) : prob_(w.size()), alias_(w.size()) {
    const std::size_t n = w.size();
    double total = 0;
    for (double x : w) total += x;
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = w[i] * static_cast<double>(n) / total;
      (scaled[i] < 1 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      std::uint32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1;
      if (scaled[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (auto i : large) prob_[i] = 1, alias_[i] = i;
    for (auto i : small) prob_[i] = 1, alias_[i] = i;  // rounding leftovers
  }
  // A 0-based index.
  std::uint32_t sample(Rng& r) const {
    double u = r.uniform() * static_cast<double>(prob_.size());
    auto i = static_cast<std::uint32_t>(u);
    if (i >= prob_.size()) i = static_cast<std::uint32_t>(prob_.size() - 1);
    return (u - i) < prob_[i] ? i : alias_[i];
  }

 private:
  std::vector<double> prob_;
  std::vector<std::uint32_t> alias_;
};

constexpr int kMaxPerReport = 25;  // drugs or drawn events per report

// P(K = k) for K = 1 + Poisson(mean - 1) truncated at kMaxPerReport (the tail folded into the cap).
std::vector<double> count_pmf(double mean) {
  std::vector<double> p(kMaxPerReport + 1, 0.0);
  double lambda = std::max(0.0, mean - 1), term = std::exp(-lambda), cum = 0;
  for (int k = 1; k < kMaxPerReport; ++k) {
    p[k] = term;
    cum += term;
    term *= lambda / k;
  }
  p[kMaxPerReport] = std::max(0.0, 1 - cum);
  return p;
}

int draw_count(Rng& r, double mean, double exp_minus_lambda) {
  double lambda = std::max(0.0, mean - 1), u = r.uniform(), p = exp_minus_lambda, cum = p;
  int k = 0;
  while (u >= cum && k < kMaxPerReport - 1) {
    ++k;
    p *= lambda / k;
    cum += p;
  }
  return 1 + k;
}

// --- names --------------------------------------------------------------------------------------

constexpr std::string_view kCons = "bdfgklmnprstvz";  // 14 consonants x 5 vowels = 70 syllables
constexpr std::string_view kVowels = "aeiou";

// A made-up word for `rank`: k consonant-vowel syllables of an index that is a bijection of the
// rank modulo 70^k (so words are distinct), k >= 3 and large enough for the vocabulary.
std::string word(std::size_t rank, std::size_t vocabulary, std::uint64_t mult, std::uint64_t add) {
  int k = 3;
  std::uint64_t cap = std::uint64_t{70} * 70 * 70;
  while (cap < vocabulary + 1) cap *= 70, ++k;
  std::uint64_t idx = (static_cast<std::uint64_t>(rank) * mult + add) % cap;
  std::string w;
  for (int i = 0; i < k; ++i) {
    auto s = static_cast<std::size_t>(idx % 70);
    idx /= 70;
    w += kCons[s / 5];
    w += kVowels[s % 5];
  }
  return w;
}

// Invented stems, none an INN stem, so that no made-up name is one letter from a real one.
constexpr std::array<std::string_view, 7> kStems = {"OXAQ", "IZUB", "ETRIX", "ULQAN",
                                                    "AZEQ", "OFIX", "UMIQ"};
constexpr std::array<std::string_view, 12> kNouns = {
    "syndrome",  "disorder",  "reaction", "lesion",    "pain",   "inflammation",
    "increased", "decreased", "abnormal", "infection", "oedema", "haemorrhage"};

// --- layout
// ---------------------------------------------------------------------------------------

constexpr std::string_view kFaersDemo =
    "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$"
    "mfr_num$"
    "mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_"
    "country$"
    "occr_country";
constexpr std::string_view kFaersDrug =
    "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_"
    "dose_unit$"
    "dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq";
constexpr std::string_view kFaersReac = "primaryid$caseid$pt$drug_rec_act";
// Legacy AERS (LAERS), as loaded by ltscomputingllc/faersdbstats (load_legacy_*_table.sql); DEMO
// gained REPORTER_COUNTRY in 2005Q3.
constexpr std::string_view kLaersDemo =
    "ISR$CASE$I_F_COD$FOLL_SEQ$IMAGE$EVENT_DT$MFR_DT$FDA_DT$REPT_COD$MFR_NUM$MFR_SNDR$AGE$AGE_COD$"
    "GNDR_COD$"
    "E_SUB$WT$WT_COD$REPT_DT$OCCP_COD$DEATH_DT$TO_MFR$CONFID";
constexpr std::string_view kLaersDrug =
    "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME$VAL_VBM$ROUTE$DOSE_VBM$DECHAL$RECHAL$LOT_NUM$EXP_DT$NDA_NUM";
constexpr std::string_view kLaersReac = "ISR$PT";

constexpr int kFaersLast = 2025 * 4 + 2, kFaersFirst = 2014 * 4 + 2;  // 2025Q3, 2014Q3
constexpr int kLaersLast = 2012 * 4 + 2, kLaersFirst = 2004 * 4 + 0;  // 2012Q3, 2004Q1
constexpr int kReporterCountryFrom = 2005 * 4 + 2;                    // 2005Q3

std::string quarter_tag(int qi) { return fmt::format("{:02}Q{}", (qi / 4) % 100, qi % 4 + 1); }

std::size_t field_count(std::string_view header) {
  return static_cast<std::size_t>(std::count(header.begin(), header.end(), '$')) + 1;
}

// --- the model
// --------------------------------------------------------------------------------------

struct KbSpec {
  const char* ingredient;
  std::vector<const char*> spellings;
};

// Spellings the KB normaliser maps (brand, ingredient, case, bracketed text, strengths, salt and
// form words, one-letter misspellings of 6+-letter names).
const std::vector<KbSpec>& kb_specs() {
  static const std::vector<KbSpec> specs = {
      {"ADALIMUMAB",
       {"HUMIRA", "Humira", "ADALIMUMAB", "adalimumab", "HUMIRA PEN (ADALIMUMAB) 40 MG",
        "ADALIMUMUB"}},
      {"DUPILUMAB",
       {"DUPIXENT", "Dupixent", "dupilumab 300 mg", "DUPILUMAB",
        "DUPIXENT 300 MG PREFILLED SYRINGE", "DUPLUMAB"}},
      {"ETANERCEPT", {"ENBREL", "Enbrel", "etanercept 50 mg", "ETANERCEPT"}},
      {"USTEKINUMAB", {"STELARA", "Stelara", "ustekinumab 45 mg", "USTEKINUMAB"}},
      {"SECUKINUMAB", {"COSENTYX", "Cosentyx", "SECUKINUMAB", "secukinumab 150 mg"}},
      {"UPADACITINIB", {"RINVOQ", "Rinvoq", "upadacitinib ER tablet 15 mg", "UPADACITINIB"}},
      {"TOFACITINIB CITRATE", {"XELJANZ", "Xeljanz", "TOFACITINIB CITRATE", "tofacitinib 5 mg"}},
      {"BARICITINIB", {"OLUMIANT", "Olumiant", "baricitinib 4 mg", "BARICITINIB"}},
  };
  return specs;
}

struct Model {
  SynthOptions o;
  bool laers = false;
  int first_qi = 0;  // absolute quarter index year*4 + (q-1) of the first quarter
  std::vector<std::string> drug_names, event_names;  // by rank - 1
  std::vector<int> kb_of_rank;                       // rank - 1 -> index in kb_specs() or -1
  std::vector<int> planted_drug, planted_event;      // rank - 1 -> planted pair or -1
  std::vector<std::uint32_t> pair_event;             // pair -> event rank - 1
  std::vector<double> q;                             // pair -> extra probability
  std::unique_ptr<Alias> drugs, events;
  double p_follow = 0, p_later_non_suspect = 0;
  double exp_drugs = 0, exp_events = 0;  // exp(1 - mean)
};

struct CaseMeta {
  int q_latest = 0, q_old = -1, q_del = -1, v_latest = 1;
  bool has_old = false, deleted = false;
};

CaseMeta case_meta(const Model& m, std::uint64_t c) {
  CaseMeta k;
  const auto Q = static_cast<std::uint64_t>(m.o.quarters);
  k.q_latest = static_cast<int>(c * Q / m.o.reports);
  Rng r(m.o.seed, c, kMeta);
  double u_follow = r.uniform(), u_del = r.uniform();
  std::uint32_t old_pick = r.below(1u << 30), del_pick = r.below(1u << 30), v_pick = r.below(3);
  k.has_old = k.q_latest > 0 && u_follow < m.p_follow;
  if (k.has_old) {
    k.q_old = static_cast<int>(old_pick % static_cast<std::uint32_t>(k.q_latest));
    k.v_latest = 2 + static_cast<int>(v_pick);
  }
  k.deleted = !m.laers && u_del < m.o.deleted_fraction;
  if (k.deleted)
    k.q_del = k.q_latest +
              static_cast<int>(del_pick % static_cast<std::uint32_t>(m.o.quarters - k.q_latest));
  return k;
}

struct DrugEntry {
  std::uint32_t rank0 = 0;  // rank - 1
  char role = 'P';          // P(S), S(S), C, I
};

struct Content {
  int n_drugs = 0, n_events = 0;
  std::array<DrugEntry, kMaxPerReport> drugs{};
  std::array<std::uint32_t, std::size_t{2} * kMaxPerReport> events{};  // rank - 1
  bool demo_bad = false;
  std::array<bool, kMaxPerReport> drug_bad{};
  std::array<bool, std::size_t{2} * kMaxPerReport> reac_bad{};
  bool has_event(std::uint32_t e) const {
    return std::find(events.begin(), events.begin() + n_events, e) != events.begin() + n_events;
  }
  bool has_drug(std::uint32_t d) const {
    return std::any_of(drugs.begin(), drugs.begin() + n_drugs,
                       [&](const DrugEntry& x) { return x.rank0 == d; });
  }
};

bool suspect(char role) { return role == 'P' || role == 'S'; }

void draw_malformed(const Model& m, Rng& r, Content& x) {
  const double f = m.o.malformed_fraction;
  x.demo_bad = r.uniform() < f;
  for (int i = 0; i < x.n_drugs; ++i) x.drug_bad[i] = r.uniform() < f;
  for (int i = 0; i < x.n_events; ++i) x.reac_bad[i] = r.uniform() < f;
}

Content latest_content(const Model& m, std::uint64_t c) {
  Rng r(m.o.seed, c, kContent);
  Content x;
  int nd = std::min<int>(draw_count(r, m.o.mean_drugs, m.exp_drugs),
                         static_cast<int>(m.drug_names.size()));
  while (x.n_drugs < nd) {
    std::uint32_t d = m.drugs->sample(r);
    if (x.has_drug(d)) continue;
    char role = 'P';
    if (x.n_drugs > 0) {
      double u = r.uniform();
      role = u < m.p_later_non_suspect ? (u < 0.9 * m.p_later_non_suspect ? 'C' : 'I') : 'S';
    }
    x.drugs[x.n_drugs++] = {d, role};
  }
  int ne = std::min<int>(draw_count(r, m.o.mean_events, m.exp_events),
                         static_cast<int>(m.event_names.size()));
  while (x.n_events < ne) {
    std::uint32_t e = m.events->sample(r);
    if (!x.has_event(e)) x.events[x.n_events++] = e;
  }
  for (int i = 0; i < nd; ++i) {
    int p = m.planted_drug[x.drugs[i].rank0];
    if (p < 0 || !suspect(x.drugs[i].role)) continue;
    double u = r.uniform();
    std::uint32_t e = m.pair_event[p];
    if (u < m.q[p] && !x.has_event(e)) x.events[x.n_events++] = e;
  }
  draw_malformed(m, r, x);
  return x;
}

// The older version: the same report before follow-up information arrived (an event missing or
// different, a drug missing), with its own malformed-line draws.
Content old_content(const Model& m, std::uint64_t c, const Content& latest) {
  Rng r(m.o.seed, c, kOld);
  Content x = latest;
  double u_ev = r.uniform(), u_swap = r.uniform(), u_drug = r.uniform();
  std::uint32_t fresh = m.events->sample(r);
  if (x.n_events > 1 && u_ev < 0.5) --x.n_events;
  if (u_swap < 0.3 && !x.has_event(fresh)) x.events[x.n_events - 1] = fresh;
  if (x.n_drugs > 1 && u_drug < 0.3) --x.n_drugs;
  draw_malformed(m, r, x);
  return x;
}

// --- formatting
// -------------------------------------------------------------------------------------

struct Buf {
  std::string s;
  void put(std::string_view v) { s.append(v); }
  void put(char c) { s.push_back(c); }
  void d() { s.push_back('$'); }
  void u(std::uint64_t v) {
    char tmp[24];
    auto res = std::to_chars(tmp, tmp + sizeof tmp, v);
    s.append(tmp, res.ptr);
  }
  void date(int y, int mo, int dd) {
    char tmp[8] = {static_cast<char>('0' + y / 1000),    static_cast<char>('0' + y / 100 % 10),
                   static_cast<char>('0' + y / 10 % 10), static_cast<char>('0' + y % 10),
                   static_cast<char>('0' + mo / 10),     static_cast<char>('0' + mo % 10),
                   static_cast<char>('0' + dd / 10),     static_cast<char>('0' + dd % 10)};
    s.append(tmp, 8);
  }
};

struct Date {
  int y = 0, m = 0, d = 0;
};

Date date_in_quarter(int qi, Rng& r) {
  return {qi / 4, (qi % 4) * 3 + 1 + static_cast<int>(r.below(3)),
          1 + static_cast<int>(r.below(28))};
}

Date months_before(Date x, int months, int day) {
  int idx = x.y * 12 + (x.m - 1) - months;
  return {idx / 12, idx % 12 + 1, day};
}

struct Block {
  Buf demo, drug, reac, del;
  std::uint64_t demo_rows = 0, drug_rows = 0, reac_rows = 0, superseded = 0, deleted = 0, kept = 0,
                total = 0;
  std::uint64_t bad_records = 0, bad_lines = 0;
  std::vector<std::uint64_t> n, nd, ne;
};

// Breaks the record that starts at `start` in `b` (no line ending yet): a line break before its
// j-th '$' (both halves then have a wrong field count), or, for a two-column LAERS file, a '$'
// inside the last text field. Returns the physical lines added beyond one.
int break_record(std::string& s, std::size_t start, std::size_t fields, bool laers, Rng& r,
                 Block& blk) {
  ++blk.bad_records;
  // FAERS: halves of j and n-j+1 fields; j in [2, n-1] keeps both off n and off "n+1 with an empty
  // last field" (the reader's trailing-'$' tolerance). LAERS lines end in '$': the second half has
  // n-j+2 fields, so j in [3, n-1].
  std::size_t lo = laers ? 3 : 2;
  if (fields < lo + 1) {              // LAERS REAC: ISR$PT -> ISR$P$T$ (4 fields)
    std::size_t last = s.rfind('$');  // before the PT
    std::size_t len = s.size() - last - 1;
    s.insert(last + 1 + std::max<std::size_t>(1, len / 2), 1, '$');
    ++blk.bad_lines;
    return 0;
  }
  std::size_t j = lo + r.below(static_cast<std::uint32_t>(fields - lo));  // [lo, n-1]
  std::size_t pos = start;
  for (std::size_t seen = 0; seen < j; ++pos) {
    if (s[pos] == '$') ++seen;
  }
  s.insert(pos - 1, laers ? "\r\n" : "\n");
  blk.bad_lines += 2;
  return 1;
}

constexpr std::array<std::string_view, 6> kCountriesIso = {"US", "US", "US", "GB", "DE", "JP"};
constexpr std::array<std::string_view, 6> kCountriesLaers = {
    "UNITED STATES", "UNITED STATES", "UNITED STATES", "UNITED KINGDOM", "GERMANY", "JAPAN"};
constexpr std::array<std::string_view, 4> kSenders = {"SYNTHPHARMA", "ACME BIOLOGICS",
                                                      "NORTHWIND LABS", "FDA-CTU"};
constexpr std::array<std::string_view, 5> kOccp = {"MD", "CN", "PH", "HP", "OT"};
constexpr std::array<std::string_view, 4> kRoutes = {
    "Oral", "Subcutaneous", "Intravenous (not otherwise specified)", "Unknown"};
constexpr std::array<std::string_view, 4> kForms = {"Tablet", "Injection", "Capsule",
                                                    "Solution for injection"};
constexpr std::array<std::string_view, 4> kFreqs = {"QD", "BID", "Q2W", ""};
constexpr std::array<std::string_view, 4> kChal = {"Y", "N", "U", "D"};

void end_line(Buf& b, bool laers) {
  if (laers)
    b.put("$\r\n");
  else
    b.put('\n');
}

// Writes one version of case c as it stands in quarter qi.
void write_version(const Model& m, std::uint64_t c, const CaseMeta& k, const Content& x,
                   int version, int qi, Block& blk) {
  Rng r(m.o.seed, c, kFormat + static_cast<std::uint64_t>(version));
  Rng dates(m.o.seed, c, kMeta + 100);  // shared by both versions: the initial receipt date
  const bool laers = m.laers;
  const std::uint64_t caseid = 10000000 + c;
  const int q_first = k.has_old ? k.q_old : k.q_latest;
  Date init = date_in_quarter(m.first_qi + q_first, dates);
  Date event = months_before(init, 1 + static_cast<int>(dates.below(6)),
                             1 + static_cast<int>(dates.below(28)));
  Date fda = version == 1 ? init : date_in_quarter(qi, r);
  const int quarter_rel = qi - m.first_qi;
  // ids: primaryid = caseid with the version appended; LAERS ISR = a number growing with the
  // quarter
  const std::uint64_t id = laers
                               ? 4000000 + static_cast<std::uint64_t>(quarter_rel) * m.o.reports + c
                               : caseid * 10 + static_cast<std::uint64_t>(version);
  auto key = [&](Buf& b) {
    b.u(id);
    b.d();
    if (!laers) {
      b.u(caseid);
      b.d();
    }
  };
  // DEMO
  {
    Buf& b = blk.demo;
    std::size_t start = b.s.size();
    std::uint32_t rept = r.below(20);  // EXP 60 %, PER 25 %, DIR 15 %
    std::string_view rept_cod = rept < 12 ? "EXP" : rept < 17 ? "PER" : "DIR";
    std::uint32_t country = r.below(static_cast<std::uint32_t>(kCountriesIso.size()));
    std::uint32_t age = 18 + r.below(73), wt = 45 + r.below(80), sex = r.below(10),
                  ev = r.below(20);
    std::uint32_t sender = rept_cod == "DIR" ? 3 : r.below(3), occp = r.below(5);
    auto event_dt = [&] {
      if (ev < 14)
        b.date(event.y, event.m, event.d);
      else if (ev < 16)
        b.u(static_cast<std::uint64_t>(event.y) * 100 + static_cast<std::uint64_t>(event.m));
      else if (ev < 17)
        b.u(static_cast<std::uint64_t>(event.y));
    };
    if (!laers) {
      key(b);
      b.u(static_cast<std::uint64_t>(version)), b.d();
      b.put(version == 1 ? 'I' : 'F'), b.d();
      event_dt(), b.d();
      if (rept_cod != "DIR") b.date(fda.y, fda.m, fda.d);
      b.d();
      b.date(init.y, init.m, init.d), b.d();
      b.date(fda.y, fda.m, fda.d), b.d();
      b.put(rept_cod), b.d();
      b.d();  // auth_num
      if (rept_cod != "DIR")
        b.put(kCountriesIso[country]), b.put('-'), b.put(kSenders[sender]), b.put('-'), b.u(caseid);
      b.d();
      b.put(kSenders[sender]), b.d();
      b.d();  // lit_ref
      if (sex < 9)
        b.u(age), b.d(), b.put("YR"), b.d(), b.put(age >= 65 ? 'E' : 'A'), b.d();
      else
        b.put("$$$");
      b.put(sex < 5 ? "F" : sex < 9 ? "M" : ""), b.d();
      b.put('Y'), b.d();
      if (sex % 2 == 0)
        b.u(wt), b.d(), b.put("KG"), b.d();
      else
        b.put("$$");
      b.date(fda.y, fda.m, fda.d), b.d();
      b.d();  // to_mfr
      b.put(kOccp[occp]), b.d();
      b.put(kCountriesIso[country]), b.d();
      b.put(kCountriesIso[country]);
    } else {
      b.u(id), b.d();
      b.u(caseid), b.d();
      b.put(version == 1 ? 'I' : 'F'), b.d();
      if (version > 1 && r.below(2) == 0)
        b.u(static_cast<std::uint64_t>(version - 1));  // FOLL_SEQ, mostly blank
      b.d();
      b.u(id), b.put('-'), b.u(id % 7), b.d();  // IMAGE
      event_dt(), b.d();
      if (rept_cod != "DIR") b.date(fda.y, fda.m, fda.d);
      b.d();
      b.date(fda.y, fda.m, fda.d), b.d();
      b.put(rept_cod), b.d();
      if (rept_cod != "DIR")
        b.put(kCountriesIso[country]), b.put('-'), b.put(kSenders[sender]), b.put('-'), b.u(caseid);
      b.d();
      b.put(kSenders[sender]), b.d();
      if (sex < 9)
        b.u(age), b.d(), b.put("YR"), b.d();
      else
        b.put("$$");
      b.put(sex < 5 ? "F" : sex < 9 ? "M" : ""), b.d();
      b.put('Y'), b.d();
      if (sex % 2 == 0)
        b.u(wt), b.d(), b.put("KG"), b.d();
      else
        b.put("$$");
      b.date(fda.y, fda.m, fda.d), b.d();
      b.put(kOccp[occp]), b.d();
      b.d();                                // DEATH_DT
      b.d();                                // TO_MFR
      b.put(rept_cod == "DIR" ? "N" : "");  // CONFID
      if (qi >= kReporterCountryFrom) b.d(), b.put(kCountriesLaers[country]);
    }
    ++blk.demo_rows;
    if (x.demo_bad) {
      std::string_view h = laers ? kLaersDemo : kFaersDemo;
      std::size_t n = field_count(h) + (laers && qi >= kReporterCountryFrom ? 1 : 0);
      break_record(b.s, start, n, laers, r, blk);
    }
    end_line(b, laers);
  }
  // DRUG
  for (int i = 0; i < x.n_drugs; ++i) {
    Buf& b = blk.drug;
    std::size_t start = b.s.size();
    const DrugEntry& de = x.drugs[i];
    int kb = m.kb_of_rank[de.rank0];
    std::string_view name = m.drug_names[de.rank0], ai = name;
    std::uint32_t spell = r.below(64), ai_pick = r.below(10), route = r.below(4), chal = r.below(8),
                  freq = r.below(4);
    if (kb >= 0) {
      const auto& sp = kb_specs()[static_cast<std::size_t>(kb)];
      name = sp.spellings[spell % sp.spellings.size()];
      ai = ai_pick < 7 ? std::string_view(sp.ingredient) : std::string_view();
    } else if (ai_pick == 0) {
      ai = {};
    }
    key(b);
    b.u(static_cast<std::uint64_t>(i) + 1), b.d();
    if (laers) {
      b.put(de.role == 'P' ? "PS" : de.role == 'S' ? "SS" : de.role == 'C' ? "C" : "I"), b.d();
      b.put(name), b.d();
      b.put('1'), b.d();
      b.put(kRoutes[route]), b.d();
      b.put("UNK"), b.d();
      if (chal < 4) b.put(kChal[chal]);
      b.d();
      b.d();  // RECHAL
      b.d();  // LOT_NUM
      b.d();  // EXP_DT
      if (kb >= 0 || de.rank0 % 3 == 0) b.u(100000 + de.rank0 * 7 % 900000);
    } else {
      b.put(de.role == 'P' ? "PS" : de.role == 'S' ? "SS" : de.role == 'C' ? "C" : "I"), b.d();
      b.put(name), b.d();
      b.put(ai), b.d();
      b.put('1'), b.d();
      b.put(kRoutes[route]), b.d();
      b.put("UNK"), b.d();
      b.d();  // cum_dose_chr
      b.d();  // cum_dose_unit
      if (chal < 4) b.put(kChal[chal]);
      b.d();
      b.d();  // rechal
      b.d();  // lot_num
      b.d();  // exp_dt
      if (kb >= 0 || de.rank0 % 3 == 0) b.u(100000 + de.rank0 * 7 % 900000);
      b.d();
      if (freq < 3)
        b.u(std::uint64_t{5} * (1 + de.rank0 % 20)), b.d(), b.put("MG"), b.d();
      else
        b.put("$$");
      b.put(kForms[route]), b.d();
      b.put(kFreqs[freq]);
    }
    ++blk.drug_rows;
    if (x.drug_bad[i])
      break_record(b.s, start, field_count(laers ? kLaersDrug : kFaersDrug), laers, r, blk);
    end_line(b, laers);
  }
  // REAC
  for (int i = 0; i < x.n_events; ++i) {
    Buf& b = blk.reac;
    std::size_t start = b.s.size();
    key(b);
    b.put(m.event_names[x.events[i]]);
    if (!laers) b.d();  // drug_rec_act
    ++blk.reac_rows;
    if (x.reac_bad[i])
      break_record(b.s, start, field_count(laers ? kLaersReac : kFaersReac), laers, r, blk);
    end_line(b, laers);
  }
}

// The reader's view of case c: counts for the planted pairs.
void count_kept(const Model& m, const CaseMeta& k, const Content& latest, const Content* old,
                Block& blk) {
  const Content* kept = !latest.demo_bad ? &latest : (old && !old->demo_bad ? old : nullptr);
  if (!kept || k.deleted) return;
  ++blk.kept;
  std::array<std::uint32_t, kMaxPerReport> drugs{};
  std::array<std::uint32_t, std::size_t{2} * kMaxPerReport> events{};
  int nd = 0, ne = 0;
  for (int i = 0; i < kept->n_drugs; ++i) {
    if (!kept->drug_bad[i] && suspect(kept->drugs[i].role)) drugs[nd++] = kept->drugs[i].rank0;
  }
  for (int i = 0; i < kept->n_events; ++i) {
    if (!kept->reac_bad[i]) events[ne++] = kept->events[i];
  }
  if (nd == 0 || ne == 0) return;
  ++blk.total;
  for (int i = 0; i < nd; ++i) {
    int p = m.planted_drug[drugs[i]];
    if (p < 0) continue;
    ++blk.nd[p];
    if (std::find(events.begin(), events.begin() + ne, m.pair_event[p]) != events.begin() + ne)
      ++blk.n[p];
  }
  for (int i = 0; i < ne; ++i) {
    int p = m.planted_event[events[i]];
    if (p >= 0) ++blk.ne[p];
  }
}

Block make_block(const Model& m, int q, std::uint64_t c0, std::uint64_t c1) {
  Block blk;
  blk.n.assign(m.pair_event.size(), 0);
  blk.nd = blk.n;
  blk.ne = blk.n;
  const std::size_t cases = c1 - c0;
  blk.demo.s.reserve(cases * 140 / static_cast<std::size_t>(m.o.quarters) + 4096);
  blk.drug.s.reserve(cases * 330 / static_cast<std::size_t>(m.o.quarters) + 4096);
  blk.reac.s.reserve(cases * 110 / static_cast<std::size_t>(m.o.quarters) + 4096);
  const int qi = m.first_qi + q;
  for (std::uint64_t c = c0; c < c1; ++c) {
    CaseMeta k = case_meta(m, c);
    if (k.q_latest == q) {
      Content latest = latest_content(m, c);
      if (k.has_old) {
        Content old = old_content(m, c, latest);
        count_kept(m, k, latest, &old, blk);
      } else {
        count_kept(m, k, latest, nullptr, blk);
      }
      write_version(m, c, k, latest, k.v_latest, qi, blk);
    } else if (k.has_old && k.q_old == q) {
      Content old = old_content(m, c, latest_content(m, c));
      write_version(m, c, k, old, 1, qi, blk);
      ++blk.superseded;
    }
    if (k.deleted && k.q_del == q) {
      blk.del.u(10000000 + c);
      blk.del.put('\n');
      ++blk.deleted;
    }
  }
  return blk;
}

// --- planted pairs
// ------------------------------------------------------------------------------------

// P(a name of per-draw probability pi is among K distinct draws), K ~ count_pmf. Draws repeat
// until distinct, so the j-th draw picks the name with probability about pi / (1 - S_j), S_j the
// mass already drawn, E[S_j] = (j - 1) * sum(pi^2) (each draw is size-biased).
double report_probability(double pi, const std::vector<double>& pmf, double sum_sq) {
  double p = 0, miss = 1;
  for (std::size_t k = 1; k < pmf.size(); ++k) {
    miss *= 1 - std::min(1.0, pi / std::max(0.05, 1 - static_cast<double>(k - 1) * sum_sq));
    p += pmf[k] * (1 - miss);
  }
  return p;
}

Status choose_planted(Model& m, SynthSummary& summary) {
  const SynthOptions& o = m.o;
  const std::size_t V = m.drug_names.size(), E = m.event_names.size();
  m.planted_drug.assign(V, -1);
  m.planted_event.assign(E, -1);
  if (o.planted == 0) return Status::ok();
  auto pmf_d = count_pmf(o.mean_drugs), pmf_e = count_pmf(o.mean_events);
  auto per_draw = [&](std::size_t n) {
    std::vector<double> pi(n);
    double h = 0, sq = 0;
    for (std::size_t r = 1; r <= n; ++r)
      h += pi[r - 1] = std::pow(static_cast<double>(r), -o.zipf_exponent);
    for (double& x : pi) x /= h, sq += x * x;
    return std::make_pair(pi, sq);
  };
  auto [pid, sqd] = per_draw(V);
  auto [pie, sqe] = per_draw(E);
  std::vector<double> ps(V), pe(E);
  for (std::size_t i = 0; i < V; ++i) {
    double pd = report_probability(pid[i], pmf_d, sqd);
    ps[i] = pid[i] + (pd - pid[i]) * (1 - m.p_later_non_suspect);  // the first drug is PS
  }
  for (std::size_t i = 0; i < E; ++i) pe[i] = report_probability(pie[i], pmf_e, sqe);
  // "Moderately frequent": suspect in (event in) 0.4 %-3 % of reports. In small corpora the lower
  // bound rises so that a pair's expected count N * p_drug * p_event * rr_min is at least 25 (a
  // pair expected 4 times cannot be found by any method), as long as enough names remain.
  constexpr double kFloor = 0.004, kHi = 0.03;
  double lo = std::min(
      kHi, std::max(kFloor, std::sqrt(25.0 / (static_cast<double>(o.reports) * o.planted_rr_min))));
  std::vector<std::uint32_t> cand_d, cand_e;
  for (;;) {
    cand_d.clear();
    cand_e.clear();
    for (std::size_t i = 0; i < V; ++i) {
      if (ps[i] >= lo && ps[i] <= kHi && m.kb_of_rank[i] < 0)
        cand_d.push_back(static_cast<std::uint32_t>(i));
    }
    for (std::size_t i = 0; i < E; ++i) {
      if (pe[i] >= lo && pe[i] <= kHi) cand_e.push_back(static_cast<std::uint32_t>(i));
    }
    if ((cand_d.size() >= o.planted && cand_e.size() >= o.planted) || lo <= kFloor) break;
    lo = std::max(kFloor, lo * 0.9);
  }
  if (cand_d.size() < o.planted || cand_e.size() < o.planted) {
    return Status::invalid_input(
        fmt::format("planted: {} pairs asked, but only {} drugs and {} events are moderately "
                    "frequent (in 0.4 %-3 % of "
                    "reports) with these vocabularies and zipf_exponent {}; plant fewer or enlarge "
                    "the vocabularies",
                    o.planted, cand_d.size(), cand_e.size(), o.zipf_exponent));
  }
  Rng r(o.seed, ~0ULL, 7);
  auto shuffle = [&](std::vector<std::uint32_t>& v) {
    for (std::size_t i = v.size(); i > 1; --i)
      std::swap(v[i - 1], v[r.below(static_cast<std::uint32_t>(i))]);
  };
  shuffle(cand_d);
  shuffle(cand_e);
  for (std::size_t i = 0; i < o.planted; ++i) {
    double t = o.planted > 1 ? static_cast<double>(i) / static_cast<double>(o.planted - 1) : 0.5;
    double R = o.planted_rr_min * std::pow(o.planted_rr_max / o.planted_rr_min, t);
    std::uint32_t d = cand_d[i], e = cand_e[i];
    // RRR = P(e | d) / P(e), P(e) = ps P(e | d) + (1 - ps) pe  =>  P(e | d) = R (1 - ps) pe / (1 -
    // R ps).
    double p_s = ps[d], p_e = pe[e];
    if (R * p_s >= 0.9) {
      return Status::invalid_input(fmt::format(
          "planted_rr_max {} is too large for a drug in {:.2f} % of reports", R, 100 * p_s));
    }
    double p_given = R * (1 - p_s) * p_e / (1 - R * p_s);
    if (p_given >= 0.95) {
      return Status::invalid_input(fmt::format(
          "planted_rr_max {} is too large for an event in {:.2f} % of reports", R, 100 * p_e));
    }
    m.planted_drug[d] = static_cast<int>(i);
    m.planted_event[e] = static_cast<int>(i);
    m.pair_event.push_back(e);
    m.q.push_back((p_given - p_e) / (1 - p_e));
    PlantedSignal s;
    s.drug = m.drug_names[d];
    s.event = m.event_names[e];
    s.relative_risk = R;
    s.extra_probability = m.q.back();
    summary.planted.push_back(s);
  }
  return Status::ok();
}

Status check(const SynthOptions& o) {
  auto bad = [](const std::string& what) { return Status::invalid_input(what); };
  if (o.reports == 0) return bad("reports: must be at least 1");
  if (o.reports > 4'000'000'000ULL) return bad("reports: at most 4e9");
  if (!(o.mean_drugs >= 1 && o.mean_drugs <= 20)) return bad("mean_drugs: must be in [1, 20]");
  if (!(o.mean_events >= 1 && o.mean_events <= 20)) return bad("mean_events: must be in [1, 20]");
  if (o.drug_vocabulary < 1 || o.event_vocabulary < 1)
    return bad("vocabularies: must not be empty");
  if (o.drug_vocabulary > 100'000'000 || o.event_vocabulary > 100'000'000)
    return bad("vocabularies: at most 1e8 names");
  if (!(o.zipf_exponent >= 0 && o.zipf_exponent <= 4))
    return bad("zipf_exponent: must be in [0, 4]");
  if (!(o.planted_rr_min > 1 && o.planted_rr_max >= o.planted_rr_min))
    return bad("planted_rr_min/max: need 1 < min <= max");
  for (auto [name, v] : {std::pair{"follow_up_fraction", o.follow_up_fraction},
                         {"deleted_fraction", o.deleted_fraction},
                         {"malformed_fraction", o.malformed_fraction},
                         {"non_suspect_fraction", o.non_suspect_fraction}}) {
    if (!(v >= 0 && v <= 1)) return bad(fmt::format("{}: must be in [0, 1]", name));
  }
  if (o.malformed_fraction > 0.5) return bad("malformed_fraction: at most 0.5");
  const bool laers = o.layout == Layout::laers;
  const int max_q = laers ? kLaersLast - kLaersFirst + 1 : kFaersLast - kFaersFirst + 1;
  if (o.quarters < 1 || o.quarters > max_q) {
    return bad(fmt::format(
        "quarters: must be in [1, {}] ({} ends at {} and its layout starts at {})", max_q,
        laers ? "laers" : "faers", laers ? "2012Q3" : "2025Q3", laers ? "2004Q1" : "2014Q3"));
  }
  return Status::ok();
}

struct OutFile {
  std::FILE* f = nullptr;
  std::string path;
  ~OutFile() {
    if (f) std::fclose(f);
  }
};

}  // namespace

std::string synthetic_drug_name(std::size_t rank, std::size_t vocabulary) {
  std::string w = word(rank, vocabulary, 7919, 4099);
  for (char& ch : w) ch = static_cast<char>(ch - 'a' + 'A');
  return w + std::string(kStems[rank % kStems.size()]);
}

std::string synthetic_event_name(std::size_t rank, std::size_t vocabulary) {
  std::string w = word(rank, vocabulary, 104729, 977);
  w[0] = static_cast<char>(w[0] - 'a' + 'A');
  return w + " " + std::string(kNouns[rank % kNouns.size()]);
}

std::vector<SynthKbDrug> synthetic_kb_drugs(std::size_t vocabulary) {
  std::vector<SynthKbDrug> out;
  for (std::size_t i = 0; i < kb_specs().size(); ++i) {
    std::size_t rank =
        (i + 1) * (i + 1);  // ranks 1, 4, 9, ... 64: frequent, outside most planted windows
    if (rank > vocabulary) break;
    SynthKbDrug d;
    d.rank = rank;
    d.ingredient = kb_specs()[i].ingredient;
    for (const char* s : kb_specs()[i].spellings) d.spellings.emplace_back(s);
    out.push_back(std::move(d));
  }
  return out;
}

std::string synthetic_header(SynthOptions::Layout layout, const std::string& file, int year,
                             int quarter) {
  const bool laers = layout == Layout::laers;
  if (file == "DEMO") {
    if (!laers) return std::string(kFaersDemo);
    return std::string(kLaersDemo) +
           (year * 4 + quarter - 1 >= kReporterCountryFrom ? "$REPORTER_COUNTRY" : "");
  }
  if (file == "DRUG") return std::string(laers ? kLaersDrug : kFaersDrug);
  if (file == "REAC") return std::string(laers ? kLaersReac : kFaersReac);
  return "";
}

Result<SynthSummary> write_synthetic_faers(const std::string& dir, const SynthOptions& options) {
  if (Status s = check(options); !s.is_ok()) return s;
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    return Status::invalid_input(
        fmt::format("--out: \"{}\" exists and is not an empty folder", dir));
  }
  auto m = std::make_unique<Model>();
  m->o = options;
  m->laers = options.layout == Layout::laers;
  m->first_qi = (m->laers ? kLaersLast : kFaersLast) - (options.quarters - 1);
  m->p_follow =
      options.quarters > 1
          ? std::min(1.0, options.follow_up_fraction * options.quarters / (options.quarters - 1))
          : 0.0;
  m->p_later_non_suspect = options.mean_drugs > 1
                               ? std::min(1.0, options.non_suspect_fraction * options.mean_drugs /
                                                   (options.mean_drugs - 1))
                               : 0;
  m->exp_drugs = std::exp(-std::max(0.0, options.mean_drugs - 1));
  m->exp_events = std::exp(-std::max(0.0, options.mean_events - 1));
  const std::size_t V = options.drug_vocabulary, E = options.event_vocabulary;
  m->drug_names.reserve(V);
  m->event_names.reserve(E);
  m->kb_of_rank.assign(V, -1);
  for (std::size_t r = 1; r <= V; ++r) m->drug_names.push_back(synthetic_drug_name(r, V));
  for (std::size_t r = 1; r <= E; ++r) m->event_names.push_back(synthetic_event_name(r, E));
  if (options.kb_names) {
    auto kb = synthetic_kb_drugs(V);
    for (std::size_t i = 0; i < kb.size(); ++i) {
      m->kb_of_rank[kb[i].rank - 1] = static_cast<int>(i);
      m->drug_names[kb[i].rank - 1] = kb[i].ingredient;  // its canonical (prod_ai) spelling
    }
  }
  std::vector<double> w(V);
  for (std::size_t r = 1; r <= V; ++r)
    w[r - 1] = std::pow(static_cast<double>(r), -options.zipf_exponent);
  m->drugs = std::make_unique<Alias>(w);
  w.assign(E, 0);
  for (std::size_t r = 1; r <= E; ++r)
    w[r - 1] = std::pow(static_cast<double>(r), -options.zipf_exponent);
  m->events = std::make_unique<Alias>(w);

  SynthSummary summary;
  summary.distinct_cases = options.reports;
  if (Status s = choose_planted(*m, summary); !s.is_ok()) return s;
  const std::size_t K = summary.planted.size();
  std::vector<std::uint64_t> n(K), nd(K), ne(K);
  std::uint64_t total = 0;

  const fs::path root(dir);
  const fs::path ascii = root / (m->laers ? "ascii" : "ASCII"), deleted = root / "Deleted";
  fs::create_directories(ascii, ec);
  if (!ec && !m->laers) fs::create_directories(deleted, ec);
  if (ec)
    return Status::io_error(fmt::format("--out: cannot create \"{}\": {}", dir, ec.message()));

  unsigned threads = options.threads
                         ? options.threads
                         : std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  constexpr std::uint64_t kBlock = 16384;
  const std::string eol = m->laers ? "\r\n" : "\n";
  const std::string ext = m->laers ? ".TXT" : ".txt";

  for (int q = 0; q < options.quarters; ++q) {
    const int qi = m->first_qi + q;
    const std::string tag = quarter_tag(qi);
    summary.quarters.push_back(tag);
    std::array<OutFile, 4> out;
    out[0].path = (ascii / fmt::format("DEMO{}{}", tag, ext)).string();
    out[1].path = (ascii / fmt::format("DRUG{}{}", tag, ext)).string();
    out[2].path = (ascii / fmt::format("REAC{}{}", tag, ext)).string();
    out[3].path = m->laers ? "" : (deleted / ("DELETE" + tag + ".txt")).string();
    for (auto& f : out) {
      if (f.path.empty()) continue;
      f.f = std::fopen(f.path.c_str(), "wb");
      if (!f.f) return Status::io_error(fmt::format("cannot write \"{}\"", f.path));
    }
    auto write = [&](OutFile& f, std::string_view s) {
      if (!f.f || s.empty()) return true;
      summary.bytes += s.size();
      return std::fwrite(s.data(), 1, s.size(), f.f) == s.size();
    };
    bool ok = true;
    const char* files[] = {"DEMO", "DRUG", "REAC"};
    for (int i = 0; i < 3; ++i) {
      ok = ok && write(out[static_cast<std::size_t>(i)],
                       synthetic_header(options.layout, files[i], qi / 4, qi % 4 + 1) + eol);
    }
    // Blocks formatted by up to `threads` workers, written in order.
    std::deque<std::future<Block>> pending;
    std::uint64_t next = 0;
    auto launch = [&] {
      std::uint64_t c0 = next, c1 = std::min(options.reports, next + kBlock);
      next = c1;
      const Model* mp = m.get();
      pending.push_back(
          std::async(std::launch::async, [mp, q, c0, c1] { return make_block(*mp, q, c0, c1); }));
    };
    while (ok && (next < options.reports || !pending.empty())) {
      while (next < options.reports && pending.size() < std::size_t{2} * threads) launch();
      Block b = pending.front().get();
      pending.pop_front();
      ok = write(out[0], b.demo.s) && write(out[1], b.drug.s) && write(out[2], b.reac.s) &&
           write(out[3], b.del.s);
      summary.reports_written += b.demo_rows;
      summary.drug_rows += b.drug_rows;
      summary.reaction_rows += b.reac_rows;
      summary.superseded_versions += b.superseded;
      summary.deleted_cases += b.deleted;
      summary.kept_cases += b.kept;
      summary.malformed_records += b.bad_records;
      summary.malformed_lines += b.bad_lines;
      total += b.total;
      for (std::size_t i = 0; i < K; ++i) n[i] += b.n[i], nd[i] += b.nd[i], ne[i] += b.ne[i];
    }
    for (auto& p : pending) p.wait();
    for (auto& f : out) {
      if (f.f && std::fclose(f.f) != 0) ok = false;
      f.f = nullptr;
    }
    if (!ok)
      return Status::io_error(
          fmt::format("writing quarter {} below \"{}\" failed (disk full?)", tag, dir));
  }

  std::string csv =
      "drug,event,relative_risk,expected_n,expected_drug,expected_event,expected_total,realised_rr,"
      "extra_probability\n";
  for (std::size_t i = 0; i < K; ++i) {
    PlantedSignal& s = summary.planted[i];
    s.expected_n = n[i];
    s.expected_drug = nd[i];
    s.expected_event = ne[i];
    s.expected_total = total;
    s.realised_rr = nd[i] && ne[i] ? static_cast<double>(n[i]) * static_cast<double>(total) /
                                         (static_cast<double>(nd[i]) * static_cast<double>(ne[i]))
                                   : 0.0;
    csv += fmt::format("{},{},{:.4g},{},{},{},{},{:.4f},{:.6f}\n", s.drug, s.event, s.relative_risk,
                       s.expected_n, s.expected_drug, s.expected_event, s.expected_total,
                       s.realised_rr, s.extra_probability);
  }
  OutFile pf;
  pf.path = (root / "planted.csv").string();
  pf.f = std::fopen(pf.path.c_str(), "wb");
  if (!pf.f || std::fwrite(csv.data(), 1, csv.size(), pf.f) != csv.size() ||
      std::fclose(pf.f) != 0) {
    pf.f = nullptr;
    return Status::io_error(fmt::format("cannot write \"{}\"", pf.path));
  }
  pf.f = nullptr;
  summary.bytes += csv.size();
  return summary;
}

}  // namespace paraderm::pv
