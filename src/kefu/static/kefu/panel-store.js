// The panel's copy of what the member may see: libraries with their categories, live
// replies, organization variables. Loaded once, then kept current by the event stream, so
// browsing, favourites and recently used replies need no request.
import { api } from "./panel-api.js";

const PAGE = 500; // the API's largest page

export class Store {
  constructor() {
    this.replies = new Map(); // id -> reply as GET /api/v1/replies/{id} renders it
    this.libraries = [];
    this.libraryById = new Map();
    this.categoryById = new Map();
    this.variables = new Map(); // name -> variable
    this.loaded = false;
  }

  async loadTree() {
    const r = await api("GET", "/api/v1/libraries");
    if (!r.ok) return false;
    this.libraries = r.data;
    this.libraryById = new Map(r.data.map((lib) => [lib.id, lib]));
    this.categoryById = new Map();
    for (const lib of r.data) {
      for (const top of lib.categories) {
        this.categoryById.set(top.id, top);
        for (const child of top.children) this.categoryById.set(child.id, child);
      }
    }
    return true;
  }

  async loadVariables() {
    const found = new Map();
    for (let offset = 0; ; offset += PAGE) {
      const r = await api("GET", `/api/v1/variables?limit=${PAGE}&offset=${offset}`);
      if (!r.ok) return false;
      r.data.items.forEach((v) => found.set(v.name, v));
      if (offset + PAGE >= r.data.count) break;
    }
    this.variables = found;
    return true;
  }

  // Every live, active reply (of one library when libraryId is given), replacing what we had.
  async loadReplies(libraryId) {
    const fetched = new Map();
    const filter = libraryId ? `&library_id=${libraryId}` : "";
    for (let offset = 0; ; offset += PAGE) {
      const r = await api("GET", `/api/v1/replies?active=true&limit=${PAGE}&offset=${offset}${filter}`);
      if (!r.ok) return false;
      r.data.items.forEach((reply) => fetched.set(reply.id, reply));
      if (offset + PAGE >= r.data.count) break;
    }
    for (const [id, reply] of this.replies) {
      if ((!libraryId || reply.library.id === libraryId) && !fetched.has(id)) this.replies.delete(id);
    }
    fetched.forEach((reply) => this.upsert(reply));
    return true;
  }

  async loadAll() {
    const ok = (await Promise.all([this.loadTree(), this.loadVariables()])).every(Boolean);
    const replies = await this.loadReplies(null);
    this.loaded = this.loaded || (ok && replies);
    return ok && replies;
  }

  // Events may overtake a page being loaded: never go back to an older version.
  upsert(reply) {
    const current = this.replies.get(reply.id);
    if (current && current.version > reply.version) return false;
    if (reply.deleted_at || !reply.is_active) this.replies.delete(reply.id);
    else this.replies.set(reply.id, reply);
    return true;
  }

  // Apply one event; returns what the screen must redraw ("replies", "tree", "variables").
  async apply(ev) {
    if (ev.type === "replies") {
      if (ev.op === "reload") await this.loadReplies(ev.library_id);
      else if (ev.op === "remove") this.replies.delete(ev.id);
      else if (ev.reply) {
        if (!this.libraryById.has(ev.reply.library.id)) await this.loadTree();
        this.upsert(ev.reply);
      }
      return "replies";
    }
    if (ev.type === "reply_categories") {
      await this.loadTree();
      return "tree";
    }
    if (ev.type === "reply_variables") {
      for (const [name, v] of this.variables) if (v.id === ev.id) this.variables.delete(name);
      if (ev.op !== "remove" && ev.variable) this.variables.set(ev.variable.name, ev.variable);
      return "variables";
    }
    return null;
  }

  // The replies filed in a category and its subcategories, as the library orders them:
  // [{header, replies}] groups, the category's own replies first.
  categoryGroups(categoryId) {
    const cat = this.categoryById.get(categoryId);
    if (!cat) return [];
    const byPlace = (id) => [...this.replies.values()]
      .filter((r) => r.category_id === id)
      .sort((a, b) => a.position - b.position || a.id - b.id);
    const groups = [{ header: cat.name, replies: byPlace(cat.id) }];
    for (const child of (cat.children || [])) {
      groups.push({ header: `${cat.name} › ${child.name}`, replies: byPlace(child.id) });
    }
    return groups;
  }

  uncategorized(libraryId) {
    return [...this.replies.values()]
      .filter((r) => r.library.id === libraryId && !r.category_id)
      .sort((a, b) => a.position - b.position || a.id - b.id);
  }

  counts() {
    const perCategory = new Map();
    const loose = new Map();
    for (const r of this.replies.values()) {
      if (r.category_id) {
        perCategory.set(r.category_id, (perCategory.get(r.category_id) || 0) + 1);
        const cat = this.categoryById.get(r.category_id);
        if (cat && cat.parent_id) {
          perCategory.set(cat.parent_id, (perCategory.get(cat.parent_id) || 0) + 1);
        }
      } else {
        loose.set(r.library.id, (loose.get(r.library.id) || 0) + 1);
      }
    }
    return { perCategory, loose };
  }
}
