// Drawing the panel's list: reply rows with search highlights and variable chips.
// Reply text only ever enters the page as text nodes; <mark> and <span> are made with
// createElement, never by parsing a string, so a reply holding markup shows as markup.

const VARIABLE = /\{([^{}\s]{1,40})\}/g;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Search highlights are [start, end) in code points (the server counts Python characters);
// JavaScript strings count UTF-16 units, so index by code point.
function appendMarked(parent, chars, from, to, marked) {
  let i = from;
  while (i < to) {
    const on = marked[i];
    let j = i + 1;
    while (j < to && marked[j] === on) j += 1;
    const text = chars.slice(i, j).join("");
    parent.appendChild(on ? el("mark", "", text) : document.createTextNode(text));
    i = j;
  }
}

export function appendText(parent, text, spans, values) {
  const chars = Array.from(text || "");
  const marked = new Uint8Array(chars.length);
  for (const [start, end] of spans || []) {
    for (let i = Math.max(0, start); i < Math.min(end, chars.length); i += 1) marked[i] = 1;
  }
  if (!values) {
    appendMarked(parent, chars, 0, chars.length, marked);
    return;
  }
  // Variables as chips, so the agent sees what will be filled and what is still open.
  const cpAt = new Map(); // UTF-16 offset -> code point index
  let unit = 0;
  chars.forEach((ch, index) => { cpAt.set(unit, index); unit += ch.length; });
  cpAt.set(unit, chars.length);
  let cursor = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const start = cpAt.get(match.index);
    const end = cpAt.get(match.index + match[0].length);
    appendMarked(parent, chars, cursor, start, marked);
    const name = match[1];
    const value = values[name];
    // A filled variable shows its value (what the buyer will read); an open one its name.
    const chip = el("span", value ? "var filled" : "var");
    if (value) {
      chip.textContent = value;
      chip.title = match[0];
    } else {
      appendMarked(chip, chars, start, end, marked);
    }
    parent.appendChild(chip);
    cursor = end;
  }
  appendMarked(parent, chars, cursor, chars.length, marked);
}

// entries: items ({id, title, body, ...}) and section headers ({header: "..."}).
// Returns the option elements in order.
export function renderList(ul, entries, selected, ctx) {
  const options = [];
  const rows = [];
  let n = 0;
  for (const entry of entries) {
    if (entry.header) {
      const li = el("li", "section", entry.header);
      li.setAttribute("role", "presentation");
      rows.push(li);
      continue;
    }
    const index = n;
    n += 1;
    rows.push(renderItem(entry, index, index === selected, ctx));
    options.push(rows[rows.length - 1]);
  }
  ul.replaceChildren(...rows);
  return options;
}

function renderItem(item, index, isSelected, ctx) {
  const li = el("li", "item");
  li.id = `panel-opt-${index}`;
  li.setAttribute("role", "option");
  li.setAttribute("aria-selected", String(isSelected));
  li.dataset.index = String(index);
  li.dataset.id = String(item.id);

  const num = el("span", "num", index < 9 ? String(index + 1) : "");
  num.setAttribute("aria-hidden", "true");
  li.appendChild(num);

  const main = el("div", "main");
  const head = el("div", "head");
  const title = el("span", "title");
  appendText(title, item.title, item.highlights && item.highlights.title, null);
  head.appendChild(title);
  if (item.shortcut) head.appendChild(el("code", "code", item.shortcut));
  if (item.images && item.images.length) {
    head.appendChild(el("span", "img-badge", `🖼 ${item.images.length}`));
  }
  main.appendChild(head);
  const body = el("p", "body");
  appendText(body, item.body, item.highlights && item.highlights.body, ctx.values());
  main.appendChild(body);
  const meta = el("p", "meta");
  if (item.category && item.category.length) meta.appendChild(el("span", "path", item.category.join(" › ")));
  if (item.libraryLabel) meta.appendChild(el("span", "lib", item.libraryLabel));
  if (item.why) meta.appendChild(el("span", "why", item.why));
  if (meta.childNodes.length) main.appendChild(meta);
  li.appendChild(main);

  const side = el("div", "side");
  const pinned = ctx.isPinned(item.id);
  const pin = el("button", "pin", pinned ? "★" : "☆");
  pin.type = "button";
  pin.tabIndex = -1;
  pin.dataset.pin = String(item.id);
  pin.setAttribute("aria-pressed", String(pinned));
  pin.setAttribute("aria-label", pinned ? ctx.strings.unpin : ctx.strings.pin);
  pin.title = `${pinned ? ctx.strings.unpin : ctx.strings.pin} (Alt+P)`;
  side.appendChild(pin);
  const editUrl = ctx.editUrl(item);
  if (editUrl) {
    const edit = el("a", "edit", ctx.strings.edit);
    edit.href = editUrl;
    edit.target = "_blank";
    edit.rel = "noopener";
    edit.tabIndex = -1;
    side.appendChild(edit);
  }
  li.appendChild(side);
  return li;
}
