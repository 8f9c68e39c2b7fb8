#include "kb_commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "common.h"
#include "paraderm/kb.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::cli {
namespace {

void print_coverage(const kb::KnowledgeBase& kb) {
  fmt::print("\n{:<18} {:>4} {:>4} {:>5} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4}\n",
             "drug", "pot", "pk", "model", "ind", "dose", "lab", "mon", "ren", "hep", "ddi", "repr",
             "AR");
  for (const auto& d : kb.drugs) {
    std::size_t pk = 0;
    if (d.pk) {
      const auto& p = *d.pk;
      for (const auto* v : {&p.molecular_weight, &p.bioavailability, &p.fraction_absorbed, &p.tmax,
                            &p.half_life, &p.volume, &p.clearance, &p.renal_clearance,
                            &p.protein_binding, &p.unbound_fraction, &p.accumulation}) {
        pk += v->size();
      }
    }
    fmt::print("{:<18} {:>4} {:>4} {:>5} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4}\n",
               d.id, d.potency.size(), pk, d.pk_model.size(), d.indication.size(), d.dose.size(),
               d.lab_threshold.size(), d.monitoring.size(), d.renal.size(), d.hepatic.size(),
               d.interaction.size(), d.reproductive.size(), d.adverse_reaction.size());
  }
  fmt::print(
      "(counts of cited entries; 0 means the reference notes hold nothing usable: unknown)\n");
}

char cell_symbol(kb::CellState s) {
  switch (s) {
    case kb::CellState::kRule:
      return 'R';
    case kb::CellState::kLabelSilent:
      return 's';
    case kb::CellState::kNotFound:
      return '?';
    case kb::CellState::kNotAuthorised:
      return 'x';
    case kb::CellState::kMissing:
      return '!';
  }
  return '!';
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The fail-safe matrix: one row per product x region; interactions summarised per state.
void print_rule_matrix(const std::vector<kb::MatrixCell>& cells, const std::string& format) {
  if (format == "csv") {
    fmt::print("drug,region,category,with,state,sources,text\n");
    for (const auto& c : cells) {
      std::string src;
      for (const auto& s : c.sources) src += (src.empty() ? "" : " ") + s;
      fmt::print("{},{},{},{},{},{},{}\n", c.drug, kb::to_string(c.region),
                 kb::to_string(c.category), c.with, kb::to_string(c.state), csv_field(src),
                 csv_field(c.text));
    }
    return;
  }
  fmt::print("{:<18} {:<3}", "drug", "reg");
  for (std::size_t i = 0; i < kb::kRuleCategories; ++i) {
    auto cat = static_cast<kb::RuleCategory>(i);
    if (cat == kb::RuleCategory::kInteraction) continue;
    fmt::print(" {:>4.4}", kb::to_string(cat));
  }
  fmt::print("  interactions (R s ? x !)\n");
  std::map<kb::CellState, std::size_t> totals;
  for (std::size_t i = 0; i < cells.size();) {
    const auto& first = cells[i];
    fmt::print("{:<18} {:<3}", first.drug, kb::to_string(first.region));
    std::map<kb::CellState, std::size_t> ddi;
    for (; i < cells.size() && cells[i].drug == first.drug && cells[i].region == first.region;
         ++i) {
      totals[cells[i].state]++;
      if (cells[i].category == kb::RuleCategory::kInteraction) {
        ddi[cells[i].state]++;
      } else {
        fmt::print(" {:>4}", cell_symbol(cells[i].state));
      }
    }
    fmt::print("  {} {} {} {} {}\n", ddi[kb::CellState::kRule], ddi[kb::CellState::kLabelSilent],
               ddi[kb::CellState::kNotFound], ddi[kb::CellState::kNotAuthorised],
               ddi[kb::CellState::kMissing]);
  }
  fmt::print(
      "\nR rule  s label silent  ? looked for, not found (unknown: caps at caution)  "
      "x not authorised  ! missing (unknown: caps at caution)\n");
  fmt::print("cells: {} rule, {} label-silent, {} not-found, {} not-authorised, {} missing\n",
             totals[kb::CellState::kRule], totals[kb::CellState::kLabelSilent],
             totals[kb::CellState::kNotFound], totals[kb::CellState::kNotAuthorised],
             totals[kb::CellState::kMissing]);
  bool header = false;
  for (const auto& c : cells) {
    if (c.state != kb::CellState::kMissing) continue;
    if (!header) fmt::print("\nmissing cells (add the rule or a cited rule_status row):\n");
    header = true;
    fmt::print("  {} {} {}{}\n", c.drug, kb::to_string(c.region), kb::to_string(c.category),
               c.with.empty() ? "" : " " + c.with);
  }
}

}  // namespace

void add_kb_commands(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* kb_cmd = app.add_subcommand("kb", "Validate, list, show and export the knowledge base");
  kb_cmd->require_subcommand(1);

  auto* validate = kb_cmd->add_subcommand(
      "validate", "Check every KB file against the schema; print counts per kind and confidence");
  static bool show_warnings = false;
  validate->add_flag("-w,--warnings", show_warnings, "Also print warnings (e.g. uncited sources)");
  validate->callback([&] {
    std::size_t warnings = 0;
    auto kb = load_kb(kb_dir, show_warnings, &warnings);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    fmt::print("knowledge base {} (version {})\n\n", kb_dir.empty() ? "(embedded)" : kb_dir,
               kb->version);
    fmt::print("{:<20} {:>7}\n", "kind", "entries");
    for (auto kind : kb::kind_names()) {
      fmt::print("{:<20} {:>7}\n", kind, *kb::count_of(*kb, kind));
    }
    std::size_t total = 0;
    for (auto n : kb->facts_by_confidence) total += n;
    fmt::print("\nfacts by confidence ({} in all)\n", total);
    for (std::size_t i = 0; i < kb::kConfidenceLevels; ++i) {
      fmt::print("  {:<12} {:>6}\n", kb::to_string(static_cast<kb::Confidence>(i)),
                 kb->facts_by_confidence[i]);
    }
    std::map<std::string_view, std::size_t> grades;
    for (const auto& s : kb->sources) grades[kb::to_string(s.grade)]++;
    fmt::print("\nsources by evidence grade\n");
    for (const auto& [g, n] : grades) fmt::print("  {:<18} {:>4}\n", g, n);
    print_coverage(*kb);
    fmt::print("\nvalid: 0 errors, {} warning(s){}\n", warnings,
               warnings && !show_warnings ? " (show them with --warnings)" : "");
    exit_code = kExitOk;
  });

  auto* list = kb_cmd->add_subcommand("list", "List the ids of one kind (e.g. drug, cytokine)");
  static std::string list_kind;
  list->add_option("kind", list_kind, "The kind to list")->required();
  list->callback([&] {
    auto kb = load_kb(kb_dir, false);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    auto rows = kb::list_kind(*kb, list_kind);
    if (!rows) {
      std::string names;
      for (auto k : kb::kind_names()) names += fmt::format("{}{}", names.empty() ? "" : ", ", k);
      fmt::print(stderr, "kind: value \"{}\": expected one of {}\n", list_kind, names);
      exit_code = kExitBadInput;
      return;
    }
    for (const auto& [id, name] : *rows) fmt::print("{:<32} {}\n", id, name);
    exit_code = kExitOk;
  });

  auto* show =
      kb_cmd->add_subcommand("show", "Show one entry (any kind) as JSON, with its sources");
  static std::string show_id;
  show->add_option("id", show_id, "The id to show (e.g. upadacitinib, IL-23, S9)")->required();
  show->callback([&] {
    auto kb = load_kb(kb_dir, false);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    auto entries = kb::show_entry(*kb, show_id);
    if (entries.empty()) {
      fmt::print(stderr,
                 "id: value \"{}\": no entry with this id (see `paraderm kb list <kind>`)\n",
                 show_id);
      exit_code = kExitBadInput;
      return;
    }
    for (const auto& e : entries) fmt::print("{}\n", e);
    exit_code = kExitOk;
  });

  auto* cov = kb_cmd->add_subcommand(
      "coverage", "The fail-safe rule matrix: product x region x rule category (docs/kb.md)");
  static std::string cov_format = "text";
  static std::string cov_drug;
  cov->add_option("--format", cov_format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  cov->add_option("--drug", cov_drug, "Only this product (a drug id)");
  cov->callback([&] {
    auto kb = load_kb(kb_dir, false);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    if (!cov_drug.empty() && !kb->find_drug(cov_drug)) {
      fmt::print(stderr, "--drug: value \"{}\": expected a drug id (see `paraderm kb list drug`)\n",
                 cov_drug);
      exit_code = kExitBadInput;
      return;
    }
    auto cells = kb::rule_matrix(*kb);
    if (!cov_drug.empty()) {
      std::erase_if(cells, [&](const kb::MatrixCell& c) { return c.drug != cov_drug; });
    }
    print_rule_matrix(cells, cov_format);
    exit_code = kExitOk;
  });

  auto* exp = kb_cmd->add_subcommand("export", "Export the whole KB");
  static std::string format = "json";
  exp->add_option("--format", format, "Output format")->check(CLI::IsMember({"json"}));
  exp->callback([&] {
    auto kb = load_kb(kb_dir, false);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    fmt::print("{}\n", kb::export_json(*kb));
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
