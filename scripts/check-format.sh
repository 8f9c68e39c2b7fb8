#!/usr/bin/env bash
# Fails when a C++ file tracked by git is not formatted as .clang-format says (clang-format-19).
#   scripts/check-format.sh            # every tracked C++ file
#   scripts/check-format.sh FILE...    # these files
#   scripts/check-format.sh --fix ...  # rewrite instead of checking
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-19}
mode=(--dry-run -Werror)
if [ "${1:-}" = "--fix" ]; then mode=(-i); shift; fi
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.hpp' '*.cc'); fi
cxx=()
for f in "${files[@]}"; do
  case "$f" in web/*|*/node_modules/*) ;; *.cpp|*.h|*.hpp|*.cc) [ -f "$f" ] && cxx+=("$f") ;; esac
done
[ ${#cxx[@]} -eq 0 ] && exit 0
"$CLANG_FORMAT" "${mode[@]}" "${cxx[@]}"
