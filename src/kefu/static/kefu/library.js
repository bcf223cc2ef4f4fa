// Reply library pages: reorder (drag and drop, or arrow buttons), the editor's live preview,
// variable palette and images. Every page works without this file: the arrow buttons are forms that
// post to the server, and the editor saves without a preview.
// Reply text is only ever put into the page with textContent, never as HTML.
"use strict";

(() => {
  const csrfToken = () => {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  async function api(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(),
                   "Accept": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_err) {
      return { ok: false, status: 0, data: {} };
    }
    let data = {};
    try { data = await response.json(); } catch (_err) { /* 204 or not JSON */ }
    return { ok: response.ok, status: response.status, data };
  }

  // --- reorder ------------------------------------------------------------------------

  const layout = document.querySelector("[data-library-page]");
  const live = document.querySelector("[data-live]");
  const announce = (text) => { if (live) live.textContent = text; };

  const items = (container) => [...container.children].filter((el) => el.dataset.id);
  const order = (container) => items(container).map((el) => Number(el.dataset.id));
  const itemName = (item) => {
    const name = item.querySelector(".reply-title, .name");
    return name ? name.textContent.trim() : "";
  };

  function endpoint(container) {
    const library = Number(container.dataset.library);
    if (container.dataset.reorder === "replies") {
      const category = container.dataset.category ? Number(container.dataset.category) : null;
      return ["/api/v1/replies/reorder", { library_id: library, category_id: category }];
    }
    const parent = container.dataset.parent ? Number(container.dataset.parent) : null;
    return ["/api/v1/categories/reorder", { library_id: library, parent_id: parent }];
  }

  async function save(container, before) {
    const [url, body] = endpoint(container);
    const result = await api("POST", url, { ...body, ids: order(container) });
    if (result.ok) return true;
    // Put everything back where the server still has it, and say why.
    const byId = new Map(items(container).map((el) => [Number(el.dataset.id), el]));
    before.forEach((id) => container.appendChild(byId.get(id)));
    const message = result.data.detail || layout.dataset.saveFailed || "";
    announce(message);
    window.alert(message);
    return false;
  }

  function containerOf(item) {
    const container = item && item.parentElement;
    return container && container.hasAttribute("data-reorder") ? container : null;
  }

  async function moveBy(item, step, button) {
    const container = containerOf(item);
    const list = items(container);
    const index = list.indexOf(item);
    const target = list[index + step];
    if (!target) return;
    const before = order(container);
    if (step < 0) container.insertBefore(item, target);
    else container.insertBefore(item, target.nextSibling);
    button.focus();
    if (await save(container, before)) {
      announce(`${itemName(item)}: ${items(container).indexOf(item) + 1} / ${list.length}`);
    }
  }

  if (layout) {
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-move]");
      if (!button) return;
      const item = button.closest("[data-id]");
      if (!containerOf(item)) return; // not reorderable here: let the form post
      event.preventDefault();
      moveBy(item, button.dataset.move === "up" ? -1 : 1, button);
    });

    const toggle = document.querySelector("[data-arrange]");
    const hint = document.querySelector("[data-arrange-hint]");
    const setArranging = (on) => {
      layout.classList.toggle("arranging", on);
      if (toggle) toggle.setAttribute("aria-pressed", String(on));
      if (hint) hint.hidden = !on;
      layout.querySelectorAll("[data-reorder] > [data-id]").forEach((el) => {
        el.draggable = on;
      });
      // Links would be dragged as URLs; while arranging, the row or item is dragged.
      layout.querySelectorAll("[data-reorder] a").forEach((a) => { a.draggable = !on; });
      if (on) {
        const box = layout.querySelector("[data-tree-box]");
        if (box) box.open = true;
      }
    };
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", () => setArranging(!layout.classList.contains("arranging")));
    }
    setArranging(false);

    // Drag and drop within one list (siblings only: the API orders one level at a time).
    let dragged = null;
    let before = [];
    const clearMarks = () => layout.querySelectorAll(".drop-before, .drop-after")
      .forEach((el) => el.classList.remove("drop-before", "drop-after"));
    const dropTarget = (event) => {
      if (!dragged) return null;
      let el = event.target.closest ? event.target.closest("[data-id]") : null;
      while (el && el.parentElement !== dragged.parentElement) {
        el = el.parentElement ? el.parentElement.closest("[data-id]") : null;
      }
      return el && el !== dragged ? el : null;
    };
    layout.addEventListener("dragstart", (event) => {
      const item = event.target.closest && event.target.closest("[data-id][draggable=true]");
      if (!item || !containerOf(item)) return;
      dragged = item;
      before = order(item.parentElement);
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", itemName(item));
      event.stopPropagation();
    });
    layout.addEventListener("dragover", (event) => {
      const target = dropTarget(event);
      if (!target) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      const box = target.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      clearMarks();
      target.classList.add(after ? "drop-after" : "drop-before");
    });
    layout.addEventListener("drop", (event) => {
      const target = dropTarget(event);
      if (!target) return;
      event.preventDefault();
      const after = target.classList.contains("drop-after");
      clearMarks();
      const container = dragged.parentElement;
      container.insertBefore(dragged, after ? target.nextSibling : target);
      const moved = dragged;
      if (order(container).join() !== before.join()) {
        save(container, before).then((ok) => {
          if (ok) announce(`${itemName(moved)}: ${items(container).indexOf(moved) + 1} / ${before.length}`);
        });
      }
    });
    layout.addEventListener("dragend", () => {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      clearMarks();
    });

    // On a phone the tree starts folded, so the list is what one sees first.
    const box = layout.querySelector("[data-tree-box]");
    if (box && window.matchMedia("(max-width: 800px)").matches) box.open = false;
  }

  // --- editor: images -------------------------------------------------------------------
  // Uploads and removals go through the API, so text typed in the reply form and not saved
  // yet stays where it is. Without this script the same forms post and the page reloads.

  function setUpImages(section) {
    const data = section.dataset;
    const form = section.querySelector("form[data-image-upload]");
    const input = form.querySelector("input[type=file]");
    const button = form.querySelector("button[type=submit]");
    const list = section.querySelector("[data-thumbs]");
    const error = section.querySelector("[data-image-error]");
    const status = section.querySelector("[data-image-live]");
    const maxCount = Number(data.maxCount);

    const showError = (text) => { error.textContent = text || ""; error.hidden = !text; };
    const refresh = () => {
      const n = list.querySelectorAll("[data-image-id]").length;
      section.querySelector("[data-image-count]").textContent = `${n} / ${maxCount}`;
      section.querySelector("[data-images-empty]").hidden = n > 0;
      section.querySelector("[data-images-full]").hidden = n < maxCount;
      form.hidden = n >= maxCount;
    };

    function thumb(image) {
      const item = document.createElement("li");
      item.dataset.imageId = image.id;
      const link = document.createElement("a");
      link.href = image.url;
      link.target = "_blank";
      link.rel = "noopener";
      const img = document.createElement("img");
      img.src = image.url;
      img.alt = image.name;
      link.appendChild(img);
      const name = document.createElement("span");
      name.className = "thumb-name";
      name.textContent = image.name;
      name.title = image.name;
      const remove = document.createElement("a");
      remove.className = "danger-link";
      remove.href = data.removeUrl.replace(/\/0\/remove$/, `/${image.id}/remove`);
      remove.dataset.removeImage = "";
      remove.textContent = data.removeLabel;
      remove.setAttribute("aria-label", `${data.removeLabel} ${image.name}`);
      item.append(link, name, remove);
      return item;
    }

    form.addEventListener("submit", async (event) => {
      const file = input.files && input.files[0];
      if (!file) return; // the browser says the field is required
      event.preventDefault();
      if (file.size > Number(data.maxBytes)) { showError(data.tooLarge); return; }
      const body = new FormData();
      body.append("file", file);
      button.disabled = true;
      section.setAttribute("aria-busy", "true");
      let response = null;
      let result = {};
      try {
        response = await fetch(data.uploadUrl, {
          method: "POST", credentials: "same-origin", body,
          headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
        });
        result = await response.json();
      } catch (_err) { /* offline, or not JSON */ }
      button.disabled = false;
      section.setAttribute("aria-busy", "false");
      if (response && response.status === 201) {
        list.appendChild(thumb(result));
        form.reset();
        showError("");
        refresh();
        status.textContent = result.name;
      } else {
        showError(result.detail || data.failed);
      }
    });

    list.addEventListener("click", async (event) => {
      const link = event.target.closest("a[data-remove-image]");
      if (!link) return;
      event.preventDefault();
      if (!window.confirm(data.confirmRemove)) return;
      const item = link.closest("[data-image-id]");
      const result = await api("DELETE", `${data.uploadUrl}/${item.dataset.imageId}`);
      if (result.ok || result.status === 404) { // 404: someone else removed it already
        item.remove();
        showError("");
        refresh();
        input.focus();
      } else {
        showError(result.data.detail || data.failed);
      }
    });
  }

  const gallery = document.querySelector("[data-images]");
  if (gallery) setUpImages(gallery);

  // --- editor: palette and live preview -------------------------------------------------

  const editor = document.querySelector("form[data-editor]");
  if (!editor) return;
  const body = editor.querySelector("textarea[name=body]");
  const palette = editor.querySelector("[data-palette]");
  const panel = document.querySelector("[data-preview-panel]");
  const preview = document.querySelector("[data-preview]");
  const chips = document.querySelector("[data-chips]");
  const VARIABLE = /\{([^{}\s]{1,40})\}/g;

  if (palette) {
    palette.hidden = false;
    palette.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-insert]");
      if (!button) return;
      const text = `{${button.dataset.insert}}`;
      const start = body.selectionStart ?? body.value.length;
      const end = body.selectionEnd ?? body.value.length;
      body.setRangeText(text, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }
  if (!panel || !preview || !body) return;
  panel.hidden = false;

  const sampleValues = () => {
    const values = {};
    document.querySelectorAll("[data-sample]").forEach((input) => {
      if (input.value.trim()) values[input.dataset.sample] = input.value.trim();
    });
    return values;
  };

  function chip(name, kind, label) {
    const el = document.createElement("span");
    el.className = `chip ${kind}`;
    el.textContent = `{${name}}`;
    if (label) {
      const note = document.createElement("span");
      note.className = "chip-note";
      note.textContent = ` · ${label}`;
      el.appendChild(note);
    }
    return el;
  }

  const mark = (kind, text, name) => {
    const el = document.createElement("mark");
    el.className = kind;
    el.textContent = text;
    el.title = `{${name}}`;
    return el;
  };

  // The rendered text split back along the source's variables, so every filled value can be
  // marked too: the literal text between variables is unchanged by rendering. Returns null
  // when that alignment is ambiguous (two variables side by side), and then only the
  // unfilled variables are marked.
  function aligned(source, result, missing, unknown) {
    const parts = source.split(VARIABLE); // literal, name, literal, name, ..., literal
    const text = result.text;
    if (!text.startsWith(parts[0])) return null;
    const nodes = [document.createTextNode(parts[0])];
    let pos = parts[0].length;
    for (let i = 1; i < parts.length; i += 2) {
      const name = parts[i];
      const literal = parts[i + 1];
      const last = i + 2 >= parts.length;
      let end;
      if (last) {
        if (!text.endsWith(literal)) return null;
        end = text.length - literal.length;
      } else {
        if (!literal) return null;
        end = text.indexOf(literal, pos);
      }
      if (end < pos) return null;
      const kind = missing.has(name) ? "missing" : unknown.has(name) ? "unknown" : "filled";
      nodes.push(mark(kind, text.slice(pos, end), name), document.createTextNode(literal));
      pos = end + literal.length;
    }
    return pos === text.length ? nodes : null;
  }

  function marked(result, missing, unknown) {
    const nodes = [];
    let last = 0;
    for (const match of result.text.matchAll(VARIABLE)) {
      const name = match[1];
      if (!missing.has(name) && !unknown.has(name)) continue;
      nodes.push(document.createTextNode(result.text.slice(last, match.index)));
      nodes.push(mark(missing.has(name) ? "missing" : "unknown", match[0], name));
      last = match.index + match[0].length;
    }
    nodes.push(document.createTextNode(result.text.slice(last)));
    return nodes;
  }

  function show(source, result) {
    const missing = new Set(result.missing);
    const unknown = new Set(result.unknown);
    preview.replaceChildren(...(aligned(source, result, missing, unknown)
                                || marked(result, missing, unknown)));
    const labels = chips.dataset;
    chips.replaceChildren(
      ...result.used.filter((n) => !missing.has(n) && !unknown.has(n))
        .map((n) => chip(n, "used", labels.labelUsed)),
      ...result.missing.map((n) => chip(n, "missing", labels.labelMissing)),
      ...result.unknown.map((n) => chip(n, "unknown", labels.labelUnknown)));
  }

  let timer = 0;
  let sequence = 0;
  async function refresh() {
    const mine = ++sequence;
    if (!body.value.trim()) {
      preview.replaceChildren();
      chips.replaceChildren();
      return;
    }
    preview.setAttribute("aria-busy", "true");
    const source = body.value;
    const result = await api("POST", "/api/v1/render", { text: source, values: sampleValues() });
    if (mine !== sequence) return; // a newer request is on its way
    preview.setAttribute("aria-busy", "false");
    if (result.ok) show(source, result.data);
    else {
      const error = document.createElement("p");
      error.className = "error";
      error.textContent = result.data.detail || chips.dataset.labelError;
      chips.replaceChildren(error);
    }
  }
  const later = () => { window.clearTimeout(timer); timer = window.setTimeout(refresh, 300); };
  body.addEventListener("input", later);
  document.querySelectorAll("[data-sample]").forEach((input) => input.addEventListener("input", later));
  refresh();
})();
