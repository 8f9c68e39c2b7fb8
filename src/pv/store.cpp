// The pv on-disk store: interned strings plus fixed-width rows, so repeated analyses of a large
// FAERS ingest read binary data instead of re-parsing quarterly text files.
#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "paraderm/pv.h"

namespace paraderm::pv {
namespace {
constexpr int kFormat = 1;
}

Status save_store(const std::string& dir, const std::vector<Row>& rows, const std::string& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error(fmt::format("--out: value \"{}\": cannot create the folder: {}", dir, ec.message()));
  std::unordered_map<std::string, std::uint32_t> index;
  std::vector<const std::string*> strings;
  auto intern = [&](const std::string& s) {
    auto [it, inserted] = index.emplace(s, static_cast<std::uint32_t>(strings.size()));
    if (inserted) strings.push_back(&it->first);
    return it->second;
  };
  std::vector<std::uint32_t> data;
  data.reserve(rows.size() * 4);
  for (const auto& r : rows) {
    for (const auto* f : {&r.id, &r.drug, &r.event, &r.stratum}) {
      if (f->find('\n') != std::string::npos) {
        return Status::invalid_input(fmt::format("a value contains a line break: {:?}", *f));
      }
      data.push_back(intern(*f));
    }
  }
  // Written to temporary names and renamed, so a crash never leaves a half-written store.
  {
    std::ofstream s(fs::path(dir) / "strings.txt.tmp", std::ios::binary);
    for (const auto* str : strings) s << *str << '\n';
    std::ofstream b(fs::path(dir) / "rows.bin.tmp", std::ios::binary);
    b.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(std::uint32_t)));
    nlohmann::json meta = {{"format", kFormat}, {"rows", rows.size()}, {"strings", strings.size()}, {"source", source}};
    std::ofstream m(fs::path(dir) / "meta.json.tmp");
    m << meta.dump(2) << '\n';
    if (!s || !b || !m) return Status::io_error(fmt::format("--out: cannot write the store in \"{}\"", dir));
  }
  for (const char* name : {"strings.txt", "rows.bin", "meta.json"}) {
    fs::rename(fs::path(dir) / (std::string(name) + ".tmp"), fs::path(dir) / name, ec);
    if (ec) return Status::io_error(fmt::format("--out: cannot finish {}: {}", name, ec.message()));
  }
  return Status::ok();
}

Result<std::vector<Row>> load_store(const std::string& dir) {
  namespace fs = std::filesystem;
  std::ifstream m(fs::path(dir) / "meta.json");
  if (!m) return Status::invalid_input(fmt::format("--store: value \"{}\": not a paraderm pv store (no meta.json)", dir));
  auto meta = nlohmann::json::parse(m, nullptr, false);
  if (meta.is_discarded() || meta.value("format", 0) != kFormat) {
    return Status::invalid_input(fmt::format("--store: value \"{}\": unsupported store format (expected {})", dir, kFormat));
  }
  std::vector<std::string> strings;
  std::ifstream s(fs::path(dir) / "strings.txt", std::ios::binary);
  for (std::string line; std::getline(s, line);) strings.push_back(line);
  std::ifstream b(fs::path(dir) / "rows.bin", std::ios::binary);
  std::vector<std::uint32_t> data(meta.value("rows", std::size_t{0}) * 4);
  b.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(std::uint32_t)));
  if (!b || strings.size() != meta.value("strings", std::size_t{0})) {
    return Status::invalid_input(fmt::format("--store: value \"{}\": the store is truncated or damaged", dir));
  }
  std::vector<Row> rows;
  rows.reserve(data.size() / 4);
  for (std::size_t i = 0; i < data.size(); i += 4) {
    for (std::size_t k = 0; k < 4; ++k) {
      if (data[i + k] >= strings.size()) {
        return Status::invalid_input(fmt::format("--store: value \"{}\": row {} refers past the strings", dir, i / 4));
      }
    }
    rows.push_back({strings[data[i]], strings[data[i + 1]], strings[data[i + 2]], strings[data[i + 3]]});
  }
  return rows;
}

}  // namespace paraderm::pv
