// Samverkansassistenten – browser client. Plain ES2020, no framework, CSP-safe:
// every piece of server data is inserted as text nodes, never as HTML.
"use strict";

const MAX_HISTORY = 10; // history entries (user + assistant messages) sent per question
const CITE_RE = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
const NETWORK_ERROR = "Kunde inte nå servern. Kontrollera anslutningen och försök igen.";

const state = {
  history: [],
  busy: false,
  controller: null,
  glossaryLoaded: false,
  panelTrigger: null,
  panelToken: 0,
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

function docUrl(docId, chunkId) {
  const base = `/dokument/${encodeURIComponent(docId)}`;
  return chunkId ? `${base}#${encodeURIComponent(chunkId)}` : base;
}

function whereLabel(item, separator = " / ") {
  const page = item.page !== null && item.page !== undefined ? `s. ${item.page}` : null;
  return [page, item.section].filter(Boolean).join(separator);
}

// ---------------------------------------------------------------- HTTP

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => (d && d.msg) || String(d)).join(" ");
    }
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
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    // Normalise CRLF/CR, but keep a trailing "\r" until we know what follows it.
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

// ---------------------------------------------------------------- Conversation

function setBusy(busy) {
  state.busy = busy;
  $("#send").disabled = busy;
  $("#ask-form").setAttribute("aria-busy", String(busy));
  document.querySelectorAll("button.starter").forEach((b) => { b.disabled = busy; });
}

function scrollToEnd(node) {
  node.scrollIntoView({ block: "end", behavior: "smooth" });
}

function appendUserMessage(question) {
  const node = el("article", { class: "message user" }, [
    el("p", { class: "role", text: "Du" }),
    el("p", { class: "user-text", text: question }),
  ]);
  $("#conversation").append(node);
  scrollToEnd(node);
}

function createAssistantMessage() {
  const view = {
    status: el("p", { class: "status", text: "Söker i källorna…" }),
    text: el("div", { class: "answer-text" }),
  };
  view.root = el("article", { class: "message assistant", "aria-busy": "true" }, [
    el("p", { class: "role", text: "Samverkansassistenten" }), view.status, view.text,
  ]);
  $("#conversation").append(view.root);
  scrollToEnd(view.root);
  return view;
}

function showStreaming(view, text) {
  view.status.remove();
  view.text.textContent = text;
}

function showError(view, message) {
  view.status.remove();
  view.root.classList.add("failed");
  view.root.removeAttribute("aria-busy");
  view.root.append(el("p", { class: "error", role: "alert", text: message }));
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
    type: "button",
    class: "source-link",
    text: citationLabel(c),
    onclick: (event) => openPanel(c, event.currentTarget),
  })));
  return el("section", { class: "sources", "aria-label": "Källor" }, [
    el("h3", { text: "Källor" }), el("ul", {}, items),
  ]);
}

function feedbackControls(question, answer, citations) {
  const status = el("p", { class: "feedback-status", role: "status" });
  const up = el("button", { type: "button", class: "feedback-up", "aria-label": "Bra svar", title: "Bra svar", text: "👍" });
  const down = el("button", { type: "button", class: "feedback-down", "aria-label": "Dåligt svar", title: "Dåligt svar", text: "👎" });
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
    input.focus();
  });
  return box;
}

function finalizeAnswer(view, question, answer, final) {
  const citations = (final && Array.isArray(final.citations)) ? final.citations : [];
  view.status.remove();
  renderAnswerText(view.text, answer, citations);
  if (final && final.mode) view.root.dataset.mode = final.mode;
  if (final && final.refused) {
    view.root.classList.add("refused");
    view.text.before(el("p", { class: "refused-label", text: "Det framgår inte av källorna" }));
  }
  if (citations.length) view.root.append(sourceList(citations));
  view.root.append(feedbackControls(question, answer, citations));
  view.root.removeAttribute("aria-busy");
}

