// The panel's keyboard: an agent works a whole shift without the mouse.
//
//   Alt+Z or /   search                ↑ ↓ PageUp PageDown   choose
//   Enter        copy the chosen one   1-9 (Alt+1-9)         copy that one
//   Esc          clear / back          Alt+P                 pin to favourites
//   Alt+B browse · Alt+M buyer message · Alt+N or Ctrl+S new reply · Alt+V this
//   conversation's values · Alt+X new conversation · Alt+I copy the image just offered
//
// Keys an IME is composing with are never ours (Enter there commits the 汉字).

const isField = (node) => node instanceof HTMLElement
  && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));

function digitOf(event) {
  const match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code);
  return match ? Number(match[1]) : 0;
}

export function setupKeys(P) {
  const { ui, state } = P;

  function focusSearch() {
    if (state.mode === "paste") P.setMode("home", false);
    ui.q.focus();
    ui.q.select();
  }

  // In the search box a digit is usually part of the query (/tk9, 7天): it copies the n-th
  // result only when the query so far has no digit, is not a /shortcut and does not end
  // with a word a number follows (双11, 第3天, 满300减30).
  function digitCopiesFromSearch() {
    const value = ui.q.value.trim();
    return value !== "" && !/\d/.test(value) && !value.startsWith("/")
      && !/[双第满减]$/.test(value);
  }

  // Waits for the last keystroke's results first. A number key in the search box with no
  // such result after all was meant for the query: it goes there.
  async function copyChosen(n, typedInSearch = false) {
    await P.whenSearched();
    if (!n) P.copyItem(state.items[state.selected]);
    else if (!P.copyNth(n) && typedInSearch) {
      ui.q.setRangeText(String(n), ui.q.selectionStart, ui.q.selectionEnd, "end");
      P.onQuery();
    }
  }

  const ALT_KEYS = {
    KeyZ: focusSearch,
    KeyB: () => P.setMode("browse"),
    KeyM: () => P.setMode("paste"),
    KeyN: () => P.dialogs.openSave(),
    KeyX: P.newConversation,
    KeyP: () => P.togglePin(state.items[state.selected]),
    KeyV: () => {
      ui.conv.open = true;
      ui.convForm.querySelector("input").focus();
    },
    KeyI: P.copyLastImage,
  };

  function escape(inSearch, inList) {
    if (inSearch && ui.q.value) {
      ui.q.value = "";
      P.onQuery();
    } else if (inList && state.mode === "paste") {
      ui.message.focus();
    } else if (inList && state.mode === "browse") {
      (ui.tree.querySelector("[aria-current]") || ui.q).focus();
    } else if (state.mode !== "home") {
      P.setMode("home");
    } else {
      ui.q.focus();
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    const target = event.target;
    const alt = event.altKey && !event.ctrlKey && !event.metaKey;
    if (alt && (ALT_KEYS[event.code] || digitOf(event))) {
      event.preventDefault();
      if (P.dialogs.isOpen()) P.dialogs.close(); // a hotkey leaves the dialog first
      if (ALT_KEYS[event.code]) ALT_KEYS[event.code]();
      else copyChosen(digitOf(event));
      return;
    }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      P.dialogs.openSave();
      return;
    }
    if (P.dialogs.isOpen()) {
      if (event.key === "Escape") {
        event.preventDefault();
        P.dialogs.close();
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
      if (next) {
        event.preventDefault();
        next.focus();
      }
      return;
    }
    if (ui.convForm.contains(target) && event.key === "Enter") {
      event.preventDefault(); // values typed: back to searching
      ui.q.focus();
      return;
    }
    if (!(inSearch || inList || (!isField(target) && !inTree))) {
      if (event.key === "Escape" && isField(target)) {
        event.preventDefault();
        focusSearch();
      }
      return;
    }
    const digit = digitOf(event);
    const plain = !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      P.move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "PageDown" || event.key === "PageUp") {
      event.preventDefault();
      P.move(event.key === "PageDown" ? 5 : -5);
    } else if (event.key === "Enter" && (inSearch || inList)) {
      event.preventDefault();
      copyChosen(0);
    } else if (digit && plain && (!inSearch || digitCopiesFromSearch())) {
      event.preventDefault();
      copyChosen(digit, inSearch);
    } else if (event.key === "Escape") {
      event.preventDefault();
      escape(inSearch, inList);
    }
  });
}
