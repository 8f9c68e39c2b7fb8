#!/usr/bin/env bash
# CDS Hooks benchmark with wrk on loopback, one server, one run: GET /healthz against
# POST /cds-services/paraderm-order-select with a realistic prefetch (adult with atopic
# dermatitis and psoriasis history, dupilumab, ketoconazole, eight labs, smoking status) and a
# draft tofacitinib order whose dose the service adjusts (the dose suggestion card is built).
# Every CDS call carries its own ES384 JWT (jti replay cache: a token is good for one call), minted
# before the run with a key generated here (python3-cryptography); no private key is kept.
# Prints throughput and latency percentiles; the round trip (p50/p99) is measured at 1 connection,
# throughput at $conns connections.
# Usage: bench/cds_bench.sh [build dir (default build/release)] [seconds per run (default 8)]
#        [connections (default 64)] [alg ES384|RS384 (default ES384)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
secs=${2:-8}
conns=${3:-64}
alg=${4:-ES384}
bin=$(find "$build" -name paraderm -type f -perm -u+x | head -1)
[ -n "$bin" ] || { echo "no paraderm binary under $build" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
# Enough tokens for the runs: an upper bound of 6000 calls/s.
tokens=$((6000 * secs * 2 + 2000))
python3 - "$tmp" "$base" "$tokens" "$alg" <<'PY'
import base64, json, os, sys, time, uuid
from concurrent.futures import ProcessPoolExecutor
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
tmp, base, n, alg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def num(i, size): return b64(i.to_bytes(size, "big"))
key = ec.generate_private_key(ec.SECP384R1()) if alg == "ES384" else rsa.generate_private_key(65537, 2048)
pub = key.public_key().public_numbers()
jwk = ({"kty": "EC", "crv": "P-384", "kid": "bench", "alg": alg, "x": num(pub.x, 48), "y": num(pub.y, 48)}
       if alg == "ES384" else {"kty": "RSA", "kid": "bench", "alg": alg, "n": num(pub.n, 256), "e": num(pub.e, 3)})
json.dump({"keys": [jwk]}, open(f"{tmp}/jwks.json", "w"))
def sign(i):
    now = int(time.time())
    h = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "bench"}).encode())
    p = b64(json.dumps({"iss": "https://bench.example/", "aud": base + "/cds-services/paraderm-order-select",
                        "exp": now + 600, "iat": now, "jti": str(uuid.uuid4())}).encode())
    msg = f"{h}.{p}".encode()
    if alg == "ES384":
        r, s = utils.decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA384())))
        sig = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    else:
        sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA384())
    return f"{h}.{p}.{b64(sig)}"
with open(f"{tmp}/tokens.txt", "w") as f:
    for t in map(sign, range(n)): f.write(t + "\n")

# The request: plain FHIR R4, shaped like an EHR's order-select.
def cc(system, code, display): return {"coding": [{"system": system, "code": code, "display": display}], "text": display}
SCT, RX, LOINC = "http://snomed.info/sct", "http://www.nlm.nih.gov/research/umls/rxnorm", "http://loinc.org"
def sset(rs): return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in rs]}
def cond(i, code, disp, onset): return {"resourceType": "Condition", "id": i, "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}, "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}, "code": cc(SCT, code, disp), "subject": {"reference": "Patient/pt"}, "onsetDateTime": onset}
def obs(i, code, v, u, d="2026-11-10"): return {"resourceType": "Observation", "id": i, "status": "final", "code": cc(LOINC, code, i), "subject": {"reference": "Patient/pt"}, "effectiveDateTime": d, "valueQuantity": {"value": v, "unit": u, "system": "http://unitsofmeasure.org", "code": u}}
prefetch = {
  "patient": {"resourceType": "Patient", "id": "pt", "gender": "female", "birthDate": "1981-04-02", "name": [{"family": "Example", "given": ["Bench"]}]},
  "conditions": sset([cond("ad", "24079001", "Atopic dermatitis", "1990-01-01"), cond("asthma", "195967001", "Asthma", "1995-01-01"), cond("pso", "9014002", "Psoriasis", "2026-06-10")]),
  "medicationStatements": sset([{"resourceType": "MedicationStatement", "id": "dupi", "status": "active", "medicationCodeableConcept": cc(RX, "1876376", "dupilumab"), "subject": {"reference": "Patient/pt"}, "effectivePeriod": {"start": "2026-03-01"}}]),
  "medicationRequests": sset([{"resourceType": "MedicationRequest", "id": "keto", "status": "active", "intent": "order", "medicationCodeableConcept": cc(RX, "197853", "ketoconazole 200 MG Oral Tablet"), "subject": {"reference": "Patient/pt"}, "authoredOn": "2026-11-01"}]),
  "observations": sset([obs("alc", "731-0", 1.6, "10*9/L"), obs("anc", "751-8", 4.2, "10*9/L"), obs("hb", "718-7", 13.8, "g/dL"), obs("plt", "777-3", 240, "10*9/L"), obs("crea", "2160-0", 0.8, "mg/dL"), obs("alt", "1742-6", 22, "U/L"), obs("ldl", "2089-1", 110, "mg/dL"), obs("wbc", "6690-2", 6.1, "10*9/L"),
     {"resourceType": "Observation", "id": "smoke", "status": "final", "code": cc(LOINC, "72166-2", "Tobacco smoking status"), "effectiveDateTime": "2026-11-10", "valueCodeableConcept": cc(SCT, "266919005", "Never smoked tobacco")}]),
}
order = {"resourceType": "MedicationRequest", "id": "tofa", "status": "draft", "intent": "order", "subject": {"reference": "Patient/pt"}, "medicationCodeableConcept": {"text": "tofacitinib 5 MG Oral Tablet"},
         "dosageInstruction": [{"timing": {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "BID"}]}}, "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}]}]}
