// onramp's local console: plain JS, no build, no CDN. Every value from the runtime is put in
// the page with textContent (never parsed as HTML); an HTML email goes into a sandboxed iframe.
"use strict";

const ADMIN = "/_onramp/";
const PAGE = 50;
const state = { view: "users", offset: 0, filters: {}, userId: "", mailOffset: 0, timers: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJson(path) {
  const response = await fetch(ADMIN + path, { headers: { accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.status);
  return body;
}

async function postAdmin(path) {
  const response = await fetch(ADMIN + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-onramp-admin": "console" },
    body: "{}",
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.status);
  return body;
}

function userLink(userId) {
  if (!userId) return el("span", { class: "muted", text: "-" });
  return el("a", { href: "#user/" + encodeURIComponent(userId), class: "mono", text: userId });
}

function badge(status) {
  return el("span", { class: "badge " + (status || "none"), text: status || "-" });
}

function when(iso) {
  if (!iso) return "-";
  const date = new Date(iso);
  return isNaN(date) ? iso : date.toISOString().replace("T", " ").replace("Z", "").slice(0, 23);
}

function showError(container, error) {
  container.replaceChildren(el("p", { class: "error", text: String(error.message || error) }));
}

// ------------------------------------------------------------------ counters
async function refreshCounters() {
  const live = document.getElementById("live");
  try {
    const c = await getJson("counters");
    const cards = [
      ["accepted", c.accepted],
      ["pending", c.by_status.pending || 0],
      ["processing", c.by_status.processing || 0],
      ["completed", c.by_status.completed || 0],
      ["failed", c.by_status.failed || 0],
      ["emails", c.emails],
      ["dead letters", c.dead_letters],
    ];
    document.getElementById("counters").replaceChildren(
      ...cards.map(([label, value]) =>
        el("div", { class: "counter", "data-counter": label },
          el("span", { class: "value", text: String(value) }),
          el("span", { class: "label", text: label })))
    );
    const rows = Object.entries(c.functions).map(([name, f]) =>
      el("tr", {},
        el("td", { text: name }),
        el("td", { class: "num", text: String(f.invocations) }),
        el("td", { class: "num" + (f.errors ? " bad" : ""), text: String(f.errors) }),
        el("td", { class: "num", text: f.p99_ms === null ? "-" : f.p99_ms.toFixed(1) + " ms" })));
    document.querySelector("#functions tbody").replaceChildren(...rows);
    const reasons = document.querySelector("#user-filters select[name=reason]");
    const known = new Set([...reasons.options].map((o) => o.value));
    for (const reason of Object.keys(c.by_reason)) {
      if (!known.has(reason)) reasons.append(el("option", { text: reason }));
    }
    live.classList.remove("stale");
    live.textContent = "live - up " + Math.round(c.uptime_s) + " s";
  } catch (error) {
    live.classList.add("stale");
    live.textContent = "not answering";
  }
}

// ------------------------------------------------------------------ users
async function refreshUsers() {
  const params = new URLSearchParams({ offset: state.offset, limit: PAGE });
  for (const [key, value] of Object.entries(state.filters)) if (value) params.set(key, value);
  const tbody = document.querySelector("#users-table tbody");
  try {
    const page = await getJson("users?" + params);
    tbody.replaceChildren(...page.users.map((u) =>
      el("tr", { "data-user": u.user_id },
        el("td", {}, userLink(u.user_id)),
        el("td", {}, badge(u.status)),
        el("td", { text: u.failure_reason || "" }),
        el("td", { class: "mono", text: u.email || "" }),
        el("td", { class: "mono", text: when(u.created_at) }),
        el("td", { class: "mono", text: when(u.updated_at) }))));
    if (!page.users.length) {
      tbody.replaceChildren(el("tr", {}, el("td", { colspan: "6", class: "muted", text: "no users match" })));
    }
    const last = Math.min(page.offset + page.users.length, page.matched);
    document.getElementById("page-info").textContent =
      `${page.matched ? page.offset + 1 : 0}-${last} of ${page.matched} matching (${page.total} users)`;
    document.getElementById("prev").disabled = page.offset === 0;
    document.getElementById("next").disabled = last >= page.matched;
  } catch (error) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "6", class: "error", text: String(error.message) })));
  }
}

