#include "assess_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common.h"
#include "paraderm/assess.h"
#include "paraderm/pv_data.h"
#include "paraderm/case.h"

namespace paraderm::cli {

void add_assess_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "assess",
      "Assess one patient record (native case JSON or FHIR R4 Bundle): paradoxical reaction, "
      "ranked options with verdicts and doses, screening and monitoring plan");
  static std::string path, region, start, as_of, format = "text", pv_store;
  cmd->add_option("CASE", path, "Case file (native JSON or FHIR Bundle); - reads stdin")->required();
  cmd->add_option("--region", region, "Label region, overriding the record's")
      ->check(CLI::IsMember({"us", "eu"}));
  cmd->add_option("--start", start, "Planned start date YYYY-MM-DD for the monitoring calendar");
  cmd->add_option("--as-of", as_of, "Assessment date YYYY-MM-DD, overriding the record's (default today)");
  cmd->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"json", "text", "html"}))
      ->capture_default_str();
  cmd->add_option("--pv-store", pv_store,
                  "A `paraderm pv ingest` store: cite its reporting signal for the culprit biologic x the reaction");
  cmd->callback([&] {
    auto fail = [&](const std::string& msg) {
      fmt::print(stderr, "{}\n", msg);
      exit_code = kExitBadInput;
    };
    std::string text;
    if (path == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) return fail(fmt::format("CASE: value \"{}\": cannot open the file", path));
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    clinical::ParseOptions po;
    if (!region.empty()) po.region = region;
    if (!as_of.empty()) {
      po.as_of = clinical::parse_date(as_of);
      if (!po.as_of) return fail(fmt::format("--as-of: value \"{}\": expected a date YYYY-MM-DD", as_of));
    }
    assess::AssessOptions ao;
    if (!start.empty()) {
      ao.start = clinical::parse_date(start);
      if (!ao.start) return fail(fmt::format("--start: value \"{}\": expected a date YYYY-MM-DD", start));
    }
    ao.engine_version = PARADERM_VERSION;
    auto kb = load_kb(kb_dir);
    if (!kb) return fail("the knowledge base is invalid: run `paraderm kb validate`");
    auto parsed = clinical::parse_case(text, *kb, po);
    if (!parsed.record) {
      for (const auto& p : parsed.problems) fmt::print(stderr, "{}\n", p.to_string());
      exit_code = kExitBadInput;
      return;
    }
    std::shared_ptr<const assess::SignalSource> signals;
    if (!pv_store.empty()) {
      auto s = pv::open_signal_source(pv_store);
      if (!s.is_ok()) return fail(s.status().message());
      signals = s.value();
      ao.signals = signals.get();
    }
    auto a = assess::assess(*kb, *parsed.record, ao);
    if (format == "json") fmt::print("{}\n", assess::to_json(a));
    else if (format == "html") fmt::print("{}", assess::to_html(a, *kb));
    else fmt::print("{}", assess::to_text(a, *kb));
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
