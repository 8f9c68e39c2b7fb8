"""Cohort screening and PV counts beyond one machine, on Dask (docs/scale.md).

    python3 -m paraderm.dask screen --scheduler ADDRESS|local --input DIR [--output FILE] ...
    python3 -m paraderm.dask pv --scheduler ADDRESS|local --input FILE.csv [--output FILE] ...

screen: (1) partition pass on the workers, one task per bulk file: every line keyed and appended to
the spill file of fnv1a(patient id) mod P (the C++ pass of `paraderm screen`, file
<spill>/<partition>/<file>.spill); (2) one task per partition: screen_partition over that
partition's spill files; (3) on the client: rows merged by patient id, summaries added. Output
bytes are those of `paraderm screen` on the same input (rows depend on the patient only).

pv: the CSV is split by report (fnv1a(report id) mod P) into partition CSVs on the client, while
the first appearance of every drug, event and stratum is noted (the single-machine numbering);
one pv_counts task per partition; the counts are added and one fit is made.
"""
import argparse
import csv
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

from . import _paraderm, fnv1a, merge_pv_counts

_BULK_TYPES = ("Patient", "Condition", "MedicationStatement", "MedicationRequest", "MedicationAdministration",
               "MedicationDispense", "Observation", "AllergyIntolerance")


def bulk_files(folder):
    """The files `paraderm screen` reads: <Type>[.anything].ndjson[.gz], sorted by name."""
    out = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or len(name) <= 7:
            continue
        if not (name.endswith(".ndjson") or name.endswith(".ndjson.gz")):
            continue
        if name.split(".", 1)[0] in _BULK_TYPES:
            out.append(path)
    return sorted(out)


def medication_files(folder):
    """The Medication .ndjson[.gz] files: read by every partition for medicationReference."""
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, name)) and name.split(".", 1)[0] == "Medication"
                  and (name.endswith(".ndjson") or name.endswith(".ndjson.gz")))


def unread_bulk_files(folder):
    """The .ndjson[.gz] files of a type `paraderm screen` does not read, by name (reported)."""
    return sorted(name for name in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, name)) and len(name) > 7
                  and (name.endswith(".ndjson") or name.endswith(".ndjson.gz"))
                  and name.split(".", 1)[0] not in _BULK_TYPES + ("Medication",))


def _client(scheduler, workers):
    from distributed import Client, LocalCluster
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    return Client(scheduler), None


# ---- tasks (run on the workers; arguments and results are small: paths, rows, summaries) ----

def _spill_task(path, partition_dirs, listed_problems):
    name = os.path.basename(path)
    outputs = [os.path.join(d, name + ".spill") for d in partition_dirs]
    return _paraderm.spill_file(path, outputs, listed_problems)


def _screen_task(paths, region, as_of, assess_all, threads, listed_problems, kb_dir, medications=()):
    paths = [p for p in paths if os.path.getsize(p) > 0]
    if not paths:
        return [], None
    return _paraderm.screen_partition(paths, region, as_of, assess_all, threads, listed_problems, kb_dir,
                                      list(medications))


def _pv_counts_task(path, id_col, drug_col, event_col, stratum_cols):
    return _paraderm.pv_counts(path, id_col, drug_col, event_col, list(stratum_cols))


# ---- reductions on the client ----

def _where_key(where):
    file, _, line = where.rpartition(":")
    return (file, int(line) if line.isdigit() else 0)


def merge_summaries(summaries, listed_problems):
    """Adds the counts of partition summaries (summary JSON of paraderm::screen)."""
    out = {}
    problems = []
    for s in summaries:
        for k, v in s.items():
            if k == "problems":
                problems += v
            elif k == "medications":  # every partition reads the same Medication files
                out[k] = max(out.get(k, 0), v)
            elif isinstance(v, dict):
                d = out.setdefault(k, {})
                for kk, vv in v.items():
                    d[kk] = d.get(kk, 0) + vv
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] = out.get(k, 0) + v
            elif v:
                out[k] = v
    problems.sort(key=lambda p: _where_key(p["where"]))
    out["problems"] = problems[:listed_problems]
    return out


