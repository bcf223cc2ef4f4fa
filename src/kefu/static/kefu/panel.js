// The agent panel (/panel): search as you type, copy with variables filled, browse,
// favourites, recently used, buyer-message suggestions, live updates. Keyboard first.
// Strings come translated from the page (json_script); reply text is only set as text.
//
// P is the panel's shared context: the modules (dialogs, paste mode, keys) get it and call
// back into it, so each stays about one thing.
import { api, fmt } from "./panel-api.js";
import { libraryLabel, renderTree } from "./panel-browse.js";
import { copyImage, renderImages, writeText } from "./panel-copy.js";
import { setupDialogs } from "./panel-dialogs.js";
import { setupKeys } from "./panel-keys.js";
import { renderList } from "./panel-list.js";
import { Memory } from "./panel-memory.js";
import { setupPaste } from "./panel-paste.js";
import { Store } from "./panel-store.js";
import { EventStream } from "./panel-sync.js";

const $ = (selector) => document.querySelector(selector);
const C = JSON.parse($("#panel-config").textContent);
const S = JSON.parse($("#panel-strings").textContent);

const ui = {
  panel: $("[data-panel]"), q: $("[data-q]"), list: $("[data-list]"),
  listTitle: $("[data-list-title]"), listCount: $("[data-list-count]"), empty: $("[data-empty]"),
  toast: $("[data-toast]"), images: $("[data-images]"), tree: $("[data-tree-body]"),
  treeNav: $("[data-tree]"), side: $(".panel-side"), modes: $(".modes"),
  conv: $("[data-conv]"), convForm: $("[data-conv-form]"), convSummary: $("[data-conv-summary]"),
  paste: $("[data-paste]"), message: $("[data-message]"), analysis: $("[data-analysis]"),
  intent: $("[data-intent]"), entities: $("[data-entities]"), escalate: $("[data-escalate]"),
  prompt: $("[data-prompt]"), promptFields: $("[data-prompt-fields]"),
  promptReply: $("[data-prompt-reply]"), promptError: $("[data-prompt-error]"),
  save: $("[data-save]"), saveError: $("[data-save-error]"),
  conn: $("[data-conn]"), connText: $("[data-conn-text]"),
};

const state = {
  mode: "home", // home | browse | paste; a non-empty query shows search results in any
  items: [], // the list on screen, in order (section headers left out)
  entries: [], // the same with the headers, as drawn
  shown: {}, // how the list was last drawn (title, count, ...), to draw it again
  selected: 0,
  options: [],
  browseKey: null, // "cat:<id>" or "lib:<id>"
  suggestFor: null, // the message the suggestions on screen were made for
  lastCopied: null,
};

const P = { C, S, ui, state, store: new Store(), memory: new Memory(C.member.org, C.member.id) };
const { store, memory } = P;

// --- this conversation's values ------------------------------------------------------

// What a copy would fill now (for the preview's chips): conversation, organization, server.
function knownValues() {
  const org = [...store.variables.values()].filter((v) => v.value).map((v) => [v.name, v.value]);
  return { ...Object.fromEntries(org), ...C.serverValues, ...memory.values() };
}

P.showConversation = (force = false) => {
  for (const input of ui.convForm.querySelectorAll("input[name]")) {
    // Not under the agent's cursor while they type, unless everything is being reset.
    if (force || document.activeElement !== input) input.value = memory.conversation[input.name] || "";
  }
  ui.convSummary.textContent = C.conversationVariables
    .map((name) => memory.conversation[name]).filter(Boolean).join(" · ");
};

P.newConversation = () => {
  memory.clearConversation();
  P.showConversation(true);
  P.paste.clear();
  hideImages();
  ui.q.value = "";
  P.onQuery();
  P.toast(S.newConversation);
  ui.q.focus();
};

// --- drawing the list ----------------------------------------------------------------

