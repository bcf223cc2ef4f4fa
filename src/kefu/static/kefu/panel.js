// The agent panel (/panel): search as you type, copy with variables filled, browse,
// favourites, recently used, buyer-message suggestions, live updates. Keyboard first.
// Strings come translated from the page (json_script); reply text is only set as text.
import { api, fmt } from "./panel-api.js";
import { libraryLabel, renderTree } from "./panel-browse.js";
import { copyImage, writeText } from "./panel-copy.js";
import { appendText, renderList } from "./panel-list.js";
import { Store } from "./panel-store.js";
import { EventStream } from "./panel-sync.js";

const C = JSON.parse(document.getElementById("panel-config").textContent);
const S = JSON.parse(document.getElementById("panel-strings").textContent);
const $ = (selector) => document.querySelector(selector);

const ui = {
  panel: $("[data-panel]"), q: $("[data-q]"), list: $("[data-list]"),
  listTitle: $("[data-list-title]"), listCount: $("[data-list-count]"), empty: $("[data-empty]"),
  toast: $("[data-toast]"), images: $("[data-images]"), tree: $("[data-tree-body]"),
  conv: $("[data-conv]"), convForm: $("[data-conv-form]"), convSummary: $("[data-conv-summary]"),
  paste: $("[data-paste]"), message: $("[data-message]"), analysis: $("[data-analysis]"),
  intent: $("[data-intent]"), entities: $("[data-entities]"), escalate: $("[data-escalate]"),
  prompt: $("[data-prompt]"), promptFields: $("[data-prompt-fields]"),
  promptReply: $("[data-prompt-reply]"), promptError: $("[data-prompt-error]"),
  save: $("[data-save]"), saveError: $("[data-save-error]"),
  conn: $("[data-conn]"), connText: $("[data-conn-text]"),
};

const store = new Store();
const state = {
  mode: "home", // home | browse | paste; a non-empty query shows search results in any
  items: [], // the list on screen, in order (headers excluded)
  entries: [], // the same with section headers, as drawn
  selected: 0,
  options: [],
  query: "", // the query the list shows
  browseKey: null,
  suggestFor: null, // the message the suggestions were made for
  lastCopied: null,
};

// --- per-member memory: favourites, recently used, this conversation's values --------

const storageKey = (what) => `kefu.panel.${C.member.org}.${C.member.id}.${what}`;
function remember(what, fallback) {
  try { return JSON.parse(localStorage.getItem(storageKey(what))) ?? fallback; }
  catch (_err) { return fallback; }
}
function keep(what, value) {
  try { localStorage.setItem(storageKey(what), JSON.stringify(value)); } catch (_err) { /* full */ }
}
let favourites = remember("favourites", []);
let recent = remember("recent", []);
let conversation = remember("conversation", {});

function conversationValues() {
  return Object.fromEntries(Object.entries(conversation).filter(([, v]) => v));
}

// What a copy would fill now (for the preview's chips): conversation, organization, server.
function knownValues() {
  const org = [...store.variables.values()].filter((v) => v.value).map((v) => [v.name, v.value]);
  return { ...Object.fromEntries(org), ...C.serverValues, ...conversationValues() };
}

function showConversation(force = false) {
  for (const input of ui.convForm.querySelectorAll("input[name]")) {
    // Not under the agent's cursor while they type, unless everything is being reset.
    if (force || document.activeElement !== input) input.value = conversation[input.name] || "";
  }
  const filled = C.conversationVariables.filter((n) => conversation[n]).map((n) => conversation[n]);
  ui.convSummary.textContent = filled.join(" · ");
}

function setConversation(name, value) {
  conversation = { ...conversation, [name]: value };
  keep("conversation", conversation);
  showConversation();
}

function newConversation() {
  conversation = {};
  keep("conversation", conversation);
  showConversation(true);
  ui.message.value = "";
  state.suggestFor = null;
  ui.analysis.hidden = true;
  hideImages();
  ui.q.value = "";
  onQuery();
  toast(S.newConversation);
  ui.q.focus();
}

