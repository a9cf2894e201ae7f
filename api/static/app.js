// Samverkansassistenten – browser client. Plain ES2020, no framework, CSP-safe:
// every piece of server data is inserted as text nodes, never as HTML.
"use strict";

const MAX_HISTORY = 10; // history entries (user + assistant messages) sent per question
const CITE_RE = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
const NETWORK_ERROR = "Kunde inte nå servern. Kontrollera anslutningen och försök igen.";
const STORE_KEY = "samverkan.conversations.v1";
const MAX_CONVERSATIONS = 30;
const PDFJS = "/static/vendor/pdfjs/";
// No event for this long means the server hangs: stop waiting and say so.
const STALL_MS = () => Number(window.SAMVERKAN_STALL_MS) || 45000;

const state = {
  busy: false,
  controller: null,
  stopReason: null,
  glossaryLoaded: false,
  panelTrigger: null,
  panelToken: 0,
  starters: [],
  conversation: null,
};

const $ = (selector) => document.querySelector(selector);

/** Create an element. props: class, text, on<event>, or plain attributes. */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Icons as inline SVG (no emoji: they render as empty boxes without an emoji font).
const ICONS = {
  up: "M7 10v11H3V10h4zm2 11h8.5a2 2 0 0 0 2-1.6l1.4-7A2 2 0 0 0 19 10h-5l.8-4.2a1.5 1.5 0 0 0-2.7-1.1L9 9.5V21z",
  down: "M17 14V3h4v11h-4zm-2-11H6.5a2 2 0 0 0-2 1.6l-1.4 7A2 2 0 0 0 5 14h5l-.8 4.2a1.5 1.5 0 0 0 2.7 1.1L15 14.5V3z",
  copy: "M8 3h10a2 2 0 0 1 2 2v12h-2V5H8V3zm-3 4h10a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm0 2v11h10V9H5z",
  stop: "M6 6h12v12H6z",
  retry: "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z",
  doc: "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5z",
  external: "M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14V3zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z",
};

function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

function docUrl(docId, chunkId, quote) {
  let url = `/dokument/${encodeURIComponent(docId)}`;
  if (quote) url += `?citat=${encodeURIComponent(quote.slice(0, 400))}`;
  return chunkId ? `${url}#${encodeURIComponent(chunkId)}` : url;
}

const SV_MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
  "september", "oktober", "november", "december"];

function svDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${Number(m[3])} ${SV_MONTHS[Number(m[2]) - 1]} ${m[1]}` : iso;
}

function whereLabel(item, separator = " / ") {
  const page = item.page !== null && item.page !== undefined ? `s. ${item.page}` : null;
  return [page, item.section].filter(Boolean).join(separator);
}

/** At most `limit` characters, cut at a word boundary. */
function clipWords(text, limit) {
  const flat = String(text || "").replace(/\s+/g, " ").trim();
  if (flat.length <= limit) return flat;
  const cut = flat.slice(0, limit + 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > 0 ? cut.slice(0, space) : flat.slice(0, limit)).replace(/[\s,;:–-]+$/, "")}…`;
}

// ---------------------------------------------------------------- HTTP

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
  } catch (_) {
    // Body was not JSON; fall through to the generic message.
  }
  return `Något gick fel (HTTP ${response.status}). Försök igen.`;
}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new Error(NETWORK_ERROR);
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  return response;
}

async function getJSON(url) {
  const response = await request(url, { headers: { Accept: "application/json" } });
  return response.json();
}

async function postJSON(url, body) {
  const response = await request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return response.json().catch(() => ({}));
}

// ---------------------------------------------------------------- SSE parsing

/** Parse one SSE block ("event: x\ndata: {...}") and hand it to onEvent. */
function dispatchBlock(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length && name === "message") return false;
  let payload = {};
  try {
    payload = data.length ? JSON.parse(data.join("\n")) : {};
  } catch (_) {
    payload = { text: data.join("\n") };
  }
  return onEvent(name, payload || {});
}

/** Read a text/event-stream body; onEvent may return true to stop reading. */
async function readEvents(response, onEvent, onActivity) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    onActivity();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    const cut = !done && buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
    buffer = buffer.slice(0, cut).replace(/\r\n?/g, "\n") + buffer.slice(cut);
    let index;
    while ((index = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      if (dispatchBlock(block, onEvent)) {
        reader.cancel().catch(() => {});
        return;
      }
    }
    if (done) break;
  }
  if (buffer.trim()) dispatchBlock(buffer, onEvent);
}

// ---------------------------------------------------------------- Saved conversations

function loadStore() {
  try {
    const data = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    if (data && typeof data === "object" && data.items) return data;
  } catch (_) {
    // A damaged entry is replaced by an empty store.
  }
  return { current: null, items: {} };
}

function saveStore(store) {
  const ids = Object.keys(store.items).sort((a, b) => store.items[b].updated - store.items[a].updated);
  for (const id of ids.slice(MAX_CONVERSATIONS)) delete store.items[id];
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(store));
  } catch (_) {
    // Storage full or disabled: the chat still works, it is just not saved.
  }
}