function itemFromReply(reply, source) {
  return {
    id: reply.id, title: reply.title, body: reply.body, category: reply.category,
    shortcut: reply.shortcut, images: reply.images, source,
    libraryLabel: libraryLabel(store.libraryById.get(reply.library.id), S),
  };
}

// Why a result that does not hold what was typed is listed: one of search's typo passes,
// its last resort (a match of part of the query, or of its start), or a number written
// the other way. Kinds as in the API's why.match
// (several terms join theirs with +).
const MATCH_HINTS = [
  ["partial_", "matchPartial"], ["homophone_", "matchHomophone"], ["fuzzy_", "matchFuzzy"],
  ["edit_missing_char", "matchMissingChar"], ["edit_extra_char", "matchExtraChar"],
  ["numeral_", "matchNumeral"], ["part_", "matchPart"],
];

function matchHint(why) {
  const kinds = why && why.match ? why.match.split("+") : [];
  const found = MATCH_HINTS.find(([start]) => kinds.some((k) => k.startsWith(start)));
  return found ? S[found[1]] : "";
}

function itemFromResult(result) {
  const reply = store.replies.get(result.id);
  return {
    id: result.id, title: result.title, body: result.body, category: result.category,
    shortcut: result.shortcut, highlights: result.highlights, source: "search",
    why: matchHint(result.why),
    images: reply ? reply.images : [],
    libraryLabel: reply ? libraryLabel(store.libraryById.get(reply.library.id), S) : "",
  };
}

const listContext = {
  strings: S,
  values: knownValues,
  isPinned: (id) => memory.isPinned(id),
  editUrl: (item) => {
    const reply = store.replies.get(item.id);
    const lib = reply && store.libraryById.get(reply.library.id);
    return lib && lib.can_manage ? C.urls.replyEdit.replace("{id}", String(item.id)) : "";
  },
};

P.show = (entries, { title = "", count = "", empty = "", query = "", keepSelection = false } = {}) => {
  const before = keepSelection && state.items[state.selected];
  state.entries = entries;
  state.items = entries.filter((e) => !e.header);
  state.shown = { title, count, empty, query };
  let selected = 0;
  if (before) {
    const again = state.items.findIndex((item) => item.id === before.id);
    selected = again >= 0 ? again : Math.min(state.selected, Math.max(0, state.items.length - 1));
  }
  state.selected = selected;
  state.options = renderList(ui.list, entries, selected, listContext);
  ui.listTitle.textContent = title;
  ui.listCount.textContent = count;
  ui.empty.textContent = empty;
  ui.empty.hidden = state.items.length > 0 || !empty;
  ui.q.setAttribute("aria-expanded", String(state.items.length > 0));
  P.markSelected(false);
  // Tests and the speed measurement wait for this: the list now shows this query.
  ui.list.dataset.query = query;
};

// The same list again (values or favourites changed), without asking the server.
const redrawList = () => P.show(state.entries, { ...state.shown, keepSelection: true });

P.markSelected = (scroll = true) => {
  state.options.forEach((li, i) => li.setAttribute("aria-selected", String(i === state.selected)));
  const current = state.options[state.selected];
  for (const owner of [ui.q, ui.list]) {
    if (current) owner.setAttribute("aria-activedescendant", current.id);
    else owner.removeAttribute("aria-activedescendant");
  }
  if (current && scroll) current.scrollIntoView({ block: "nearest" });
};

P.move = (step) => {
  if (!state.items.length) return;
  state.selected = Math.max(0, Math.min(state.items.length - 1, state.selected + step));
  P.markSelected();
};

function showHome() {
  const entries = [];
  const favs = memory.favourites.map((id) => store.replies.get(id)).filter(Boolean);
  if (favs.length) entries.push({ header: S.favourites }, ...favs.map((r) => itemFromReply(r, "browse")));
  const recents = memory.recent.filter((id) => !memory.isPinned(id))
    .map((id) => store.replies.get(id)).filter(Boolean).slice(0, 10);
  if (recents.length) entries.push({ header: S.recent }, ...recents.map((r) => itemFromReply(r, "browse")));
  P.show(entries, { title: favs.length ? S.favourites : S.recent,
                    empty: store.loaded ? S.homeEmpty : S.loading, keepSelection: true });
}