// --- items -------------------------------------------------------------------------

function itemFromReply(reply, source) {
  return {
    id: reply.id, title: reply.title, body: reply.body, category: reply.category,
    shortcut: reply.shortcut, images: reply.images, source,
    libraryLabel: libraryLabel(store.libraryById.get(reply.library.id), S),
  };
}

function itemFromResult(result) {
  const reply = store.replies.get(result.id);
  return {
    id: result.id, title: result.title, body: result.body, category: result.category,
    shortcut: result.shortcut, highlights: result.highlights, source: "search",
    images: reply ? reply.images : [],
    libraryLabel: reply ? libraryLabel(store.libraryById.get(reply.library.id), S) : "",
  };
}

const listContext = {
  strings: S,
  values: knownValues,
  isPinned: (id) => favourites.includes(id),
  editUrl: (item) => {
    const reply = store.replies.get(item.id);
    const lib = reply && store.libraryById.get(reply.library.id);
    return lib && lib.can_manage ? C.urls.replyEdit.replace("{id}", String(item.id)) : "";
  },
};

// --- drawing the list --------------------------------------------------------------

function show(entries, { title, count = "", empty = "", query = "", keepSelection = false }) {
  const selectedId = keepSelection && state.items[state.selected] ? state.items[state.selected].id : null;
  state.entries = entries;
  state.items = entries.filter((e) => !e.header);
  let selected = 0;
  if (selectedId !== null) {
    const again = state.items.findIndex((item) => item.id === selectedId);
    selected = again >= 0 ? again : Math.min(state.selected, Math.max(0, state.items.length - 1));
  }
  state.selected = selected;
  state.query = query;
  state.options = renderList(ui.list, entries, selected, listContext);
  ui.listTitle.textContent = title;
  ui.listCount.textContent = count;
  ui.empty.textContent = empty;
  ui.empty.hidden = state.items.length > 0 || !empty;
  ui.q.setAttribute("aria-expanded", String(state.items.length > 0));
  markSelected(false);
  // Tests and the speed measurement wait for this: the list now shows this query.
  ui.list.dataset.query = query;
}

function markSelected(scroll = true) {
  state.options.forEach((li, i) => li.setAttribute("aria-selected", String(i === state.selected)));
  const current = state.options[state.selected];
  if (current) {
    ui.q.setAttribute("aria-activedescendant", current.id);
    ui.list.setAttribute("aria-activedescendant", current.id);
    if (scroll) current.scrollIntoView({ block: "nearest" });
  } else {
    ui.q.removeAttribute("aria-activedescendant");
    ui.list.removeAttribute("aria-activedescendant");
  }
}

function move(step) {
  if (!state.items.length) return;
  state.selected = Math.max(0, Math.min(state.items.length - 1, state.selected + step));
  markSelected();
}

function showHome() {
  const entries = [];
  const favs = favourites.map((id) => store.replies.get(id)).filter(Boolean);
  if (favs.length) {
    entries.push({ header: S.favourites });
    favs.forEach((r) => entries.push(itemFromReply(r, "browse")));
  }
  const recents = recent.filter((id) => !favourites.includes(id))
    .map((id) => store.replies.get(id)).filter(Boolean).slice(0, 10);
  if (recents.length) {
    entries.push({ header: S.recent });
    recents.forEach((r) => entries.push(itemFromReply(r, "browse")));
  }
  show(entries, {
    title: favs.length ? S.favourites : S.recent,
    empty: store.loaded ? S.homeEmpty : S.loading, keepSelection: true,
  });
}