// ------------------------------------------------------------------ one user
async function refreshUser() {
  const box = document.getElementById("timeline");
  let t;
  try {
    t = await getJson("users/" + encodeURIComponent(state.userId));
  } catch (error) {
    showError(box, error);
    return;
  }
  const open = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.key));
  const user = t.user;
  const head = el("div", { class: "card" },
    el("h2", {}, "user ", el("span", { class: "mono", text: t.user_id }), " ", badge(user.status)),
    el("p", { class: "next", "data-next": "", text: "next: " + t.next }),
    el("dl", { class: "facts" },
      el("dt", { text: "email" }), el("dd", { class: "mono", text: user.email || "-" }),
      el("dt", { text: "reason" }), el("dd", { text: user.failure_reason || "-" }),
      el("dt", { text: "created" }), el("dd", { class: "mono", text: when(user.created_at) }),
      el("dt", { text: "updated" }), el("dd", { class: "mono", text: when(user.updated_at) })));

  const audit = el("div", { class: "card" }, el("h3", { text: "audit trail" }),
    el("ol", { class: "audit" }, ...t.audit.map((a) =>
      el("li", {}, el("span", { class: "mono", text: when(a.at) }), " ", badge(a.status),
        a.reason ? " " + a.reason : ""))));

  const invocations = el("div", { class: "card" },
    el("h3", { text: `invocations (${t.invocations.length})` }),
    ...t.invocations.map((i) => {
      const key = i.request_id + ":" + i.function;
      const details = el("details", { class: "invocation", "data-function": i.function, "data-key": key },
        el("summary", {},
          el("span", { class: "fn", text: i.function }),
          el("span", { text: "attempt " + i.attempt }),
          el("span", { class: "mono", text: when(i.started_at) }),
          el("span", { class: "num", text: i.duration_ms.toFixed(1) + " ms" }),
          el("span", { class: "outcome " + i.outcome, text: i.outcome + (i.error_type ? " " + i.error_type : "") }),
          el("span", { class: "muted", text: "-> " + i.result })),
        el("p", { class: "muted" },
          `request ${i.request_id}` + (i.sequence_number ? `, stream record ${i.sequence_number}` : "") +
          (i.batch_size ? `, batch of ${i.batch_size}` : "") +
          (i.cold_start ? `, cold start (INIT ${i.init_ms.toFixed(0)} ms before the handler ran)` : "")),
        el("h4", { text: i.sequence_number ? "stream record (PII masked)" : "API event (PII masked)" }),
        el("pre", { class: "json", text: JSON.stringify(i.event, null, 2) }),
        el("h4", { text: `log lines naming the user (${i.log_lines.length})` }),
        el("pre", { class: "log", text: i.log_lines.join("\n") || "(none)" }));
      if (open.has(key)) details.open = true;
      return details;
    }));
  if (!t.invocations.length) invocations.append(el("p", { class: "muted", text: "none recorded (or forgotten: traces keep the most recent users)" }));

  const email = el("div", { class: "card" }, el("h3", { text: "welcome email" }),
    t.email
      ? el("p", { "data-email": t.email.message_id },
        "sent ", el("span", { class: "mono", text: when(t.email.sent_at) }),
        ", message id ", el("span", { class: "mono", text: t.email.message_id }),
        " ", el("a", { href: "#mailbox/" + encodeURIComponent(t.user_id), text: "open in mailbox" }))
      : el("p", { class: "muted", text: "none" }));

  const dead = el("div", { class: "card" }, el("h3", { text: `dead letters (${t.dead_letters.length})` }),
    ...t.dead_letters.map((d) =>
      el("p", {}, `${d.function}: batch ${d.shard} ${d.first}..${d.last}, ${d.condition} after ${d.invocations} invocations, at `,
        el("span", { class: "mono", text: when(d.at) }))));
  if (!t.dead_letters.length) dead.append(el("p", { class: "muted", text: "none" }));
  box.replaceChildren(head, el("div", { class: "columns" }, audit, email, dead), invocations);
}

// ------------------------------------------------------------------ mailbox
function renderBody(body) {
  if (/^\s*</.test(body) && /<\/?[a-z][\s\S]*>/i.test(body)) {
    // HTML: rendered with no scripts, no same-origin access, no forms, no navigation.
    return el("iframe", { sandbox: "", srcdoc: body, class: "email-html", title: "email body" });
  }
  return el("pre", { class: "email-text", text: body });
}

async function refreshMailbox() {
  const box = document.getElementById("mailbox");
  const params = new URLSearchParams({ offset: state.mailOffset, limit: 10 });
  if (state.mailUser) params.set("user_id", state.mailUser);
  try {
    const page = await getJson("emails?" + params);
    document.getElementById("mailbox-info").textContent =
      `${page.matched} email(s)` + (state.mailUser ? ` to user ${state.mailUser}` : "") +
      ` (${page.total} sent); newest first`;
    box.replaceChildren(...page.emails.map((m) =>
      el("article", { class: "card email", "data-message": m.message_id },
        el("div", { class: "email-head" },
          el("strong", { text: m.subject }),
          el("span", { class: "muted", text: " to " + m.to.join(", ") + " from " + m.source })),
        el("p", { class: "muted" }, "user ", userLink(m.user_id), ", sent ",
          el("span", { class: "mono", text: when(m.sent_at) }), ", message id ",
          el("span", { class: "mono", text: m.message_id })),
        renderBody(m.body))));
    if (!page.emails.length) box.replaceChildren(el("p", { class: "muted", text: "no emails yet" }));
    document.getElementById("mail-prev").disabled = state.mailOffset === 0;
    document.getElementById("mail-next").disabled = state.mailOffset + page.emails.length >= page.matched;
  } catch (error) {
    showError(box, error);
  }
}

