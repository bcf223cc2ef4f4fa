// The panel's two small inline dialogs: "fill in before copying" (a reply needs a value
// the conversation does not have: never paste {订单号} to a buyer) and "save as my reply"
// (Alt+N or Ctrl+S, then Enter). Both close with Esc and give the focus back to search.
import { api, fmt } from "./panel-api.js";
import { appendText } from "./panel-list.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function setupDialogs(P) {
  const { ui, S } = P;
  let pending = null; // the item the prompt is for

  function close() {
    ui.prompt.hidden = true;
    ui.save.hidden = true;
    delete ui.panel.dataset.dialog;
    pending = null;
    ui.q.focus();
  }

  // --- fill in before copying ---------------------------------------------------------

  function openPrompt(item, rendered) {
    pending = item;
    const names = [...rendered.missing, ...rendered.unknown];
    ui.promptFields.replaceChildren(...names.map((name, i) => {
      const wrap = el("div", "field");
      const label = el("label", "", name);
      label.htmlFor = `prompt-${i}`;
      const input = el("input");
      input.id = `prompt-${i}`;
      input.name = name;
      input.autocomplete = "off";
      input.spellcheck = false;
      input.value = P.memory.conversation[name] || "";
      wrap.append(label, input);
      if (rendered.unknown.includes(name)) wrap.appendChild(el("p", "help", S.promptUnknown));
      return wrap;
    }));
    // The reply as it would go out, the open variables marked where the values will go.
    const preview = el("span", "preview");
    appendText(preview, rendered.text, null, {});
    ui.promptReply.replaceChildren(el("strong", "", item.title), preview);
    ui.promptError.hidden = true;
    ui.save.hidden = true;
    ui.prompt.hidden = false;
    ui.panel.dataset.dialog = "prompt";
    ui.promptFields.querySelector("input").focus();
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
    P.memory.setValues(values);
    P.showConversation();
    const item = pending;
    close();
    await P.copyItem(item, values);
  });
  ui.prompt.querySelector("[data-prompt-cancel]").addEventListener("click", close);

  // --- save as my reply -----------------------------------------------------------------

  function openSave() {
    const query = ui.q.value.trim();
    ui.save.elements.title.value = query.split("\n")[0].slice(0, 30);
    ui.save.elements.body.value = query;
    ui.saveError.hidden = true;
    ui.prompt.hidden = true;
    ui.save.hidden = false;
    ui.panel.dataset.dialog = "save";
    const first = query ? ui.save.elements.title : ui.save.elements.body;
    first.focus();
    first.select();
  }

  function saveError(text, focus) {
    ui.saveError.textContent = text;
    ui.saveError.hidden = false;
    if (focus) focus.focus();
  }

  ui.save.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { title: titleInput, body: bodyInput } = ui.save.elements;
    const title = titleInput.value.trim();
    const body = bodyInput.value.trim();
    if (!title || !body) {
      saveError(fmt(S.saveFailed, { detail: "" }).replace(/[:：]\s*$/, ""),
                title ? bodyInput : titleInput);
      return;
    }
    const r = await api("POST", "/api/v1/replies", { scope: "personal", title, body });
    if (!r.ok) {
      saveError(fmt(S.saveFailed, { detail: r.data.detail || r.status }));
      return;
    }
    // The event will bring it too; showing it now does not wait for the stream.
    if (!P.store.libraryById.has(r.data.library.id)) await P.store.loadTree();
    P.store.upsert(r.data);
    close();
    P.toast(fmt(S.saved, { title }));
    P.redraw();
  });
  ui.save.elements.body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.save.requestSubmit();
    }
  });
  ui.save.querySelector("[data-save-cancel]").addEventListener("click", close);

  return { openPrompt, openSave, close, isOpen: () => Boolean(ui.panel.dataset.dialog) };
}
