// paraderm web page: case entry → assessment (PR verdict, ranked options, pathway heatmap and
// curves, immune axes, safety plan) and saved cases with lab follow-up. Talks only to the
// paraderm API on the same origin; every library is served by paraderm itself.
import { h, render } from "preact";
import { useState, useEffect, useRef, useMemo } from "preact/hooks";
import htm from "htm";
import uPlot from "uplot";
import { authFetch, Gate, UserMenu, useUser } from "./login.js";

const html = htm.bind(h);

const EXAMPLES = {
  "Dupilumab for AD → psoriasis (EU)": {
    region: "eu", as_of: "2026-11-20",
    patient: { birth_date: "1988-03-14", sex: "male", weight_kg: 78, smoking: { status: "never" } },
    conditions: [{ name: "atopic dermatitis", onset: "1995-01-01" }, { name: "asthma", onset: "2000-01-01" }],
    medications: [{ name: "dupilumab", start: "2026-03-01" }],
    labs: [
      { test: "alc", date: "2026-11-10", value: 1.6, unit: "10*9/L" },
      { test: "anc", date: "2026-11-10", value: 4.2, unit: "10*9/L" },
      { test: "hb", date: "2026-11-10", value: 14.8, unit: "g/dL" },
      { test: "platelets", date: "2026-11-10", value: 240, unit: "10*9/L" },
      { test: "creatinine", date: "2026-11-10", value: 0.9, unit: "mg/dL" },
      { test: "igra", date: "2026-11-10", result: "negative" }],
    eruption: { phenotype: "psoriasiform", onset: "2026-08-01", kind: "new", severity: "moderate",
                biopsy_consistent: true, alternatives_excluded: true, sites: ["scalp", "elbows"] },
  },
  "Secukinumab for psoriasis → eczema, atopic (US)": {
    region: "us", as_of: "2026-11-20",
    patient: { age_years: 34, sex: "female", smoking: { status: "never" } },
    conditions: [{ name: "psoriasis", onset: "2012-01-01" }, { name: "atopic dermatitis", onset: "1995-01-01" }],
    medications: [{ name: "secukinumab", start: "2026-05-01" }],
    labs: [{ test: "alc", date: "2026-11-10", value: 1.9, unit: "10*9/L" },
           { test: "anc", date: "2026-11-10", value: 3.9, unit: "10*9/L" },
           { test: "hb", date: "2026-11-10", value: 13.1, unit: "g/dL" },
           { test: "platelets", date: "2026-11-10", value: 260, unit: "10*9/L" }],
    eruption: { phenotype: "eczematous", onset: "2026-07-20", kind: "new", severity: "moderate" },
    flags: ["raised-ige"],
  },
  "Already on abrocitinib (follow-up labs, US)": {
    region: "us", as_of: "2026-11-20",
    patient: { age_years: 41, sex: "female", smoking: { status: "never" } },
    conditions: [{ name: "atopic dermatitis", onset: "1990-01-01" }],
    medications: [{ name: "dupilumab", start: "2026-01-10", stop: "2026-09-30" }, { name: "abrocitinib", start: "2026-10-01" }],
    labs: [{ test: "alc", date: "2026-09-25", value: 1.7, unit: "10*9/L" }],
    eruption: { phenotype: "psoriasiform", onset: "2026-06-01", kind: "new", severity: "moderate" },
  },
};

const PHENOTYPES = ["psoriasiform", "eczematous", "pustular", "palmoplantar-pustular", "lupus-like", "granulomatous",
  "alopecia", "vitiligo", "hidradenitis", "rosacea", "facial-erythema", "arthritis", "ibd", "candidiasis", "other"];

// Every API call gives up after this long with a message instead of waiting for ever.
const REQUEST_TIMEOUT_MS = 20000;
// Thrown (and ignored) when a newer request replaced this one.
const SUPERSEDED = "superseded";

// One sentence for each way a request can fail without a paraderm JSON error.
const NETWORK_ERROR = "The paraderm server cannot be reached: check the network connection and try again.";
const TIMEOUT_ERROR = `The server did not answer within ${REQUEST_TIMEOUT_MS / 1000} seconds: try again, and tell your administrator if it keeps happening.`;
function proxyError(status, statusText) {
  const code = `${status}${statusText ? " " + statusText : ""}`;
  if (status === 502 || status === 503 || status === 504)
    return `The server is not answering behind its gateway (${code}): it may be restarting, try again in a minute.`;
  return `The server answered with an unexpected error (${code}): try again, and tell your administrator if it keeps happening.`;
}

// fetch for the API with a timeout; `signal` lets a newer request cancel this one, which then
// rejects with SUPERSEDED. Errors are {status, message, problems?}; a page that is not the API's
// JSON (a proxy's HTML 502) never reaches the screen.
async function api(path, options = {}) {
  const { signal, ...rest } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, REQUEST_TIMEOUT_MS);
  const cancel = () => controller.abort();
  if (signal) { if (signal.aborted) controller.abort(); else signal.addEventListener("abort", cancel); }
  const failed = () => (timedOut ? { message: TIMEOUT_ERROR } : controller.signal.aborted ? SUPERSEDED : { message: NETWORK_ERROR });
  try {
    let res, text;
    try {
      res = await authFetch(path, { ...rest, signal: controller.signal });
      text = await res.text();
    } catch {
      throw failed();
    }
    if (signal && signal.aborted) throw SUPERSEDED;
    let body = null;
    const json = (res.headers.get("Content-Type") || "").includes("json");
    try { body = json && text ? JSON.parse(text) : null; } catch { body = null; }
    if (!res.ok) {
      if (body && body.error) throw body.error;
      throw { status: res.status, message: proxyError(res.status, res.statusText) };
    }
    if (body === null && text) throw { status: res.status, message: proxyError(res.status, res.statusText) };
    return body;
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", cancel);
  }
}

// Runs `start(signal)` for the latest call only: an earlier request still in flight is cancelled,
// and its answer (should it arrive anyway) is dropped — an old curve never replaces a newer one.
function useLatest() {
  const current = useRef(null);
  useEffect(() => () => current.current && current.current.abort(), []);
  return (start) => {
    if (current.current) current.current.abort();
    const controller = new AbortController();
    current.current = controller;
    const never = new Promise(() => {});
    return start(controller.signal).then(
      (v) => (controller.signal.aborted ? never : v),
      (e) => (controller.signal.aborted || e === SUPERSEDED ? never : Promise.reject(e)));
  };
}

// ---------------------------------------------------------------- errors beside their fields

