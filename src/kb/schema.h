// Internal: the kind registry shared by the loader, the integrity checks and the exporters.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kb/binder.h"

namespace paraderm::kb::detail {

// What the loader and exporters need to know about one kind (a top-level TOML key).
struct KindOps {
  std::string_view name;
  std::function<void(KnowledgeBase&, const toml::node&, const BindContext&)> bind;
  std::function<std::size_t(const KnowledgeBase&)> count;
  std::function<Json(const KnowledgeBase&)> to_json;
  std::function<std::vector<std::pair<std::string, Location>>(const KnowledgeBase&)> locations;
  std::function<bool(const KnowledgeBase&, std::string_view)> has_id;
};

const std::vector<KindOps>& kinds();
const KindOps* find_kind(std::string_view name);
Json entry_json(const KnowledgeBase& kb, std::string_view kind, std::string_view id);

std::string_view confidence_name(Confidence c);
std::string_view lab_action_name(LabAction a);
std::string_view rule_action_name(RuleAction a);
std::string_view renal_basis_name(RenalBasis b);
std::string_view reproductive_action_name(ReproductiveAction a);
std::string_view grade_name(Grade g);
std::string_view region_name(Region r);

// Cross-file checks on a fully bound KB: duplicate ids, dangling references, content integrity.
void check_integrity(const KnowledgeBase& kb, const std::vector<RefUse>& refs,
                     std::vector<ValidationIssue>& issues);

}  // namespace paraderm::kb::detail
