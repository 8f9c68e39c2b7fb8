// Renderers of an Assessment: the versioned JSON (docs/case-format.md describes it), an 80-column
// text report and a self-contained HTML report (inline SVG, no scripts, no network). They only
// present what the assessment decided; none of them decides anything.
#pragma once

#include <string>

#include "paraderm/assess.h"
#include "paraderm/kb.h"

namespace paraderm::report {

// `indent` < 0: one line.
std::string to_json(const assess::Assessment& a, int indent = 2);
std::string to_text(const assess::Assessment& a, const kb::KnowledgeBase& kb);  // 80 columns
std::string to_html(const assess::Assessment& a, const kb::KnowledgeBase& kb);  // self-contained

}  // namespace paraderm::report
