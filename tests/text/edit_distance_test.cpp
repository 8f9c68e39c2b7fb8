// common::one_edit_apart must answer exactly edit_distance(a, b) == 1 (src/common/text.h): the
// FAERS normaliser maps a verbatim name to an ingredient on it, so a difference would silently
// map or drop reports.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "common/text.h"

namespace {

using paraderm::common::edit_distance;
using paraderm::common::one_edit_apart;

TEST(OneEditApart, KnownPairs) {
  EXPECT_TRUE(one_edit_apart("TOFACITINIB", "TOFACITINIP"));   // substitution
  EXPECT_TRUE(one_edit_apart("TOFACITINIB", "TOFACITINI"));    // deletion at the end
  EXPECT_TRUE(one_edit_apart("TOFACITINIB", "OFACITINIB"));    // deletion at the start
  EXPECT_TRUE(one_edit_apart("BARICITINIB", "BARICITINIIB"));  // insertion in the middle
  EXPECT_TRUE(one_edit_apart("", "A"));
  EXPECT_FALSE(one_edit_apart("TOFACITINIB", "TOFACITINIB"));  // distance 0
  EXPECT_FALSE(one_edit_apart("", ""));
  EXPECT_FALSE(one_edit_apart("TOFACITINIB", "TOFACITNIIB"));  // a transposition is 2 edits
  EXPECT_FALSE(one_edit_apart("UPADACITINIB", "UPADACITIN"));  // two deletions
  EXPECT_FALSE(one_edit_apart("ABROCITINIB", "ABRXCITINIX"));  // two substitutions
}

// Short strings over a three-letter alphabet: every kind of near miss occurs often.
RC_GTEST_PROP(OneEditApart, AgreesWithEditDistance, ()) {
  auto text = rc::gen::container<std::string>(rc::gen::elementOf(std::string("abc")));
  std::string a = *rc::gen::resize(8, text), b = *rc::gen::resize(8, text);
  RC_ASSERT(one_edit_apart(a, b) == (edit_distance(a, b) == 1));
}

// Pairs one edit apart by construction, so the true side is exercised as often as the false.
RC_GTEST_PROP(OneEditApart, FindsEveryOneEditVariant, ()) {
  std::string a =
      *rc::gen::resize(10, rc::gen::container<std::string>(rc::gen::elementOf(std::string("abc"))));
  std::string b = a;
  const int kind = *rc::gen::inRange(0, 3);
  const char c = *rc::gen::elementOf(std::string("abcd"));
  if (kind == 0 || a.empty()) {
    b.insert(b.begin() + *rc::gen::inRange<std::size_t>(0, a.size() + 1), c);
  } else if (kind == 1) {
    b.erase(b.begin() + *rc::gen::inRange<std::size_t>(0, a.size()));
  } else {
    std::size_t at = *rc::gen::inRange<std::size_t>(0, a.size());
    RC_PRE(b[at] != c);
    b[at] = c;
  }
  RC_ASSERT(one_edit_apart(a, b));
  RC_ASSERT(one_edit_apart(b, a));
}

}  // namespace