function newConversationRecord() {
  const now = Date.now();
  return { id: `c${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`, title: "", created: now, updated: now, messages: [] };
}

function saveConversation() {
  const conv = state.conversation;
  if (!conv || !conv.messages.length) return;
  const store = loadStore();
  conv.updated = Date.now();
  if (!conv.title) {
    const first = conv.messages.find((m) => m.role === "user");
    conv.title = clipWords(first ? first.text : "Samtal", 60);
  }
  store.items[conv.id] = conv;
  store.current = conv.id;
  saveStore(store);
}

function historyForApi() {
  const out = [];
  for (const m of state.conversation.messages) {
    if (m.role === "user") out.push({ role: "user", content: m.text });
    else if (m.status === "done") out.push({ role: "assistant", content: m.text });
    else out.pop(); // a question without an answer is not history
  }
  return out.slice(-MAX_HISTORY);
}

function renderConversationList() {
  const store = loadStore();
  const items = Object.values(store.items).sort((a, b) => b.updated - a.updated);
  const list = $("#conversation-list");
  if (!items.length) {
    list.replaceChildren(el("li", { class: "hint", text: "Inga sparade samtal ännu." }));
    return;
  }
  list.replaceChildren(...items.map((conv) => {
    const when = new Date(conv.updated).toLocaleString("sv-SE", { dateStyle: "medium", timeStyle: "short" });
    const current = state.conversation && state.conversation.id === conv.id;
    return el("li", { class: "conversation-item", "data-id": conv.id }, [
      el("button", {
        type: "button", class: "conversation-open", "aria-current": current ? "true" : null,
        onclick: () => { switchConversation(conv.id); $("#conversations").close(); },
      }, [el("span", { class: "conversation-title", text: conv.title || "Namnlöst samtal" }), el("span", { class: "conversation-date", text: when })]),
      el("button", { type: "button", class: "conversation-rename", text: "Byt namn", "aria-label": `Byt namn på ${conv.title}`, onclick: () => renameConversation(conv.id) }),
      el("button", { type: "button", class: "conversation-delete", text: "Ta bort", "aria-label": `Ta bort ${conv.title}`, onclick: () => deleteConversation(conv.id) }),
    ]);
  }));
}

function renameConversation(id) {
  const store = loadStore();
  const conv = store.items[id];
  if (!conv) return;
  const name = window.prompt("Nytt namn på samtalet:", conv.title);
  if (name === null || !name.trim()) return;
  conv.title = name.trim().slice(0, 80);
  saveStore(store);
  if (state.conversation && state.conversation.id === id) state.conversation.title = conv.title;
  renderConversationList();
}

function deleteConversation(id) {
  const store = loadStore();
  if (!store.items[id] || !window.confirm(`Ta bort samtalet ”${store.items[id].title}”?`)) return;
  delete store.items[id];
  if (store.current === id) store.current = null;
  saveStore(store);
  if (state.conversation && state.conversation.id === id) newConversation(false);
  renderConversationList();
}

function switchConversation(id) {
  const store = loadStore();
  if (!store.items[id]) return;
  stopAnswer("switch");
  store.current = id;
  saveStore(store);
  state.conversation = store.items[id];
  renderConversation();
}

function renderConversation() {
  closePanel(false);
  const log = $("#conversation");
  log.replaceChildren();
  for (const m of state.conversation.messages) {
    if (m.role === "user") log.append(userMessage(m.text));
    else {
      const view = createAssistantView();
      renderAssistant(view, m);
    }
  }
  updateWelcome();
  const last = log.lastElementChild;
  if (last) revealMessage(last, "auto");
}

// ---------------------------------------------------------------- Conversation view

function setBusy(busy) {
  state.busy = busy;
  $("#send").hidden = busy;
  $("#stop").hidden = !busy;
  $("#ask-form").setAttribute("aria-busy", String(busy));
  document.querySelectorAll("button.starter, button.retry").forEach((b) => { b.disabled = busy; });
}

/** Scroll the conversation so the message is fully visible above the question box; a
 * message taller than the visible area is shown from its start. */
function revealMessage(node, behavior = "smooth") {
  const scroller = $("#scroller");
  const box = node.getBoundingClientRect();
  const view = scroller.getBoundingClientRect();
  let delta = 0;
  if (box.height > view.height) delta = box.top - view.top - 8;
  else if (box.bottom > view.bottom) delta = box.bottom - view.bottom + 8;
  else if (box.top < view.top) delta = box.top - view.top - 8;
  if (delta) scroller.scrollBy({ top: delta, behavior });
}

function userMessage(text) {
  return el("article", { class: "message user" }, [
    el("p", { class: "role", text: "Du" }),
    el("p", { class: "user-text", text }),
  ]);
}

function createAssistantView() {
  const view = {
    status: el("p", { class: "status", text: "Söker i källorna…" }),
    text: el("div", { class: "answer-text" }),
  };
  view.root = el("article", { class: "message assistant", "aria-busy": "true" }, [
    el("p", { class: "role", text: "Samverkansassistenten" }), view.status, view.text,
  ]);
  $("#conversation").append(view.root);
  return view;
}