function showBrowse() {
  renderTree(ui.tree, store, S, state.browseKey);
  const key = state.browseKey;
  if (!key) {
    show([], { title: S.favourites, empty: store.loaded ? S.browseHint : S.loading });
    ui.listTitle.textContent = "";
    return;
  }
  if (!store.placeLoaded(key)) {
    show([], { title: "", empty: S.loading });
    store.ensurePlace(key).then(() => {
      if (state.browseKey === key && state.mode === "browse" && !ui.q.value.trim()) showBrowse();
    });
    return;
  }
  const [kind, raw] = key.split(":");
  const id = Number(raw);
  const entries = [];
  let title = "";
  if (kind === "cat") {
    const groups = store.categoryGroups(id);
    title = groups.length ? groups[0].header : "";
    groups.forEach((group, i) => {
      if (!group.replies.length) return;
      if (i > 0 || groups.length > 1) entries.push({ header: group.header });
      group.replies.forEach((r) => entries.push(itemFromReply(r, "browse")));
    });
  } else {
    title = `${libraryLabel(store.libraryById.get(id), S)} › ${S.uncategorized}`;
    store.uncategorized(id).forEach((r) => entries.push(itemFromReply(r, "browse")));
  }
  const count = entries.filter((e) => !e.header).length;
  show(entries, { title, count: fmt(S.resultCount, { n: count }), empty: S.categoryEmpty,
                  keepSelection: true });
}

// --- search ------------------------------------------------------------------------

let searchAbort = null;

// IMEs put apostrophes between syllables while composing (tui'kuan): search without them.
const cleanQuery = (raw) => raw.replace(/'/g, "").trim();

async function search(query, keepSelection) {
  if (searchAbort) searchAbort.abort();
  const abort = new AbortController();
  searchAbort = abort;
  const url = `/api/v1/replies/search?limit=${C.searchLimit}&q=${encodeURIComponent(query)}`;
  let r;
  try {
    r = await api("GET", url, undefined, abort.signal);
  } catch (_aborted) {
    return; // a newer keystroke took over; its results will replace the list
  }
  if (searchAbort !== abort) return;
  searchAbort = null;
  if (!r.ok) {
    toast(r.status === 0 ? S.networkError : fmt(S.renderFailed, { detail: r.data.detail || r.status }), "error");
    return;
  }
  // Old results stay on screen until these arrive: no blank flash between keystrokes.
  show(r.data.results.map(itemFromResult), {
    title: fmt(S.searchResults, { q: query }),
    count: fmt(r.data.results.length >= C.searchLimit ? S.resultCountMore : S.resultCount,
               { n: r.data.results.length }),
    empty: fmt(S.noResults, { q: query }), query, keepSelection,
  });
}

function onQuery() {
  const query = cleanQuery(ui.q.value);
  if (query) {
    ui.panel.dataset.searching = "1";
    search(query, false);
    return;
  }
  if (searchAbort) searchAbort.abort();
  searchAbort = null;
  delete ui.panel.dataset.searching;
  redraw(false);
}

// Redraw whatever is on screen from fresh data, keeping the query and the selection.
function redraw(keepSelection = true) {
  const query = cleanQuery(ui.q.value);
  if (query) {
    search(query, keepSelection);
  } else if (state.mode === "browse") {
    showBrowse();
  } else if (state.mode === "paste") {
    refreshSuggestions();
  } else {
    showHome();
  }
  if (state.mode === "browse" || ui.panel.dataset.wide) renderTree(ui.tree, store, S, state.browseKey);
}

// --- modes -------------------------------------------------------------------------

function setMode(mode, focus = true) {
  state.mode = mode;
  ui.panel.dataset.mode = mode;
  document.querySelectorAll("[data-mode-button]").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.modeButton === mode));
  });
  ui.paste.hidden = mode !== "paste";
  if (mode !== "paste" || !state.suggestFor) ui.analysis.hidden = true;
  if (mode !== "home" && ui.q.value) { ui.q.value = ""; delete ui.panel.dataset.searching; }
  redraw(false);
  if (!focus) return;
  if (mode === "paste") ui.message.focus();
  else if (mode === "browse") {
    const first = ui.tree.querySelector("[aria-current]") || ui.tree.querySelector("button.node");
    if (first) first.focus();
  } else ui.q.focus();
}