/** Consume the answer stream; resolves with the final answer text. */
async function streamAnswer(response, view, question) {
  let text = "";
  let final = null;
  let failure = null;
  await readEvents(response, (name, data) => {
    if (name === "delta") showStreaming(view, (text += data.text || ""));
    else if (name === "replace") showStreaming(view, (text = data.text || ""));
    else if (name === "citations") final = data;
    else if (name === "error") failure = data.message || "Något gick fel. Försök igen.";
    return name === "done" || name === "error";
  });
  if (failure) throw new Error(failure);
  const answer = final && typeof final.answer === "string" ? final.answer : text;
  if (!answer && !final) throw new Error("Inget svar mottogs. Försök igen.");
  finalizeAnswer(view, question, answer, final);
  return answer;
}

async function ask(rawQuestion) {
  const question = rawQuestion.trim();
  if (!question || state.busy) return;
  appendUserMessage(question);
  updateStarters();
  const view = createAssistantMessage();
  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  try {
    const response = await request("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, history: state.history.slice(-MAX_HISTORY) }),
      signal: controller.signal,
    });
    const answer = await streamAnswer(response, view, question);
    state.history.push({ role: "user", content: question }, { role: "assistant", content: answer });
    scrollToEnd(view.root);
  } catch (err) {
    if (controller.signal.aborted) return; // conversation was reset
    showError(view, err.name === "TypeError" ? NETWORK_ERROR : err.message);
  } finally {
    if (state.controller === controller) {
      state.controller = null;
      setBusy(false);
    }
  }
}

function newConversation() {
  if (state.controller) state.controller.abort();
  state.controller = null;
  state.history = [];
  setBusy(false);
  closePanel(false);
  $("#conversation").replaceChildren();
  updateStarters();
  $("#question").value = "";
  $("#question").focus();
}

// ---------------------------------------------------------------- Starters

function updateStarters() {
  const empty = $("#conversation").children.length === 0;
  $("#starters").hidden = !empty || $("#starter-list").children.length === 0;
}

async function loadStarters() {
  try {
    const data = await getJSON("/api/starters");
    const items = (data.questions || []).map((q) => el("li", {}, el("button", {
      type: "button", class: "starter", text: q, onclick: () => ask(q),
    })));
    $("#starter-list").replaceChildren(...items);
  } catch (_) {
    // Starter questions are optional; the form still works without them.
  }
  updateStarters();
}

// ---------------------------------------------------------------- Citation panel

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Locate the quote (possibly "…"-joined fragments) in text, whitespace-tolerant. */
function quoteRanges(text, quote) {
  const ranges = [];
  let from = 0;
  for (const part of quote.split(/\s*(?:…|\.\.\.)\s*/)) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.join(" ").length < 3) continue;
    const re = new RegExp(words.map(escapeRegExp).join("\\s+"), "g");
    re.lastIndex = from;
    const match = re.exec(text);
    if (match) {
      ranges.push([match.index, match.index + match[0].length]);
      from = re.lastIndex;
    }
  }
  return ranges;
}

function highlightedText(text, quote) {
  const p = el("p", { class: "chunk-text" });
  let last = 0;
  for (const [start, end] of quoteRanges(text, quote || "")) {
    p.append(text.slice(last, start), el("mark", { text: text.slice(start, end) }));
    last = end;
  }
  p.append(text.slice(last));
  return p;
}

async function openPanel(citation, trigger) {
  const panel = $("#citation-panel");
  const body = $("#panel-text");
  const link = $("#panel-link");
  const token = ++state.panelToken;
  state.panelTrigger = trigger || null;
  $("#panel-title").textContent = citation.title || citation.doc_id;
  $("#panel-meta").textContent = [whereLabel(citation), citation.date_label || citation.date].filter(Boolean).join(" · ");
  link.href = citation.url || docUrl(citation.doc_id, citation.chunk_id);
  body.replaceChildren(el("p", { class: "status", text: "Hämtar källtexten…" }));
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.focus();
  try {
    const chunk = await getJSON(`/api/chunks/${encodeURIComponent(citation.chunk_id)}`);
    if (token !== state.panelToken) return;
    body.replaceChildren(highlightedText(chunk.text || "", citation.quote));
    if (!citation.url && chunk.doc_url) link.href = chunk.doc_url;
  } catch (err) {
    if (token !== state.panelToken) return;
    body.replaceChildren(el("p", { class: "error", text: err.message }),
      el("blockquote", {}, el("mark", { text: citation.quote || "" })));
  }
  const mark = body.querySelector("mark");
  if (mark) mark.scrollIntoView({ block: "nearest" });
}