function citeButton(citation) {
  return el("button", {
    type: "button",
    class: "cite",
    "aria-label": `Källa ${citation.id}`,
    "data-citation-id": citation.id,
    text: `[${citation.id}]`,
    onclick: (event) => openPanel(citation, event.currentTarget),
  });
}

/** Render answer text with "[n]" / "[n, m]" markers turned into citation buttons. */
function renderAnswerText(container, text, citations) {
  const byId = new Map(citations.map((c) => [Number(c.id), c]));
  container.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(CITE_RE)) {
    const ids = match[1].split(",").map((s) => Number(s.trim()));
    if (!ids.every((id) => byId.has(id))) continue;
    container.append(text.slice(last, match.index));
    ids.forEach((id) => container.append(citeButton(byId.get(id))));
    last = match.index + match[0].length;
  }
  container.append(text.slice(last));
}

function citationLabel(citation) {
  let label = `[${citation.id}] ${citation.title || citation.doc_id}`;
  const where = whereLabel(citation);
  if (where) label += ` – ${where}`;
  const date = citation.date_label || citation.date;
  if (date) label += ` (${date})`;
  return label;
}

function sourceList(citations) {
  const items = citations.map((c) => el("li", {}, el("button", {
    type: "button", class: "source-link", text: citationLabel(c),
    onclick: (event) => openPanel(c, event.currentTarget),
  })));
  return el("section", { class: "sources", "aria-label": "Källor" }, [
    el("h3", { text: "Källor" }), el("ul", {}, items),
  ]);
}