// ------------------------------------------------------------------ dead letters
async function refreshDlq() {
  const tbody = document.querySelector("#dlq-table tbody");
  try {
    const report = await getJson("dlq");
    tbody.replaceChildren(...report.messages.map((m) =>
      el("tr", {},
        el("td", { text: m.function }),
        el("td", { class: "mono", text: m.batch }),
        el("td", {}, ...m.users.flatMap((u) => [userLink(u), " "]),
          ...Object.entries(m.skipped).map(([u, s]) => el("span", { class: "muted", text: `${u.slice(0, 8)} (${s}) ` }))),
        el("td", { text: m.outcome }),
        el("td", { class: "muted", text: m.detail }))));
    if (!report.messages.length) {
      tbody.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "muted", text: "the dead-letter queue is empty" })));
    }
  } catch (error) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "error", text: String(error.message) })));
  }
}

async function replay() {
  const button = document.getElementById("replay");
  const out = document.getElementById("replay-result");
  button.disabled = true;
  out.replaceChildren(el("p", { class: "muted", text: "replaying..." }));
  try {
    const result = await postAdmin("dlq/replay");
    out.replaceChildren(el("div", { class: "card", id: "replay-done" },
      el("p", { text: `settled ${result.settled} dead-letter message(s), kept ${result.kept}` }),
      el("pre", { class: "log", text: result.messages.map((m) => m.line).join("\n") || "(nothing to replay)" })));
  } catch (error) {
    showError(out, error);
  } finally {
    button.disabled = false;
    refreshDlq();
    refreshCounters();
  }
}

// ------------------------------------------------------------------ register
async function register(event) {
  event.preventDefault();
  const form = event.target;
  const reply = document.getElementById("register-reply");
  const body = Object.fromEntries(new FormData(form).entries());
  try {
    const response = await fetch("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    reply.replaceChildren(`HTTP ${response.status}\n${text}\n`);
    try {
      const parsed = JSON.parse(text);
      if (parsed.user_id) {
        reply.append(el("a", { href: "#user/" + encodeURIComponent(parsed.user_id), id: "registered-link", text: "follow this user" }));
      }
    } catch (_) { /* not JSON: shown as is */ }
  } catch (error) {
    reply.textContent = String(error);
  }
  refreshCounters();
}

// ------------------------------------------------------------------ routing
const REFRESH = { users: refreshUsers, user: refreshUser, mailbox: refreshMailbox, dlq: refreshDlq };

function route() {
  const [view, arg] = (location.hash.slice(1) || "users").split("/");
  state.view = REFRESH[view] || view === "register" ? view : "users";
  if (state.view === "user") state.userId = decodeURIComponent(arg || "");
  if (state.view === "mailbox") {
    const user = decodeURIComponent(arg || "");
    if (user !== state.mailUser) state.mailOffset = 0;
    state.mailUser = user;
  }
  for (const section of document.querySelectorAll(".view")) {
    section.classList.toggle("shown", section.id === "view-" + state.view);
  }
  for (const tab of document.querySelectorAll("#tabs a")) {
    tab.classList.toggle("active", tab.dataset.view === state.view || (state.view === "user" && tab.dataset.view === "users"));
  }
  if (REFRESH[state.view]) REFRESH[state.view]();
}

function start() {
  document.getElementById("where").textContent = location.host;
  document.getElementById("user-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.filters = Object.fromEntries(new FormData(event.target).entries());
    state.offset = 0;
    refreshUsers();
  });
  for (const select of document.querySelectorAll("#user-filters select")) {
    select.addEventListener("change", () => document.getElementById("user-filters").requestSubmit());
  }
  document.getElementById("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); refreshUsers(); });
  document.getElementById("next").addEventListener("click", () => { state.offset += PAGE; refreshUsers(); });
  document.getElementById("mail-prev").addEventListener("click", () => { state.mailOffset = Math.max(0, state.mailOffset - 10); refreshMailbox(); });
  document.getElementById("mail-next").addEventListener("click", () => { state.mailOffset += 10; refreshMailbox(); });
  document.getElementById("replay").addEventListener("click", replay);
  document.getElementById("register-form").addEventListener("submit", register);
  window.addEventListener("hashchange", route);
  route();
  refreshCounters();
  setInterval(refreshCounters, 2000);
  setInterval(() => { if (REFRESH[state.view] && state.view !== "mailbox") REFRESH[state.view](); }, 2000);
}

document.addEventListener("DOMContentLoaded", start);
