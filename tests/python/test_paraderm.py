"""The Python bindings and the Dask layer against the CLI on the same input (docs/scale.md).

Expectations are the CLI's output on the same input, produced in the test: the bindings and the
cluster must give what `paraderm assess`, `paraderm screen` and `paraderm pv signals` give."""
import json
import os
import subprocess
import sys

import pytest

import paraderm
import paraderm.dask as pdask

CLI = os.environ["PARADERM_BINARY"]
BULK_SYNTH = os.environ["BULK_SYNTH_BINARY"]
SOURCE = os.environ["PARADERM_SOURCE_DIR"]
AS_OF = "2026-06-30"  # bulk_synth's planted timelines end on its --as-of (default 2026-06-30)


def run(*args, check=True):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def bulk(tmp_path_factory):
    out = tmp_path_factory.mktemp("bulk")
    subprocess.run([BULK_SYNTH, "--patients", "400", "--seed", "7", "--out", str(out), "--files-per-type", "2"],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A long-format report CSV (one row per report x drug x event), seeded: 2 500 reports, a few
    drugs with an excess of one event each, two strata; quoted names with commas included."""
    import random
    rng = random.Random(14)
    drugs = [f"DRUG {i}" for i in range(30)] + ['"VITAMIN, MULTI"']
    events = [f"EVENT {i}" for i in range(50)]
    path = tmp_path_factory.mktemp("pv") / "reports.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,drug,event,sex\n")
        for r in range(2500):
            sex = "F" if rng.random() < 0.6 else "M"
            ds = rng.sample(drugs, rng.choice([1, 1, 2, 3]))
            es = rng.sample(events, rng.choice([1, 2, 2, 4]))
            if "DRUG 3" in ds and rng.random() < 0.5:
                es.append("EVENT 7")
            for d in ds:
                for e in es:
                    f.write(f"{1000 + r},{d},{e},{sex}\n")
    return str(path)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


# ---- assess ----

@pytest.mark.parametrize("name", ["dupilumab-psoriasis.json", "dupilumab-psoriasis.fhir.json"])
def test_assess_equals_cli_json(name):
    path = os.path.join(SOURCE, "examples", name)
    cli = json.loads(run("assess", path, "--format", "json", "--as-of", "2026-12-01").stdout)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert paraderm.assess(text, as_of="2026-12-01") == cli
    assert paraderm.assess(json.loads(text), as_of="2026-12-01") == cli  # a dict as well as text


def test_assess_region_override_equals_cli():
    path = os.path.join(SOURCE, "examples", "dupilumab-psoriasis.json")  # an EU record
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for region in ("us", "eu"):
        cli = json.loads(run("assess", path, "--format", "json", "--as-of", "2026-12-01", "--region", region).stdout)
        assert paraderm.assess(text, region=region, as_of="2026-12-01") == cli
    assert paraderm.assess(text, region="us", as_of="2026-12-01") != paraderm.assess(text, as_of="2026-12-01")


def test_assess_unreadable_record_raises_the_cli_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "collection", "entry": 3}')
    r = run("assess", str(bad), "--format", "json", check=False)
    assert r.returncode == 2
    with pytest.raises(ValueError) as e:
        paraderm.assess(bad.read_text())
    assert str(e.value) == r.stderr.strip()


def test_assess_bad_date_raises_value_error():
    with pytest.raises(ValueError, match="--as-of"):
        paraderm.assess({}, as_of="2026-13-45")


# ---- screen_partition ----

def cli_screen(folder, *extra):
    r = run("screen", "--input", str(folder), "--as-of", AS_OF, "--quiet", *extra)
    return r.stdout, r.stderr


def test_screen_partition_equals_cli_rows(bulk):
    stdout, _ = cli_screen(bulk)
    cli_rows = [json.loads(line) for line in stdout.splitlines()]
    assert cli_rows, "the synthetic export has planted findings"
    rows = paraderm.screen_partition(pdask.bulk_files(str(bulk)), as_of=AS_OF)
    assert rows == cli_rows


def test_screen_partition_hand_written_export():
    folder = os.path.join(SOURCE, "tests", "data", "bulk", "plain")
    stdout, _ = cli_screen(folder)
    rows, summary = paraderm.screen_partition(pdask.bulk_files(folder), as_of=AS_OF, with_summary=True)
    assert rows == [json.loads(line) for line in stdout.splitlines()]
    assert summary["orphan_patients"] == 1  # `ghost` (tests/data/bulk/README.md)


def test_bulk_file_types_match_the_cli(tmp_path):
    # The Dask layer lists the same files as `paraderm screen` (src/screen/screen.cpp kBulkTypes):
    # pharmacy and allergy files are read; another type is reported, not dropped silently.
    for name in ("Patient.ndjson", "MedicationDispense.000.ndjson", "AllergyIntolerance.ndjson.gz",
                 "MedicationAdministration.ndjson", "Immunization.ndjson", "notes.txt"):
        (tmp_path / name).write_text("")
    read = [os.path.basename(p) for p in pdask.bulk_files(str(tmp_path))]
    assert read == ["AllergyIntolerance.ndjson.gz", "MedicationAdministration.ndjson",
                    "MedicationDispense.000.ndjson", "Patient.ndjson"]
    assert pdask.unread_bulk_files(str(tmp_path)) == ["Immunization.ndjson"]
    # Medication files are neither per-patient nor unread: every partition reads them.
    (tmp_path / "Medication.ndjson").write_text("")
    assert pdask.medication_files(str(tmp_path)) == [str(tmp_path / "Medication.ndjson")]
    assert "Medication.ndjson" not in pdask.unread_bulk_files(str(tmp_path))
    assert str(tmp_path / "Medication.ndjson") not in pdask.bulk_files(str(tmp_path))


def test_screen_partition_resolves_medication_references(tmp_path):
    # A MedicationRequest naming dupilumab only through medicationReference (as Epic's bulk export
    # does): found with the export's Medication file, as `paraderm screen` finds it; not without.
    (tmp_path / "Patient.ndjson").write_text(
        '{"resourceType":"Patient","id":"fox","gender":"female","birthDate":"1988-02-01"}\n')
    cond = ('{"resourceType":"Condition","id":"%s","subject":{"reference":"Patient/fox"},"clinicalStatus":'
            '{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},'
            '"code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}]},"onsetDateTime":"%s"}\n')
    (tmp_path / "Condition.ndjson").write_text(cond % ("c1", "24079001", "2000-01-01") +
                                               cond % ("c2", "9014002", "2026-04-01"))
    (tmp_path / "MedicationRequest.ndjson").write_text(
        '{"resourceType":"MedicationRequest","id":"mr","status":"active","intent":"order","subject":'
        '{"reference":"Patient/fox"},"medicationReference":{"reference":"Medication/m1"},"authoredOn":"2025-10-01"}\n')
    (tmp_path / "Medication.ndjson").write_text(
        '{"resourceType":"Medication","id":"m1","code":{"coding":[{"system":'
        '"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1876376"}]}}\n')
    stdout, _ = cli_screen(str(tmp_path))
    cli_rows = [json.loads(line) for line in stdout.splitlines()]
    assert [r["patient"] for r in cli_rows] == ["fox"]
    rows = paraderm.screen_partition(pdask.bulk_files(str(tmp_path)), as_of=AS_OF,
                                     medication_files=pdask.medication_files(str(tmp_path)))
    assert rows == cli_rows
    rows, summary = paraderm.screen_partition(pdask.bulk_files(str(tmp_path)), as_of=AS_OF, with_summary=True)
    assert rows == []
    assert summary["unresolved_medication_references"] == 1


def test_screen_partition_missing_file_raises():
    with pytest.raises(ValueError):
        paraderm.screen_partition(["/nonexistent/Patient.ndjson"], as_of=AS_OF)


# ---- pv counts ----

def test_pv_counts_merge_equals_whole(reports, tmp_path):
    paths, _ = pdask.split_pv_csv(reports, str(tmp_path), 3, stratum_cols=["sex"])
    parts = [paraderm.pv_counts(p, stratum_cols=["sex"]) for p in paths]
    assert all(p["rows"] for p in parts), "each partition holds reports"
    whole = paraderm.pv_counts(reports, stratum_cols=["sex"])
    assert paraderm.merge_pv_counts(*parts) == whole


def test_pv_fit_of_counts_equals_cli(reports):
    cli = json.loads(run("pv", "signals", "--input", reports, "--format", "json", "--quiet").stdout)
    mine = paraderm.pv_fit(paraderm.pv_counts(reports), source=reports)
    assert mine["fit"] == cli["fit"]
    key = lambda p: (p["drug"], p["event"])
    assert sorted(mine["pairs"], key=key) == sorted(cli["pairs"], key=key)


def test_pv_counts_missing_column_raises_the_cli_message(reports):
    r = run("pv", "signals", "--input", reports, "--stratum-col", "age", "--quiet", check=False)
    assert r.returncode == 2
    with pytest.raises(ValueError) as e:
        paraderm.pv_counts(reports, stratum_cols=["age"])
    assert str(e.value) == r.stderr.strip()
    with pytest.raises(ValueError) as e:
        pdask.split_pv_csv(reports, "/nonexistent", 2, stratum_cols=["age"])
    assert str(e.value) == r.stderr.strip()


# ---- Dask ----

@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_dask_screen_identical_to_cli(bulk, client, tmp_path, fmt):
    cli_out = tmp_path / f"cli.{fmt}"
    cli_summary = tmp_path / "cli-summary.json"
    # --memory-mb 1 forces the CLI through its own partition pass too
    cli_screen(bulk, "--output", str(cli_out), "--format", fmt, "--summary", str(cli_summary), "--memory-mb", "1")
    out = tmp_path / f"dask.{fmt}"
    summary = pdask.screen(client, str(bulk), str(out), fmt=fmt, as_of=AS_OF, partitions=3)
    assert out.read_bytes() == cli_out.read_bytes()
    expected = json.loads(cli_summary.read_text())
    for key in ("files", "lines", "bytes", "patients", "assessed", "flagged", "flagged_by_kind",
                "pr_by_classification", "warnings", "malformed_lines", "without_patient", "orphan_patients",
                "unreadable_records", "problems", "region", "as_of"):
        assert summary[key] == expected[key], key


def test_dask_pv_identical_to_cli(reports, client, tmp_path):
    for strata in ([], ["sex"]):
        args = [a for c in strata for a in ("--stratum-col", c)]
        cli = run("pv", "signals", "--input", reports, "--format", "json", "--quiet", *args).stdout
        text = pdask.pv(client, reports, str(tmp_path / "dask.json"), partitions=3, stratum_cols=strata)
        assert text == cli


def test_dask_command_line(bulk, tmp_path):
    out = tmp_path / "rows.ndjson"
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "paraderm.dask", "screen", "--scheduler", "local", "--workers", "2",
                        "--input", str(bulk), "--output", str(out), "--as-of", AS_OF], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    cli_stdout, _ = cli_screen(bulk)
    assert out.read_text() == cli_stdout