function closePanel(restoreFocus = true) {
  const panel = $("#citation-panel");
  if (panel.hidden) return;
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
      el("a", { href: docUrl(t.doc_id, t.chunk_id), text: "Var definieras?", title: t.title ? `Definieras i: ${t.title}` : null }),
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

function highlightHashTarget() {
  document.querySelectorAll(".doc-chunk.highlight").forEach((n) => n.classList.remove("highlight"));
  const id = hashTarget();
  const target = id ? document.getElementById(id) : null;
  if (!target) return;
  target.classList.add("highlight");
  target.scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
}

function documentHeader(doc) {
  const rows = [
    ["Utgivare", doc.publisher], ["Typ", doc.kind],
    ["Datum", doc.date_label || doc.date], ["Ursprungligt format", doc.original_form],
  ].filter(([, value]) => value);
  const children = [
    el("h2", { id: "document-title", text: doc.title || doc.doc_id }),
    el("dl", { class: "doc-meta" }, rows.map(([k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v })]))),
  ];
  if (/^https?:\/\//.test(doc.url || "")) {
    children.push(el("p", {}, el("a", { href: doc.url, rel: "noopener", text: "Originalkälla" })));
  }
  return el("header", { class: "doc-header" }, children);
}

function documentChunk(chunk) {
  const where = whereLabel(chunk, " · ");
  return el("section", { class: "doc-chunk", id: chunk.chunk_id, tabindex: "-1" }, [
    where ? el("p", { class: "chunk-meta", text: where }) : null,
    el("p", { class: "chunk-text", text: chunk.text }),
  ]);
}

async function renderDocumentPage(docId) {
  $("#chat-view").hidden = true;
  $("#document-view").hidden = false;
  $("#new-conversation").hidden = true;
  const container = $("#document-content");
  container.replaceChildren(el("p", { class: "status", text: "Hämtar dokumentet…" }));
  try {
    const doc = await getJSON(`/api/documents/${encodeURIComponent(docId)}`);
    document.title = `${doc.title || doc.doc_id} – Samverkansassistenten`;
    container.replaceChildren(documentHeader(doc), ...(doc.chunks || []).map(documentChunk));
    highlightHashTarget();
  } catch (err) {
    container.replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
  }
}

// ---------------------------------------------------------------- Wiring

function bindCommon() {
  $("#glossary-button").addEventListener("click", openGlossary);
  $("#glossary-close").addEventListener("click", () => $("#glossary").close());
  $("#glossary-filter").addEventListener("input", filterGlossary);
  // Following a "Var definieras?" link within the same page only changes the hash.
  $("#glossary-list").addEventListener("click", (event) => {
    if (event.target.closest("a")) $("#glossary").close();
  });
  $("#panel-close").addEventListener("click", () => closePanel());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#glossary").open && !$("#citation-panel").hidden) {
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
  $("#new-conversation").addEventListener("click", newConversation);
}

function init() {
  bindCommon();
  const match = location.pathname.match(/^\/dokument\/([^/]+)\/?$/);
  if (match) {
    window.addEventListener("hashchange", highlightHashTarget);
    let docId = match[1];
    try { docId = decodeURIComponent(docId); } catch (_) { /* keep raw id */ }
    renderDocumentPage(docId);
    return;
  }
  bindChat();
  loadStarters();
}

document.addEventListener("DOMContentLoaded", init);