// --- copying -----------------------------------------------------------------------

let toastTimer = null;
function toast(text, kind = "ok") {
  clearTimeout(toastTimer);
  ui.toast.textContent = text;
  ui.toast.dataset.kind = kind;
  ui.toast.classList.add("visible");
  toastTimer = setTimeout(() => ui.toast.classList.remove("visible"), kind === "error" ? 8000 : 2500);
}

async function copyItem(item, extraValues = {}) {
  if (!item) return;
  const values = { ...conversationValues(), ...extraValues };
  const r = await api("POST", "/api/v1/render", { reply_id: item.id, values });
  if (!r.ok) {
    toast(r.status === 0 ? S.networkError : fmt(S.renderFailed, { detail: r.data.detail || r.status }), "error");
    return;
  }
  const open = [...r.data.missing, ...r.data.unknown];
  if (open.length) {
    openPrompt(item, r.data);
    return;
  }
  const ok = await writeText(r.data.text);
  if (!ok) {
    showUncopied(r.data.text);
    return;
  }
  flash(item);
  toast(fmt(S.copiedTitle, { title: item.title }));
  recordUse(item);
  // A lazy copy may not hold this reply yet: fetch it (for its images, and the recent list).
  if (!store.replies.has(item.id)) await store.ensureIds([item.id]);
  showImages(item);
}

function flash(item) {
  const li = state.options.find((o) => o.dataset.id === String(item.id));
  if (!li) return;
  li.classList.remove("copied");
  void li.offsetWidth; // restart the animation
  li.classList.add("copied");
}

function showUncopied(text) {
  toast(S.copyFailed, "error");
  const area = document.createElement("textarea");
  area.className = "uncopied";
  area.readOnly = true;
  area.value = text;
  area.setAttribute("aria-label", S.copyFailed);
  ui.images.replaceChildren(area);
  ui.images.hidden = false;
  area.focus();
  area.select();
}

function recordUse(item) {
  const body = { source: item.source };
  if (item.message) body.message = item.message;
  api("POST", `/api/v1/replies/${item.id}/uses`, body);
  recent = [item.id, ...recent.filter((id) => id !== item.id)].slice(0, 30);
  keep("recent", recent);
  state.lastCopied = item;
}

function hideImages() {
  ui.images.hidden = true;
  ui.images.replaceChildren();
}

function showImages(item) {
  const reply = store.replies.get(item.id);
  const images = (reply && reply.images) || item.images || [];
  if (!images.length) { hideImages(); return; }
  const parts = [];
  const hint = document.createElement("p");
  hint.className = "muted";
  hint.textContent = S.imagesHint;
  parts.push(hint);
  for (const image of images) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = image.url;
    img.alt = image.name;
    img.draggable = true;
    img.loading = "lazy";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.textContent = S.imageCopy;
    copy.addEventListener("click", () => copyImageOf(image));
    const download = document.createElement("a");
    download.href = image.url;
    download.download = image.name;
    download.textContent = S.imageDownload;
    const caption = document.createElement("figcaption");
    caption.append(copy, " ", download);
    figure.append(img, caption);
    parts.push(figure);
  }
  ui.images.replaceChildren(...parts);
  ui.images.hidden = false;
}

async function copyImageOf(image) {
  if (await copyImage(image.url)) toast(S.imageCopied);
  else toast(S.imageCopyFailed, "error");
}

// --- the "fill in before copying" prompt --------------------------------------------

let pending = null;