// The form's field for an API JSON pointer: /medications/0/stop -> #f-medications-0-stop; a
// pointer to a whole row or object names its first field.
// `prefix` keeps two forms' ids apart (the case form "f", the follow-up lab form "fu").
const fieldId = (pointer, prefix = "f") => prefix + pointer.replace(/\//g, "-");
function fieldFor(pointer, prefix = "f") {
  let p = pointer || "";
  while (p) {
    const exact = document.getElementById(fieldId(p, prefix));
    if (exact) return exact;
    const inside = document.querySelector(`[id^="${CSS.escape(fieldId(p, prefix))}-"]`);
    if (inside) return inside;
    p = p.slice(0, p.lastIndexOf("/"));
  }
  return null;
}
const FIELD_WORDS = { patient: "Patient", conditions: "Condition", medications: "Medication", labs: "Lab result",
  eruption: "Eruption", as_of: "Assessment date", region: "Region", birth_date: "birth date", age_years: "age",
  weight_kg: "weight", onset: "onset", abatement: "abatement", start: "start date", stop: "stop date",
  date: "date", value: "value", unit: "unit", result: "result", test: "test", name: "name", sex: "sex",
  phenotype: "phenotype", severity: "severity", kind: "kind", sites: "sites", smoking: "smoking", status: "status" };
// "/medications/0/stop" -> "Medication 1, stop date"
function fieldWords(pointer) {
  if (!pointer) return "The case";
  const parts = pointer.split("/").filter(Boolean);
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    const w = FIELD_WORDS[parts[i]] || parts[i].replace(/_/g, " ");
    if (i + 1 < parts.length && /^\d+$/.test(parts[i + 1])) { out.push(`${w} ${Number(parts[i + 1]) + 1}`); i++; }
    else out.push(w);
  }
  return out.join(", ");
}
// The API's 'value "x": expected ...' said as a sentence.
const plainMessage = (m) => (m || "").replace(/^value ("[^"]*"): /, "$1 — ").replace(/^missing: /, "missing — ");

function problemsByField(error) {
  const m = {};
  if (error && error.problems) for (const p of error.problems) if (p.pointer) m[p.pointer] = plainMessage(p.message);
  return m;
}

// Top-of-page summary: one line per problem, each a link that moves the focus to its field.
function ErrorSummary({ error, id = "error-summary", focus = true, prefix = "f" }) {
  const ref = useRef(null);
  useEffect(() => { if (error && focus && ref.current) { ref.current.focus(); ref.current.scrollIntoView({ block: "start" }); } }, [error]);
  if (!error) return null;
  const problems = error.problems || [];
  const go = (e, pointer) => {
    const el = fieldFor(pointer, prefix);
    if (!el) return;
    e.preventDefault();
    el.scrollIntoView({ block: "center" });
    el.focus();
  };
  const n = problems.length;
  return html`<div id=${id} class="error" role="alert" tabindex="-1" ref=${ref}>
    <b>${n ? `${n === 1 ? "One problem" : n + " problems"} in what was entered: correct ${n === 1 ? "it" : "them"} and try again.` : error.message || String(error)}</b>
    ${n > 0 && html`<ul>${problems.map((p) => html`<li><a href=${"#" + fieldId(p.pointer || "", prefix)} onClick=${(e) => go(e, p.pointer)}>${fieldWords(p.pointer)}</a>: ${plainMessage(p.message)}</li>`)}</ul>`}
  </div>`;
}
function ErrorBox({ error }) {
  return html`<${ErrorSummary} error=${error} id=${null} focus=${false} />`;
}

// An input's id, its error beside it and the attributes that tie the two together.
// rowPointer: a problem the API names for the whole row (/labs/0: "value -1: expected a number
// >= 0") is shown beside this field too.
function fieldProps(pointer, problems, prefix = "f", rowPointer = null) {
  const id = fieldId(pointer, prefix);
  const msg = problems && (problems[pointer] || (rowPointer && problems[rowPointer]));
  return { id, msg, aria: msg ? { "aria-invalid": "true", "aria-describedby": id + "-error" } : {} };
}
const FieldError = ({ f }) => (f.msg ? html`<span class="field-error" id=${f.id + "-error"}>${f.msg}</span>` : null);

function Sources({ ids }) {
  if (!ids || !ids.length) return null;
  return html`<span class="muted sources"> [${ids.map((id, i) => html`${i ? ", " : ""}<a href=${"/api/v1/sources/" + encodeURIComponent(id)} target="_blank" rel="noopener">${id}</a>`)}]</span>`;
}

function Reasons({ reasons }) {
  return html`<ul class="reasons">${reasons.map((r) => html`<li><code>${r.code}</code> ${r.text}<${Sources} ids=${r.sources} /></li>`)}</ul>`;
}

// A number typed into a field, or undefined when the field is empty: an empty field is "not
// given", never 0.
const numberOrUndefined = (text) => (text === "" || text == null || Number.isNaN(Number(text)) ? undefined : Number(text));

// ---------------------------------------------------------------- case entry

function ListEditor({ title, path, rows, columns, onChange, empty, problems }) {
  const set = (i, key, value) => onChange(rows.map((r, j) => (j === i ? { ...r, [key]: value === "" ? undefined : value } : r)));
  const singular = title.toLowerCase().replace(/s$/, "");
  return html`<fieldset class="list-editor"><legend>${title}</legend>
    <table><thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}<th scope="col"><span class="visually-hidden">remove</span></th></tr></thead><tbody>
    ${rows.map((r, i) => html`<tr>${columns.map((c) => {
        const f = fieldProps(`/${path}/${i}/${c.key}`, problems, "f", c.key === columns[0].key ? `/${path}/${i}` : null);
        return html`<td data-label=${c.label}>
        <input id=${f.id} aria-label=${title + " " + c.label + " " + (i + 1)} type=${c.type || "text"} step="any" list=${c.list} value=${r[c.key] ?? ""} ...${f.aria}
          onInput=${(e) => set(i, c.key, c.type === "number" ? numberOrUndefined(e.target.value) : e.target.value)} /><${FieldError} f=${f} /></td>`; })}
      <td><button class="link" aria-label=${`remove ${singular} ${i + 1}`} onClick=${() => onChange(rows.filter((_, j) => j !== i))}>remove</button></td></tr>`)}
    </tbody></table>
    <button class="secondary" onClick=${() => onChange([...rows, { ...empty }])}>add ${singular}</button>
  </fieldset>`;
}

function Field({ label, pointer, problems, children }) {
  const f = fieldProps(pointer, problems);
  return html`<label>${label}${children(f)}<${FieldError} f=${f} /></label>`;
}

function CaseForm({ value, onChange, problems, start, onStart, identification, onIdentification }) {
  const c = value;
  const patch = (p) => onChange({ ...c, ...p });
  const patient = c.patient || {};
  const setPatient = (p) => patch({ patient: { ...patient, ...p } });
  const er = c.eruption || {};
  const setEr = (p) => patch({ eruption: { ...er, ...p } });
  const P = problems;
  return html`<div id="case-form">
    <fieldset><legend>Patient</legend><div class="row">
      <label class="wide">Patient identification <span class="muted">(name or record number; printed, never sent to the server)</span>
        <input id="patient-identification" autocomplete="off" value=${identification} onInput=${(e) => onIdentification(e.target.value)} /></label>
      <${Field} label="Region" pointer="/region" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${c.region || ""} onChange=${(e) => patch({ region: e.target.value || undefined })}><option value="">not given (US assumed: every option capped)</option><option value="us">US</option><option value="eu">EU</option></select>`}<//>
      <${Field} label="Assessment date" pointer="/as_of" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} type="date" value=${c.as_of || ""} onInput=${(e) => patch({ as_of: e.target.value || undefined })} />`}<//>
      <label>Treatment start <span class="muted">(monitoring dates count from it)</span><input id="treatment-start" type="date" value=${start} onInput=${(e) => onStart(e.target.value)} /></label>
      <${Field} label="Birth date" pointer="/patient/birth_date" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} type="date" value=${patient.birth_date || ""} onInput=${(e) => setPatient({ birth_date: e.target.value || undefined, age_years: undefined })} />`}<//>
      <${Field} label="or age" pointer="/patient/age_years" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} type="number" min="0" max="120" value=${patient.age_years ?? ""} onInput=${(e) => setPatient({ age_years: numberOrUndefined(e.target.value) })} />`}<//>
      <${Field} label="Sex" pointer="/patient/sex" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${patient.sex || "unknown"} onChange=${(e) => setPatient({ sex: e.target.value })}>${["female", "male", "other", "unknown"].map((s) => html`<option>${s}</option>`)}</select>`}<//>
      <${Field} label="Weight (kg)" pointer="/patient/weight_kg" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} type="number" step="any" value=${patient.weight_kg ?? ""} onInput=${(e) => setPatient({ weight_kg: numberOrUndefined(e.target.value) })} />`}<//>
      <${Field} label="Smoking" pointer="/patient/smoking/status" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${(patient.smoking || {}).status || "unknown"} onChange=${(e) => setPatient({ smoking: { ...(patient.smoking || {}), status: e.target.value } })}>${["never", "former", "current", "smoker", "unknown"].map((s) => html`<option>${s}</option>`)}</select>`}<//>
      <label class="check"><input id="f-patient-pregnant" type="checkbox" checked=${!!patient.pregnant} onChange=${(e) => setPatient({ pregnant: e.target.checked })} /> Pregnant</label>
      <label class="check"><input id="f-patient-breastfeeding" type="checkbox" checked=${!!patient.breastfeeding} onChange=${(e) => setPatient({ breastfeeding: e.target.checked })} /> Breastfeeding</label>
    </div></fieldset>
    <${ListEditor} title="Conditions" path="conditions" problems=${P} rows=${c.conditions || []} empty=${{ name: "" }} onChange=${(rows) => patch({ conditions: rows })}
      columns=${[{ key: "name", label: "name or KB id" }, { key: "onset", label: "onset", type: "date" }, { key: "abatement", label: "abatement", type: "date" }]} />
    <${ListEditor} title="Medications" path="medications" problems=${P} rows=${c.medications || []} empty=${{ name: "" }} onChange=${(rows) => patch({ medications: rows })}
      columns=${[{ key: "name", label: "name" }, { key: "start", label: "start", type: "date" }, { key: "stop", label: "stop", type: "date" }]} />
    <${ListEditor} title="Labs" path="labs" problems=${P} rows=${c.labs || []} empty=${{ test: "" }} onChange=${(rows) => patch({ labs: rows })}
      columns=${[{ key: "test", label: "test", list: "lab-tests" }, { key: "date", label: "date", type: "date" }, { key: "value", label: "value", type: "number" }, { key: "unit", label: "unit" }, { key: "result", label: "or result" }]} />
    <fieldset><legend>New or worsened eruption</legend><div class="row">
      <${Field} label="Phenotype" pointer="/eruption/phenotype" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${er.phenotype || ""} onChange=${(e) => setEr({ phenotype: e.target.value })}><option value="">—</option>${PHENOTYPES.map((p) => html`<option>${p}</option>`)}</select>`}<//>
      <${Field} label="Onset" pointer="/eruption/onset" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} type="date" value=${er.onset || ""} onInput=${(e) => setEr({ onset: e.target.value })} />`}<//>
      <${Field} label="Kind" pointer="/eruption/kind" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${er.kind || "new"} onChange=${(e) => setEr({ kind: e.target.value })}><option>new</option><option>worsened</option></select>`}<//>
      <${Field} label="Severity" pointer="/eruption/severity" problems=${P}>${(f) => html`<select id=${f.id} ...${f.aria} value=${er.severity || ""} onChange=${(e) => setEr({ severity: e.target.value || undefined })}><option value="">—</option><option>mild</option><option>moderate</option><option>severe</option></select>`}<//>
      <${Field} label="Sites" pointer="/eruption/sites" problems=${P}>${(f) => html`<input id=${f.id} ...${f.aria} value=${(er.sites || []).join(", ")} onInput=${(e) => setEr({ sites: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) })} />`}<//>
      <label class="check"><input id="f-eruption-biopsy_consistent" type="checkbox" checked=${!!er.biopsy_consistent} onChange=${(e) => setEr({ biopsy_consistent: e.target.checked })} /> Biopsy consistent</label>
      <label class="check"><input id="f-eruption-alternatives_excluded" type="checkbox" checked=${!!er.alternatives_excluded} onChange=${(e) => setEr({ alternatives_excluded: e.target.checked })} /> Alternatives excluded</label>
    </div></fieldset>
  </div>`;
}

