// What the panel remembers for one member in this browser (localStorage): favourites,
// recently used replies, this conversation's values (买家昵称, 订单号 ...) and its turns
// (the buyer messages pasted and the replies sent), which suggestions read as context.

const MAX_TURNS = 30; // POST /api/v1/suggest reads at most this many
const TURN_TEXT_MAX = 2000;

function newChat() {
  const id = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random()}`;
  return { id: `panel-${id}`, turns: [] };
}

export class Memory {
  constructor(orgId, memberId) {
    this.prefix = `kefu.panel.${orgId}.${memberId}.`;
    this.favourites = this.read("favourites", []);
    this.recent = this.read("recent", []);
    this.conversation = this.read("conversation", {});
    this.chat = this.read("chat", null) || newChat();
  }

  read(what, fallback) {
    try {
      return JSON.parse(localStorage.getItem(this.prefix + what)) ?? fallback;
    } catch (_err) {
      return fallback;
    }
  }

  write(what, value) {
    try { localStorage.setItem(this.prefix + what, JSON.stringify(value)); } catch (_err) { /* full */ }
  }

  isPinned(id) {
    return this.favourites.includes(id);
  }

  // Returns whether the reply is pinned now.
  togglePin(id) {
    const pinned = this.isPinned(id);
    this.favourites = pinned ? this.favourites.filter((f) => f !== id) : [...this.favourites, id];
    this.write("favourites", this.favourites);
    return !pinned;
  }

  used(id) {
    this.recent = [id, ...this.recent.filter((r) => r !== id)].slice(0, 30);
    this.write("recent", this.recent);
  }

  // The conversation's non-empty values, as POST /api/v1/render takes them.
  values() {
    return Object.fromEntries(Object.entries(this.conversation).filter(([, v]) => v));
  }

  setValues(values) {
    this.conversation = { ...this.conversation, ...values };
    this.write("conversation", this.conversation);
  }

  clearConversation() {
    this.conversation = {};
    this.write("conversation", this.conversation);
    this.chat = newChat();
    this.write("chat", this.chat);
  }

  // The agent sent a reply (for the buyer message it answers, when there is one).
  sent(replyId, buyerMessage) {
    const turns = this.chat.turns;
    const last = [...turns].reverse().find((t) => t.from === "buyer");
    const answered = turns.length && turns[turns.length - 1].from === "agent";
    if (buyerMessage && !(last && last.text === buyerMessage.slice(0, TURN_TEXT_MAX) && answered)) {
      turns.push({ from: "buyer", text: buyerMessage.slice(0, TURN_TEXT_MAX) });
    }
    turns.push({ from: "agent", reply_id: replyId });
    this.chat.turns = turns.slice(-MAX_TURNS);
    this.write("chat", this.chat);
  }
}
