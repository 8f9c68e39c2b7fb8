// Login form, user menu and the authenticated fetch of the paraderm page (docs/server.md,
// "Accounts and roles"). The session lives in an HttpOnly cookie the page cannot read; the CSRF
// token the server returns at login (or from GET /api/v1/session after a reload) is sent as
// X-CSRF-Token on every request that changes something.
import { h, createContext } from "preact";
import { useState, useEffect, useRef, useContext } from "preact/hooks";
import htm from "htm";

const html = htm.bind(h);
const UserContext = createContext(null);
let csrf = "";
const UNAUTHORIZED = "paraderm:unauthorized";

// fetch for the API: adds the CSRF header to writes; a 401 (no or expired session) asks the
// page to show the login form.
export async function authFetch(path, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = { ...(options.headers || {}) };
  if (!["GET", "HEAD", "OPTIONS"].includes(method) && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED));
  return res;
}

function LoginForm({ onLoggedIn, expired }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  useEffect(() => { first.current && first.current.focus(); }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const res = await fetch("/api/v1/session", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password }), credentials: "same-origin" });
      const body = await res.json().catch(() => null);
      if (res.ok) {
        csrf = body.csrf_token;
        setPassword("");
        onLoggedIn(body.user);
      } else if (res.status === 429) {
        const wait = Number(res.headers.get("Retry-After")) || 60;
        setError(`Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? "s" : ""}.`);
      } else if (res.status === 401) {
        setError("User name or password not accepted.");
      } else {
        setError((body && body.error && body.error.message) || `The server answered ${res.status}.`);
      }
    } catch {
      setError("The server cannot be reached. Check the connection and try again.");
    } finally {
      setBusy(false);
    }
  };
  return html`<form id="login" class="login" onSubmit=${submit} aria-labelledby="login-title">
    <h2 id="login-title">${expired ? "Your session ended — log in again" : "Log in to paraderm"}</h2>
    <label for="login-username">User name</label>
    <input id="login-username" ref=${first} autocomplete="username" required value=${username}
      onInput=${(e) => setUsername(e.target.value)} />
    <label for="login-password">Password</label>
    <input id="login-password" type="password" autocomplete="current-password" required value=${password}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${error ? "login-error" : undefined}
      onInput=${(e) => setPassword(e.target.value)} />
    ${error && html`<p id="login-error" class="field-error" role="alert">${error}</p>`}
    <button id="login-submit" class="primary" type="submit" disabled=${busy}>${busy ? "Logging in…" : "Log in"}</button>
  </form>`;
}

// Renders the page once someone is logged in (or authentication is off), the login form before;
// when a session ends mid-work the form covers the page without discarding what was entered.
export function Gate({ children }) {
  const [user, setUser] = useState(undefined);  // undefined: asking the server; null: nobody
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    fetch("/api/v1/session", { credentials: "same-origin" })
      .then(async (res) => {
        if (!res.ok) return setUser(null);
        const body = await res.json();
        csrf = body.csrf_token || "";
        setUser({ ...body.user, auth: body.auth });
      })
      .catch(() => setUser(null));
    const onUnauthorized = () => setExpired(true);
    window.addEventListener(UNAUTHORIZED, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED, onUnauthorized);
  }, []);
  const loggedIn = (u) => { setUser(u); setExpired(false); };
  if (user === undefined) return html`<p class="loading">loading…</p>`;
  if (user === null) return html`<main><${LoginForm} onLoggedIn=${loggedIn} /></main>`;
  return html`<${UserContext.Provider} value=${{ user, logout: async () => {
      await authFetch("/api/v1/session", { method: "DELETE" }).catch(() => null);
      csrf = "";
      // The next person at this browser must not find the last patient's draft.
      sessionStorage.clear();
      setUser(null);
    } }}>${children}
    ${expired && html`<div class="login-overlay" role="dialog" aria-modal="true" aria-labelledby="login-title">
      <${LoginForm} expired=${true} onLoggedIn=${loggedIn} /></div>`}
  </${UserContext.Provider}>`;
}

// Who is logged in ({name, role, auth}), for pages that depend on the role; null outside the Gate.
export function useUser() {
  const ctx = useContext(UserContext);
  return ctx ? ctx.user : null;
}

// The user's name and role and a logout button, for the page header.
export function UserMenu() {
  const ctx = useContext(UserContext);
  if (!ctx) return null;
  const { user, logout } = ctx;
  if (user.auth === "disabled") return html`<span id="user-menu" class="user-menu">authentication off (development)</span>`;
  return html`<span id="user-menu" class="user-menu"><span id="user-name">${user.name}</span>
    <span class="role">(${user.role})</span>
    <button id="logout" class="link" onClick=${logout}>Log out</button></span>`;
}