// What was entered, for the printout (the form itself is not printed).
function PrintedInputs({ c, start, identification, title }) {
  const p = c.patient || {};
  const er = c.eruption || {};
  const rows = (list, f) => (list && list.length ? list.map(f).join("; ") : "none recorded");
  return html`<section id="print-summary" class="print-only">
    <h2>Patient</h2>
    <p id="print-identification"><b>${identification || "(no identification entered)"}</b>${title ? ` — case “${title}”` : ""}.
      Born ${p.birth_date || (p.age_years != null ? `— age ${p.age_years}` : "—")}, ${p.sex || "sex unknown"}${p.weight_kg != null ? `, ${p.weight_kg} kg` : ""}${p.pregnant ? ", pregnant" : ""}${p.breastfeeding ? ", breastfeeding" : ""}; smoking ${(p.smoking || {}).status || "unknown"}.</p>
    <p>Region ${c.region ? c.region.toUpperCase() : "not given (US assumed)"} · assessment date ${c.as_of || "today"} · treatment start ${start || "not entered (monitoring from the assessment date)"}</p>
    <h3>Inputs</h3>
    <p><b>Conditions:</b> ${rows(c.conditions, (x) => `${x.name}${x.onset ? " since " + x.onset : ""}${x.abatement ? " until " + x.abatement : ""}`)}</p>
    <p><b>Medications:</b> ${rows(c.medications, (x) => `${x.name}${x.start ? " from " + x.start : ""}${x.stop ? " to " + x.stop : ""}`)}</p>
    <p><b>Labs:</b> ${rows(c.labs, (x) => `${x.test} ${x.value != null ? x.value + " " + (x.unit || "") : x.result || ""} (${x.date || "no date"})`)}</p>
    <p><b>Eruption:</b> ${er.phenotype ? `${er.kind || "new"} ${er.phenotype}, onset ${er.onset || "—"}, severity ${er.severity || "—"}${er.sites && er.sites.length ? ", sites " + er.sites.join(", ") : ""}${er.biopsy_consistent ? ", biopsy consistent" : ""}${er.alternatives_excluded ? ", alternatives excluded" : ""}` : "none recorded"}</p>
  </section>`;
}

// ---------------------------------------------------------------- charts

// A uPlot chart that takes the width of its container and follows it (phone to desk); the data
// also go into a table for screen readers and print (ChartTable).
function useWidth(ref) {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!ref.current) return;
    const measure = () => setWidth(Math.floor(ref.current.clientWidth));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(ref.current);
    return () => ro.disconnect();
  }, [ref.current]);
  return width;
}

