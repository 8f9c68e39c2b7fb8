"""paraderm from Python: the C++ engine's assessment, cohort screening and pharmacovigilance counts.

Results are the CLI's: `assess` returns the JSON of `paraderm assess --format json`,
`screen_partition` the rows `paraderm screen` writes, `pv_fit` the JSON of
`paraderm pv signals --format json`. Errors raise ValueError with the message the CLI prints.
The knowledge base is the embedded one unless `kb_dir` names a KB folder.
"""
import json

from . import _paraderm

__all__ = ["assess", "screen_partition", "pv_counts", "merge_pv_counts", "pv_fit", "fnv1a", "version"]

version = _paraderm.version


def assess(record, region=None, as_of=None, start=None, kb_dir=""):
    """Assess one record (native case JSON or FHIR R4 Bundle, as text or as a dict).

    region ("us" | "eu") and as_of ("YYYY-MM-DD") override the record's, as `--region` and
    `--as-of` do; None keeps the record's (the CLI's default)."""
    text = record if isinstance(record, str) else json.dumps(record)
    return json.loads(_paraderm.assess_json(text, region, as_of, start, kb_dir))


def screen_partition(paths, region="us", as_of=None, assess_all=False, threads=0, kb_dir="",
                     with_summary=False, listed_problems=20, medication_files=()):
    """Screen one partition: bulk NDJSON files (plain or gzip) or spill files that together hold
    every resource of their patients. Returns the rows (dicts, sorted by patient id) that
    `paraderm screen` writes; with_summary=True returns (rows, summary dict). medication_files:
    the export's Medication .ndjson[.gz] files, whose resources medicationReference names."""
    rows, summary = _paraderm.screen_partition([str(p) for p in paths], region, as_of, assess_all,
                                               threads, listed_problems, kb_dir,
                                               [str(p) for p in medication_files])
    out = [json.loads(ndjson) for _, ndjson, _ in rows]
    return (out, json.loads(summary)) if with_summary else out


def pv_counts(path, id_col="id", drug_col="drug", event_col="event", stratum_cols=()):
    """Counts of one long-format CSV (a partition of reports): {"strata": {stratum: {"reports": n,
    "drugs": {drug: n}, "events": {event: n}}}, "pairs": {drug: {event: n}}, "rows", "malformed",
    "problems"}. Every count is a number of reports, so partitions holding disjoint reports merge by
    adding (merge_pv_counts)."""
    return _paraderm.pv_counts(str(path), id_col, drug_col, event_col, list(stratum_cols))


def _add_nested(into, other):
    for k, v in other.items():
        if isinstance(v, dict):
            _add_nested(into.setdefault(k, {}), v)
        else:
            into[k] = into.get(k, 0) + v


def merge_pv_counts(*parts):
    """The counts of the union of disjoint report partitions."""
    out = {"strata": {}, "pairs": {}, "rows": 0, "malformed": 0, "problems": []}
    for p in parts:
        _add_nested(out["strata"], p["strata"])
        _add_nested(out["pairs"], p["pairs"])
        out["rows"] += p["rows"]
        out["malformed"] += p["malformed"]
        out["problems"] += p["problems"]
    return out


def _ordered(given, present):
    given = [x for x in (given or []) if x in present]
    seen = set(given)
    return given + sorted(x for x in present if x not in seen)


def pv_fit(counts, order=None, fit="auto", fit_min_count=1, qn="published", source="", kb_dir=""):
    """Fit the MGPS prior on (merged) counts and score every pair: the JSON of
    `paraderm pv signals --format json` as a dict. `order` ({"drugs", "events", "strata"}: first
    appearance in the input, as the single-machine command numbers them) fixes the pair order and
    the order sums over strata are taken in; names it does not list follow sorted."""
    order = order or {}
    drugs, events = set(counts["pairs"]), set()
    for st in counts["strata"].values():
        drugs.update(st["drugs"])
        events.update(st["events"])
    for evs in counts["pairs"].values():
        events.update(evs)
    text = _paraderm.pv_signals(counts, _ordered(order.get("drugs"), drugs),
                                _ordered(order.get("events"), events),
                                _ordered(order.get("strata"), set(counts["strata"])),
                                fit, fit_min_count, qn, source, kb_dir)
    return json.loads(text)


def fnv1a(text):
    """FNV-1a 64-bit of the UTF-8 bytes: the screen's partition hash (patient id mod P)."""
    h = 1469598103934665603
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h
