// paraderm web page: case entry → assessment (PR verdict, ranked options, pathway heatmap and
// curves, immune axes, safety plan) and saved cases with lab follow-up. Talks only to the
// paraderm API on the same origin; every library is served by paraderm itself.
import { h, render } from "preact";
import { useState, useEffect, useRef } from "preact/hooks";
import htm from "htm";
import uPlot from "uplot";
import { authFetch, Gate, UserMenu } from "./login.js";

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

async function api(path, options = {}) {
  const res = await authFetch(path, options);
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok) {
    const e = body && body.error ? body.error : { status: res.status, message: text || res.statusText };
    throw e;
  }
  return body;
}

function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert"><b>${error.status || ""} ${error.message || String(error)}</b>
    ${error.problems && html`<ul>${error.problems.map((p) => html`<li><code>${p.pointer || "(input)"}</code>: ${p.message}</li>`)}</ul>`}
  </div>`;
}

function Sources({ ids }) {
  if (!ids || !ids.length) return null;
  return html`<span class="muted"> [${ids.map((id, i) => html`${i ? ", " : ""}<a href=${"/api/v1/sources/" + encodeURIComponent(id)} target="_blank" rel="noopener">${id}</a>`)}]</span>`;
}

function Reasons({ reasons }) {
  return html`<ul class="reasons">${reasons.map((r) => html`<li><code>${r.code}</code> ${r.text}<${Sources} ids=${r.sources} /></li>`)}</ul>`;
}

// ---------------------------------------------------------------- case entry

function ListEditor({ title, rows, columns, onChange, empty }) {
  const set = (i, key, value) => onChange(rows.map((r, j) => (j === i ? { ...r, [key]: value === "" ? undefined : value } : r)));
  return html`<fieldset><legend>${title}</legend>
    <table><thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}<th></th></tr></thead><tbody>
    ${rows.map((r, i) => html`<tr>${columns.map((c) => html`<td>
        <input aria-label=${title + " " + c.label + " " + (i + 1)} type=${c.type || "text"} step="any" value=${r[c.key] ?? ""}
          onInput=${(e) => set(i, c.key, c.type === "number" && e.target.value !== "" ? Number(e.target.value) : e.target.value)} /></td>`)}
      <td><button class="link" onClick=${() => onChange(rows.filter((_, j) => j !== i))}>remove</button></td></tr>`)}
    </tbody></table>
    <button class="secondary" onClick=${() => onChange([...rows, { ...empty }])}>add ${title.toLowerCase().replace(/s$/, "")}</button>
  </fieldset>`;
}

function CaseForm({ value, onChange }) {
  const c = value;
  const patch = (p) => onChange({ ...c, ...p });
  const patient = c.patient || {};
  const setPatient = (p) => patch({ patient: { ...patient, ...p } });
  const er = c.eruption || {};
  const setEr = (p) => patch({ eruption: { ...er, ...p } });
  return html`<div>
    <fieldset><legend>Patient</legend><div class="row">
      <label>Region<select value=${c.region || "us"} onChange=${(e) => patch({ region: e.target.value })}><option value="us">US</option><option value="eu">EU</option></select></label>
      <label>Assessment date<input type="date" value=${c.as_of || ""} onInput=${(e) => patch({ as_of: e.target.value })} /></label>
      <label>Birth date<input type="date" value=${patient.birth_date || ""} onInput=${(e) => setPatient({ birth_date: e.target.value || undefined, age_years: undefined })} /></label>
      <label>or age<input type="number" min="0" max="120" value=${patient.age_years ?? ""} onInput=${(e) => setPatient({ age_years: e.target.value === "" ? undefined : Number(e.target.value) })} /></label>
      <label>Sex<select value=${patient.sex || "unknown"} onChange=${(e) => setPatient({ sex: e.target.value })}>${["female", "male", "other", "unknown"].map((s) => html`<option>${s}</option>`)}</select></label>
      <label>Weight (kg)<input type="number" value=${patient.weight_kg ?? ""} onInput=${(e) => setPatient({ weight_kg: e.target.value === "" ? undefined : Number(e.target.value) })} /></label>
      <label>Smoking<select value=${(patient.smoking || {}).status || "unknown"} onChange=${(e) => setPatient({ smoking: { ...(patient.smoking || {}), status: e.target.value } })}>${["never", "former", "current", "unknown"].map((s) => html`<option>${s}</option>`)}</select></label>
      <label>Pregnant<input type="checkbox" checked=${!!patient.pregnant} onChange=${(e) => setPatient({ pregnant: e.target.checked })} /></label>
      <label>Breastfeeding<input type="checkbox" checked=${!!patient.breastfeeding} onChange=${(e) => setPatient({ breastfeeding: e.target.checked })} /></label>
    </div></fieldset>
    <${ListEditor} title="Conditions" rows=${c.conditions || []} empty=${{ name: "" }} onChange=${(rows) => patch({ conditions: rows })}
      columns=${[{ key: "name", label: "name or KB id" }, { key: "onset", label: "onset", type: "date" }, { key: "abatement", label: "abatement", type: "date" }]} />
    <${ListEditor} title="Medications" rows=${c.medications || []} empty=${{ name: "" }} onChange=${(rows) => patch({ medications: rows })}
      columns=${[{ key: "name", label: "name" }, { key: "start", label: "start", type: "date" }, { key: "stop", label: "stop", type: "date" }]} />
    <${ListEditor} title="Labs" rows=${c.labs || []} empty=${{ test: "" }} onChange=${(rows) => patch({ labs: rows })}
      columns=${[{ key: "test", label: "test" }, { key: "date", label: "date", type: "date" }, { key: "value", label: "value", type: "number" }, { key: "unit", label: "unit" }, { key: "result", label: "or result" }]} />
    <fieldset><legend>New or worsened eruption</legend><div class="row">
      <label>Phenotype<select value=${er.phenotype || ""} onChange=${(e) => setEr({ phenotype: e.target.value })}><option value="">—</option>${PHENOTYPES.map((p) => html`<option>${p}</option>`)}</select></label>
      <label>Onset<input type="date" value=${er.onset || ""} onInput=${(e) => setEr({ onset: e.target.value })} /></label>
      <label>Kind<select value=${er.kind || "new"} onChange=${(e) => setEr({ kind: e.target.value })}><option>new</option><option>worsened</option></select></label>
      <label>Severity<select value=${er.severity || ""} onChange=${(e) => setEr({ severity: e.target.value || undefined })}><option value="">—</option><option>mild</option><option>moderate</option><option>severe</option></select></label>
      <label>Sites<input value=${(er.sites || []).join(", ")} onInput=${(e) => setEr({ sites: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) })} /></label>
      <label>Biopsy consistent<input type="checkbox" checked=${!!er.biopsy_consistent} onChange=${(e) => setEr({ biopsy_consistent: e.target.checked })} /></label>
      <label>Alternatives excluded<input type="checkbox" checked=${!!er.alternatives_excluded} onChange=${(e) => setEr({ alternatives_excluded: e.target.checked })} /></label>
    </div></fieldset>
  </div>`;
}

// ---------------------------------------------------------------- charts

function AxisChart({ profiles, blocked, released }) {
  const axes = ["Th1", "Th2", "Th17", "Th22", "Th9", "Treg"];
  if (!profiles || !profiles.length) return html`<p class="muted">No disease signature in the KB for these diseases.</p>`;
  const w = 130 + 120 * profiles.length;
  return html`<svg id="axis-chart" role="img" aria-label="immune-axis profile" width=${w} height=${30 + 24 * axes.length}>
    ${profiles.map((p, d) => html`<text x=${130 + 120 * d} y="16" font-size="12">${p.disease}</text>`)}
    ${axes.map((a, i) => html`<g>
      <text x="0" y=${45 + 24 * i} font-size="12">${a}${blocked.includes(a) ? " (blocked)" : released.includes(a) ? " (released)" : ""}</text>
      ${profiles.map((p, d) => {
        const fill = p.dominant_axes.includes(a) ? "#1d4f91" : p.present_axes.includes(a) ? "#8fb0dd" : p.reduced_axes.includes(a) ? "#e5e5e5" : "#fafafa";
        return html`<rect x=${130 + 120 * d} y=${30 + 24 * i} width="100" height="18" fill=${fill} stroke="#ccc" />`;
      })}</g>`)}
  </svg>`;
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
      : `hsl(${BASIS_HUE[r.assay]}, 60%, ${95 - 0.5 * v}%)`;
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
  const key = options.map((o) => `${o.drug}:${o.dose ? o.dose.amount + o.dose.unit + o.dose.frequency : ""}`).join(",");
  useEffect(() => {
    let live = true;
    Promise.all(options.map((o) => {
      const dosed = o.dose && o.dose.unit === "mg" && (o.dose.frequency === "qd" || o.dose.frequency === "bid");
      const q = dosed ? `&dose=${o.dose.amount}mg&every=${o.dose.frequency === "bid" ? "12h" : "24h"}` : "";
      return api("/api/v1/pathways?drug=" + encodeURIComponent(o.drug) + q).then((p) => [o, p[0], dosed]).catch(() => [o, null, dosed]);
    })).then((r) => live && setRows(r.filter(([, p]) => p)));
    return () => { live = false; };
  }, [key]);
  if (!rows) return html`<p class="loading">computing pathway inhibition…</p>`;
  if (!rows.length) return html`<p class="muted">No product to profile.</p>`;
  const cytokines = rows[0][1].pathways.filter((p) => p.jak_pair).map((p) => p.cytokine);
  const regimenText = (p, dosed) => p.topical ? "topical" :
    `${p.regimen.amount} mg ${p.regimen.frequency}${dosed ? " (proposed)" : " (first approved: no proposed dose)"}${p.modelled_as ? ` → modelled as ${p.modelled_as.amount} mg ${p.modelled_as.frequency} ${p.modelled_as.formulation || ""}` : ""}`;
  return html`<div style="overflow-x:auto"><table id="heatmap" class="heat"><thead><tr><th>product (regimen)</th>${cytokines.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${rows.map(([o, p, dosed]) => html`<tr><th>${o.name} <span class="muted">${regimenText(p, dosed)}</span></th>
      ${cytokines.map((c) => { const h = heatCell(p.pathways.find((x) => x.cytokine === c));
        return html`<td class="heat-cell" style=${"background:" + h.bg} title=${h.title}>${h.text}</td>`; })}</tr>`)}</tbody></table>
    <p class="muted" id="heatmap-legend">Average % inhibition over 24 h at steady state, one colour scale per basis, never compared across:
      <b>wb</b> whole-blood potency vs total plasma concentration (blue), <b>cell</b> cellular potency vs unbound (green),
      <b>enz</b> enzymatic-derived vs unbound (orange; <b>!</b> hatched = more than 10× off the drug's cellular scale, kept out of every aggregate);
      <b>● inh</b> / <b>○ spared</b> = cited qualitative statement (no number; "site" = topical application site); <b>?</b> = unknown.
      Basis and limits: docs/pharmacology.md.</p></div>`;
}

function Curves({ option }) {
  const ref = useRef(null);
  const [error, setError] = useState(null);
  const [data, setData] = useState(null);
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
    api(`/api/v1/pathways?drug=${encodeURIComponent(option.drug)}&dose=${dose}mg&every=${every}&curve=1`)
      .then((p) => setData(p[0])).catch(setError);
  }, [option && option.drug, dose, every]);
  useEffect(() => {
    if (!data || !data.curve || !ref.current) return;
    ref.current.innerHTML = "";
    const t = data.curve.t_h;
    const pairs = {};
    for (const p of data.pathways) if (p.series_pct && p.series_pct.length && !pairs[p.jak_pair]) pairs[p.jak_pair] = { s: p.series_pct, versus: p.versus, assay: p.assay };
    const names = Object.keys(pairs);
    const palette = ["#1d4f91", "#c0392b", "#16a085", "#8e44ad", "#d35400"];
    // Draw what the inhibition was computed against: total (whole-blood potency) and/or unbound.
    const conc = [{ label: "total nM (parent)", data: data.curve.total_nm, stroke: "#1d4f91" }];
    if (data.curve.unbound_nm.length) conc.push({ label: `unbound nM (fu ${data.unbound_fraction})`, data: data.curve.unbound_nm, stroke: "#c0392b" });
    new uPlot({ title: `${data.drug} — plasma concentration (nM), total${data.curve.unbound_nm.length ? " and unbound" : " (unbound fraction unknown)"}`, width: 520, height: 220, scales: { x: { time: false } },
      series: [{ label: "h" }, ...conc.map((c) => ({ label: c.label, stroke: c.stroke }))], axes: [{ label: "hours after dose" }, { label: "nM" }] },
      [t, ...conc.map((c) => c.data)], ref.current);
    if (names.length) {
      new uPlot({ title: "pathway inhibition (%) by JAK pair (quantitative rows only)", width: 520, height: 220,
        scales: { x: { time: false }, y: { range: [0, 100] } },
        series: [{ label: "h" }, ...names.map((n, i) => ({ label: `${n} (${pairs[n].assay} vs ${pairs[n].versus})`, stroke: palette[i % palette.length] }))],
        axes: [{ label: "hours after dose" }, { label: "%" }] },
        [t, ...names.map((n) => pairs[n].s)], ref.current);
    }
  }, [data]);
  if (!option) return null;
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!option.dose) return html`<p class="muted">No dose for ${option.name}: nothing to plot.</p>`;
  if (data && data.topical) return html`<p class="muted" id="curve-note">${option.name}: topical — ${data.topical.systemic_exposure} <${Sources} ids=${data.topical.sources} />; no systemic curve is drawn.</p>`;
  if (data && !data.curve) return html`<p class="muted" id="curve-note">PK unknown for ${option.name}: ${data.warnings.join("; ")}</p>`;
  const drawn = data && data.modelled_as;
  const noCurve = data && !data.pathways.some((p) => p.series_pct && p.series_pct.length);
  const why = noCurve ? (data.pathways.find((p) => p.jak_pair && p.notes && p.notes.length) || { notes: ["no absolute potency in the KB"] }).notes[0] : "";
  return html`<div><div class="row no-print">
      <label>Dose (mg)<input id="curve-dose" type="number" min="0.1" step="any" value=${dose ?? ""} onChange=${(e) => setDose(Number(e.target.value) || null)} /></label>
      <label>Every<select value=${every} onChange=${(e) => setEvery(e.target.value)}><option value="24h">24 h</option><option value="12h">12 h</option></select></label></div>
    ${drawn && html`<p class="muted" id="curve-note">${data.regimen.amount} mg ${data.regimen.frequency} ${data.regimen.formulation || ""} is drawn as its published equivalent ${drawn.amount} mg ${drawn.frequency} ${drawn.formulation || ""} (no model of the product itself has values).</p>`}
    ${noCurve && html`<p class="muted" id="curve-missing">No inhibition curve: ${why}. The pathway table shows the cited qualitative effects.</p>`}
    <div id="curves" ref=${ref}></div></div>`;
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

function Result({ a }) {
  const pr = a.paradoxical_reaction;
  const firstWithDose = a.options.find((o) => o.kind === "drug" && o.dose && o.dose.unit === "mg");
  const [chosen, setChosen] = useState(firstWithDose ? firstWithDose.drug : null);
  const option = a.options.find((o) => o.drug === chosen);
  const [open, setOpen] = useState({});
  return html`<div id="result">
    <section><h2 id="verdict">Paradoxical reaction: <span class=${"pr-" + pr.classification}>${pr.classification}</span>
      ${pr.score != null && html` <span class="muted">(Naranjo ${pr.score}, ${pr.naranjo_category})</span>`}</h2>
      ${pr.culprits.map((c) => html`<p>Culprit: <b>${c.biologic}</b> (${c.class}), started ${c.start || "?"}${c.days_to_onset != null ? `, eruption after ${c.days_to_onset} days` : ""}</p>`)}
      ${pr.mechanism.text && html`<p>${pr.mechanism.text}<${Sources} ids=${pr.mechanism.sources} /></p>`}
      ${pr.components.length > 0 && html`<details><summary>Score components (Naranjo items)</summary><table><tbody>
        ${pr.components.map((n) => html`<tr><td>${n.item}</td><td>${n.answer}</td><td>${n.points > 0 ? "+" : ""}${n.points}</td><td>${n.basis}<${Sources} ids=${n.sources} /></td></tr>`)}</tbody></table></details>`}
      <${Reasons} reasons=${pr.reasons} />
      ${pr.differentials.length > 0 && html`<p>Differentials: ${pr.differentials.join(", ")}</p>`}
    </section>
    ${pr.reporting_signals && html`<${ReportingSignals} rs=${pr.reporting_signals} />`}
    <section><h2>Immune axes</h2><${AxisChart} profiles=${pr.axis_profiles} blocked=${pr.mechanism.blocked_axes} released=${pr.mechanism.released_axes} /></section>
    <section><h2>Options</h2>
      <table id="options"><thead><tr><th>#</th><th>option</th><th>verdict</th><th>dose</th><th>coverage (both diseases)</th><th></th></tr></thead><tbody>
      ${a.options.map((o, i) => html`<tr class="option-row"><td>${i + 1}</td><td>${o.name}</td><td class=${"v-" + o.verdict}>${o.verdict}</td>
          <td>${o.dose ? `${o.dose.amount} ${o.dose.unit} ${o.dose.frequency}` : "—"}</td>
          <td>${o.coverage && o.coverage.both_pct != null ? `${Math.round(o.coverage.both_pct)}% (${o.coverage.basis})` : "unknown"}${o.coverage && o.coverage.quantitative_both_pct != null ? html`<br /><small>modelled ${Math.round(o.coverage.quantitative_both_pct)}% (${o.coverage.quantitative_assay})</small>` : ""}</td>
          <td><button class="link" aria-expanded=${!!open[i]} onClick=${() => setOpen({ ...open, [i]: !open[i] })}>reasons</button>
            ${o.kind === "drug" && o.dose && html` · <button class="link" onClick=${() => setChosen(o.drug)}>curves</button>`}</td></tr>
        ${open[i] && html`<tr><td></td><td colspan="5"><${Reasons} reasons=${o.reasons} />
          ${o.adverse_reactions && o.adverse_reactions.length > 0 && html`<details><summary>Adverse-reaction rates (${o.adverse_reactions.length})</summary><table><tbody>
            ${o.adverse_reactions.map((r) => html`<tr><td>${r.term}</td><td>${r.study || ""} ${r.dose || ""}</td><td>${r.drug_pct != null ? r.drug_pct + "%" : ""}${r.placebo_pct != null ? " vs placebo " + r.placebo_pct + "%" : ""}${r.rate_per_100py != null ? r.rate_per_100py + "/100 PY" : ""}</td><td><${Sources} ids=${r.sources} /></td></tr>`)}</tbody></table></details>`}
        </td></tr>`}`)}
      </tbody></table></section>
    <section><h2>Pathway heatmap</h2><${Heatmap} options=${a.options.filter((o) => o.kind === "drug")} /></section>
    <section><h2>Concentration and inhibition over 24 h ${option ? "— " + option.name : ""}</h2><${Curves} option=${option} /></section>
    <section><h2>Safety plan ${a.safety_plan.for_drug ? "— " + a.safety_plan.for_drug : ""}</h2>
      <div class="grid2"><div><h3>Screening</h3><ul id="screening">${a.safety_plan.screening.map((s) => html`<li>${s.status === "recorded" ? "☑" : s.status === "not-applicable" ? "–" : "☐"} <b>${s.item}</b>: ${s.detail || s.text}<${Sources} ids=${s.sources} /></li>`)}</ul></div>
      <div><h3>Monitoring from ${a.safety_plan.start_date}</h3><table id="monitoring"><tbody>${a.safety_plan.monitoring.map((m) => html`<tr><td>${m.date || "ongoing"}</td><td>${m.test}</td><td>${m.text}</td></tr>`)}</tbody></table></div></div>
      ${a.safety_plan.alerts.map((al) => html`<div class="alert"><b>${al.code}</b> ${al.text}<${Sources} ids=${al.sources} /></div>`)}
    </section>
    ${a.warnings.length > 0 && html`<section><h2>Input warnings</h2><ul>${a.warnings.map((w) => html`<li><code>${w.pointer}</code> ${w.message}</li>`)}</ul></section>`}
    <p class="muted">KB ${a.kb_version} · engine ${a.engine_version} · decision support only; check the current label.</p>
  </div>`;
}

// ---------------------------------------------------------------- pages

function AssessPage({ onSaved }) {
  const [c, setC] = useState(structuredClone(EXAMPLES[Object.keys(EXAMPLES)[0]]));
  const [start, setStart] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [fhir, setFhir] = useState(null);
  const [title, setTitle] = useState("");
  const run = async (body, type) => {
    setBusy(true); setError(null); setResult(null);
    try {
      const q = new URLSearchParams();
      if (start) q.set("start", start);
      if (type === "application/fhir+json") q.set("region", c.region || "us");
      setResult(await api("/api/v1/assess?" + q, { method: "POST", headers: { "Content-Type": type }, body }));
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const save = async () => {
    setError(null);
    try {
      const r = await api("/api/v1/cases?title=" + encodeURIComponent(title), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(c) });
      onSaved(r.id);
    } catch (e) { setError(e); }
  };
  return html`<div>
    <section class="no-print"><div class="row">
      <label>Example case<select id="example" onChange=${(e) => { if (e.target.value) { setC(structuredClone(EXAMPLES[e.target.value])); setResult(null); setFhir(null); } }}>
        <option value="">—</option>${Object.keys(EXAMPLES).map((k) => html`<option>${k}</option>`)}</select></label>
      <label>FHIR R4 Bundle<input type="file" accept=".json,application/json,application/fhir+json" onChange=${async (e) => { const f = e.target.files[0]; if (f) setFhir(await f.text()); }} /></label>
      <label>Treatment start (monitoring calendar)<input type="date" value=${start} onInput=${(e) => setStart(e.target.value)} /></label>
    </div></section>
    ${fhir ? html`<section><p>FHIR Bundle loaded (${fhir.length} bytes); region ${c.region || "us"}.</p>
      <button class="primary" disabled=${busy} onClick=${() => run(fhir, "application/fhir+json")}>Assess the FHIR Bundle</button>
      <button class="link" onClick=${() => setFhir(null)}>back to the form</button></section>`
    : html`<${CaseForm} value=${c} onChange=${setC} />
      <div class="no-print row"><button id="assess" class="primary" disabled=${busy} onClick=${() => run(JSON.stringify(c), "application/json")}>Assess</button>
        <label>Case title<input id="case-title" value=${title} onInput=${(e) => setTitle(e.target.value)} /></label>
        <button id="save" class="secondary" onClick=${save}>Save case</button>
        <button class="secondary" onClick=${() => window.print()}>Print</button></div>`}
    ${busy && html`<p class="loading" role="status">assessing…</p>`}
    <${ErrorBox} error=${error} />
    ${result && html`<${Result} a=${result} />`}
  </div>`;
}

function CasesPage({ selected, onSelect }) {
  const [cases, setCases] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { api("/api/v1/cases").then(setCases).catch(setError); }, [selected]);
  return html`<div><${ErrorBox} error=${error} />
    <section><h2>Saved cases</h2>${cases == null ? html`<p class="loading">loading…</p>` : cases.length === 0 ? html`<p>No saved case yet.</p>` :
      html`<table id="cases"><tbody>${cases.map((c) => html`<tr><td>#${c.id}</td><td>${c.title || "(untitled)"}</td><td>${c.created_at}</td><td>${c.input_kind}</td>
        <td><button class="link" onClick=${() => onSelect(c.id)}>open</button></td></tr>`)}</tbody></table>`}</section>
    ${selected && html`<${CaseDetail} id=${selected} />`}
  </div>`;
}

function CaseDetail({ id }) {
  const [c, setC] = useState(null);
  const [history, setHistory] = useState([]);
  const [lab, setLab] = useState({ test: "alc", date: "", value: "", unit: "10*9/L" });
  const [alerts, setAlerts] = useState(null);
  const [error, setError] = useState(null);
  const load = () => Promise.all([api("/api/v1/cases/" + id), api(`/api/v1/cases/${id}/assessments`)])
    .then(([cc, h]) => { setC(cc); setHistory(h); }).catch(setError);
  useEffect(() => { load(); setAlerts(null); }, [id]);
  const add = async () => {
    setError(null);
    try {
      const r = await api(`/api/v1/cases/${id}/labs`, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ labs: [{ test: lab.test, date: lab.date, value: Number(lab.value), unit: lab.unit }] }) });
      setAlerts(r.alerts); load();
    } catch (e) { setError(e); }
  };
  if (!c) return html`<p class="loading">loading case…</p>`;
  return html`<section id="case-detail"><h2>Case #${c.id} ${c.title}</h2>
    <p class="muted">${c.input_kind} case, saved ${c.created_at}; ${c.labs.length} follow-up result(s).</p>
    <fieldset><legend>Add a follow-up lab result</legend><div class="row">
      <label>Test<input id="lab-test" value=${lab.test} onInput=${(e) => setLab({ ...lab, test: e.target.value })} /></label>
      <label>Date<input id="lab-date" type="date" value=${lab.date} onInput=${(e) => setLab({ ...lab, date: e.target.value })} /></label>
      <label>Value<input id="lab-value" type="number" step="any" value=${lab.value} onInput=${(e) => setLab({ ...lab, value: e.target.value })} /></label>
      <label>Unit<input id="lab-unit" value=${lab.unit} onInput=${(e) => setLab({ ...lab, unit: e.target.value })} /></label>
      <button id="add-lab" class="primary" onClick=${add}>Add and re-assess</button></div></fieldset>
    <${ErrorBox} error=${error} />
    ${alerts && (alerts.length ? alerts.map((al) => html`<div class="alert" role="alert"><b>${al.code}</b> ${al.text}<${Sources} ids=${al.sources} /></div>`)
      : html`<p id="no-alerts">No label threshold crossed.</p>`)}
    <h3>Assessment history</h3><table><tbody>${history.map((h) => html`<tr><td>#${h.id}</td><td>${h.created_at}</td><td>${h.classification}</td><td>${h.alerts} alert(s)</td><td class="muted">input ${h.input_hash} · KB ${h.kb_version}</td></tr>`)}</tbody></table>
  </section>`;
}

function SignalsPage() {
  const [filters, setFilters] = useState({ drug: "", event: "", min_count: 3 });
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const plot = useRef(null);
  const load = () => {
    const q = new URLSearchParams({ min_count: String(filters.min_count || 1) });
    if (filters.drug) q.set("drug", filters.drug);
    if (filters.event) q.set("event", filters.event);
    setError(null);
    api("/api/v1/signals?" + q).then(setData).catch((e) => { setData(null); setError(e); });
  };
  useEffect(load, []);
  useEffect(() => {
    if (!data || !plot.current) return;
    plot.current.innerHTML = "";
    const pts = [...data.pairs].sort((a, b) => a.n - b.n);
    new uPlot({ title: "EB05 against report count", width: 620, height: 260, scales: { x: { time: false, distr: 3 } },
      series: [{ label: "n" }, { label: "EB05", stroke: "#1d4f91", paths: () => null, points: { show: true, size: 5 } }],
      axes: [{ label: "reports with the pair (log)" }, { label: "EB05" }] },
      [pts.map((p) => p.n), pts.map((p) => p.eb05)], plot.current);
  }, [data]);
  return html`<div><section><h2>Pharmacovigilance signals</h2>
    <p class="muted">Disproportionality in spontaneous reports (ROR, IC, EBGM/EB05 from the MGPS prior): reporting signals, not incidences.</p>
    <div class="row">
      <label>Drug contains<input id="sig-drug" value=${filters.drug} onInput=${(e) => setFilters({ ...filters, drug: e.target.value })} /></label>
      <label>Event contains<input id="sig-event" value=${filters.event} onInput=${(e) => setFilters({ ...filters, event: e.target.value })} /></label>
      <label>Min. reports<input type="number" min="1" value=${filters.min_count} onInput=${(e) => setFilters({ ...filters, min_count: Number(e.target.value) })} /></label>
      <button class="primary" onClick=${load}>Filter</button></div></section>
    <${ErrorBox} error=${error} />
    ${data && html`<section><p class="muted" id="signals-prior">MGPS prior ${data.fit.prior === "given" ? "given (not fitted)" : "fitted"}: α1 ${data.fit.alpha1.toPrecision(6)}, β1 ${data.fit.beta1.toPrecision(6)}, α2 ${data.fit.alpha2.toPrecision(6)}, β2 ${data.fit.beta2.toPrecision(6)}, P ${data.fit.p.toPrecision(6)}; −log L ${data.fit.neg_log_lik.toFixed(2)}${data.fit.prior === "given" || data.fit.converged ? "" : " (not converged)"}. Posterior weight Qₙ: ${data.fit.qn === "conditional" ? "conditional on n ≥ the fit's minimum count (paraderm's earlier rule)" : "as published (DuMouchel 1999, eq. 6; as openEBGM)"}.</p>
      <div id="signal-plot" ref=${plot}></div>
      <table id="signals"><thead><tr><th>drug</th><th>event</th><th>n</th><th>E</th><th>ROR (lower)</th><th>IC025</th><th>EBGM</th><th>EB05</th></tr></thead><tbody>
      ${data.pairs.slice(0, 200).map((p) => html`<tr><td>${p.drug}</td><td>${p.event}</td><td>${p.n}</td><td>${p.expected.toFixed(3)}</td>
        <td>${p.ror == null ? "∞" : p.ror.toFixed(1)} ${p.ror_lo == null ? "" : "(" + p.ror_lo.toFixed(1) + ")"}</td><td>${p.ic025.toFixed(2)}</td><td>${p.ebgm.toFixed(2)}</td><td class=${p.eb05 >= 2 ? "v-caution" : ""}>${p.eb05.toFixed(2)}</td></tr>`)}
      </tbody></table></section>`}
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

function App() {
  // A CDS Hooks card links to /?case=ID: open that saved case.
  const linked = Number(new URLSearchParams(location.search).get("case")) || null;
  const [page, setPage] = useState(linked ? "cases" : "assess");
  const [selected, setSelected] = useState(linked);
  return html`<div>
    <header><h1>paraderm</h1><nav>
      <button aria-current=${page === "assess" ? "page" : undefined} onClick=${() => setPage("assess")}>Assess</button>
      <button id="nav-cases" aria-current=${page === "cases" ? "page" : undefined} onClick=${() => setPage("cases")}>Saved cases</button>
      <button id="nav-signals" aria-current=${page === "signals" ? "page" : undefined} onClick=${() => setPage("signals")}>Signals</button>
      <button id="nav-feedback" aria-current=${page === "feedback" ? "page" : undefined} onClick=${() => setPage("feedback")}>CDS feedback</button>
    </nav><${UserMenu} /></header>
    <main>${page === "assess" ? html`<${AssessPage} onSaved=${(id) => { setSelected(id); setPage("cases"); }} />`
      : page === "cases" ? html`<${CasesPage} selected=${selected} onSelect=${setSelected} />`
      : page === "feedback" ? html`<${FeedbackPage} />` : html`<${SignalsPage} />`}</main>
  </div>`;
}

render(html`<${Gate}><${App} /></${Gate}>`, document.getElementById("app"));