function UPlotChart({ id, title, makeOptions, data, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const width = useWidth(box);
  const measured = width > 0;
  useEffect(() => {
    if (!box.current || !measured) return;
    plot.current = new uPlot({ ...makeOptions(), title, width: Math.max(200, box.current.clientWidth), height }, data, box.current);
    return () => { plot.current.destroy(); plot.current = null; };
  }, [data, title, measured]);
  useEffect(() => { if (plot.current && width) plot.current.setSize({ width: Math.max(200, width), height }); }, [width]);
  return html`<div class="chart" id=${id} ref=${box} role="img" aria-label=${title + " (the numbers are in the table below the chart)"}></div>`;
}

// The numbers behind a chart, one row per x value (thinned to at most `max` rows).
function ChartTable({ id, caption, columns, rows, max = 25 }) {
  const step = Math.max(1, Math.ceil(rows.length / max));
  const shown = rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
  return html`<details class="chart-table"><summary>${caption}: values as a table</summary>
    <div class="scroll" tabindex="0" role="region" aria-label=${caption + " values"}><table id=${id}><thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
    <tbody>${shown.map((r) => html`<tr>${r.map((v) => html`<td>${typeof v === "number" ? String(+v.toPrecision(4)) : v}</td>`)}</tr>`)}</tbody></table></div></details>`;
}

function AxisChart({ profiles, blocked, released }) {
  const axes = ["Th1", "Th2", "Th17", "Th22", "Th9", "Treg"];
  if (!profiles || !profiles.length) return html`<p class="muted">No disease signature in the KB for these diseases.</p>`;
  const w = 130 + 120 * profiles.length;
  const level = (p, a) => (p.dominant_axes.includes(a) ? "dominant" : p.present_axes.includes(a) ? "present" : p.reduced_axes.includes(a) ? "reduced" : "not described");
  const axisName = (a) => `${a}${blocked.includes(a) ? " (blocked)" : released.includes(a) ? " (released)" : ""}`;
  return html`<div><div class="scroll" tabindex="0" role="region" aria-label="immune-axis chart"><svg id="axis-chart" role="img" aria-label="immune-axis profile of the diseases (table below)" viewBox=${`0 0 ${w} ${30 + 24 * axes.length}`} width=${w} height=${30 + 24 * axes.length}>
    ${profiles.map((p, d) => html`<text x=${130 + 120 * d} y="16" font-size="12">${p.disease}</text>`)}
    ${axes.map((a, i) => html`<g>
      <text x="0" y=${45 + 24 * i} font-size="12">${axisName(a)}</text>
      ${profiles.map((p, d) => {
        const fill = { dominant: "#1d4f91", present: "#8fb0dd", reduced: "#e5e5e5", "not described": "#fafafa" }[level(p, a)];
        return html`<rect x=${130 + 120 * d} y=${30 + 24 * i} width="100" height="18" fill=${fill} stroke="#ccc" />`;
      })}</g>`)}
  </svg></div>
  <p class="muted">dark: dominant axis · light: present · grey: reduced · white: not described</p>
  <${ChartTable} id="axis-table" caption="Immune axes" columns=${["axis", ...profiles.map((p) => p.disease)]}
    rows=${axes.map((a) => [axisName(a), ...profiles.map((p) => level(p, a))])} /></div>`;
}

// One colour ramp per basis, never shared: whole-blood (blue), cellular (green), enzymatic-derived
// (orange); qualitative rows get symbols, unknown "?". The basis is printed in every cell.
const BASIS_TAG = { "whole-blood": "wb", cellular: "cell", "enzymatic-derived": "enz" };
const BASIS_HUE = { "whole-blood": 214, cellular: 140, "enzymatic-derived": 28 };
function heatCell(r) {
  if (!r) return { bg: "#f3f3f3", text: "?", title: "" };
  const note = r.notes && r.notes.length ? " — " + r.notes.join("; ") : "";
  if (r.basis === "quantitative" && r.avg_inhibition_pct != null) {
    const v = r.avg_inhibition_pct;
    const bg = r.excluded_from_aggregates ? "repeating-linear-gradient(45deg,#fff,#fff 3px,#f1dcc8 3px,#f1dcc8 6px)"
      : `hsl(${BASIS_HUE[r.assay]}, 60%, ${95 - 0.33 * v}%)`;  // down to 62 %: dark text stays readable (contrast ≥ 4.5)
    return { bg, text: `${Math.round(v)} ${BASIS_TAG[r.assay]}${r.excluded_from_aggregates ? "!" : ""}`, title: `${r.assay}${note}` };
  }
  if (r.basis === "qualitative") {
    const site = r.effect_exposure === "application-site" ? " (site)" : "";
    return { bg: r.effect === "inhibited" ? "#e8e0f3" : "#fafafa", text: (r.effect === "inhibited" ? "● inh" : "○ spared") + site,
             title: `qualitative: ${r.effect_statement || ""}` };
  }
  return { bg: "#f3f3f3", text: "?", title: `unknown${note}` };
}

// The heatmap uses each option's proposed regimen (its dose); an option without a dose shows its
// first approved regimen and says so; a topical product its application-site statements.
function Heatmap({ options }) {
  const [rows, setRows] = useState(null);
  const latest = useLatest();
  const key = options.map((o) => `${o.drug}:${o.dose ? o.dose.amount + o.dose.unit + o.dose.frequency : ""}`).join(",");
  useEffect(() => {
    setRows(null);
    latest((signal) => Promise.all(options.map((o) => {
      const dosed = o.dose && o.dose.unit === "mg" && (o.dose.frequency === "qd" || o.dose.frequency === "bid");
      const q = dosed ? `&dose=${o.dose.amount}mg&every=${o.dose.frequency === "bid" ? "12h" : "24h"}` : "";
      return api("/api/v1/pathways?drug=" + encodeURIComponent(o.drug) + q, { signal })
        .then((p) => [o, p[0], dosed]).catch((e) => { if (e === SUPERSEDED) throw e; return [o, null, dosed]; });
    }))).then((r) => setRows(r.filter(([, p]) => p))).catch(() => setRows([]));
  }, [key]);
  if (!rows) return html`<p class="loading">computing pathway inhibition…</p>`;
  if (!rows.length) return html`<p class="muted">No product to profile.</p>`;
  const cytokines = rows[0][1].pathways.filter((p) => p.jak_pair).map((p) => p.cytokine);
  const regimenText = (p, dosed) => p.topical ? "topical" :
    `${p.regimen.amount} mg ${p.regimen.frequency}${dosed ? " (proposed)" : " (first approved: no proposed dose)"}${p.modelled_as ? ` → modelled as ${p.modelled_as.amount} mg ${p.modelled_as.frequency} ${p.modelled_as.formulation || ""}` : ""}`;
  return html`<div><div class="scroll" tabindex="0" role="region" aria-label="pathway heatmap"><table id="heatmap" class="heat"><thead><tr><th scope="col">product (regimen)</th>${cytokines.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
    <tbody>${rows.map(([o, p, dosed]) => html`<tr><th scope="row">${o.name} <span class="muted">${regimenText(p, dosed)}</span></th>
      ${cytokines.map((c) => { const h = heatCell(p.pathways.find((x) => x.cytokine === c));
        return html`<td class="heat-cell" style=${"background:" + h.bg} title=${h.title}>${h.text}</td>`; })}</tr>`)}</tbody></table></div>
    <p class="muted" id="heatmap-legend">Average % inhibition over 24 h at steady state, one colour scale per basis, never compared across:
      <b>wb</b> whole-blood potency vs total plasma concentration (blue), <b>cell</b> cellular potency vs unbound (green),
      <b>enz</b> enzymatic-derived vs unbound (orange; <b>!</b> hatched = more than 10× off the drug's cellular scale, kept out of every aggregate);
      <b>● inh</b> / <b>○ spared</b> = cited qualitative statement (no number; "site" = topical application site); <b>?</b> = unknown.
      Basis and limits: docs/pharmacology.md.</p></div>`;
}

function Curves({ option }) {
  const [error, setError] = useState(null);
  const [data, setData] = useState(null);
  const [loading, setLoading] = useState(false);
  const latest = useLatest();
  // The dose starts as the option's and can be changed to explore other regimens.
  const [dose, setDose] = useState(null);
  const [every, setEvery] = useState("24h");
  useEffect(() => {
    if (option && option.dose && option.dose.unit === "mg") {
      setDose(option.dose.amount);
      setEvery(option.dose.frequency === "bid" ? "12h" : "24h");
    }
  }, [option && option.drug, option && option.dose && option.dose.amount]);
  useEffect(() => {
    if (!option || !dose) { setData(null); return; }
    setError(null);
    setLoading(true);
    // A newer dose cancels the request for the older one: its curve can never arrive last.
    latest((signal) => api(`/api/v1/pathways?drug=${encodeURIComponent(option.drug)}&dose=${dose}mg&every=${every}&curve=1`, { signal }))
      .then((p) => { setData(p[0]); setLoading(false); })
      .catch((e) => { setError(e); setLoading(false); });
  }, [option && option.drug, dose, every]);
  const charts = useMemo(() => {
    if (!data || !data.curve) return null;
    const t = data.curve.t_h;
    const pairs = {};
    for (const p of data.pathways) if (p.series_pct && p.series_pct.length && !pairs[p.jak_pair]) pairs[p.jak_pair] = { s: p.series_pct, versus: p.versus, assay: p.assay };
    const names = Object.keys(pairs);
    const palette = ["#1d4f91", "#c0392b", "#16a085", "#8e44ad", "#d35400"];
    // Draw what the inhibition was computed against: total (whole-blood potency) and/or unbound.
    const conc = [{ label: "total nM (parent)", data: data.curve.total_nm, stroke: "#1d4f91" }];
    if (data.curve.unbound_nm.length) conc.push({ label: `unbound nM (fu ${data.unbound_fraction})`, data: data.curve.unbound_nm, stroke: "#c0392b" });
    return { t, pairs, names, palette, conc };
  }, [data]);
  if (!option) return null;
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!option.dose) return html`<p class="muted">No dose for ${option.name}: nothing to plot.</p>`;
  const regimen = data && data.regimen ? `${data.regimen.amount} mg every ${data.regimen.tau_h ?? (every === "12h" ? 12 : 24)} h` : "";
  const controls = html`<div class="row no-print">
      <label>Dose (mg)<input id="curve-dose" type="number" min="0.1" step="any" value=${dose ?? ""} onChange=${(e) => setDose(numberOrUndefined(e.target.value) || null)} /></label>
      <label>Every<select id="curve-every" value=${every} onChange=${(e) => setEvery(e.target.value)}><option value="24h">24 h</option><option value="12h">12 h</option></select></label>
      ${loading && html`<span class="loading" role="status">drawing ${dose} mg…</span>`}</div>`;
  if (data && data.topical) return html`<p class="muted" id="curve-note">${option.name}: topical — ${data.topical.systemic_exposure} <${Sources} ids=${data.topical.sources} />; no systemic curve is drawn.</p>`;
  if (data && !data.curve) return html`<div>${controls}<p class="muted" id="curve-note">PK unknown for ${option.name}: ${data.warnings.join("; ")}</p></div>`;
  const drawn = data && data.modelled_as;
  const noCurve = data && !data.pathways.some((p) => p.series_pct && p.series_pct.length);
  const why = noCurve ? (data.pathways.find((p) => p.jak_pair && p.notes && p.notes.length) || { notes: ["no absolute potency in the KB"] }).notes[0] : "";
  const c = charts;
  return html`<div>${controls}
    ${data && html`<p id="curve-regimen">Drawn: ${data.drug} ${regimen}.</p>`}
    ${drawn && html`<p class="muted" id="curve-note">${data.regimen.amount} mg ${data.regimen.frequency} ${data.regimen.formulation || ""} is drawn as its published equivalent ${drawn.amount} mg ${drawn.frequency} ${drawn.formulation || ""} (no model of the product itself has values).</p>`}
    ${noCurve && html`<p class="muted" id="curve-missing">No inhibition curve: ${why}. The pathway table shows the cited qualitative effects.</p>`}
    ${c && html`<div id="curves" class="grid2">
      <${UPlotChart} id="curve-conc" data=${[c.t, ...c.conc.map((x) => x.data)]}
        title=${`${data.drug} ${regimen} — plasma concentration (nM), total${data.curve.unbound_nm.length ? " and unbound" : " (unbound fraction unknown)"}`}
        makeOptions=${() => ({ scales: { x: { time: false } }, series: [{ label: "h" }, ...c.conc.map((x) => ({ label: x.label, stroke: x.stroke }))], axes: [{ label: "hours after dose" }, { label: "nM" }] })} />
      ${c.names.length > 0 && html`<${UPlotChart} id="curve-inhibition" data=${[c.t, ...c.names.map((n) => c.pairs[n].s)]}
        title=${`${data.drug} ${regimen} — pathway inhibition (%) by JAK pair (quantitative rows only)`}
        makeOptions=${() => ({ scales: { x: { time: false }, y: { range: [0, 100] } },
          series: [{ label: "h" }, ...c.names.map((n, i) => ({ label: `${n} (${c.pairs[n].assay} vs ${c.pairs[n].versus})`, stroke: c.palette[i % c.palette.length] }))],
          axes: [{ label: "hours after dose" }, { label: "%" }] })} />`}
    </div>
    <${ChartTable} id="curve-table" caption=${`${data.drug} ${regimen} over 24 h`}
      columns=${["hours", ...c.conc.map((x) => x.label), ...c.names.map((n) => `${n} inhibition %`)]}
      rows=${c.t.map((t, i) => [t, ...c.conc.map((x) => x.data[i]), ...c.names.map((n) => c.pairs[n].s[i])])} />`}
  </div>`;
}

