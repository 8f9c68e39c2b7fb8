#include "assess_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/pv_data.h"
#include "paraderm/report.h"

namespace paraderm::cli {

void add_assess_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "assess",
      "Assess one patient record (native case JSON or FHIR R4 Bundle): paradoxical reaction, "
      "ranked options with verdicts and doses, screening and monitoring plan");
  static std::string path, region, start, as_of, format = "text", pv_store;
  cmd->add_option("CASE", path, "Case file (native JSON or FHIR Bundle); - reads stdin")
      ->required();
  cmd->add_option("--region", region, "Label region, overriding the record's")
      ->check(CLI::IsMember({"us", "eu"}));
  cmd->add_option("--start", start, "Planned start date YYYY-MM-DD for the monitoring calendar");
  cmd->add_option("--as-of", as_of,
                  "Assessment date YYYY-MM-DD, overriding the record's (default today)");
  cmd->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"json", "text", "html"}))
      ->capture_default_str();
  cmd->add_option("--pv-store", pv_store,
                  "A `paraderm pv ingest` store: cite its reporting signal for the culprit "
                  "biologic x the reaction");
  cmd->callback([&] {
    auto fail = [&](const std::string& msg) {
      fmt::print(stderr, "{}\n", msg);
      exit_code = kExitBadInput;
    };
    clinical::ParseOptions po;
    // The size limit is checked before reading: a 1 GB file must not be read into memory first.
    const std::size_t limit = po.max_bytes;
    auto too_big = [&](const std::string& size) {
      return fail(fmt::format("CASE: value \"{}\": {} bytes: expected at most {} bytes ({} MiB)",
                              path, size, limit, limit >> 20));
    };
    std::error_code ec;
    if (path != "-" && std::filesystem::is_regular_file(path, ec)) {
      auto bytes = std::filesystem::file_size(path, ec);
      if (!ec && bytes > limit) return too_big(std::to_string(bytes));
    }
    std::ifstream file;
    if (path != "-") {
      file.open(path, std::ios::binary);
      if (!file) return fail(fmt::format("CASE: value \"{}\": cannot open the file", path));
    }
    std::istream& in = path == "-" ? std::cin : file;
    // Pipes and stdin have no size: read at most one byte past the limit.
    std::string text(limit + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > limit) return too_big(fmt::format("more than {}", limit));
    if (!region.empty()) po.region = region;
    if (!as_of.empty()) {
      po.as_of = clinical::parse_date(as_of);
      if (!po.as_of)
        return fail(fmt::format("--as-of: value \"{}\": expected a date YYYY-MM-DD", as_of));
    }
    assess::AssessOptions ao;
    if (!start.empty()) {
      ao.start = clinical::parse_date(start);
      if (!ao.start)
        return fail(fmt::format("--start: value \"{}\": expected a date YYYY-MM-DD", start));
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
    if (format == "json")
      fmt::print("{}\n", report::to_json(a));
    else if (format == "html")
      fmt::print("{}", report::to_html(a, *kb));
    else
      fmt::print("{}", report::to_text(a, *kb));
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
