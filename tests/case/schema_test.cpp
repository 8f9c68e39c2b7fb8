// docs/case.schema.json and the parser must describe the same format: every field the native
// vignettes and examples use is in the schema, and every enum the schema lists is accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "paraderm/case.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

Json read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

const Json& schema() {
  static const Json s = read(fs::path(PARADERM_SOURCE_DIR) / "docs" / "case.schema.json");
  return s;
}

Json resolve(const Json& node) {
  if (node.contains("$ref")) {
    std::string ref = node["$ref"];  // "#/$defs/x"
    return schema()["$defs"][ref.substr(ref.rfind('/') + 1)];
  }
  return node;
}

// Every key of `value` is a property of `node` (recursively through objects and arrays).
void check(const Json& value, const Json& raw, const std::string& where, const std::string& file) {
  Json node = resolve(raw);
  if (value.is_object() && node.contains("properties")) {
    for (const auto& [k, v] : value.items()) {
      ASSERT_TRUE(node["properties"].contains(k))
          << file << ": " << where << "/" << k << " not in the schema";
      check(v, node["properties"][k], where + "/" + k, file);
    }
  } else if (value.is_array() && node.contains("items")) {
    for (const auto& v : value) check(v, node["items"], where + "/*", file);
  }
  if (node.contains("enum") && !value.is_null()) {
    bool listed = false;
    for (const auto& e : node["enum"]) listed |= e == value;
    EXPECT_TRUE(listed) << file << ": " << where << " value " << value << " not in the schema enum";
  }
}

TEST(CaseSchema, EveryFieldUsedByNativeInputsIsInTheSchema) {
  int checked = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes")) {
    if (e.path().extension() != ".json") continue;
    Json v = read(e.path());
    if (v["input"].contains("resourceType") || v["expect"].contains("error")) continue;
    // Vignettes about unknown fields use one on purpose.
    if (v["expect"].value("warnings_contain", Json::array()).dump().find("unknown field") !=
        std::string::npos)
      continue;
    check(v["input"], schema(), "", e.path().filename().string());
    ++checked;
  }
  check(read(fs::path(PARADERM_SOURCE_DIR) / "examples" / "dupilumab-psoriasis.json"), schema(), "",
        "example");
  EXPECT_GT(checked, 50);
}

TEST(CaseSchema, TheSchemaPhenotypesAreTheKbPhenotypes) {
  static const paraderm::kb::LoadResult kb = paraderm::kb::load_embedded();
  std::vector<std::string> kb_ids, schema_ids;
  for (const auto& p : kb.kb->phenotypes) kb_ids.push_back(p.id);
  for (const auto& p : schema()["properties"]["eruption"]["properties"]["phenotype"]["enum"]) {
    schema_ids.push_back(p);
  }
  std::sort(kb_ids.begin(), kb_ids.end());
  std::sort(schema_ids.begin(), schema_ids.end());
  EXPECT_EQ(kb_ids, schema_ids);
}

}  // namespace
