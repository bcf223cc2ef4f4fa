// Paste mode: the buyer's message in (POST /api/v1/suggest), suggestions out, with the
// intent, what the message contains (order and tracking numbers fill this conversation's
// values) and a warning when the buyer may complain. Copying a suggestion records the use
// with the message: that is how suggestions learn.
import { api, fmt } from "./panel-api.js";

// One entity as text: {value}, {text} (dates, durations), or a plain number or string.
function entityText(entity) {
  if (entity && typeof entity === "object") return String(entity.value ?? entity.text ?? "");
  return entity === null || entity === undefined ? "" : String(entity);
}

function firstOf(entities, kind) {
  const list = entities[kind];
  return Array.isArray(list) && list.length ? entityText(list[0]) : "";
}

function chip(kindLabel, text, where) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "entity-name";
  name.textContent = kindLabel;
  li.append(name, " ", text);
  if (where) {
    const small = document.createElement("span");
    small.className = "entity-name";
    small.textContent = ` · ${where}`;
    li.appendChild(small);
  }
  return li;
}

export function setupPaste(P) {
  const { ui, S, C, state } = P;
  let abort = null;
  let suggestions = []; // as the server ranked them, for the message in state.suggestFor

  function showAnalysis(data) {
    const intent = data.intent || {};
    ui.intent.textContent = intent.category
      ? fmt(S.intent, { category: intent.category,
                        confidence: Math.round((Number(intent.confidence) || 0) * 100) })
      : "";
    const entities = data.entities || {};
    const chips = [];
    for (const [kind, list] of Object.entries(entities)) {
      for (const entity of Array.isArray(list) ? list : [list]) {
        const text = entityText(entity);
        const where = entity && (entity.platform || entity.carrier);
        if (text) chips.push(chip(S.entityKinds[kind] || kind, text, where && (S.platforms[where] || where)));
      }
    }
    ui.entities.replaceChildren(...chips);
    ui.escalate.hidden = !data.escalate;
    ui.escalate.textContent = data.escalate ? S.escalate : "";
    ui.analysis.hidden = false;
    // The numbers the buyer gave are this conversation's: every copy fills them in.
    const order = firstOf(entities, "order_numbers");
    const tracking = firstOf(entities, "tracking_numbers");
    const values = {};
    if (order) values["订单号"] = order;
    if (tracking) values["快递单号"] = tracking;
    if (order && P.memory.conversation["订单号"] !== order) {
      P.toast(fmt(S.orderFilled, { value: order }));
    }
    if (order || tracking) {
      P.memory.setValues(values);
      P.showConversation();
    }
  }

  async function suggest() {
    const message = ui.message.value.trim();
    if (!message) return;
    if (abort) abort.abort();
    const mine = new AbortController();
    abort = mine;
    let r;
    try {
      // The conversation so far: what the buyer said before and what the agent sent.
      const context = P.memory.chat.turns;
      r = await api("POST", "/api/v1/suggest", { message, limit: C.suggestLimit, context },
                    mine.signal);
    } catch (_aborted) {
      return;
    }
    if (abort !== mine) return;
    abort = null;
    if (!r.ok) {
      const text = r.status === 404 || r.status === 405 ? S.suggestUnavailable
        : r.status === 0 ? S.networkError
          : fmt(S.suggestFailed, { detail: r.data.detail || r.status });
      P.show([], { title: S.suggestTitle, empty: text });
      return;
    }
    state.suggestFor = message;
    suggestions = r.data.suggestions.map((s) => ({
      id: s.reply_id, title: s.title, body: s.text, source: "suggest", message,
    }));
    showAnalysis(r.data);
    refresh(false);
    if (state.items.length) ui.list.focus({ preventScroll: true });
  }

  function refresh(keepSelection = true) {
    if (!state.suggestFor) {
      P.show([], { title: S.suggestTitle });
      return;
    }
    // Live edits reach suggestions too: show the library's current text.
    const items = suggestions.map((s) => {
      const reply = P.store.replies.get(s.id);
      return reply ? { ...s, title: reply.title, body: reply.body, images: reply.images,
                       category: reply.category } : s;
    });
    P.show(items, { title: S.suggestTitle, count: fmt(S.resultCount, { n: items.length }),
                    empty: S.suggestEmpty, keepSelection });
  }

  function clear() {
    // A suggestion still in flight belongs to the message being cleared: drop it, or its
    // answer would land in the new conversation and take the focus.
    if (abort) abort.abort();
    abort = null;
    ui.message.value = "";
    state.suggestFor = null;
    suggestions = [];
    ui.analysis.hidden = true;
  }

  ui.paste.addEventListener("submit", (event) => {
    event.preventDefault();
    suggest();
  });
  ui.message.addEventListener("paste", () => setTimeout(suggest, 0));
  ui.message.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    const fresh = state.suggestFor === ui.message.value.trim() && state.items.length;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      if (fresh) ui.list.focus({ preventScroll: true });
      else suggest();
    } else if (event.key === "ArrowDown" && state.items.length
               && ui.message.selectionStart === ui.message.value.length) {
      event.preventDefault();
      ui.list.focus({ preventScroll: true });
    }
  });

  return { refresh, clear };
}
