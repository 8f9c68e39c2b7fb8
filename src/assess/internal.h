// Helpers shared by the assessment's parts (PR recognition, options, safety plan).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "paraderm/assess.h"

namespace paraderm::assess::detail {

inline kb::Region region_of(const std::string& r) { return r == "eu" ? kb::Region::kEu : kb::Region::kUs; }

inline bool applies(kb::Region fact, const std::string& region) {
  return kb::applies_to(fact, region_of(region));
}

inline void add_sources(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

inline Reason reason(std::string code, std::string severity, std::string text,
                     std::vector<std::string> sources) {
  return Reason{std::move(code), std::move(severity), std::move(text), std::move(sources)};
}

// True when a equals b or one is an ancestor of the other in the KB disease tree.
inline bool is_ancestor(const kb::KnowledgeBase& kb, const std::string& ancestor, std::string id) {
  for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
    if (id == ancestor) return true;
    const kb::Disease* d = kb.find_disease(id);
    id = d && d->parent ? *d->parent : "";
  }
  return false;
}
inline bool related(const kb::KnowledgeBase& kb, const std::string& a, const std::string& b) {
  return is_ancestor(kb, a, b) || is_ancestor(kb, b, a);
}

inline std::optional<double> days_of(const kb::Quantity& q, std::optional<double> v) {
  if (!v) return std::nullopt;
  if (q.unit == "days") return *v;
  if (q.unit == "weeks") return *v * 7;
  if (q.unit == "months") return *v * 365.25 / 12;
  if (q.unit == "years") return *v * 365.25;
  return std::nullopt;
}

inline std::string fmt_num(double v) { return fmt::format("{:g}", v); }

PrAssessment assess_pr(const kb::KnowledgeBase& kb, const clinical::Case& c);
std::vector<Option> assess_options(const kb::KnowledgeBase& kb, const clinical::Case& c,
                                   const PrAssessment& pr, PathwayCache& cache);
SafetyPlan safety_plan(const kb::KnowledgeBase& kb, const clinical::Case& c,
                       const std::vector<Option>& options, clinical::Date start);

}  // namespace paraderm::assess::detail
