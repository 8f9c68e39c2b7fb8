#include "assess/internal.h"

#include <mutex>
#include <unordered_map>

namespace paraderm::assess::detail {

const std::vector<std::string>& ancestors_of(const kb::KnowledgeBase& kb, const std::string& id) {
  static const std::vector<std::string> kNone;
  if (kb.disease_ancestors.size() == kb.diseases.size()) {
    auto it = kb.disease_ancestors.find(id);
    return it == kb.disease_ancestors.end() ? kNone : it->second;
  }
  // A KnowledgeBase assembled by hand without build_indexes(): walk the parent chain.
  thread_local std::vector<std::string> chain;
  chain.clear();
  const kb::Disease* d = kb.find_disease(id);
  std::optional<std::string> p = d ? d->parent : std::nullopt;
  for (int depth = 0; depth < 16 && p; ++depth) {
    chain.push_back(*p);
    const kb::Disease* parent = kb.find_disease(*p);
    p = parent ? parent->parent : std::nullopt;
  }
  return chain;
}

}  // namespace paraderm::assess::detail

namespace paraderm::assess {

std::shared_ptr<const pharm::PathwayProfile> PathwayCache::get(const kb::Drug& drug,
                                                               const pharm::Regimen& r,
                                                               const pharm::ExposureModifier* m) {
  Key key{&drug, r.amount_mg, r.tau_h, r.formulation.value_or(""), m ? m->id : ""};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  // Computed outside the lock: two threads may both compute a missing entry; the result is
  // the same, and the first stored wins.
  auto p = std::make_shared<const pharm::PathwayProfile>(pharm::compute_profile(kb_, drug, r, m));
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.emplace(key, std::move(p)).first->second;
}

const pharm::DiseaseCoverage& PathwayCache::coverage(
    const std::shared_ptr<const pharm::PathwayProfile>& profile, const std::string& disease) {
  auto key = std::make_pair(profile.get(), disease);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = coverage_.find(key); it != coverage_.end()) return it->second;
  }
  auto c = pharm::disease_coverage(kb_, *profile, disease);
  std::lock_guard<std::mutex> lock(mu_);
  return coverage_.emplace(key, std::move(c)).first->second;
}

const std::vector<std::string>& PathwayCache::effect_sources(
    const std::shared_ptr<const pharm::PathwayProfile>& profile) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = effect_sources_.find(profile.get()); it != effect_sources_.end())
      return it->second;
  }
  std::vector<std::string> src;
  for (const auto& p : profile->pathways) {
    if (p.effect) detail::add_sources(src, p.effect->sources);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return effect_sources_.emplace(profile.get(), std::move(src)).first->second;
}

void PathwayCache::warm() {
  for (const auto& d : kb_.drugs) {
    for (const auto& r : pharm::approved_regimens(kb_, d)) get(d, r, nullptr);
  }
}

Assessment assess(const kb::KnowledgeBase& kb, const clinical::Case& c,
                  const AssessOptions& options) {
  Assessment a;
  a.kb_version = kb.version;
  a.engine_version = options.engine_version;
  a.region = c.region;
  a.as_of = clinical::to_string(c.as_of);
  a.input_kind = c.input_kind;
  a.warnings = c.warnings;
  std::optional<PathwayCache> own;
  PathwayCache* cache = options.cache;
  if (!cache) cache = &own.emplace(kb);
  a.pr_candidates = detail::assess_pr_candidates(kb, c, options.signals);
  // The most likely candidate is completed in place and copied once into `pr` (both are output).
  PrAssessment& first = a.pr_candidates.front();
  a.option_diseases = detail::option_diseases(kb, c, first);
  if (first.culprits.empty() && !a.option_diseases.empty()) {
    std::string list;
    for (const auto& d : a.option_diseases) list += (list.empty() ? "" : ", ") + d;
    first.reasons.push_back(detail::reason(ReasonCode::kPrNoneOptionsForActive, Severity::kInfo,
                                           "No paradoxical reaction found; the options are for the "
                                           "active diseases: " +
                                               list + ".",
                                           {}));
  }
  if (first.source.empty()) {
    a.pr = std::move(first);
    a.pr_candidates.clear();
  } else {
    a.pr = first;
  }
  a.options = detail::assess_options(kb, c, a.pr, a.option_diseases, *cache);
  a.plan =
      detail::safety_plan(kb, c, a.options, options.start.value_or(c.as_of), options.planned_drug);
  return a;
}

SafetyPlan safety_plan(const kb::KnowledgeBase& kb, const clinical::Case& c,
                       const std::vector<Option>& options, clinical::Date start,
                       const std::optional<std::string>& planned_drug) {
  return detail::safety_plan(kb, c, options, start, planned_drug);
}

}  // namespace paraderm::assess