function showBrowse() {
  renderTree(ui.tree, store, S, state.browseKey);
  const key = state.browseKey;
  if (!key || !store.placeLoaded(key)) {
    P.show([], { empty: !store.loaded || key ? S.loading : S.browseHint });
    if (key) {
      store.ensurePlace(key).then(() => {
        if (state.browseKey === key && state.mode === "browse" && !ui.q.value.trim()) showBrowse();
      });
    }
    return;
  }
  const [kind, raw] = key.split(":");
  const id = Number(raw);
  const entries = [];
  let title;
  if (kind === "cat") {
    const groups = store.categoryGroups(id);
    title = groups.length ? groups[0].header : "";
    groups.forEach((group, i) => {
      if (!group.replies.length) return;
      if (i > 0 || groups.length > 1) entries.push({ header: group.header });
      entries.push(...group.replies.map((r) => itemFromReply(r, "browse")));
    });
  } else {
    title = `${libraryLabel(store.libraryById.get(id), S)} › ${S.uncategorized}`;
    entries.push(...store.uncategorized(id).map((r) => itemFromReply(r, "browse")));
  }
  const count = entries.filter((e) => !e.header).length;
  P.show(entries, { title, count: fmt(S.resultCount, { n: count }), empty: S.categoryEmpty,
                    keepSelection: true });
}

P.browse = (key) => {
  state.browseKey = key;
  if (state.mode !== "browse") P.setMode("browse", false);
  ui.q.value = "";
  delete ui.panel.dataset.searching;
  showBrowse();
  if (state.items.length) ui.list.focus({ preventScroll: true });
};

// --- search --------------------------------------------------------------------------

let searchAbort = null;
let searchRun = Promise.resolve();

// IMEs put apostrophes between syllables while composing (tui'kuan): search without them.
const cleanQuery = (raw) => raw.replace(/'/g, "").trim();

function search(query, keepSelection) {
  if (searchAbort) searchAbort.abort();
  const abort = new AbortController();
  searchAbort = abort;
  const url = `/api/v1/replies/search?limit=${C.searchLimit}&q=${encodeURIComponent(query)}`;
  searchRun = (async () => {
    let r;
    try {
      r = await api("GET", url, undefined, abort.signal);
    } catch (_aborted) {
      return; // a newer keystroke took over; its results will replace the list
    }
    if (searchAbort !== abort) return;
    searchAbort = null;
    if (!r.ok) {
      P.toast(r.status === 0 ? S.networkError : fmt(S.renderFailed, { detail: r.data.detail || r.status }), "error");
      return;
    }
    // Old results stay on screen until these arrive: no blank flash between keystrokes.
    const n = r.data.results.length;
    P.show(r.data.results.map(itemFromResult), {
      title: fmt(S.searchResults, { q: query }),
      count: fmt(n >= C.searchLimit ? S.resultCountMore : S.resultCount, { n }),
      empty: fmt(S.noResults, { q: query }), query, keepSelection,
    });
  })();
}

// Enter or a number key pressed before the last keystroke's results arrived acts on those
// results, not on the older ones still on screen.
P.whenSearched = async () => {
  while (searchAbort) await searchRun;
};

P.onQuery = () => {
  const query = cleanQuery(ui.q.value);
  if (query) {
    ui.panel.dataset.searching = "1";
    search(query, false);
    return;
  }
  if (searchAbort) searchAbort.abort();
  searchAbort = null;
  delete ui.panel.dataset.searching;
  P.redraw(false);
};

// Redraw whatever is on screen from fresh data, keeping the query and the selection.
P.redraw = (keepSelection = true) => {
  const query = cleanQuery(ui.q.value);
  if (query) search(query, keepSelection);
  else if (state.mode === "browse") showBrowse();
  else if (state.mode === "paste") P.paste.refresh(keepSelection);
  else showHome();
  if (state.mode !== "browse" && ui.panel.dataset.wide) renderTree(ui.tree, store, S, state.browseKey);
};

// --- modes ---------------------------------------------------------------------------

P.setMode = (mode, focus = true) => {
  state.mode = mode;
  ui.panel.dataset.mode = mode;
  document.querySelectorAll("[data-mode-button]").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.modeButton === mode));
  });
  ui.paste.hidden = mode !== "paste";
  ui.analysis.hidden = mode !== "paste" || !state.suggestFor;
  if (mode !== "home" && ui.q.value) {
    ui.q.value = "";
    delete ui.panel.dataset.searching;
  }
  P.redraw(false);
  if (!focus) return;
  if (mode === "paste") ui.message.focus();
  else if (mode === "browse") {
    const node = ui.tree.querySelector("[aria-current]") || ui.tree.querySelector("button.node");
    if (node) node.focus();
  } else ui.q.focus();
};