function distinctSources(sources, n) {
  const out = [];
  const seen = new Set();
  for (const s of sources || []) {
    const key = `${s.doc_id}|${s.section || ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
    if (out.length === n) break;
  }
  return out;
}

/** A refusal is no dead end: the closest passages as cards that open the source, and a hint. */
function closestSources(sources, question) {
  const cards = distinctSources(sources, 3).map((s) => el("li", { class: "source-card" }, [
    el("button", {
      type: "button", class: "source-card-open",
      onclick: (event) => openPanel({ ...s, quote: "" }, event.currentTarget),
    }, [
      el("span", { class: "source-card-title", text: s.title || s.doc_id }),
      whereLabel(s) ? el("span", { class: "source-card-where", text: whereLabel(s) }) : null,
      el("span", { class: "source-card-text", text: clipWords(s.text, 220) }),
      el("span", { class: "source-card-action", text: "Visa källan" }),
    ]),
  ]));
  const related = relatedStarter(question);
  const hint = el("p", { class: "rephrase" }, [
    "Formulera gärna om frågan med ord som står i dokumenten",
    related ? ", eller prova: " : ".",
  ]);
  if (related) hint.append(el("button", { type: "button", class: "starter inline", text: related, onclick: () => ask(related) }));
  return el("section", { class: "closest", "aria-label": "Närmast i källorna" }, [
    cards.length ? el("h3", { text: "Närmast i källorna" }) : null,
    cards.length ? el("ul", { class: "source-cards" }, cards) : null,
    hint,
  ]);
}

function relatedStarter(question) {
  const words = new Set(String(question).toLowerCase().match(/[\p{L}\d]{4,}/gu) || []);
  let best = null;
  let bestScore = -1;
  for (const s of state.starters) {
    if (s === question) continue;
    const score = (s.toLowerCase().match(/[\p{L}\d]{4,}/gu) || []).filter((w) => words.has(w)).length;
    if (score > bestScore) { best = s; bestScore = score; }
  }
  return best;
}

function feedbackControls(question, answer, citations) {
  const status = el("p", { class: "feedback-status", role: "status" });
  const up = el("button", { type: "button", class: "feedback-up icon-button", "aria-label": "Bra svar", title: "Bra svar" }, icon("up"));
  const down = el("button", { type: "button", class: "feedback-down icon-button", "aria-label": "Dåligt svar", title: "Dåligt svar" }, icon("down"));
  const box = el("div", { class: "feedback" }, [el("span", { class: "feedback-label", text: "Var svaret till hjälp?" }), up, down, status]);
  let form = null;

  const send = async (rating, comment) => {
    up.disabled = true;
    down.disabled = true;
    try {
      await postJSON("/api/feedback", { question, answer, citations, rating, comment: comment || null });
      if (form) form.remove();
      status.textContent = "Tack för din återkoppling!";
    } catch (err) {
      status.textContent = `Återkopplingen kunde inte skickas: ${err.message}`;
      up.disabled = false;
      down.disabled = false;
    }
  };

  up.addEventListener("click", () => { up.setAttribute("aria-pressed", "true"); send("up"); });
  down.addEventListener("click", () => {
    down.setAttribute("aria-pressed", "true");
    if (form) return form.querySelector("input").focus();
    const id = `fb-${Math.random().toString(36).slice(2, 9)}`;
    const input = el("input", { id, type: "text", class: "feedback-comment", maxlength: "1000" });
    form = el("form", { class: "feedback-form" }, [
      el("label", { for: id, text: "Vad saknades eller var fel? (valfritt)" }), input,
      el("button", { type: "submit", class: "feedback-submit", text: "Skicka återkoppling" }),
    ]);
    form.addEventListener("submit", (event) => { event.preventDefault(); send("down", input.value.trim()); });
    box.append(form);
    input.focus({ preventScroll: true });
    revealMessage(form);
  });
  return box;
}

/** The answer and its sources as plain text, for the clipboard. */
function answerAsText(msg) {
  const lines = [msg.text.trim()];
  const citations = (msg.final && msg.final.citations) || [];
  if (citations.length) {
    lines.push("", "Källor:");
    for (const c of citations) {
      lines.push(`${citationLabel(c)}: ”${clipWords(c.quote, 300)}”`);
      lines.push(`  ${location.origin}${docUrl(c.doc_id, c.chunk_id, c.quote)}`);
    }
  }
  return lines.join("\n");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    const area = el("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function copyButton(msg) {
  const status = el("span", { class: "copy-status", role: "status" });
  const button = el("button", {
    type: "button", class: "copy-button icon-button", title: "Kopiera svaret med källor",
    onclick: async () => {
      status.textContent = (await copyText(answerAsText(msg))) ? "Kopierat" : "Kunde inte kopiera";
    },
  }, [icon("copy"), el("span", { text: "Kopiera" })]);
  return el("span", { class: "copy" }, [button, status]);
}

const STATUS_TEXT = {
  interrupted: "Svaret avbröts innan det var klart och kan vara ofullständigt.",
  stopped: "Du stoppade svaret.",
};

/** Render a stored assistant message (finished, interrupted, stopped or failed). */
function renderAssistant(view, msg) {
  const final = msg.final || null;
  const citations = final && Array.isArray(final.citations) ? final.citations : [];
  view.status.remove();
  view.root.removeAttribute("aria-busy");
  let shown = msg.text || "";
  if (msg.status === "done" && final && final.refused) {
    // The refusal's plain list of titles gives way to clickable cards with the passages.
    const cut = shown.indexOf("Närmast i källorna finns");
    if (cut > 0) shown = shown.slice(0, cut).trim();
  }
  renderAnswerText(view.text, shown, citations);
  if (msg.status === "done") {
    if (final && final.mode) view.root.dataset.mode = final.mode;
    if (final && final.refused) {
      view.root.classList.add("refused");
      view.text.before(el("p", { class: "badge refused-label", text: "Det framgår inte av källorna" }));
    } else if (final && final.mode === "partial") {
      view.root.classList.add("partial");
      view.text.before(el("p", { class: "badge partial-label", text: "Osäkert – närmaste svar i källorna" }));
    }
    if (citations.length) view.root.append(sourceList(citations));
    if (final && final.refused) view.root.append(closestSources(final.sources, msg.question));
    view.root.append(el("div", { class: "actions" }, [
      copyButton(msg), feedbackControls(msg.question, msg.text, citations),
    ]));
    return;
  }
  view.root.classList.add(msg.status === "error" ? "failed" : "interrupted");
  view.root.dataset.status = msg.status;
  const note = msg.status === "error" ? msg.error : STATUS_TEXT[msg.status];
  view.root.append(el("p", { class: msg.status === "error" ? "error" : "notice", role: "alert", text: note }));
  view.root.append(el("button", {
    type: "button", class: "retry", onclick: () => retry(msg),
  }, [icon("retry"), el("span", { text: "Försök igen" })]));
}

function retry(msg) {
  if (state.busy) return;
  const conv = state.conversation;
  const i = conv.messages.indexOf(msg);
  // The failed answer and its question are replaced by the new attempt.
  if (i > 0) conv.messages.splice(i - 1, 2);
  saveConversation();
  renderConversation();
  ask(msg.question);
}

function stopAnswer(reason) {
  if (state.controller) {
    state.stopReason = reason;
    state.controller.abort();
  }
}

/** Consume the answer stream into msg; returns how it ended. */
async function streamAnswer(response, view, msg, onActivity) {
  let final = null;
  let failure = null;
  let done = false;
  await readEvents(response, (name, data) => {
    if (name === "delta" || name === "replace") {
      msg.text = name === "delta" ? msg.text + (data.text || "") : data.text || "";
      view.status.remove();
      view.text.textContent = msg.text;
    } else if (name === "citations") final = data;
    else if (name === "error") failure = data.message || "Något gick fel. Försök igen.";
    else if (name === "done") done = true;
    return name === "done" || name === "error";
  }, onActivity);
  if (failure) throw new Error(failure);
  if (!final || !done) return "interrupted";
  msg.final = final;
  if (typeof final.answer === "string") msg.text = final.answer;
  return "done";
}

async function ask(rawQuestion) {
  const question = rawQuestion.trim();
  if (!question || state.busy) return;
  const conv = state.conversation;
  const history = historyForApi();
  const userMsg = { role: "user", text: question };
  const msg = { role: "assistant", question, text: "", status: "pending" };
  conv.messages.push(userMsg, msg);
  $("#conversation").append(userMessage(question));
  updateWelcome();
  const view = createAssistantView();
  revealMessage(view.root);
  const controller = new AbortController();
  state.controller = controller;
  state.stopReason = null;
  setBusy(true);
  let stall = null;
  const onActivity = () => {
    clearTimeout(stall);
    stall = setTimeout(() => stopAnswer("timeout"), STALL_MS());
  };
  onActivity();
  try {
    const response = await request("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, history }),
      signal: controller.signal,
    });
    msg.status = await streamAnswer(response, view, msg, onActivity);
  } catch (err) {
    const reason = state.stopReason;
    if (reason === "switch" || reason === "new") return;
    if (reason === "user") msg.status = "stopped";
    else {
      msg.status = "error";
      msg.error = reason === "timeout"
        ? `Servern har inte svarat på ${Math.round(STALL_MS() / 1000)} sekunder. Försök igen om en stund.`
        : (err.name === "TypeError" ? NETWORK_ERROR : err.message);
    }
  } finally {
    clearTimeout(stall);
    if (state.controller === controller) {
      state.controller = null;
      setBusy(false);
    }
  }
  if (conv !== state.conversation) return;
  renderAssistant(view, msg);
  if (msg.status !== "done" && !$("#question").value.trim()) {
    $("#question").value = question; // the question stays, to send again or edit
  }
  saveConversation();
  revealMessage(view.root);
}

function newConversation(focus = true) {
  stopAnswer("new");
  state.controller = null;
  setBusy(false);
  state.conversation = newConversationRecord();
  const store = loadStore();
  store.current = null;
  saveStore(store);
  renderConversation();
  $("#question").value = "";
  if (focus) $("#question").focus();
}

// ---------------------------------------------------------------- First page

function updateWelcome() {
  $("#welcome").hidden = $("#conversation").children.length > 0;
}

async function loadStarters() {
  try {
    const data = await getJSON("/api/starters");
    state.starters = data.questions || [];
    const items = state.starters.map((q) => el("li", {}, el("button", {
      type: "button", class: "starter", text: q, onclick: () => ask(q),
    })));
    $("#starter-list").replaceChildren(...items);
  } catch (_) {
    // Starter questions are optional; the form still works without them.
  }
}

function documentItem(doc) {
  const validity = doc.expired
    ? el("span", { class: "validity expired", text: `${doc.validity_label || "Gäller inte längre"} – inte längre aktuell` })
    : (doc.validity_label ? el("span", { class: "validity", text: doc.validity_label }) : null);
  return el("li", { class: "doc-item" }, [
    el("a", { href: docUrl(doc.doc_id), target: "_blank", rel: "noopener", text: doc.title }),
    el("span", { class: "doc-date", text: [doc.kind, doc.date_label || doc.date].filter(Boolean).join(", ") }),
    validity,
  ]);
}

async function loadDocuments(list) {
  try {
    const data = await getJSON("/api/documents");
    list.replaceChildren(...(data.documents || []).map(documentItem));
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: err.message }));
  }
}

// ---------------------------------------------------------------- Quote finding

/** Letters and digits only, lower case, with a map back to positions in the original. */
function normalise(text) {
  let out = "";
  const map = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (/[\p{L}\p{N}]/u.test(ch)) {
      out += ch.toLowerCase();
      map.push(i);
    }
  }
  return { text: out, map };
}

/** Ranges [start, end) of the quote (or "…"-joined fragments) in text, ignoring spacing,
 * punctuation and line-end hyphenation. A fragment not found whole is tried by its start. */
function quoteRanges(text, quote) {
  const hay = normalise(text);
  const ranges = [];
  for (const part of String(quote || "").split(/\s*(?:…|\.\.\.)\s*/)) {
    const words = part.split(/\s+/).filter(Boolean);
    for (const n of [words.length, Math.ceil(words.length / 2), Math.min(8, words.length)]) {
      const needle = normalise(words.slice(0, n).join(" ")).text;
      if (needle.length < 3) break;
      const at = hay.text.indexOf(needle);
      if (at >= 0) {
        ranges.push([hay.map[at], hay.map[at + needle.length - 1] + 1]);
        break;
      }
    }
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

function highlightedText(text, quote) {
  const p = el("p", { class: "chunk-text" });
  let last = 0;
  for (const [start, end] of quoteRanges(text, quote)) {
    if (start < last) continue;
    p.append(text.slice(last, start), el("mark", { text: text.slice(start, end) }));
    last = end;
  }
  p.append(text.slice(last));
  return p;
}

// ---------------------------------------------------------------- PDF viewer (PDF.js)

let pdfjsLib = null;
const pdfDocuments = new Map();

async function loadPdf(url) {
  if (!pdfjsLib) {
    pdfjsLib = import(`${PDFJS}pdf.min.mjs`).then((lib) => {
      lib.GlobalWorkerOptions.workerSrc = `${PDFJS}pdf.worker.min.mjs`;
      return lib;
    });
  }
  const lib = await pdfjsLib;
  if (!pdfDocuments.has(url)) {
    pdfDocuments.set(url, lib.getDocument({
      url,
      isEvalSupported: false,
      standardFontDataUrl: `${PDFJS}standard_fonts/`,
    }).promise);
  }
  return { lib, pdf: await pdfDocuments.get(url) };
}

/** Render one PDF page (canvas + selectable text layer) and highlight the quote on it. */
async function renderPdfPage(container, url, pageNumber, quote, targetWidth) {
  const { lib, pdf } = await loadPdf(url);
  const number = Math.min(Math.max(1, pageNumber || 1), pdf.numPages);
  const page = await pdf.getPage(number);
  const width = targetWidth || Math.max(240, container.clientWidth || 400);
  const scale = width / page.getViewport({ scale: 1 }).width;
  const viewport = page.getViewport({ scale });
  const ratio = window.devicePixelRatio || 1;
  const canvas = el("canvas", { class: "pdf-canvas", "aria-hidden": "true" });
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${viewport.width}px`;
  canvas.style.height = `${viewport.height}px`;
  const textDiv = el("div", { class: "textLayer" });
  const wrap = el("div", { class: "pdf-page", "data-page": number, role: "document", "aria-label": `Sida ${number} av ${pdf.numPages}` }, [canvas, textDiv]);
  wrap.style.width = `${viewport.width}px`;
  wrap.style.height = `${viewport.height}px`;
  wrap.style.setProperty("--scale-factor", String(scale));
  wrap.style.setProperty("--total-scale-factor", String(scale));
  container.replaceChildren(wrap);
  await page.render({
    canvas,
    canvasContext: canvas.getContext("2d"),
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
  }).promise;
  const textContent = await page.getTextContent();
  const layer = new lib.TextLayer({ textContentSource: textContent, container: textDiv, viewport });
  await layer.render();
  const marks = highlightTextLayer(layer.textDivs, textContent.items, quote);
  wrap.dataset.rendered = "true";
  return { page: number, pages: pdf.numPages, marks };
}

/** Mark the quote in PDF.js's text layer: the spans' text joined (one space between items)
 * is matched like any text, and each span's share of the match gets a <mark>. */
function highlightTextLayer(divs, items, quote) {
  const spans = [];
  let joined = "";
  let d = 0;
  for (const item of items) {
    if (typeof item.str !== "string") continue;
    const div = divs[d++];
    if (!div) break;
    spans.push({ div, start: joined.length, text: item.str });
    joined += `${item.str} `;
  }
  let count = 0;
  for (const [start, end] of quoteRanges(joined, quote)) {
    for (const span of spans) {
      const from = Math.max(start, span.start) - span.start;
      const to = Math.min(end, span.start + span.text.length) - span.start;
      if (from >= to) continue;
      const text = span.div.textContent;
      span.div.replaceChildren(text.slice(0, from), el("mark", { class: "highlight", text: text.slice(from, to) }), text.slice(to));
      count += 1;
    }
  }
  return count;
}

// ---------------------------------------------------------------- Citation panel

const wideScreen = () => window.matchMedia("(min-width: 1100px)").matches;

function panelLink(href, text, iconName) {
  return el("li", {}, el("a", { href, target: "_blank", rel: "noopener" }, [icon(iconName), el("span", { text })]));
}

async function openPanel(citation, trigger) {
  const panel = $("#citation-panel");
  const body = $("#panel-text");
  const token = ++state.panelToken;
  state.panelTrigger = trigger || null;
  $("#panel-title").textContent = citation.title || citation.doc_id;
  $("#panel-meta").textContent = [whereLabel(citation), citation.date_label || svDate(citation.date)].filter(Boolean).join(" · ");
  body.replaceChildren(el("p", { class: "status", text: "Hämtar källan…" }));
  $("#panel-links").replaceChildren(panelLink(docUrl(citation.doc_id, citation.chunk_id, citation.quote), "Hela texten i ny flik", "doc"));
  const wasOpen = !panel.hidden;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  // The panel gets a history entry, so the browser's (or phone's) Back closes it.
  if (!wasOpen && !(history.state && history.state.panel)) history.pushState({ panel: true }, "");
  panel.scrollTop = 0;
  panel.focus({ preventScroll: true });
  try {
    const chunk = await getJSON(`/api/chunks/${encodeURIComponent(citation.chunk_id)}`);
    if (token !== state.panelToken) return;
    const links = [panelLink(docUrl(chunk.doc_id, chunk.chunk_id, citation.quote), "Hela texten i ny flik", "doc")];
    if (chunk.original_url) links.push(panelLink(`${chunk.original_url}#page=${chunk.page || 1}`, "Original-PDF:en i ny flik", "external"));
    if (chunk.web_url) links.push(panelLink(chunk.web_url, `Originalsidan på ${new URL(chunk.web_url).hostname}`, "external"));
    $("#panel-links").replaceChildren(...links);
    if (chunk.original_url && chunk.page) {
      await showPdfInPanel(body, chunk, citation.quote || chunk.text.slice(0, 120), token);
    } else {
      body.replaceChildren(highlightedText(chunk.text || "", citation.quote));
    }
  } catch (err) {
    if (token !== state.panelToken) return;
    body.replaceChildren(el("p", { class: "error", text: err.message }),
      citation.quote ? el("blockquote", {}, el("mark", { text: citation.quote })) : null);
  }
  if (token !== state.panelToken) return;
  const mark = body.querySelector("mark");
  // On a phone the panel opens at its top (title and Stäng in view); side by side, the quote.
  if (mark && wideScreen()) mark.scrollIntoView({ block: "center" });
  else panel.scrollTop = 0;
}

const ZOOMS = [1, 1.5, 2, 3];

async function showPdfInPanel(body, chunk, quote, token) {
  const shownQuote = quote.length <= 400 ? quote : clipWords(quote, 400);
  const quoteBox = el("blockquote", { class: "panel-quote" }, quote ? el("mark", { text: shownQuote }) : null);
  const pageBox = el("div", { class: "pdf-container" }, el("p", { class: "status", text: "Öppnar PDF-sidan…" }));
  const caption = el("p", { class: "pdf-caption", role: "status" });
  let zoom = 0;
  const render = async () => {
    const fit = Math.max(240, pageBox.clientWidth || 400);
    const shown = await renderPdfPage(pageBox, chunk.original_url, chunk.page, quote, fit * ZOOMS[zoom]);
    if (token !== state.panelToken) return;
    smaller.disabled = zoom === 0;
    larger.disabled = zoom === ZOOMS.length - 1;
    caption.textContent = `Originalet, sida ${shown.page} av ${shown.pages}${shown.marks ? " – citatet är markerat" : ""}`;
    const mark = pageBox.querySelector("mark");
    if (mark && zoom > 0) {
      // Zoomed in: bring the highlight into the page box's own scroll area.
      const box = pageBox.getBoundingClientRect();
      const m = mark.getBoundingClientRect();
      pageBox.scrollLeft += m.left - box.left - 16;
      mark.scrollIntoView({ block: "center" });
    }
  };
  const step = (delta) => {
    zoom = Math.min(ZOOMS.length - 1, Math.max(0, zoom + delta));
    render().catch(() => {});
  };
  const smaller = el("button", { type: "button", class: "zoom-out", "aria-label": "Förminska sidan", text: "−", onclick: () => step(-1) });
  const larger = el("button", { type: "button", class: "zoom-in", "aria-label": "Förstora sidan", text: "+", onclick: () => step(1) });
  const toolbar = el("div", { class: "pdf-toolbar" }, [caption, el("span", { class: "zoom" }, [smaller, larger])]);
  body.replaceChildren(quoteBox, toolbar, pageBox);
  try {
    await render();
  } catch (err) {
    if (token !== state.panelToken) return;
    pageBox.replaceChildren(el("p", { class: "error", text: "PDF-sidan kunde inte visas. Texten:" }), highlightedText(chunk.text || "", quote));
  }
}

function closePanel(restoreFocus = true, fromHistory = false) {
  const panel = $("#citation-panel");
  if (panel.hidden) return;
  if (!fromHistory && history.state && history.state.panel) {
    history.back(); // popstate closes it, so Back and Stäng do the same
    return;
  }
  state.panelToken += 1;
  panel.hidden = true;
  document.body.classList.remove("panel-open");
  const trigger = state.panelTrigger;
  state.panelTrigger = null;
  if (restoreFocus && trigger && trigger.isConnected) trigger.focus();
}

// ---------------------------------------------------------------- Glossary

function renderGlossary(terms) {
  const rows = terms.map((t) => el("div", { class: "glossary-term", "data-term": (t.term || "").toLowerCase() }, [
    el("dt", { text: t.term }),
    el("dd", {}, [
      el("span", { text: t.explanation }), " ",
      el("button", {
        type: "button", class: "link-button", text: "Var definieras?", title: t.title ? `Definieras i: ${t.title}` : null,
        onclick: () => {
          $("#glossary").close();
          openPanel({ doc_id: t.doc_id, chunk_id: t.chunk_id, title: t.title, quote: t.term }, $("#glossary-button"));
        },
      }),
    ]),
  ]));
  $("#glossary-list").replaceChildren(rows.length ? el("dl", {}, rows) : el("p", { text: "Ordlistan är tom." }));
}

function filterGlossary() {
  const query = $("#glossary-filter").value.trim().toLowerCase();
  document.querySelectorAll("#glossary .glossary-term").forEach((row) => {
    row.hidden = Boolean(query) && !row.textContent.toLowerCase().includes(query);
  });
}

async function openGlossary() {
  const dialog = $("#glossary");
  if (!dialog.open) dialog.showModal();
  if (state.glossaryLoaded) return;
  $("#glossary-list").replaceChildren(el("p", { class: "status", text: "Hämtar ordlistan…" }));
  try {
    const data = await getJSON("/api/glossary");
    renderGlossary(data.terms || []);
    state.glossaryLoaded = true;
    filterGlossary();
  } catch (err) {
    $("#glossary-list").replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
  }
}

// ---------------------------------------------------------------- Document page

function hashTarget() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch (_) {
    return location.hash.slice(1);
  }
}

