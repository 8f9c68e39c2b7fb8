#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/corpus/<harness>/ from files in the repo
(examples/, tests/vignettes/, tests/fuzz/, kb/, tests/pv/data/) and a few hand-written inputs, so
the seeds stay small and their origin is known. Run from the repo root: fuzz/make-seeds.py"""
import glob, hashlib, json, os, shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(harness, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(rel, mode="rb"):
    with open(os.path.join(ROOT, rel), mode) as f:
        return f.read()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


shutil.rmtree(OUT, ignore_errors=True)

# --- cases: every vignette input (native or FHIR), the examples, the F2 reproducer
native, fhir = [], []
for path in sorted(glob.glob(os.path.join(ROOT, "tests/vignettes/*.json"))):
    v = json.load(open(path))
    if "input" not in v:
        continue
    (fhir if v["input"].get("resourceType") == "Bundle" else native).append(v["input"])
for c in native:
    put("case_json", compact(c))
put("case_json", read("examples/dupilumab-psoriasis.json"), "example")
for c in fhir:
    put("fhir_bundle", compact(c))
put("fhir_bundle", read("examples/dupilumab-psoriasis.fhir.json"), "example")
put("fhir_bundle", read("tests/fuzz/fhir-doseAndRate-abort.json"), "F2-doseAndRate")

# --- long-format CSV: first byte 0 = no stratum column, 1 = `strat` read as the stratum
put("pv_csv", b"\0" + read("tests/fuzz/csv-invalid-utf8-json-abort.csv"), "F7-latin1")
put("pv_csv", b"\0" + read("tests/pv/data/caers_unstratified_subset.csv").replace(b"var1", b"drug", 1)
    .replace(b"var2", b"event", 1).replace(b"drug,event,N,E", b"id,drug,event,N,E"), "caers")
put("pv_csv", b"\1id,drug,event,strat\n1,adalimumab,Psoriasis,F\n1,adalimumab,Rash,F\n"
    b"2,\"dupilumab, 300 mg\",\"Psoriasis\"\"x\",M\r\n3,upadacitinib,Acne,\n", "quoted-strata")

# --- FAERS quarter: DEMO \f DRUG \f REAC \f INDI \f DELETED
d = "tests/fuzz/faers-latin1-drugname/"
q = [read(d + "DEMO24Q1.txt"), read(d + "DRUG24Q1.txt"), read(d + "REAC24Q1.txt")]
put("pv_faers", b"\f".join(q), "F7-latin1")
put("pv_faers", b"\f".join(q + [b"primaryid$caseid$indi_drug_seq$indi_pt\n2001$200$1$Psoriasis\n",
                                 b"1001\n"]), "indi-deleted")
put("pv_faers", b"ISR$CASE$FDA_DT\n11$5$20100101\n12$5$20110101\f"
    b"ISR$DRUG_SEQ$ROLE_COD$DRUGNAME\n11$1$PS$Humira\n12$1$SS$ETANERCEPT 50MG\f"
    b"ISR$PT\n11$Psoriasis\n12$Lupus-like syndrome\n", "laers")

# --- KB: small shipped files and a drug file
for rel in ["kb/kinases.toml", "kb/cytokines.toml", "kb/axes.toml", "kb/formulas.toml",
            "kb/labs.toml", "kb/phenotypes.toml", "kb/drugs/ritlecitinib.toml",
            "kb/sources/assessment.toml"]:
    data = read(rel)
    if len(data) <= 64 * 1024:
        put("kb_toml", data, rel.replace("/", "_"))

# --- HTTP: route byte (fuzz/http_post.cpp kRoutes) + body
example = read("examples/dupilumab-psoriasis.json")
routes = {0: [example, read("examples/dupilumab-psoriasis.fhir.json")],
          1: [example],
          2: [b'{"shared":true}'],
          3: [b'{"text":"check the ALC"}'],
          4: [b'{"labs":[{"test":"alc","date":"2026-12-01","value":0.4,"unit":"10*9/L"}]}'],
          5: [b""],
          6: [], 7: [], 8: [],
          9: [b'{"feedback":[{"card":"00000000-0000-4000-8000-000000000000","outcome":"overridden",'
              b'"overrideReason":{"reason":{"code":"x","display":"y"}},"outcomeTimestamp":'
              b'"2026-01-15T10:00:00Z"}]}'],
          10: [b'{"username":"admin","password":"wrong password 123"}'],
          11: [b'{"name":"fuzzer","role":"clinician","password":"a long enough passphrase 1"}']}
bundle = json.loads(read("examples/dupilumab-psoriasis.fhir.json"))
patient = [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Patient"]
for r, hook in [(6, "patient-view"), (7, "order-select"), (8, "order-sign")]:
    req = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
           "context": {"userId": "Practitioner/1", "patientId": "p1"},
           "prefetch": {"patient": patient[0] if patient else {},
                        "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []}}}
    routes[r].append(compact(req).encode())
for r, bodies in routes.items():
    for i, b in enumerate(bodies):
        put("http_post", bytes([r]) + b, "route%d-%d" % (r, i))

# --- JWT: mode byte (fuzz/jwt.cpp)
import base64
b64 = lambda s: base64.urlsafe_b64encode(s.encode()).rstrip(b"=").decode()
hdr = '{"alg":"ES384","typ":"JWT","kid":"fuzz-ec"}'
claims = ('{"iss":"https://ehr.example","aud":"https://cds.example/cds-services/paraderm-order-sign",'
          '"exp":1800000300,"iat":1800000000,"jti":"j-1"}')
put("jwt", b"\0Bearer " + (b64(hdr) + "." + b64(claims) + "." + b64("x" * 96)).encode(), "bearer")
put("jwt", b"\0Bearer " + (b64('{"alg":"none"}') + "." + b64(claims) + ".").encode(), "alg-none")
put("jwt", b"\1" + hdr.encode() + b"\f" + claims.encode(), "signed")
put("jwt", b"\1" + hdr.encode() + b"\f" + claims.replace('"aud":"', '"aud":["x","').replace(
    'sign",', 'sign"],').encode(), "signed-aud-array")
put("jwt", b"\2" + b'{"keys":[{"kty":"EC","crv":"P-384","kid":"k","alg":"ES384","x":"AAAA","y":"AAAA"},'
    b'{"kty":"RSA","kid":"r","alg":"RS384","n":"sXch","e":"AQAB"},{"kty":"oct","k":"c2VjcmV0"}]}',
    "jwks")