// --- copying -------------------------------------------------------------------------

let toastTimer = null;
P.toast = (text, kind = "ok") => {
  clearTimeout(toastTimer);
  ui.toast.textContent = text;
  ui.toast.dataset.kind = kind;
  ui.toast.classList.add("visible");
  toastTimer = setTimeout(() => ui.toast.classList.remove("visible"), kind === "error" ? 8000 : 2500);
};

P.copyItem = async (item, extraValues = {}) => {
  if (!item) return;
  const values = { ...memory.values(), ...extraValues };
  const r = await api("POST", "/api/v1/render", { reply_id: item.id, values });
  if (!r.ok) {
    P.toast(r.status === 0 ? S.networkError : fmt(S.renderFailed, { detail: r.data.detail || r.status }), "error");
    return;
  }
  if (r.data.missing.length || r.data.unknown.length) {
    P.dialogs.openPrompt(item, r.data);
    return;
  }
  if (!(await writeText(r.data.text))) {
    showUncopied(r.data.text);
    return;
  }
  flash(item);
  P.toast(fmt(S.copiedTitle, { title: item.title }));
  recordUse(item);
  // A lazy copy may not hold this reply yet: fetch it (for its images, and the recent list).
  if (!store.replies.has(item.id)) await store.ensureIds([item.id]);
  showImages(item);
};

P.copyNth = (n) => {
  const item = state.items[n - 1];
  if (!item) return false;
  state.selected = n - 1;
  P.markSelected();
  P.copyItem(item);
  return true;
};

function flash(item) {
  const li = state.options.find((o) => o.dataset.id === String(item.id));
  if (!li) return;
  li.classList.remove("copied");
  void li.offsetWidth; // restart the animation
  li.classList.add("copied");
}

function showUncopied(text) {
  P.toast(S.copyFailed, "error");
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
  // The conversation id lets suggestions learn which reply follows which.
  const body = { source: item.source, conversation: memory.chat.id };
  if (item.message) body.message = item.message;
  api("POST", `/api/v1/replies/${item.id}/uses`, body);
  memory.used(item.id);
  memory.sent(item.id, item.message);
  state.lastCopied = item;
}

function imagesOf(item) {
  const reply = item && store.replies.get(item.id);
  return (reply && reply.images) || (item && item.images) || [];
}

function hideImages() {
  ui.images.hidden = true;
  ui.images.replaceChildren();
}

function showImages(item) {
  const images = imagesOf(item);
  if (images.length) renderImages(ui.images, images, S, copyImageOf);
  else hideImages();
}

async function copyImageOf(image) {
  if (await copyImage(image.url)) P.toast(S.imageCopied);
  else P.toast(S.imageCopyFailed, "error");
}

P.copyLastImage = () => {
  const images = imagesOf(state.lastCopied);
  if (images.length) copyImageOf(images[0]);
};