function openPrompt(item, rendered) {
  pending = item;
  const fields = [];
  const names = [...rendered.missing, ...rendered.unknown];
  names.forEach((name, i) => {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const label = document.createElement("label");
    label.htmlFor = `prompt-${i}`;
    label.textContent = name;
    const input = document.createElement("input");
    input.id = `prompt-${i}`;
    input.name = name;
    input.autocomplete = "off";
    input.spellcheck = false;
    input.value = conversation[name] || "";
    wrap.append(label, input);
    if (rendered.unknown.includes(name)) {
      const note = document.createElement("p");
      note.className = "help";
      note.textContent = S.promptUnknown;
      wrap.appendChild(note);
    }
    fields.push(wrap);
  });
  ui.promptFields.replaceChildren(...fields);
  // The reply as it would go out, the open variables marked where the values will go.
  const title = document.createElement("strong");
  title.textContent = item.title;
  const preview = document.createElement("span");
  preview.className = "preview";
  appendText(preview, rendered.text, null, {});
  ui.promptReply.replaceChildren(title, preview);
  ui.promptError.hidden = true;
  ui.prompt.hidden = false;
  ui.panel.dataset.dialog = "prompt";
  ui.promptFields.querySelector("input").focus();
}

function closePrompt() {
  ui.prompt.hidden = true;
  delete ui.panel.dataset.dialog;
  pending = null;
  ui.q.focus();
}

ui.prompt.addEventListener("submit", async (event) => {
  event.preventDefault();
  const inputs = [...ui.promptFields.querySelectorAll("input")];
  const empty = inputs.find((input) => !input.value.trim());
  if (empty) {
    ui.promptError.textContent = S.promptRequired;
    ui.promptError.hidden = false;
    empty.focus();
    return;
  }
  const values = Object.fromEntries(inputs.map((input) => [input.name, input.value.trim()]));
  // Kept for the rest of this conversation: the next reply asking for it is filled at once.
  conversation = { ...conversation, ...values };
  keep("conversation", conversation);
  showConversation();
  const item = pending;
  closePrompt();
  await copyItem(item, values);
});
$("[data-prompt-cancel]").addEventListener("click", closePrompt);

// --- saving a personal reply (Alt+N or Ctrl+S, then Enter) --------------------------

function openSave() {
  const query = ui.q.value.trim();
  ui.save.elements.title.value = query.split("\n")[0].slice(0, 30);
  ui.save.elements.body.value = query;
  ui.saveError.hidden = true;
  ui.save.hidden = false;
  ui.panel.dataset.dialog = "save";
  const first = query ? ui.save.elements.title : ui.save.elements.body;
  first.focus();
  first.select();
}

function closeSave() {
  ui.save.hidden = true;
  delete ui.panel.dataset.dialog;
  ui.q.focus();
}

ui.save.addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = ui.save.elements.title.value.trim();
  const body = ui.save.elements.body.value.trim();
  if (!title || !body) {
    ui.saveError.textContent = fmt(S.saveFailed, { detail: "" }).replace(/[:：]\s*$/, "");
    ui.saveError.hidden = false;
    (title ? ui.save.elements.body : ui.save.elements.title).focus();
    return;
  }
  const r = await api("POST", "/api/v1/replies", { scope: "personal", title, body });
  if (!r.ok) {
    ui.saveError.textContent = fmt(S.saveFailed, { detail: r.data.detail || r.status });
    ui.saveError.hidden = false;
    return;
  }
  if (!store.libraryById.has(r.data.library.id)) await store.loadTree();
  store.upsert(r.data);
  closeSave();
  toast(fmt(S.saved, { title }));
  redraw();
});
ui.save.elements.body.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.save.requestSubmit();
  }
});
$("[data-save-cancel]").addEventListener("click", closeSave);
$("[data-save-open]").addEventListener("click", openSave);

// --- paste mode: a buyer's message in, suggestions out ------------------------------

let suggestAbort = null;

// One entity as text: {value}, {text} (dates, durations), or a plain number or string.
function entityText(entity) {
  if (entity && typeof entity === "object") return String(entity.value ?? entity.text ?? "");
  return entity === null || entity === undefined ? "" : String(entity);
}

