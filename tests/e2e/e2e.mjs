// End-to-end test of the web page in Debian's headless Chromium (playwright-core, no browser
// download). Starts `paraderm serve` on a free loopback port with a fresh database holding one
// clinician (added with `paraderm user add`), then: logs in through the login form (a wrong
// password first), loads an example case, assesses it, checks the verdict, the options table and that every chart
// rendered; saves a patient already on a JAK inhibitor, adds a lab result below the interrupt
// threshold and checks the alert. Screenshots go to $E2E_ARTIFACTS (default build/e2e-artifacts).
// Usage: node tests/e2e/e2e.mjs <path to paraderm binary>
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

const binary = process.argv[2];
if (!binary) { console.error("usage: e2e.mjs <paraderm binary>"); process.exit(2); }
const artifacts = process.env.E2E_ARTIFACTS || "build/e2e-artifacts";
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}
function check(cond, what) { if (!cond) throw new Error("FAILED: " + what); console.log("ok - " + what); }

const dir = mkdtempSync(join(tmpdir(), "paraderm-e2e-"));
const port = await freePort();
// A small report table ingested into a pv store, so the signals page has data to show.
const csv = ["id,drug,event"];
for (let i = 0; i < 60; i++) csv.push(`${i},DRUG${i % 6},EVENT${i % 5}`);
for (let i = 60; i < 72; i++) csv.push(`${i},dupilumab,PSORIASIS`);
writeFileSync(join(dir, "reports.csv"), csv.join("\n") + "\n");
spawnSync(binary, ["pv", "ingest", "--input", join(dir, "reports.csv"), "--out", join(dir, "pvstore")]);
const user = "e2e-clinician", password = "e2e password 12345";
const added = spawnSync(binary, ["user", "add", user, "--role", "clinician", "--db", join(dir, "e2e.db")],
                        { input: password + "\n" });