P.togglePin = (item) => {
  if (!item) return;
  const pinned = memory.togglePin(item.id);
  P.toast(fmt(pinned ? S.pinned : S.unpinned, { title: item.title }));
  store.ensureIds([item.id]).then(() => (state.mode === "home" && !ui.q.value.trim() ? P.redraw() : redrawList()));
};

// --- layout: a narrow side panel, or a wide window with the tree beside the list -----

const wide = window.matchMedia("(min-width: 900px)");
function onWidth() {
  if (wide.matches) ui.panel.dataset.wide = "1"; else delete ui.panel.dataset.wide;
  // One tree element: in the side column when wide, under the mode buttons when narrow.
  if (wide.matches) ui.side.appendChild(ui.treeNav);
  else ui.modes.after(ui.treeNav);
  ui.conv.open = wide.matches || !ui.convSummary.textContent;
  if (wide.matches) renderTree(ui.tree, store, S, state.browseKey);
}
wide.addEventListener("change", onWidth);

// --- live updates --------------------------------------------------------------------

let redrawTimer = null;
function scheduleRedraw() {
  // Several events in a burst (a move, a reorder) redraw once.
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(() => P.redraw(true), 30);
}

async function resync() {
  await store.loadAll([...memory.favourites, ...memory.recent]);
  ui.panel.dataset.copy = store.lazy ? "lazy" : "full";
  P.redraw(true);
  ui.panel.dataset.loaded = "1";
}

let connected = false;
const stream = new EventStream("/api/v1/events", {
  onEvent: async (ev) => {
    if (ev.type === "hello") {
      // A fresh stream (none to resume): load everything, or reload what may have changed.
      connected = true;
      await resync();
    } else if (ev.type === "resync") {
      await resync();
      P.toast(S.resynced);
    } else if (await store.apply(ev)) {
      scheduleRedraw();
    }
  },
  onStatus: (status, seconds) => {
    ui.conn.dataset.conn = status;
    ui.connText.textContent = {
      live: S.connLive, connecting: S.connConnecting, reconnecting: S.connReconnecting,
      offline: fmt(S.connOffline, { s: seconds }), loggedOut: S.connLoggedOut,
    }[status] || status;
  },
});

// --- wiring and start ----------------------------------------------------------------

P.dialogs = setupDialogs(P);
P.paste = setupPaste(P);
setupKeys(P);

ui.q.addEventListener("input", P.onQuery);
ui.list.addEventListener("click", (event) => {
  const pin = event.target.closest("[data-pin]");
  if (pin) {
    P.togglePin(state.items.find((item) => String(item.id) === pin.dataset.pin));
    return;
  }
  const li = event.target.closest("li.item");
  if (!li || event.target.closest("a")) return;
  state.selected = Number(li.dataset.index);
  P.markSelected(false);
  P.copyItem(state.items[state.selected]);
});
ui.tree.addEventListener("click", (event) => {
  const node = event.target.closest("button[data-node]");
  if (node) P.browse(node.dataset.node);
});
document.querySelectorAll("[data-mode-button]").forEach((button) => {
  button.addEventListener("click", () => P.setMode(button.dataset.modeButton));
});
$("[data-save-open]").addEventListener("click", () => P.dialogs.openSave());
$("[data-new-conv]").addEventListener("click", P.newConversation);
ui.convForm.addEventListener("input", (event) => {
  if (event.target.name) memory.setValues({ [event.target.name]: event.target.value.trim() });
  P.showConversation();
  redrawList(); // the chips in the previews show the new value
});
ui.convForm.addEventListener("submit", (event) => {
  event.preventDefault();
  ui.q.focus();
});

P.showConversation();
onWidth();
showHome();
ui.q.focus();
stream.start();
// If the stream cannot open (a proxy that buffers it), the panel still loads and searches.
setTimeout(() => { if (!connected && !store.loaded) resync(); }, 3000);
window.kefuPanel = { store, state };
