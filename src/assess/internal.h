// Helpers shared by the assessment's parts (PR recognition, options, safety plan).
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "paraderm/assess.h"
#include "text/number.h"

namespace paraderm::assess::detail {

using text::G;
// Comparisons with "literal"sv check the length first and need no strlen: the rules compare KB
// codes with literals in every drug evaluation.
using namespace std::string_view_literals;

inline kb::Region region_of(const std::string& r) {
  return r == "eu"sv ? kb::Region::kEu : kb::Region::kUs;
}

// A typed KB value against a closed set (the rules select KB rows by enum, never by text).
template <class E>
bool is_one_of(E value, std::initializer_list<E> set) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

inline bool applies(kb::Region fact, const std::string& region) {
  return kb::applies_to(fact, region_of(region));
}

inline void add_sources(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

inline Reason reason(ReasonCode code, Severity severity, std::string text,
                     std::vector<std::string> sources) {
  return Reason{code, severity, std::move(text), std::move(sources)};
}

// Disease ancestry, precomputed once per KB version: is_ancestor walks the KB parent chain for
// every rule, which dominated the assessment's time.
const std::vector<std::string>& ancestors_of(const kb::KnowledgeBase& kb, const std::string& id);

// True when `ancestor` is `id` or one of its ancestors in the KB disease tree.
inline bool is_ancestor(const kb::KnowledgeBase& kb, const std::string& ancestor,
                        const std::string& id) {
  if (ancestor == id) return true;
  const auto& a = ancestors_of(kb, id);
  return std::find(a.begin(), a.end(), ancestor) != a.end();
}
// True when a equals b or one is an ancestor of the other.
inline bool related(const kb::KnowledgeBase& kb, const std::string& a, const std::string& b) {
  return is_ancestor(kb, a, b) || is_ancestor(kb, b, a);
}

inline std::optional<double> days_of(const kb::Quantity& q, std::optional<double> v) {
  if (!v) return std::nullopt;
  if (q.unit == "days"sv) return v;
  if (q.unit == "weeks"sv) return *v * 7;
  if (q.unit == "months"sv) return *v * 365.25 / 12;
  if (q.unit == "years"sv) return *v * 365.25;
  return std::nullopt;
}

// fmt::format of a compiled format grows a std::string argument by argument (fmt 9); formatting
// into a stack buffer first allocates the text once.
template <class Format, class... Args>
std::string format_text(const Format& format, Args&&... args) {
  fmt::memory_buffer buf;
  fmt::format_to(fmt::appender(buf), format, std::forward<Args>(args)...);
  return std::string(buf.data(), buf.size());
}

inline std::string fmt_num(double v) {
  char buf[40];
  return std::string(buf, text::format_g(v, buf));
}

// "a", "a <last> b", "a, b <last> c".
inline std::string join_list(const std::vector<std::string>& v, std::string_view last) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += i + 1 == v.size() ? last : std::string_view(", ");
    s += v[i];
  }
  return s;
}
inline std::string join_or(const std::vector<std::string>& v) { return join_list(v, " or "); }
inline std::string join_and(const std::vector<std::string>& v) { return join_list(v, " and "); }

// Every reaction the record shows, most likely first; never empty (with no reaction, one
// assessment of classification "none" saying why).
std::vector<PrAssessment> assess_pr_candidates(const kb::KnowledgeBase& kb, const clinical::Case& c,
                                               const SignalSource* signals = nullptr);
// The diseases the options are chosen for (docs/assessment.md §2).
std::vector<std::string> option_diseases(const kb::KnowledgeBase& kb, const clinical::Case& c,
                                         const PrAssessment& pr);
// Adds the store's reporting signals for every culprit x MedDRA PT of the phenotype (signals.cpp).
void cite_reporting_signals(const kb::KnowledgeBase& kb, const SignalSource& source,
                            PrAssessment& pr);
std::vector<Option> assess_options(const kb::KnowledgeBase& kb, const clinical::Case& c,
                                   const PrAssessment& pr, const std::vector<std::string>& diseases,
                                   PathwayCache& cache);
SafetyPlan safety_plan(const kb::KnowledgeBase& kb, const clinical::Case& c,
                       const std::vector<Option>& options, clinical::Date start,
                       const std::optional<std::string>& planned_drug = std::nullopt);

}  // namespace paraderm::assess::detail
