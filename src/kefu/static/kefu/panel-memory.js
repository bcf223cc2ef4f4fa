// What the panel remembers for one member in this browser (localStorage): favourites,
// recently used replies, and this conversation's values (买家昵称, 订单号 ...).

export class Memory {
  constructor(orgId, memberId) {
    this.prefix = `kefu.panel.${orgId}.${memberId}.`;
    this.favourites = this.read("favourites", []);
    this.recent = this.read("recent", []);
    this.conversation = this.read("conversation", {});
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
  }
}
