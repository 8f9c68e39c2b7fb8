#!/usr/bin/env python3
"""Mutation check (issue #16 item 4, docs/testing.md "Mutation check").

Applies each mutation of tools/mutate/mutations.toml to a scratch copy of the tree, one at a time,
rebuilds the unit-test binary and runs it; a mutation is "killed" when at least one test fails.
Prints a Markdown table (and writes it to --out). The tree it is run from is never modified.

  tools/mutate/run.py                 # every mutation
  tools/mutate/run.py --only pv-ror   # one
  tools/mutate/run.py --check         # each mutation still applies to this tree (no build; a ctest)
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sh(cmd, cwd, env=None, timeout=None):
    return subprocess.run(cmd, cwd=cwd, env=env, shell=True, capture_output=True, text=True,
                          timeout=timeout)


def locate(tree, where, snippet):
    """The one file under `where` that holds `snippet` exactly once."""
    hits = []
    for p in sorted((tree / where).rglob("*")):
        if p.is_file() and p.suffix in (".cpp", ".h", ".toml"):
            n = p.read_text(errors="replace").count(snippet)
            if n:
                hits.append((p, n))
    if len(hits) != 1 or hits[0][1] != 1:
        raise LookupError(f"expected exactly one occurrence under {where}, found {hits}")
    return hits[0][0]


def apply(tree, m):
    path = locate(tree, m["in"], m["find"])
    text = path.read_text()
    text = text.replace(m["find"], m["replace"], 1)
    if "post_find" in m:  # a second edit after the first, in the same file (e.g. a KB row)
        at = text.index(m["replace"]) + len(m["replace"])
        rest = text[at:]
        if m["post_find"] not in rest:
            raise LookupError(f"post_find not found after the first edit in {path}")
        text = text[:at] + rest.replace(m["post_find"], m["post_replace"], 1)
    return path, text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="mutation id (repeatable)")
    ap.add_argument("--scratch", default="/tmp/paraderm-mutate")
    ap.add_argument("--out", help="write the Markdown table here")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutation applies to this tree (a refactoring "
                         "that moves a snippet must update the list, or the check silently shrinks)")
    args = ap.parse_args()

    muts = tomllib.loads((ROOT / "tools/mutate/mutations.toml").read_text())["mutation"]
    if args.only:
        muts = [m for m in muts if m["id"] in args.only]
    if args.check:
        bad = []
        for m in muts:
            try:
                apply(ROOT, m)
            except LookupError as e:
                bad.append(f"{m['id']}: {e}")
        print("\n".join(bad) if bad else f"{len(muts)} mutations apply")
        sys.exit(1 if bad else 0)

    scratch = pathlib.Path(args.scratch)
    if not scratch.exists():
        r = sh(f"git clone -q {ROOT} {scratch}", cwd="/")
        if r.returncode:
            sys.exit(r.stderr)
    # The scratch tree follows ROOT's HEAD plus its uncommitted changes to tracked files.
    r = sh(f"git -C {scratch} fetch -q {ROOT} HEAD && git -C {scratch} checkout -q -f FETCH_HEAD "
           f"&& git -C {ROOT} diff HEAD --binary | git -C {scratch} apply --allow-empty", cwd="/")
    if r.returncode:
        sys.exit(r.stderr)
    if not (scratch / "web/vendor").exists() and (ROOT / "web/vendor").exists():
        shutil.copytree(ROOT / "web/vendor", scratch / "web/vendor")
    env = dict(os.environ, CCACHE_BASEDIR=str(scratch.parent), CCACHE_NOHASHDIR="1",
               CMAKE_CXX_COMPILER_LAUNCHER="ccache")
    build = (f"cmake --preset ci >/dev/null && cmake --build build/ci -j{args.jobs} "
             f"--target paraderm_tests paraderm_cli")
    r = sh(build, scratch, env)
    if r.returncode:
        sys.exit("the unmutated tree does not build:\n" + r.stdout[-3000:] + r.stderr[-3000:])
    tests = "ctest --test-dir build/ci -j{} -E 'e2e|python|style' --timeout 300".format(args.jobs)
    r = sh(tests, scratch, env)
    if r.returncode:
        sys.exit("the unmutated tree fails its tests:\n" + r.stdout[-3000:])

    rows = []
    for m in muts:
        t0 = time.time()
        try:
            path, text = apply(scratch, m)
        except LookupError as e:
            rows.append((m, "NOT APPLIED", str(e), 0))
            continue
        original = path.read_text()
        path.write_text(text)
        try:
            r = sh(build, scratch, env)
            if r.returncode:  # a patch that does not compile proves nothing about the tests
                outcome, detail = "NOT APPLIED", "the mutated tree does not compile: fix the patch"
            else:
                r = sh(tests, scratch, env)
                failed = [l.split(" - ", 1)[1].split(" (")[0].strip()
                          for l in r.stdout.splitlines() if " - " in l and "(Failed)" in l]
                if r.returncode:
                    outcome = "killed"
                    detail = f"{len(failed)} failed, e.g. " + ", ".join(failed[:2])
                else:
                    outcome, detail = "SURVIVED", "no test failed"
        finally:
            path.write_text(original)
        rows.append((m, outcome, detail, time.time() - t0))
        print(f"{m['id']}: {outcome} — {detail}", file=sys.stderr, flush=True)

    head = "| mutation | module | what it breaks | result | first failing tests |\n|---|---|---|---|---|\n"
    body = "".join(f"| `{m['id']}` | {m['module']} | {m['what']} | {o} | {d} |\n"
                   for m, o, d, _ in rows)
    table = head + body
    print(table)
    if args.out:
        pathlib.Path(args.out).write_text(table)
    sys.exit(0 if all(o.startswith("killed") for _, o, _, _ in rows) else 1)


if __name__ == "__main__":
    main()