// ---------------------------------------------------------------- results

// A store statistic as the JSON carries it; "–" when undefined (never 0).
const stat = (v) => (v == null ? "–" : String(+Number(v).toPrecision(6)));

// Pharmacovigilance reporting signals of the culprit and the eruption (present only when the
// server was started with a store): disproportionality in spontaneous reports, not an incidence.
function ReportingSignals({ rs }) {
  return html`<section id="reporting-signals"><h2>Reporting signals</h2>
    <p><b>A ${rs.label}.</b> <span class="muted">Store: ${rs.store} (${rs.reports} reports in the store)</span></p>
    ${rs.note && html`<p>${rs.note}</p>`}
    ${rs.citations.length > 0 && html`<table><thead><tr><th>drug × event</th><th>n</th><th>E</th><th>ROR [95% CI]</th>
      <th>PRR (χ²)</th><th>IC025</th><th>EBGM [EB05 to EB95]</th><th>rules</th></tr></thead><tbody>
      ${rs.citations.map((c) => c.signal
        ? html`<tr><td>${c.drug} × ${c.event}<${Sources} ids=${c.sources} /></td><td>${stat(c.signal.n)}</td><td>${stat(c.signal.expected)}</td>
            <td>${stat(c.signal.ror)} [${stat(c.signal.ror_lo)} to ${stat(c.signal.ror_hi)}]</td><td>${stat(c.signal.prr)} (${stat(c.signal.prr_chi2)})</td>
            <td>${stat(c.signal.ic025)}</td><td>${stat(c.signal.ebgm)} [${stat(c.signal.eb05)} to ${stat(c.signal.eb95)}]</td>
            <td>${c.rules.map((r) => html`<div>${r.rule} (${r.criterion}): ${r.met == null ? "not judged (statistic undefined)" : r.met ? "met" : "not met"}</div>`)}</td></tr>`
        : html`<tr><td>${c.drug} × ${c.event}<${Sources} ids=${c.sources} /></td><td colspan="7">${c.absent}</td></tr>`)}
    </tbody></table>`}
    ${rs.published.map((p) => html`<p class="muted">Published: ${p.text}<${Sources} ids=${p.sources} /></p>`)}
  </section>`;
}


function Result({ a, start }) {
  const pr = a.paradoxical_reaction;
  const firstWithDose = a.options.find((o) => o.kind === "drug" && o.dose && o.dose.unit === "mg");
  const [chosen, setChosen] = useState(firstWithDose ? firstWithDose.drug : null);
  const option = a.options.find((o) => o.drug === chosen);
  const [open, setOpen] = useState({});
  const plan = a.safety_plan;
  const fromStart = start && plan.start_date === start;
  return html`<div id="result">
    <section><h2 id="verdict">Paradoxical reaction: <span class=${"pr-" + pr.classification}>${pr.classification}</span>
      ${pr.score != null && html` <span class="muted">(Naranjo ${pr.score}, ${pr.naranjo_category})</span>`}</h2>
      ${pr.culprits.map((c) => html`<p>Culprit: <b>${c.biologic}</b> (${c.class}), started ${c.start || "?"}${c.days_to_onset != null ? `, eruption after ${c.days_to_onset} days` : ""}</p>`)}
      ${pr.mechanism.text && html`<p>${pr.mechanism.text}<${Sources} ids=${pr.mechanism.sources} /></p>`}
      ${pr.components.length > 0 && html`<details><summary>Score components (Naranjo items)</summary><div class="scroll" tabindex="0" role="region" aria-label="Naranjo items"><table><tbody>
        ${pr.components.map((n) => html`<tr><td>${n.item}</td><td>${n.answer}</td><td>${n.points > 0 ? "+" : ""}${n.points}</td><td>${n.basis}<${Sources} ids=${n.sources} /></td></tr>`)}</tbody></table></div></details>`}
      <${Reasons} reasons=${pr.reasons} />
      ${pr.differentials.length > 0 && html`<p>Differentials: ${pr.differentials.join(", ")}</p>`}
    </section>
    ${pr.reporting_signals && html`<${ReportingSignals} rs=${pr.reporting_signals} />`}
    <section><h2>Immune axes</h2><${AxisChart} profiles=${pr.axis_profiles} blocked=${pr.mechanism.blocked_axes} released=${pr.mechanism.released_axes} /></section>
    <section><h2>Options</h2>
      <div class="scroll" tabindex="0" role="region" aria-label="ranked options"><table id="options"><thead><tr><th scope="col">#</th><th scope="col">option</th><th scope="col">verdict</th><th scope="col">dose</th><th scope="col">coverage (both diseases)</th><th scope="col"><span class="visually-hidden">details</span></th></tr></thead><tbody>
      ${a.options.map((o, i) => html`<tr class="option-row"><td>${i + 1}</td><td>${o.name}</td><td class=${"v-" + o.verdict}>${o.verdict}</td>
          <td>${o.dose ? `${o.dose.amount} ${o.dose.unit} ${o.dose.frequency}` : "—"}</td>
          <td>${o.coverage && o.coverage.both_pct != null ? `${Math.round(o.coverage.both_pct)}% (${o.coverage.basis})` : "unknown"}${o.coverage && o.coverage.quantitative_both_pct != null ? html`<br /><small>modelled ${Math.round(o.coverage.quantitative_both_pct)}% (${o.coverage.quantitative_assay})</small>` : ""}</td>
          <td class="no-print"><button class="link" aria-expanded=${!!open[i]} aria-label=${"reasons for " + o.name} onClick=${() => setOpen({ ...open, [i]: !open[i] })}>reasons</button>
            ${o.kind === "drug" && o.dose && html` <button class="link" aria-label=${"curves for " + o.name} onClick=${() => setChosen(o.drug)}>curves</button>`}</td></tr>
        ${open[i] && html`<tr class="no-print"><td></td><td colspan="5"><${Reasons} reasons=${o.reasons} />
          ${o.adverse_reactions && o.adverse_reactions.length > 0 && html`<details><summary>Adverse-reaction rates (${o.adverse_reactions.length})</summary><table><tbody>
            ${o.adverse_reactions.map((r) => html`<tr><td>${r.term}</td><td>${r.study || ""} ${r.dose || ""}</td><td>${r.drug_pct != null ? r.drug_pct + "%" : ""}${r.placebo_pct != null ? " vs placebo " + r.placebo_pct + "%" : ""}${r.rate_per_100py != null ? r.rate_per_100py + "/100 PY" : ""}</td><td><${Sources} ids=${r.sources} /></td></tr>`)}</tbody></table></details>`}
        </td></tr>`}`)}
      </tbody></table></div>
      <div id="print-reasons" class="print-only"><h3>Reasons for each option, with their sources</h3>
        ${a.options.map((o, i) => html`<div class="print-option"><b>${i + 1}. ${o.name} — ${o.verdict}</b><${Reasons} reasons=${o.reasons} /></div>`)}</div>
    </section>
    <section class="no-print-break"><h2>Pathway heatmap</h2><${Heatmap} options=${a.options.filter((o) => o.kind === "drug")} /></section>
    <section><h2>Concentration and inhibition over 24 h ${option ? "— " + option.name : ""}</h2><${Curves} option=${option} /></section>
    <section id="safety-plan"><h2>Safety plan ${plan.for_drug ? "— " + plan.for_drug : ""}</h2>
      <div class="grid2"><div><h3>Screening</h3><ul id="screening">${plan.screening.map((s) => html`<li>${s.status === "recorded" ? "☑" : s.status === "not-applicable" ? "–" : "☐"} <b>${s.item}</b>: ${s.detail || s.text}<${Sources} ids=${s.sources} /></li>`)}</ul></div>
      <div><h3 id="monitoring-heading">Monitoring from ${plan.start_date} <span class="muted">${fromStart ? "(the treatment start)" : "(the assessment date: no treatment start entered)"}</span></h3>
        <div class="scroll" tabindex="0" role="region" aria-label="monitoring calendar"><table id="monitoring"><tbody>${plan.monitoring.map((m) => html`<tr><td>${m.date || "ongoing"}</td><td>${m.test}</td><td>${m.text}<${Sources} ids=${m.sources} /></td></tr>`)}</tbody></table></div></div></div>
      ${plan.alerts.map((al) => html`<div class="alert"><b>${al.code}</b> ${al.text}<${Sources} ids=${al.sources} /></div>`)}
    </section>
    ${a.warnings.length > 0 && html`<section><h2>Input warnings</h2><ul>${a.warnings.map((w) => html`<li><a href=${"#" + fieldId(w.pointer || "")} onClick=${(e) => { const el = fieldFor(w.pointer); if (el) { e.preventDefault(); el.focus(); } }}>${fieldWords(w.pointer)}</a>: ${plainMessage(w.message)}</li>`)}</ul></section>`}
    <p class="muted">KB ${a.kb_version} · engine ${a.engine_version} · decision support only; check the current label.</p>
  </div>`;
}

