// The panel's calls to /api/v1: JSON in and out, the session cookie, the CSRF header.
// Every call resolves (never throws) to {ok, status, data}; status 0 means no answer.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(method, url, body, signal) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err; // the caller started a newer request
    return { ok: false, status: 0, data: {} };
  }
  let data = {};
  try { data = await response.json(); } catch (_err) { /* 204, or not JSON */ }
  return { ok: response.ok, status: response.status, data };
}

// "%(name)s" placeholders, as the strings come translated from the server.
export function fmt(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (all, name) =>
    (values && name in values ? String(values[name]) : all)).replace(/%%/g, "%");
}