function firstOf(entities, kind) {
  const list = entities[kind];
  return Array.isArray(list) && list.length ? entityText(list[0]) : "";
}

async function suggest() {
  const message = ui.message.value.trim();
  if (!message) return;
  if (suggestAbort) suggestAbort.abort();
  const abort = new AbortController();
  suggestAbort = abort;
  let r;
  try {
    r = await api("POST", "/api/v1/suggest", { message, limit: C.suggestLimit }, abort.signal);
  } catch (_aborted) {
    return;
  }
  if (suggestAbort !== abort) return;
  if (!r.ok) {
    const text = r.status === 404 || r.status === 405 ? S.suggestUnavailable
      : r.status === 0 ? S.networkError : fmt(S.suggestFailed, { detail: r.data.detail || r.status });
    show([], { title: S.suggestTitle, empty: text });
    return;
  }
  state.suggestFor = message;
  showAnalysis(r.data);
  state.suggestions = r.data.suggestions.map((s) => ({
    id: s.reply_id, title: s.title, body: s.text, source: "suggest", message,
  }));
  refreshSuggestions(false);
  if (state.items.length) ui.list.focus({ preventScroll: true });
}

function refreshSuggestions(keepSelection = true) {
  if (!state.suggestFor) {
    show([], { title: S.suggestTitle, empty: "" });
    return;
  }
  // Live edits reach suggestions too: show the library's current text.
  const items = (state.suggestions || []).map((s) => {
    const reply = store.replies.get(s.id);
    return reply ? { ...s, title: reply.title, body: reply.body, images: reply.images,
                     category: reply.category } : s;
  });
  show(items, { title: S.suggestTitle, count: fmt(S.resultCount, { n: items.length }),
                empty: S.suggestEmpty, keepSelection });
}

function showAnalysis(data) {
  const intent = data.intent || {};
  ui.intent.textContent = intent.category
    ? fmt(S.intent, { category: intent.category,
                      confidence: Math.round((Number(intent.confidence) || 0) * 100) }) : "";
  const entities = data.entities || {};
  const chips = [];
  for (const [kind, list] of Object.entries(entities)) {
    for (const entity of Array.isArray(list) ? list : [list]) {
      const text = entityText(entity);
      if (!text) continue;
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "entity-name";
      name.textContent = S.entityKinds[kind] || kind;
      li.append(name, " ", text);
      const where = entity && (entity.platform || entity.carrier);
      if (where) {
        const small = document.createElement("span");
        small.className = "entity-name";
        small.textContent = ` · ${S.platforms[where] || where}`;
        li.appendChild(small);
      }
      chips.push(li);
    }
  }
  ui.entities.replaceChildren(...chips);
  ui.escalate.hidden = !data.escalate;
  ui.escalate.textContent = data.escalate ? S.escalate : "";
  ui.analysis.hidden = false;
  // The numbers the buyer gave are this conversation's: every copy fills them in.
  const order = firstOf(entities, "order_numbers");
  if (order && conversation["订单号"] !== order) {
    setConversation("订单号", order);
    toast(fmt(S.orderFilled, { value: order }));
  }
  const tracking = firstOf(entities, "tracking_numbers");
  if (tracking) setConversation("快递单号", tracking);
}

ui.paste.addEventListener("submit", (event) => { event.preventDefault(); suggest(); });
ui.message.addEventListener("paste", () => setTimeout(suggest, 0));
ui.message.addEventListener("keydown", (event) => {
  if (event.isComposing || event.keyCode === 229) return;
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    if (state.suggestFor === ui.message.value.trim() && state.items.length) ui.list.focus({ preventScroll: true });
    else suggest();
  } else if (event.key === "ArrowDown" && state.items.length
             && ui.message.selectionStart === ui.message.value.length) {
    event.preventDefault();
    ui.list.focus({ preventScroll: true });
  }
});

// --- keyboard ----------------------------------------------------------------------

const isField = (node) => node instanceof HTMLElement
  && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));