// ---------------------------------------------------------------- pages

// The draft of the form survives a reload and a tab switch (sessionStorage: this browser tab
// only, cleared at logout).
const DRAFT_KEY = "paraderm:draft";
function loadDraft() {
  try { return JSON.parse(sessionStorage.getItem(DRAFT_KEY)) || null; } catch { return null; }
}
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

function AssessPage({ onSaved, announce }) {
  const draft = useMemo(loadDraft, []);
  const [c, setC] = useState(draft ? draft.c : structuredClone(EXAMPLES[Object.keys(EXAMPLES)[0]]));
  const [start, setStart] = useState(draft ? draft.start : "");
  const [identification, setIdentification] = useState(draft ? draft.identification : "");
  const [title, setTitle] = useState(draft ? draft.title : "");
  const [result, setResult] = useState(null);
  const [resultStart, setResultStart] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [saving, setSaving] = useState(false);
  const [fhir, setFhir] = useState(null);
  const latest = useLatest();
  const heading = useRef(null);
  // One idempotency key per version of the case: a double click or a retry of the same Save
  // stores one case; any change to the case or title makes the next Save a new case.
  const saveKey = useRef(newKey());
  useEffect(() => {
    saveKey.current = newKey();
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ c, start, identification, title }));
  }, [c, start, identification, title]);
  useEffect(() => {
    if (!result || !heading.current) return;
    heading.current.focus();
    const top = result.options.find((o) => o.kind === "drug");
    announce(`Assessment ready. Paradoxical reaction ${result.paradoxical_reaction.classification}. ` +
      (top ? `Top option ${top.name}, ${top.verdict}. ` : "") +
      `${result.safety_plan.alerts.length} alert${result.safety_plan.alerts.length === 1 ? "" : "s"}.`);
  }, [result]);
  const run = (body, type) => {
    setBusy(true); setError(null); setResult(null);
    const q = new URLSearchParams();
    if (start) q.set("start", start);
    if (type === "application/fhir+json") q.set("region", c.region || "us");
    latest((signal) => api("/api/v1/assess?" + q, { method: "POST", headers: { "Content-Type": type }, body, signal }))
      .then((r) => { setResultStart(start); setResult(r); setBusy(false); })
      .catch((e) => { setError(e); setBusy(false); announce("The case could not be assessed: " + (e.problems ? e.problems.length + " problem(s), listed at the top." : e.message)); });
  };
  const save = async () => {
    setError(null);
    setSaving(true);
    try {
      const r = await api("/api/v1/cases?title=" + encodeURIComponent(title), { method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": saveKey.current }, body: JSON.stringify(c) });
      onSaved(r.id);
    } catch (e) { setError(e); } finally { setSaving(false); }
  };
  const problems = problemsByField(error);
  return html`<div>
    <${ErrorSummary} error=${error} />
    <section class="no-print"><div class="row">
      <label>Example case<select id="example" onChange=${(e) => { if (e.target.value) { setC(structuredClone(EXAMPLES[e.target.value])); setResult(null); setError(null); setFhir(null); } }}>
        <option value="">—</option>${Object.keys(EXAMPLES).map((k) => html`<option>${k}</option>`)}</select></label>
      <label>FHIR R4 Bundle<input type="file" accept=".json,application/json,application/fhir+json" onChange=${async (e) => { const f = e.target.files[0]; if (f) setFhir(await f.text()); }} /></label>
    </div></section>
    ${fhir ? html`<section><p>FHIR Bundle loaded (${fhir.length} bytes); region ${c.region || "us"}.</p>
      <label>Treatment start<input type="date" value=${start} onInput=${(e) => setStart(e.target.value)} /></label>
      <button class="primary" disabled=${busy} onClick=${() => run(fhir, "application/fhir+json")}>Assess the FHIR Bundle</button>
      <button class="link" onClick=${() => setFhir(null)}>back to the form</button></section>`
    : html`<div class="no-print"><${CaseForm} value=${c} onChange=${setC} problems=${problems} start=${start} onStart=${setStart}
        identification=${identification} onIdentification=${setIdentification} /></div>
      <div class="no-print row actions"><button id="assess" class="primary" disabled=${busy} onClick=${() => run(JSON.stringify(c), "application/json")}>Assess</button>
        <label>Case title<input id="case-title" value=${title} onInput=${(e) => setTitle(e.target.value)} /></label>
        <button id="save" class="secondary" disabled=${saving} onClick=${save}>${saving ? "Saving…" : "Save case"}</button>
        <button class="secondary" onClick=${() => window.print()}>Print</button></div>`}
    ${busy && html`<p class="loading" role="status">assessing…</p>`}
    ${result && html`<h2 id="result-heading" tabindex="-1" ref=${heading}>Assessment result</h2>
      <${PrintedInputs} c=${c} start=${resultStart} identification=${identification} title=${title} />
      <${Result} a=${result} start=${resultStart} />`}
  </div>`;
}

function CasesPage({ selected, onSelect, visible }) {
  const [cases, setCases] = useState(null);
  const [error, setError] = useState(null);
  const latest = useLatest();
  useEffect(() => { if (visible) latest((signal) => api("/api/v1/cases", { signal })).then(setCases).catch(setError); }, [selected, visible]);
  return html`<div><${ErrorBox} error=${error} />
    <section><h2>Saved cases</h2>${cases == null ? html`<p class="loading">loading…</p>` : cases.length === 0 ? html`<p>No saved case yet.</p>` :
      html`<div class="scroll" tabindex="0" role="region" aria-label="saved cases"><table id="cases"><tbody>${cases.map((c) => html`<tr><td>#${c.id}</td><td>${c.title || "(untitled)"}</td><td>${c.created_at}</td><td>${c.input_kind}</td>
        <td><button class="link" aria-label=${`open case ${c.id} ${c.title || ""}`} onClick=${() => onSelect(c.id)}>open</button></td></tr>`)}</tbody></table></div>`}</section>
    ${selected && html`<${CaseDetail} id=${selected} />`}
  </div>`;
}

const LAB_BLANK = { test: "alc", date: "", value: "", unit: "10*9/L", result: "" };

function CaseDetail({ id }) {
  const [c, setC] = useState(null);
  const [history, setHistory] = useState([]);
  const [lab, setLab] = useState(LAB_BLANK);
  const [start, setStart] = useState("");
  const [outcome, setOutcome] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const latest = useLatest();
  const load = () => latest((signal) => Promise.all([api("/api/v1/cases/" + id, { signal }), api(`/api/v1/cases/${id}/assessments`, { signal })]))
    .then(([cc, h]) => { setC(cc); setHistory(h); }).catch(setError);
  useEffect(() => { setC(null); load(); setOutcome(null); setError(null); }, [id]);
  const add = async () => {
    setError(null);
    // An empty value is "not given": the lab is sent with its result instead, or not at all.
    const value = numberOrUndefined(lab.value);
    const entry = { test: lab.test, date: lab.date || undefined };
    if (value !== undefined) { entry.value = value; entry.unit = lab.unit; }
    if (lab.result) entry.result = lab.result;
    if (value === undefined && !lab.result) {
      setError({ message: "Enter a value or a result.", problems: [{ pointer: "/labs/0/value", message: "empty — enter the value (with its unit) or choose a result" }] });
      return;
    }
    setBusy(true);
    try {
      const q = start ? "?start=" + start : "";
      const r = await api(`/api/v1/cases/${id}/labs${q}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ labs: [entry] }) });
      setOutcome(r); setLab({ ...lab, value: "", result: "" }); load();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  if (!c) return error ? html`<${ErrorBox} error=${error} />` : html`<p class="loading">loading case…</p>`;
  // The lab form's fields carry the pointers of the request ({"labs": [one lab]}).
  const problems = problemsByField(error);
  const f = (key) => fieldProps(`/labs/0/${key}`, problems, "fu", key === "value" ? "/labs/0" : null);
  const checkedWords = (checked) => checked.map((x) => `${x.drug} (${x.status === "planned" ? "planned: not started yet, do-not-start thresholds" : "being taken"})`).join(" and ");
  return html`<section id="case-detail"><h2>Case #${c.id} ${c.title}</h2>
    <p class="muted">${c.input_kind} case, saved ${c.created_at}; ${c.labs.length} follow-up result(s).</p>
    <${ErrorSummary} error=${error} id="lab-errors" prefix="fu" />
    <fieldset><legend>Add a follow-up lab result</legend><div class="row">
      <label>Test<input id=${f("test").id} ...${f("test").aria} list="lab-tests" value=${lab.test} onInput=${(e) => setLab({ ...lab, test: e.target.value })} /><${FieldError} f=${f("test")} /></label>
      <label>Date<input id=${f("date").id} ...${f("date").aria} type="date" value=${lab.date} onInput=${(e) => setLab({ ...lab, date: e.target.value })} /><${FieldError} f=${f("date")} /></label>
      <label>Value<input id=${f("value").id} ...${f("value").aria} type="number" step="any" value=${lab.value} onInput=${(e) => setLab({ ...lab, value: e.target.value })} /><${FieldError} f=${f("value")} /></label>
      <label>Unit<input id=${f("unit").id} ...${f("unit").aria} value=${lab.unit} onInput=${(e) => setLab({ ...lab, unit: e.target.value })} /><${FieldError} f=${f("unit")} /></label>
      <label>or result<select id=${f("result").id} ...${f("result").aria} value=${lab.result} onChange=${(e) => setLab({ ...lab, result: e.target.value })}><option value="">—</option><option>positive</option><option>negative</option><option>indeterminate</option></select></label>
      <label>Treatment start <span class="muted">(monitoring dates)</span><input id="case-start" type="date" value=${start} onInput=${(e) => setStart(e.target.value)} /></label>
      <button id="add-lab" class="primary" disabled=${busy} onClick=${add}>Add and re-assess</button></div>
      <p class="muted">Results dated after the assessment date are accepted: the case is re-assessed as of the newest result.</p></fieldset>
    <div id="lab-outcome" aria-live="polite">${outcome && (outcome.alerts.length ? outcome.alerts.map((al) => html`<div class="alert"><b>${al.code}</b> ${al.text}<${Sources} ids=${al.sources} /></div>`)
      : html`<p id="no-alerts">${outcome.checked && outcome.checked.length ? `No label threshold crossed for ${checkedWords(outcome.checked)}.`
          : "Not checked against any label threshold: no JAK inhibitor is being taken or planned for this case."}</p>`)}</div>
    <h3>Assessment history</h3><div class="scroll" tabindex="0" role="region" aria-label="assessment history"><table><tbody>${history.map((h) => html`<tr><td>#${h.id}</td><td>${h.created_at}</td><td>${h.classification}</td><td>${h.alerts} alert(s)</td><td class="muted">input ${h.input_hash} · KB ${h.kb_version}</td></tr>`)}</tbody></table></div>
  </section>`;
}

function SignalsPage({ visible }) {
  const [filters, setFilters] = useState({ drug: "", event: "", min_count: 3 });
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [noStore, setNoStore] = useState(false);
  const latest = useLatest();
  const load = () => {
    const q = new URLSearchParams({ min_count: String(filters.min_count || 1) });
    if (filters.drug) q.set("drug", filters.drug);
    if (filters.event) q.set("event", filters.event);
    setError(null);
    latest((signal) => api("/api/v1/signals?" + q, { signal })).then(setData).catch((e) => {
      setData(null);
      // 404: this server has no report store; say so in clinical words, not the operator's.
      if (e.status === 404) setNoStore(true); else setError(e);
    });
  };
  const [loaded, setLoaded] = useState(false);
  useEffect(() => { if (visible && !loaded) { setLoaded(true); load(); } }, [visible]);
  const pts = useMemo(() => (data ? [...data.pairs].sort((a, b) => a.n - b.n) : []), [data]);
  if (noStore) return html`<section id="signals-unavailable"><h2>Pharmacovigilance signals</h2>
    <p>No collection of spontaneous adverse-event reports is connected to this paraderm server, so there are no reporting signals to show.
      Assessments work as usual; they simply do not cite report counts. If your team needs signals, ask the person who runs paraderm for you.</p></section>`;
  return html`<div><section><h2>Pharmacovigilance signals</h2>
    <p class="muted">Disproportionality in spontaneous reports (ROR, IC, EBGM/EB05 from the MGPS prior): reporting signals, not incidences.</p>
    <div class="row">
      <label>Drug contains<input id="sig-drug" value=${filters.drug} onInput=${(e) => setFilters({ ...filters, drug: e.target.value })} /></label>
      <label>Event contains<input id="sig-event" value=${filters.event} onInput=${(e) => setFilters({ ...filters, event: e.target.value })} /></label>
      <label>Min. reports<input type="number" min="1" value=${filters.min_count} onInput=${(e) => setFilters({ ...filters, min_count: numberOrUndefined(e.target.value) })} /></label>
      <button class="primary" onClick=${load}>Filter</button></div></section>
    <${ErrorBox} error=${error} />
    ${data && html`<section aria-labelledby="signals-about-heading"><h3 id="signals-about-heading">How these signals were computed</h3>
      <dl id="signals-about" class="facts">
        <dt>Reports</dt><dd id="signals-data">${data.data.source}: ${count(data.data.reports)} reports, ${count(data.data.drugs)} drugs, ${count(data.data.events)} events, ${count(data.data.pairs)} drug–event pairs</dd>
        <dt>MGPS prior θ (α1, β1, α2, β2, P)</dt><dd id="signals-prior">${data.prior.theta.map((v) => v.toPrecision(6)).join(", ")} — ${data.prior.text}</dd>
        <dt>Posterior weight Qₙ</dt><dd id="signals-qn">${data.qn.text}</dd>
      </dl>
      <${UPlotChart} id="signal-plot" title="EB05 against report count" height=${260} data=${[pts.map((p) => p.n), pts.map((p) => p.eb05)]}
        makeOptions=${() => ({ scales: { x: { time: false, distr: 3 } },
          series: [{ label: "n" }, { label: "EB05", stroke: "#1d4f91", paths: () => null, points: { show: true, size: 5 } }],
          axes: [{ label: "reports with the pair (log)" }, { label: "EB05" }] })} />
      <p class="muted">The table below lists the plotted pairs with their numbers.</p>
      <div class="scroll" tabindex="0" role="region" aria-label="signals"><table id="signals"><thead><tr><th scope="col">drug</th><th scope="col">event</th><th scope="col">n</th><th scope="col">E</th><th scope="col">ROR (lower)</th><th scope="col">IC025</th><th scope="col">EBGM</th><th scope="col">EB05</th></tr></thead><tbody>
      ${data.pairs.slice(0, 200).map((p) => html`<tr><td>${p.drug}</td><td>${p.event}</td><td>${p.n}</td><td>${p.expected.toFixed(3)}</td>
        <td>${p.ror == null ? "∞" : p.ror.toFixed(1)} ${p.ror_lo == null ? "" : "(" + p.ror_lo.toFixed(1) + ")"}</td><td>${p.ic025.toFixed(2)}</td><td>${p.ebgm.toFixed(2)}</td><td class=${p.eb05 >= 2 ? "v-caution" : ""}>${p.eb05.toFixed(2)}</td></tr>`)}
      </tbody></table></div></section>`}
  </div>`;
}

// Population screening (docs/scale.md): the patients a `paraderm screen` run flagged, most serious
// first, a page at a time; the server loads the run at start (serve --screen-results).
const FINDING_KINDS = {
  paradoxical_reaction: "paradoxical reaction", contraindication: "contraindication", lab_threshold: "lab threshold crossed",
  rule_unknown: "no rule in the KB", missing_screening: "baseline screening not recorded", risk_group: "PRAC risk group",
  unreadable_record: "record could not be read",
};
const SEVERITY_CLASS = { block: "v-contraindicated", warning: "v-caution", caution: "v-caution", info: "" };
const SCREENING_PAGE = 25;
const count = (n) => (n == null ? "?" : Number(n).toLocaleString("en"));

// The reason codes of a row once each, with the drug and what they concern.
function screeningCodes(findings) {
  const seen = new Map();
  for (const f of findings) {
    const words = [f.drug, f.detail].filter(Boolean).join(", ");
    const key = f.code + (words ? ` (${words})` : "");
    seen.set(key, f.severity || "");
  }
  return [...seen.entries()];
}

function ScreeningPage({ visible }) {
  const [kind, setKind] = useState("");
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [none, setNone] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const latest = useLatest();
  const load = (offset, k) => {
    const q = new URLSearchParams({ offset: String(offset), limit: String(SCREENING_PAGE) });
    if (k) q.set("kind", k);
    setError(null);
    latest((signal) => api("/api/v1/screening?" + q, { signal })).then(setData).catch((e) => {
      // 404: no screen loaded on this server; say so in clinical words, not the operator's.
      if (e.status === 404) setNone(true); else setError(e);
    });
  };
  useEffect(() => { if (visible && !loaded) { setLoaded(true); load(0, kind); } }, [visible]);
  if (none) return html`<section id="screening-unavailable"><h2>Population screening</h2>
    <p>No population screening results are available on this paraderm server, so there are no flagged patients to review.
      Assessing single patients works as usual. If your team needs a screen of its patients, ask the person who runs paraderm for you.</p></section>`;
  const s = data && data.summary;
  const first = data ? data.offset + 1 : 0, last = data ? data.offset + data.patients.length : 0;
  return html`<div><section aria-labelledby="screening-heading"><h2 id="screening-heading">Population screening</h2>
    <p class="muted">Patients of a health-system export whose records show a possible paradoxical reaction to a biologic, or who take a JAK/TYK2 inhibitor with a contraindication, a crossed lab threshold, a question the KB cannot answer, missing baseline screening or a PRAC risk group. Findings to review, not diagnoses.</p>
    ${s && html`<div id="screening-summary">
      <p><b>${count(s.flagged)}</b> of ${count(s.patients)} patients flagged (${count(s.assessed)} assessed; screening date ${s.as_of}, ${String(s.region).toUpperCase()} labels).
        ${s.malformed_lines + s.unreadable_records > 0 ? ` ${count(s.malformed_lines)} lines and ${count(s.unreadable_records)} records could not be read.` : ""}</p>
      <div class="scroll" tabindex="0" role="region" aria-label="flagged patients per finding"><table id="screening-counts">
        <thead><tr><th scope="col">finding</th><th scope="col">patients</th></tr></thead>
        <tbody>${Object.keys(FINDING_KINDS).filter((k) => s.flagged_by_kind[k]).map((k) => html`<tr><th scope="row">${FINDING_KINDS[k]}</th><td>${count(s.flagged_by_kind[k])}${k === "paradoxical_reaction" && Object.keys(s.pr_by_classification).length
          ? ` (${Object.entries(s.pr_by_classification).map(([c, n]) => `${c} ${n}`).join(", ")})` : ""}</td></tr>`)}</tbody></table></div></div>`}
    <div class="row">
      <label for="screening-kind">Show patients with<select id="screening-kind" value=${kind} onChange=${(e) => { setKind(e.target.value); load(0, e.target.value); }}>
        <option value="">any finding</option>
        ${Object.keys(FINDING_KINDS).map((k) => html`<option value=${k}>${FINDING_KINDS[k]}${s && s.flagged_by_kind[k] != null ? ` (${s.flagged_by_kind[k]})` : ""}</option>`)}
      </select></label></div></section>
    <${ErrorBox} error=${error} />
    ${data == null && !error ? html`<p class="loading">loading…</p>` : null}
    ${data && html`<section aria-labelledby="screening-list-heading"><h3 id="screening-list-heading">Flagged patients, most serious first</h3>
      ${data.patients.length === 0 ? html`<p id="screening-empty">No patient has a finding of this kind.</p>` : html`
      <div class="scroll stack" tabindex="0" role="region" aria-labelledby="screening-list-heading"><table id="screening-table">
        <thead><tr><th scope="col">patient</th><th scope="col">most serious</th><th scope="col">findings</th><th scope="col">paradoxical reaction</th><th scope="col">reason codes</th></tr></thead>
        <tbody>${data.patients.map((p) => {
          const pr = p.findings.find((f) => f.kind === "paradoxical_reaction");
          return html`<tr><th scope="row" class="patient-id">${p.patient}</th>
            <td data-label="most serious" class=${SEVERITY_CLASS[p.severity] || ""}>${p.severity || "not assessed"}</td>
            <td data-label="findings">${p.kinds.map((k) => FINDING_KINDS[k] || k).join("; ")}</td>
            <td data-label="paradoxical reaction">${pr ? html`${pr.classification}: ${pr.drug} (${pr.culprit_class})${pr.new_disease ? `, new ${pr.new_disease}` : ""}${pr.onset ? ` from ${pr.onset}` : ""}` : "—"}</td>
            <td data-label="reason codes"><ul class="codes">${screeningCodes(p.findings).map(([code, sev]) => html`<li class=${SEVERITY_CLASS[sev] || ""}>${code}</li>`)}</ul></td></tr>`;
        })}</tbody></table></div>`}
      <nav class="pager" aria-label="pages of flagged patients">
        <button id="screening-prev" class="secondary" disabled=${data.offset === 0} onClick=${() => load(Math.max(0, data.offset - data.limit), kind)}>Previous</button>
        <span id="screening-range" role="status">${data.total === 0 ? "none" : `patients ${first}–${last} of ${data.total}`}</span>
        <button id="screening-next" class="secondary" disabled=${last >= data.total} onClick=${() => load(data.offset + data.limit, kind)}>Next</button>
      </nav></section>`}
  </div>`;
}


// CDS Hooks feedback (docs/cds-hooks.md): what clinicians did with the cards, read-only.
function FeedbackPage() {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { api("/api/v1/cds-feedback").then(setItems).catch(setError); }, []);
  return html`<div><${ErrorBox} error=${error} />
    <section><h2>CDS Hooks feedback</h2>${items == null ? html`<p class="loading">loading…</p>` : items.length === 0 ? html`<p>No feedback yet.</p>` :
      html`<table id="cds-feedback"><thead><tr><th>received</th><th>service</th><th>card</th><th>outcome</th><th>at</th><th>override reason</th><th>comment</th></tr></thead><tbody>
        ${items.map((f) => html`<tr><td>${f.received_at}</td><td>${f.service}</td><td class="muted">${f.card}</td><td>${f.outcome}</td><td>${f.outcome_at}</td>
          <td>${f.override_display || f.override_code || ""}</td><td>${f.override_comment || ""}</td></tr>`)}</tbody></table>`}</section></div>`;
}


// URL state: ?tab=assess|cases|signals|screening|feedback&case=ID. Each change is a history entry, so Back
// and reload return to the same tab and case. A CDS Hooks card links to /?case=ID.
const TABS = ["assess", "cases", "signals", "screening", "feedback"];
function readUrl() {
  const q = new URLSearchParams(location.search);
  const kase = Number(q.get("case")) || null;
  const tab = TABS.includes(q.get("tab")) ? q.get("tab") : kase ? "cases" : "assess";
  return { tab, kase };
}
function urlFor({ tab, kase }) {
  const q = new URLSearchParams();
  if (tab !== "assess") q.set("tab", tab);
  if (kase && tab === "cases") q.set("case", String(kase));
  const s = q.toString();
  return location.pathname + (s ? "?" + s : "");
}

// The lab test ids the case format reads (the KB's labs, weight and height included), offered in
// every "test" field: a child's eGFR needs a height, which nothing else on the page names.
function LabTestList() {
  const [labs, setLabs] = useState([]);
  useEffect(() => { api("/api/v1/labs").then((l) => setLabs(Array.isArray(l) ? l : [])).catch(() => setLabs([])); }, []);
  return html`<datalist id="lab-tests">${labs.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</datalist>`;
}

function App() {
  const [state, setState] = useState(readUrl);
  const [message, setMessage] = useState("");
  // Pages stay mounted once visited: switching tabs keeps the form and the result.
  const [visited, setVisited] = useState(() => new Set([readUrl().tab]));
  useEffect(() => {
    const onPop = () => { const s = readUrl(); setState(s); setVisited((v) => new Set(v).add(s.tab)); };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = (tab, kase = tab === "cases" ? state.kase : null) => {
    const next = { tab, kase };
    if (urlFor(next) !== location.pathname + location.search) history.pushState(null, "", urlFor(next));
    setState(next);
    setVisited((v) => new Set(v).add(tab));
  };
  // Announced politely by screen readers; cleared first so the same text is read again.
  const announce = (text) => { setMessage(""); setTimeout(() => setMessage(text), 50); };
  // Screening results are patient data for those who review patients (docs/server.md): the
  // tab is not offered to a role the server would refuse.
  const user = useUser();
  const screening = !user || user.auth === "disabled" || ["clinician", "pharmacist"].includes(user.role);
  const tabButton = (tab, label) => html`<button id=${"nav-" + tab} aria-current=${state.tab === tab ? "page" : undefined} onClick=${() => go(tab)}>${label}</button>`;
  const page = (tab, body) => (visited.has(tab) ? html`<div id=${"page-" + tab} hidden=${state.tab !== tab}>${body}</div>` : null);
  return html`<div>
    <a class="skip" href="#main">Skip to the page</a>
    <header><h1>paraderm</h1><nav aria-label="pages">
      ${tabButton("assess", "Assess")}${tabButton("cases", "Saved cases")}${tabButton("signals", "Signals")}${screening ? tabButton("screening", "Screening") : null}${tabButton("feedback", "CDS feedback")}
    </nav><${UserMenu} /></header>
    <div id="announcer" class="visually-hidden" aria-live="polite" role="status">${message}</div>
    <${LabTestList} />
    <main id="main">
      ${page("assess", html`<${AssessPage} announce=${announce} onSaved=${(id) => go("cases", id)} />`)}
      ${page("cases", html`<${CasesPage} visible=${state.tab === "cases"} selected=${state.kase} onSelect=${(id) => go("cases", id)} />`)}
      ${page("signals", html`<${SignalsPage} visible=${state.tab === "signals"} />`)}
      ${screening ? page("screening", html`<${ScreeningPage} visible=${state.tab === "screening"} />`) : null}
      ${page("feedback", html`<${FeedbackPage} />`)}
    </main>
  </div>`;
}

render(html`<${Gate}><${App} /></${Gate}>`, document.getElementById("app"));
