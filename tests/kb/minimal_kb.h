// The smallest valid KB (one source and two kinases) that KB tests and the kb_toml fuzz harness
// put a file beside. Free of gtest so the harness (no gtest) can include it.
#pragma once

namespace paraderm::kb::testing {

inline const char* kMinimalSources = R"(
[[source]]
id = "cst-jak-stat-table"
title = "Jak/Stat Utilization Table"
url = "https://www.cellsignal.com/"
grade = "mechanistic"
)";

inline const char* kMinimalKinases = R"(
[[kinase]]
id = "JAK1"
name = "Janus kinase 1"
src = ["cst-jak-stat-table"]
conf = "confirmed"

[[kinase]]
id = "JAK3"
name = "Janus kinase 3"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";

}  // namespace paraderm::kb::testing