function digitOf(event) {
  const match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code);
  return match ? Number(match[1]) : 0;
}

// In the search box a digit is usually part of the query (/tk9, 7天); it copies the n-th
// result only when the query so far has no digit and is not a /shortcut.
function digitCopiesFromSearch() {
  const value = ui.q.value;
  return value.trim() !== "" && !/\d/.test(value) && !value.startsWith("/") && state.items.length > 0;
}

function copyNth(n) {
  const item = state.items[n - 1];
  if (!item) return false;
  state.selected = n - 1;
  markSelected();
  copyItem(item);
  return true;
}

function togglePin(item) {
  if (!item) return;
  const pinned = favourites.includes(item.id);
  favourites = pinned ? favourites.filter((id) => id !== item.id) : [...favourites, item.id];
  keep("favourites", favourites);
  toast(fmt(pinned ? S.unpinned : S.pinned, { title: item.title }));
  store.ensureIds([item.id]).then(() => redraw());
}

function focusSearch() {
  if (state.mode === "paste") setMode("home", false);
  ui.q.focus();
  ui.q.select();
}

const ALT_KEYS = {
  KeyZ: focusSearch,
  KeyB: () => setMode("browse"),
  KeyM: () => setMode("paste"),
  KeyN: openSave,
  KeyX: newConversation,
  KeyP: () => togglePin(state.items[state.selected]),
  KeyV: () => { ui.conv.open = true; ui.convForm.querySelector("input").focus(); },
  KeyI: () => {
    const item = state.lastCopied;
    const reply = item && store.replies.get(item.id);
    const images = (reply && reply.images) || (item && item.images) || [];
    if (images.length) copyImageOf(images[0]);
  },
};

document.addEventListener("keydown", (event) => {
  if (event.isComposing || event.keyCode === 229) return; // the IME owns this key
  const target = event.target;
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const action = ALT_KEYS[event.code];
    const digit = digitOf(event);
    if (action) { event.preventDefault(); action(); return; }
    if (digit && !ui.panel.dataset.dialog) { event.preventDefault(); copyNth(digit); return; }
  }
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
    event.preventDefault();
    openSave();
    return;
  }
  if (ui.panel.dataset.dialog) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (ui.panel.dataset.dialog === "prompt") closePrompt(); else closeSave();
    }
    return;
  }
  const inSearch = target === ui.q;
  const inList = target === ui.list || ui.list.contains(target);
  const inTree = ui.tree.contains(target);
  if (event.key === "/" && !isField(target)) {
    event.preventDefault();
    focusSearch();
    return;
  }
  if (inTree && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    const nodes = [...ui.tree.querySelectorAll("button.node")];
    const next = nodes[nodes.indexOf(target) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) { event.preventDefault(); next.focus(); }
    return;
  }
  if (!(inSearch || inList || (!isField(target) && !inTree))) {
    if (event.key === "Escape" && isField(target)) { event.preventDefault(); focusSearch(); }
    return;
  }
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    move(event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "PageDown" || event.key === "PageUp") {
    event.preventDefault();
    move(event.key === "PageDown" ? 5 : -5);
  } else if (event.key === "Enter" && (inSearch || inList)) {
    event.preventDefault();
    copyItem(state.items[state.selected]);
  } else if (digitOf(event) && !event.shiftKey && !event.ctrlKey && !event.metaKey
             && (!inSearch || digitCopiesFromSearch())) {
    if (copyNth(digitOf(event))) event.preventDefault();
  } else if (event.key === "Escape") {
    event.preventDefault();
    if (inSearch && ui.q.value) { ui.q.value = ""; onQuery(); }
    else if (inList && state.mode === "paste") ui.message.focus();
    else if (inList && state.mode === "browse") {
      const node = ui.tree.querySelector("[aria-current]");
      if (node) node.focus(); else ui.q.focus();
    } else if (state.mode !== "home") { setMode("home"); }
    else ui.q.focus();
  }
});

