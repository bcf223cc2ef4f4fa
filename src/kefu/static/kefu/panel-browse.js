// The category tree of every library the member may see (company, departments, personal).
// Nodes are buttons: Tab or ↑/↓ move between them, Enter lists a category's replies.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function libraryLabel(lib, strings) {
  if (!lib) return "";
  if (lib.scope === "company") return strings.companyLibrary;
  if (lib.scope === "personal") return strings.personalLibrary;
  return lib.label;
}

function nodeButton(label, count, key, selectedKey) {
  const button = el("button", "node");
  button.type = "button";
  button.dataset.node = key;
  button.appendChild(el("span", "node-name", label));
  if (count !== undefined) button.appendChild(el("span", "count", String(count)));
  if (key === selectedKey) button.setAttribute("aria-current", "true");
  return button;
}

// Keys: "cat:<id>" for a category (with its subcategories), "lib:<id>" for a library's
// uncategorized replies.
export function renderTree(container, store, strings, selectedKey) {
  if (!store.loaded) return;
  const { perCategory, loose } = store.counts();
  const parts = [];
  for (const lib of store.libraries) {
    const box = el("details", "tree-lib");
    box.open = true;
    const total = [...lib.categories].reduce((n, c) => n + (perCategory.get(c.id) || 0),
      loose.get(lib.id) || 0);
    const summary = el("summary", "", libraryLabel(lib, strings));
    summary.appendChild(el("span", "count", String(total)));
    box.appendChild(summary);
    const list = el("ul");
    for (const top of lib.categories) {
      const li = el("li");
      li.appendChild(nodeButton(top.name, perCategory.get(top.id), `cat:${top.id}`, selectedKey));
      if (top.children.length) {
        const sub = el("ul");
        for (const child of top.children) {
          const item = el("li");
          item.appendChild(nodeButton(child.name, perCategory.get(child.id),
            `cat:${child.id}`, selectedKey));
          sub.appendChild(item);
        }
        li.appendChild(sub);
      }
      list.appendChild(li);
    }
    if (loose.get(lib.id)) {
      const li = el("li");
      li.appendChild(nodeButton(strings.uncategorized, loose.get(lib.id), `lib:${lib.id}`, selectedKey));
      list.appendChild(li);
    }
    box.appendChild(list);
    parts.push(box);
  }
  container.replaceChildren(...parts);
}