function documentHeader(doc) {
  const rows = [
    ["Utgivare", doc.publisher], ["Typ", doc.kind],
    ["Datum", doc.date_label || doc.date], ["Ursprungligt format", doc.original_form],
    ["Giltighet", doc.expired ? `${doc.validity_label || "Gäller inte längre"} – inte längre aktuell` : doc.validity_label],
  ].filter(([, value]) => value);
  const links = [];
  if (doc.url) links.push(panelLink(doc.url, `Originalsidan på ${new URL(doc.url).hostname}`, "external"));
  if (doc.original_url) links.push(panelLink(doc.original_url, "Original-PDF:en", "external"));
  return el("header", { class: "doc-header" }, [
    el("h2", { id: "document-title", text: doc.title || doc.doc_id }),
    el("dl", { class: "doc-meta" }, rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v })]))),
    links.length ? el("ul", { class: "panel-links" }, links) : null,
  ]);
}

function documentChunk(chunk, quote, target) {
  const where = whereLabel(chunk, " · ");
  const isTarget = chunk.chunk_id === target;
  return el("section", { class: `doc-chunk${isTarget ? " highlight" : ""}`, id: chunk.chunk_id, tabindex: "-1" }, [
    where ? el("p", { class: "chunk-meta", text: where }) : null,
    isTarget && quote ? highlightedText(chunk.text, quote) : el("p", { class: "chunk-text", text: chunk.text }),
  ]);
}