ui.q.addEventListener("input", onQuery);

ui.list.addEventListener("click", (event) => {
  const pin = event.target.closest("[data-pin]");
  if (pin) {
    togglePin(state.items.find((item) => String(item.id) === pin.dataset.pin));
    return;
  }
  if (event.target.closest("a")) return;
  const li = event.target.closest("li.item");
  if (!li) return;
  state.selected = Number(li.dataset.index);
  markSelected(false);
  copyItem(state.items[state.selected]);
});

ui.tree.addEventListener("click", (event) => {
  const node = event.target.closest("button[data-node]");
  if (!node) return;
  state.browseKey = node.dataset.node;
  if (state.mode !== "browse") setMode("browse", false);
  ui.q.value = "";
  delete ui.panel.dataset.searching;
  showBrowse();
  const again = ui.tree.querySelector(`[data-node="${state.browseKey}"]`);
  if (state.items.length) ui.list.focus({ preventScroll: true }); else if (again) again.focus();
});

document.querySelectorAll("[data-mode-button]").forEach((button) => {
  button.addEventListener("click", () => setMode(button.dataset.modeButton));
});

ui.convForm.addEventListener("input", (event) => {
  if (event.target.name) setConversation(event.target.name, event.target.value.trim());
  if (state.items.length) redraw();
});
ui.convForm.addEventListener("submit", (event) => { event.preventDefault(); ui.q.focus(); });
ui.convForm.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && isField(event.target)) { event.preventDefault(); ui.q.focus(); }
});
$("[data-new-conv]").addEventListener("click", newConversation);

// The layout: a narrow side panel, or a wide window with the tree always beside the list.
const wide = window.matchMedia("(min-width: 900px)");
const treeNav = $("[data-tree]");
function onWidth() {
  if (wide.matches) ui.panel.dataset.wide = "1"; else delete ui.panel.dataset.wide;
  // One tree element: in the side column when wide, under the mode buttons when narrow.
  if (wide.matches) $(".panel-side").appendChild(treeNav);
  else $(".modes").after(treeNav);
  ui.conv.open = wide.matches || !ui.convSummary.textContent;
  if (wide.matches) renderTree(ui.tree, store, S, state.browseKey);
}
wide.addEventListener("change", onWidth);

// --- live updates ------------------------------------------------------------------

let redrawTimer = null;
function scheduleRedraw() {
  // Several events in a burst (a move, a reorder) redraw once.
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(() => redraw(true), 30);
}

async function resync() {
  await store.loadAll([...favourites, ...recent]);
  ui.panel.dataset.copy = store.lazy ? "lazy" : "full";
  redraw(true);
  ui.panel.dataset.loaded = "1";
}

let everConnected = false;
const stream = new EventStream("/api/v1/events", {
  onEvent: async (ev) => {
    if (ev.type === "hello") {
      // A fresh stream (no id to resume from): load, or reload what may have changed.
      if (!everConnected) { everConnected = true; await resync(); return; }
      await resync();
      return;
    }
    if (ev.type === "resync") {
      await resync();
      toast(S.resynced);
      return;
    }
    const changed = await store.apply(ev);
    if (changed) scheduleRedraw();
  },
  onStatus: (status, seconds) => {
    ui.conn.dataset.conn = status;
    const text = {
      live: S.connLive, connecting: S.connConnecting, reconnecting: S.connReconnecting,
      offline: fmt(S.connOffline, { s: seconds }), loggedOut: S.connLoggedOut,
    }[status];
    ui.connText.textContent = text || status;
  },
});

// --- start -------------------------------------------------------------------------

showConversation();
onWidth();
showHome();
ui.q.focus();
stream.start();
// If the stream cannot open (a proxy that buffers it), the panel still loads and searches.
setTimeout(() => { if (!everConnected && !store.loaded) resync(); }, 3000);
window.kefuPanel = { store, state };
