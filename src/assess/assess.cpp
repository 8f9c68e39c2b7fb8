#include "assess/internal.h"

#include <mutex>
#include <unordered_map>

namespace paraderm::assess::detail {

const std::vector<std::string>& ancestors_of(const kb::KnowledgeBase& kb, const std::string& id) {
  using Index = std::unordered_map<std::string, std::vector<std::string>>;
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const Index>> by_version;
  // Per thread: the last KB seen (by address and version) and its index, so the common case
  // takes no lock and compares no strings.
  static thread_local const kb::KnowledgeBase* last_kb = nullptr;
  static thread_local std::pair<std::string, std::shared_ptr<const Index>> last;
  if (last_kb != &kb || last.first != kb.version || !last.second) {
    last_kb = &kb;
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = by_version[kb.version];
    if (!slot) {
      auto index = std::make_shared<Index>();
      for (const auto& d : kb.diseases) {
        auto& chain = (*index)[d.id];
        std::optional<std::string> p = d.parent;
        for (int depth = 0; depth < 16 && p; ++depth) {
          chain.push_back(*p);
          const kb::Disease* parent = kb.find_disease(*p);
          p = parent ? parent->parent : std::nullopt;
        }
      }
      slot = index;
    }
    last = {kb.version, slot};
  }
  static const std::vector<std::string> kNone;
  auto it = last.second->find(id);
  return it == last.second->end() ? kNone : it->second;
}

}  // namespace paraderm::assess::detail

namespace paraderm::assess {

std::shared_ptr<const pharm::PathwayProfile> PathwayCache::get(const kb::Drug& drug,
                                                               const pharm::Regimen& r,
                                                               const pharm::ExposureModifier* m) {
  std::string key = fmt::format("{}|{:g}|{:g}|{}|{}", drug.id, r.amount_mg, r.tau_h,
                                r.formulation.value_or(""), m ? m->id : "");
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

void PathwayCache::warm() {
  for (const auto& d : kb_.drugs) {
    for (const auto& r : pharm::approved_regimens(d)) get(d, r, nullptr);
  }
}

Assessment assess(const kb::KnowledgeBase& kb, const clinical::Case& c, const AssessOptions& options) {
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
  a.pr = a.pr_candidates.front();
  if (a.pr.source.empty()) a.pr_candidates.clear();
  a.option_diseases = detail::option_diseases(kb, c, a.pr);
  if (a.pr.culprits.empty() && !a.option_diseases.empty()) {
    std::string list;
    for (const auto& d : a.option_diseases) list += (list.empty() ? "" : ", ") + d;
    a.pr.reasons.push_back(detail::reason("PR_NONE_OPTIONS_FOR_ACTIVE", Severity::kInfo,
                                          "No paradoxical reaction found; the options are for the "
                                          "active diseases: " + list + ".",
                                          {}));
  }
  if (!a.pr_candidates.empty()) a.pr_candidates.front() = a.pr;
  a.options = detail::assess_options(kb, c, a.pr, a.option_diseases, *cache);
  a.plan = detail::safety_plan(kb, c, a.options, options.start.value_or(c.as_of));
  return a;
}

}  // namespace paraderm::assess