async function renderDocumentPage(docId) {
  showDocumentView();
  const container = $("#document-content");
  container.replaceChildren(el("p", { class: "status", text: "Hämtar dokumentet…" }));
  const params = new URLSearchParams(location.search);
  const quote = params.get("citat") || "";
  try {
    const doc = await getJSON(`/api/documents/${encodeURIComponent(docId)}`);
    document.title = `${doc.title || doc.doc_id} – Samverkansassistenten`;
    const target = hashTarget();
    const chunks = doc.chunks || [];
    const cited = chunks.find((c) => c.chunk_id === target);
    const parts = [documentHeader(doc)];
    if (doc.original_url && cited && cited.page) {
      const box = el("div", { class: "pdf-container doc-pdf" });
      parts.push(el("h3", { text: `Originalet, sida ${cited.page}` }), box);
      container.replaceChildren(...parts, el("h3", { text: "Texten" }), ...chunks.map((c) => documentChunk(c, quote, target)));
      renderPdfPage(box, doc.original_url, cited.page, quote || cited.text.slice(0, 120))
        .catch(() => box.replaceChildren(el("p", { class: "error", text: "PDF-sidan kunde inte visas." })));
    } else {
      container.replaceChildren(...parts, ...chunks.map((c) => documentChunk(c, quote, target)));
    }
    const node = target ? document.getElementById(target) : null;
    if (node && !(doc.original_url && cited && cited.page)) {
      node.scrollIntoView({ block: "start" });
      node.focus({ preventScroll: true });
    }
  } catch (err) {
    container.replaceChildren(el("h2", { id: "document-title", text: "Dokumentet finns inte" }),
      el("p", { class: "error", role: "alert", text: err.message }),
      el("p", {}, el("a", { href: "/dokument/", text: "Visa alla dokument" })));
  }
}