def screen(client, input_dir, output=None, fmt="ndjson", region="US", as_of=None, partitions=None,
           spill_dir=None, assess_all=False, threads=1, listed_problems=20, kb_dir=""):
    """Returns the summary dict; writes the rows to `output` (a path, or a file object)."""
    t0 = time.monotonic()
    files = bulk_files(input_dir)
    if not files:
        raise ValueError(f"{input_dir}: no Patient, Condition, Medication{{Statement,Request,Administration,"
                         "Dispense}, Observation or AllergyIntolerance .ndjson[.gz] file: expected a FHIR Bulk "
                         "Data export folder")
    if as_of is None:  # one date for the whole run, on every worker
        as_of = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    if partitions is None:
        partitions = max(1, 2 * sum(client.nthreads().values()))
    own_spill = spill_dir is None
    spill_root = tempfile.mkdtemp(prefix="paraderm-dask-") if own_spill else tempfile.mkdtemp(
        prefix="paraderm-dask-", dir=spill_dir)
    try:
        dirs = [os.path.join(spill_root, f"{k:04}") for k in range(partitions)]
        for d in dirs:
            os.makedirs(d)
        spill = client.map(_spill_task, files, partition_dirs=dirs, listed_problems=listed_problems, pure=False)
        summaries = [json.loads(s) for s in client.gather(spill)]
        spilled = sum(os.path.getsize(os.path.join(d, f)) for d in dirs for f in os.listdir(d))
        parts = [[os.path.join(d, os.path.basename(f) + ".spill") for f in files] for d in dirs]
        screened = client.gather(client.map(_screen_task, parts, region=region, as_of=as_of, assess_all=assess_all,
                                            threads=threads, listed_problems=listed_problems, kb_dir=kb_dir,
                                            medications=medication_files(input_dir), pure=False))
    finally:
        shutil.rmtree(spill_root, ignore_errors=True)
    rows = []
    for part_rows, part_summary in screened:
        rows += part_rows
        if part_summary:
            summaries.append(json.loads(part_summary))
    rows.sort(key=lambda r: r[0].encode("utf-8"))  # as std::string: bytes
    summary = merge_summaries(summaries, listed_problems)
    summary["region"] = "eu" if region in ("EU", "eu") else "us"
    summary["as_of"] = as_of
    summary["unread_files"] = unread_bulk_files(input_dir)
    summary["partitions"] = partitions
    summary["spilled_bytes"] = spilled
    summary["seconds"] = time.monotonic() - t0
    text = (_paraderm.csv_header() if fmt == "csv" else "") + "".join(r[2 if fmt == "csv" else 1] for r in rows)
    if output is None or output == "-":
        sys.stdout.write(text)
    elif hasattr(output, "write"):
        output.write(text)
    else:
        with open(output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return summary


def _stratum(fields, columns):
    if len(columns) == 1:
        return fields[columns[0]]
    return "|".join(fields[c].replace("\\", "\\\\").replace("|", "\\|") for c in columns)


def split_pv_csv(path, out_dir, partitions, id_col="id", drug_col="drug", event_col="event", stratum_cols=()):
    """Splits a long-format CSV by report into `partitions` CSVs (header repeated). Returns the paths
    and the first appearance order of drugs, events and strata among the rows read."""
    order = {"drugs": {}, "events": {}, "strata": {}}
    paths = [os.path.join(out_dir, f"part-{k:04}.csv") for k in range(partitions)]
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        header = f.readline()
        names = next(csv.reader([header]), [])
        for flag, name in [("--id-col", id_col), ("--drug-col", drug_col), ("--event-col", event_col)] + [
                ("--stratum-col", c) for c in stratum_cols]:
            if name not in names:  # the message of the C++ reader, naming the input (not a partition)
                raise ValueError(f'{flag}: value "{name}": no such column in {path} (columns: {", ".join(names)})')
        col = {n: names.index(n) for n in (id_col, drug_col, event_col, *stratum_cols)}
        outs = [open(p, "w", encoding="utf-8", errors="surrogateescape", newline="") for p in paths]
        try:
            for o in outs:
                o.write(header if header.endswith("\n") else header + "\n")
            for line in f:
                if line in ("\n", "\r\n"):
                    continue
                fields = next(csv.reader([line]), [])
                if len(fields) != len(names):
                    outs[0].write(line)  # malformed rows are counted by the partition that holds them
                    continue
                report = fields[col[id_col]]
                if fields[col[drug_col]] and fields[col[event_col]] and report:
                    order["drugs"].setdefault(fields[col[drug_col]], None)
                    order["events"].setdefault(fields[col[event_col]], None)
                    order["strata"].setdefault(_stratum(fields, [col[c] for c in stratum_cols]), None)
                outs[fnv1a(report) % partitions].write(line if line.endswith("\n") else line + "\n")
        finally:
            for o in outs:
                o.close()
    return paths, {k: list(v) for k, v in order.items()}


def pv(client, input_csv, output=None, partitions=None, id_col="id", drug_col="drug", event_col="event",
       stratum_cols=(), fit="auto", fit_min_count=1, qn="published", spill_dir=None, kb_dir=""):
    """Returns the JSON text of `paraderm pv signals --format json` (and writes it to `output`)."""
    if partitions is None:
        partitions = max(1, 2 * sum(client.nthreads().values()))
    tmp = tempfile.mkdtemp(prefix="paraderm-dask-pv-", dir=spill_dir)
    try:
        paths, order = split_pv_csv(input_csv, tmp, partitions, id_col, drug_col, event_col, stratum_cols)
        parts = client.gather(client.map(_pv_counts_task, paths, id_col=id_col, drug_col=drug_col,
                                         event_col=event_col, stratum_cols=tuple(stratum_cols), pure=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = merge_pv_counts(*parts)
    for p in counts["problems"]:
        print(p, file=sys.stderr)
    if counts["malformed"]:
        print(f"{counts['malformed']} malformed row(s) skipped", file=sys.stderr)
    from . import _ordered
    drugs, events = set(), set()
    for st in counts["strata"].values():
        drugs.update(st["drugs"])
        events.update(st["events"])
    text = _paraderm.pv_signals(counts, _ordered(order["drugs"], drugs), _ordered(order["events"], events),
                                _ordered(order["strata"], set(counts["strata"])), fit, fit_min_count, qn,
                                input_csv, kb_dir)
    if output is None or output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m paraderm.dask", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("screen", "pv"):
        p = sub.add_parser(name)
        p.add_argument("--scheduler", default="local",
                       help="Dask scheduler address (tcp://host:8786), or local: a LocalCluster on this machine")
        p.add_argument("--workers", type=int, default=2, help="local: number of worker processes")
        p.add_argument("--input", required=True)
        p.add_argument("--output", default="-")
        p.add_argument("--partitions", type=int, help="default: 2 x the cluster's threads")
        p.add_argument("--spill-dir", help="folder for partition files; on a cluster: shared storage every worker "
                                           "reads and writes (default: the system temporary folder)")
        p.add_argument("--kb", default="", help="KB folder (default: the embedded KB)")
        p.add_argument("--summary", help="screen: also write the summary JSON to this file")
        if name == "screen":
            p.add_argument("--format", choices=("ndjson", "csv"), default="ndjson")
            p.add_argument("--region", default="US")
            p.add_argument("--as-of")
            p.add_argument("--assess-all", action="store_true")
            p.add_argument("--threads", type=int, default=1, help="threads per screen task")
            p.add_argument("--list-problems", type=int, default=20)
        else:
            p.add_argument("--id-col", default="id")
            p.add_argument("--drug-col", default="drug")
            p.add_argument("--event-col", default="event")
            p.add_argument("--stratum-col", action="append", default=[])
            p.add_argument("--fit", choices=("full", "squashed", "auto"), default="auto")
            p.add_argument("--fit-min-count", type=int, default=1)
            p.add_argument("--qn", choices=("published", "conditional"), default="published")
    a = ap.parse_args(argv)
    client, cluster = _client(a.scheduler, a.workers)
    try:
        if a.command == "screen":
            s = screen(client, a.input, a.output, a.format, a.region, a.as_of, a.partitions, a.spill_dir,
                       a.assess_all, a.threads, a.list_problems, a.kb)
            text = json.dumps(s, indent=2) + "\n"
            sys.stderr.write(text)
            if a.summary:
                with open(a.summary, "w", encoding="utf-8") as f:
                    f.write(text)
        else:
            pv(client, a.input, a.output, a.partitions, a.id_col, a.drug_col, a.event_col, a.stratum_col, a.fit,
               a.fit_min_count, a.qn, a.spill_dir, a.kb)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