req = {"hook": "order-select", "hookInstance": str(uuid.uuid4()), "fhirServer": "https://ehr.example/fhir",
       "context": {"userId": "Practitioner/1", "patientId": "pt", "selections": ["MedicationRequest/tofa"], "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}},
       "prefetch": prefetch}
json.dump(req, open(f"{tmp}/order-select.json", "w"))
PY
echo "request body: $(wc -c < "$tmp/order-select.json") bytes; $(wc -l < "$tmp/tokens.txt") $alg tokens minted"
"$bin" serve --port "$port" --db "$tmp/bench.db" --quiet --cds-jwks "https://bench.example/=$tmp/jwks.json" >/dev/null 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.05; done
# Each wrk thread takes every other token (thread id parity), each token once.
cat > "$tmp/cds.lua" <<LUA
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local f = io.open("$tmp/order-select.json", "r")
  body = f:read("*a")
  f:close()
  tokens = {}
  local i = 0
  for line in io.lines("$tmp/tokens.txt") do
    if i % 2 == id then table.insert(tokens, line) end
    i = i + 1
  end
  next_token = 1
  non200 = 0
end
function request()
  local t = tokens[next_token]
  next_token = next_token + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t}, body)
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local n = t:get("non200")
    if n and n > 0 then io.write("thread non-200 answers: " .. n .. "\n") end
  end
end
LUA
curl -s -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $(sed -n 1p "$tmp/tokens.txt")" \
  --data @"$tmp/order-select.json" "$base/cds-services/paraderm-order-select" > "$tmp/cards.json"
python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['cards']; print('cards:', ', '.join(x['indicator']+(' +suggestion' if 'suggestions' in x else '') for x in c))" "$tmp/cards.json"
sed -i '1d' "$tmp/tokens.txt"
echo "== GET /healthz (${secs}s, 2 threads, $conns connections)"
wrk -t2 -c"$conns" -d"${secs}s" --latency "$base/healthz" | tee "$tmp/h" | grep -E "Requests/sec|50%|99%"
echo "== POST order-select, 1 connection (${secs}s): round trip"
wrk -t1 -c1 -d"${secs}s" --latency -s "$tmp/cds.lua" "$base/cds-services/paraderm-order-select" \
  | tee "$tmp/one" | grep -E "Requests/sec|50%|90%|99%|non-200|Non-2xx"
# The first run used thread 0's half of the tokens from the start: drop what it may have used.
used=$(awk '/requests in/ {print $1}' "$tmp/one")
sed -i "1,$((used * 2 + 2))d" "$tmp/tokens.txt"
echo "== POST order-select (${secs}s, 2 threads, $conns connections): throughput"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$tmp/cds.lua" "$base/cds-services/paraderm-order-select" \
  | tee "$tmp/c" | grep -E "Requests/sec|50%|99%|non-200|Non-2xx"
h=$(awk '/Requests\/sec/ {print $2}' "$tmp/h"); c=$(awk '/Requests\/sec/ {print $2}' "$tmp/c")
awk -v h="$h" -v c="$c" 'BEGIN { printf "order-select : healthz = %.1f %%\n", 100 * c / h }'