if (added.status !== 0) { console.error("user add failed: " + added.stderr); process.exit(1); }
const server = spawn(binary, ["serve", "--port", String(port), "--db", join(dir, "e2e.db"), "--quiet",
                              "--pv-store", join(dir, "pvstore")], { stdio: ["ignore", "pipe", "inherit"] });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try { const r = await fetch(base + "/healthz"); if (r.ok) break; } catch {}
  await new Promise((r) => setTimeout(r, 50));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const consoleErrors = [];
  // The deliberate invalid submission below makes the browser log its 400; nothing else may.
  // So do the 401s of the login: the session probe before logging in and the wrong password.
  page.on("console", (m) => { if (m.type() === "error" && !/status of 40[01]/.test(m.text())) consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  // Every request must stay on the page's own origin: no CDN, no network at run time.
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });

  await page.goto(base + "/");
  // Not logged in: the login form, with the focus on its first field.
  await page.waitForSelector("#login-username", { timeout: 10000 });
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === "login-username",
        "login form shown with the focus on the user name");
  await page.fill("#login-username", user);
  await page.fill("#login-password", "not the password");
  await page.click("#login-submit");
  await page.waitForSelector("#login-error", { timeout: 10000 });
  check(/not accepted/.test(await page.textContent("#login-error")), "wrong password: error beside the field");
  check(await page.getAttribute("#login-password", "aria-describedby") === "login-error", "error tied to the password field");
  await page.screenshot({ path: join(artifacts, "login.png") });
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await page.waitForSelector("#user-name", { timeout: 10000 });
  check((await page.textContent("#user-menu")).includes(user) && (await page.textContent("#user-menu")).includes("clinician"),
        "user menu shows the name and role");
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "paraderm_session");
  check(session && session.httpOnly && session.sameSite === "Strict", "session cookie is HttpOnly and SameSite=Strict");
  await page.selectOption("#example", { label: "Dupilumab for AD → psoriasis (EU)" });
  await page.click("#assess");
  await page.waitForSelector("#verdict", { timeout: 15000 });
  const verdict = await page.textContent("#verdict");
  check(/likely/.test(verdict), "PR verdict shown as likely: " + verdict.trim());
  const rows = await page.locator("#options tr.option-row").count();
  check(rows >= 10, `options table has ${rows} rows`);
  const first = await page.locator("#options tr.option-row").first().textContent();
  check(/preferred/.test(first), "top option is preferred: " + first.trim().slice(0, 60));
  await page.waitForSelector("#heatmap td", { timeout: 15000 });
  check(await page.locator("#heatmap td").count() > 50, "pathway heatmap rendered");
  await page.waitForSelector("#curves canvas", { timeout: 15000 });
  check(await page.locator("#curves canvas").count() >= 1, "concentration/inhibition curves rendered (uPlot canvas)");
  check(await page.locator("#axis-chart rect").count() >= 6, "immune-axis chart rendered");
  check(await page.locator("#screening li").count() >= 3, "screening checklist rendered");
  await page.screenshot({ path: join(artifacts, "assessment.png"), fullPage: true });

  // Reasons one click away, with links to the sources.
  await page.locator("#options tr.option-row").first().getByText("reasons").click();
  check(await page.locator("#options a[href^='/api/v1/sources/']").count() > 0, "reasons link to their sources");

  // Invalid input: the API's message reaches the page.
  await page.fill("input[aria-label='Medications start 1']", "2027-01-01");
  await page.fill("input[aria-label='Medications stop 1']", "2026-01-01");
  await page.click("#assess");
  await page.waitForSelector(".error", { timeout: 10000 });
  const err = await page.textContent(".error");
  check(/medications\/0\/stop/.test(err), "API error names the field: " + err.trim().slice(0, 80));

  // A reload keeps the session; the page gets its CSRF token back from GET /api/v1/session and
  // the writes below (save, labs) carry it.
  await page.reload();
  await page.waitForSelector("#user-name", { timeout: 10000 });
  check(true, "still logged in after a reload");
  // Save a patient on abrocitinib, add a low ALC, see the interrupt alert.
  await page.selectOption("#example", { label: "Already on abrocitinib (follow-up labs, US)" });
  await page.fill("#case-title", "e2e follow-up");
  await page.click("#save");
  await page.waitForSelector("#case-detail", { timeout: 10000 });
  check(/e2e follow-up/.test(await page.textContent("#case-detail h2")), "saved case opened");
  await page.fill("#lab-test", "alc");
  await page.fill("#lab-date", "2026-11-19");
  await page.fill("#lab-value", "0.4");
  await page.fill("#lab-unit", "10*9/L");
  await page.click("#add-lab");
  await page.waitForSelector("#case-detail .alert", { timeout: 10000 });
  const alert = await page.textContent("#case-detail .alert");
  check(/LAB_INTERRUPT/.test(alert), "lab follow-up alert shown: " + alert.trim().slice(0, 80));
  await page.screenshot({ path: join(artifacts, "follow-up.png"), fullPage: true });
  check(await page.locator("#cases tr").count() >= 1, "saved cases list shows the case");

  // Signals page: the table and the EB05 plot from the configured store.
  await page.click("#nav-signals");
  await page.waitForSelector("#signals tbody tr", { timeout: 15000 });
  check(/dupilumab/.test(await page.locator("#signals tbody tr").first().textContent()), "signals table lists the strongest pair first");
  check(await page.locator("#signal-plot canvas").count() >= 1, "EB05 plot rendered");
  await page.screenshot({ path: join(artifacts, "signals.png"), fullPage: true });

  // Logging out returns to the login form; the API refuses the old cookie.
  await page.click("#logout");
  await page.waitForSelector("#login-username", { timeout: 10000 });
  const after = await page.evaluate(() => fetch("/api/v1/cases").then((r) => r.status));
  check(after === 401, "logged out: the API answers 401");

  check(foreign.length === 0, "no request left the server's origin" + (foreign.length ? ": " + foreign.join(", ") : ""));
  check(consoleErrors.length === 0, "no console errors" + (consoleErrors.length ? ": " + consoleErrors.join(" | ") : ""));
} catch (e) {
  failed = true;
  console.error(e.message || e);
} finally {
  await browser.close();
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