function renderDocumentList() {
  showDocumentView();
  document.title = "Dokument – Samverkansassistenten";
  const list = el("ul", { class: "doc-list" });
  $("#document-content").replaceChildren(el("h2", { id: "document-title", text: "Dokumenten assistenten svarar utifrån" }), list);
  loadDocuments(list);
}

function showDocumentView() {
  $("#chat-view").hidden = true;
  $("#document-view").hidden = false;
  $("#new-conversation").hidden = true;
  $("#conversations-button").hidden = true;
}

// ---------------------------------------------------------------- Wiring

function bindCommon() {
  $("#glossary-button").addEventListener("click", openGlossary);
  $("#glossary-close").addEventListener("click", () => $("#glossary").close());
  $("#glossary-filter").addEventListener("input", filterGlossary);
  $("#panel-close").addEventListener("click", () => closePanel());
  window.addEventListener("popstate", (event) => {
    if (!(event.state && event.state.panel)) closePanel(true, true);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.querySelector("dialog[open]") && !$("#citation-panel").hidden) {
      event.preventDefault();
      closePanel();
    }
  });
}

function bindChat() {
  const form = $("#ask-form");
  const textarea = $("#question");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.busy || !textarea.value.trim()) return;
    const question = textarea.value;
    textarea.value = "";
    ask(question);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $("#stop").addEventListener("click", () => stopAnswer("user"));
  $("#new-conversation").addEventListener("click", () => newConversation());
  $("#conversations-button").addEventListener("click", () => {
    renderConversationList();
    $("#conversations").showModal();
  });
  $("#conversations-close").addEventListener("click", () => $("#conversations").close());
}

function init() {
  bindCommon();
  // A reload must not reopen a panel whose entry is still in the history.
  if (history.state && history.state.panel) history.replaceState(null, "");
  const match = location.pathname.match(/^\/dokument\/([^/]+)\/?$/);
  if (match) {
    let docId = match[1];
    try { docId = decodeURIComponent(docId); } catch (_) { /* keep raw id */ }
    renderDocumentPage(docId);
    return;
  }
  if (/^\/dokument\/?$/.test(location.pathname)) {
    renderDocumentList();
    return;
  }
  bindChat();
  const store = loadStore();
  state.conversation = (store.current && store.items[store.current]) || newConversationRecord();
  renderConversation();
  loadStarters();
  loadDocuments($("#doc-list"));
}

document.addEventListener("DOMContentLoaded", init);
