// The panel's copy of what the member may see: libraries with their categories, replies,
// organization variables; kept current by the event stream.
//
// A library of up to FULL_COPY_MAX replies is copied whole when the panel opens, so
// browsing, favourites and recently used replies need no request. A bigger one (10,000
// replies is 10 MB of JSON, for every agent opening the panel) is copied lazily: a
// category's replies when it is opened, favourites and recent ones by id. Search never
// needs the copy: the server searches.
import { api } from "./panel-api.js";

const PAGE = 500; // the API's largest page
export const FULL_COPY_MAX = 2000;

export class Store {
  constructor() {
    this.replies = new Map(); // id -> reply as GET /api/v1/replies/{id} renders it
    this.libraries = [];
    this.libraryById = new Map();
    this.categoryById = new Map();
    this.variables = new Map(); // name -> variable
    this.loaded = false;
    this.lazy = false;
    this.places = new Map(); // lazy: "cat:<id>" / "lib:<id>" -> a load, done or under way
  }

  total() {
    return this.libraries.reduce((n, lib) => n + lib.uncategorized_count
      + lib.categories.reduce((m, c) => m + c.reply_count, 0), 0);
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

  // Every live, active reply matching `filter` (query string), replacing what we had of it.
  async loadReplies(filter, belongs) {
    const fetched = new Map();
    for (let offset = 0; ; offset += PAGE) {
      const r = await api("GET", `/api/v1/replies?active=true&limit=${PAGE}&offset=${offset}${filter}`);
      if (!r.ok) return false;
      r.data.items.forEach((reply) => fetched.set(reply.id, reply));
      if (offset + PAGE >= r.data.count) break;
    }
    for (const [id, reply] of this.replies) {
      if (belongs(reply) && !fetched.has(id)) this.replies.delete(id);
    }
    fetched.forEach((reply) => this.upsert(reply));
    return true;
  }

  // (Re)load everything: the tree and variables, then all replies or, when there are too
  // many, only those in `ids` (favourites, recently used).
  async loadAll(ids = []) {
    const ok = (await Promise.all([this.loadTree(), this.loadVariables()])).every(Boolean);
    if (!ok) return false;
    this.lazy = this.total() > FULL_COPY_MAX;
    this.places.clear();
    let replies;
    if (this.lazy) {
      this.replies.clear();
      replies = await this.ensureIds(ids);
    } else {
      replies = await this.loadReplies("", () => true);
    }
    this.loaded = this.loaded || replies;
    return replies;
  }

  async ensureIds(ids) {
    const missing = [...new Set(ids)].filter((id) => !this.replies.has(id));
    const found = await Promise.all(missing.map((id) => api("GET", `/api/v1/replies/${id}`)));
    found.forEach((r) => { if (r.ok) this.upsert(r.data); });
    return found.every((r) => r.ok || r.status === 404);
  }

  // Lazy mode: the replies of a category (with its subcategories) or of a library's
  // uncategorized ones, loaded once; events keep them current afterwards.
  ensurePlace(key) {
    if (!this.lazy) return Promise.resolve(true);
    if (!this.places.has(key)) {
      const [kind, raw] = key.split(":");
      const id = Number(raw);
      const load = kind === "cat"
        ? this.loadReplies(`&category_id=${id}`, (r) => this.inCategory(r, id))
        : this.loadReplies(`&library_id=${id}`, (r) => r.library.id === id);
      this.places.set(key, load.then((ok) => {
        if (!ok) this.places.delete(key);
        return ok;
      }));
    }
    return this.places.get(key);
  }

  placeLoaded(key) {
    return !this.lazy || this.places.has(key);
  }

  inCategory(reply, categoryId) {
    if (!reply.category_id) return false;
    if (reply.category_id === categoryId) return true;
    const cat = this.categoryById.get(reply.category_id);
    return Boolean(cat && cat.parent_id === categoryId);
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
      if (ev.op === "reload") {
        if (this.lazy) {
          for (const [id, reply] of this.replies) if (reply.library.id === ev.library_id) this.replies.delete(id);
          this.places.clear();
        } else {
          await this.loadReplies(`&library_id=${ev.library_id}`, (r) => r.library.id === ev.library_id);
        }
        await this.loadTree();
        return "tree";
      }
      const known = this.replies.has(ev.id);
      if (ev.op === "remove") this.replies.delete(ev.id);
      else if (ev.reply) {
        if (!this.libraryById.has(ev.reply.library.id)) await this.loadTree();
        // Lazily, keep what we hold current and add what belongs to an opened place.
        const place = ev.reply.category_id ? this.categoryById.get(ev.reply.category_id) : null;
        const wanted = !this.lazy || known
          || this.places.has(`lib:${ev.reply.library.id}`)
          || (place && (this.places.has(`cat:${place.id}`) || this.places.has(`cat:${place.parent_id}`)));
        if (wanted) this.upsert(ev.reply);
      }
      // Counts in a lazy copy come from the server's tree.
      if (this.lazy && (ev.op !== "update" || !known)) await this.loadTree();
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

  // Reply counts per category and per library's uncategorized replies: counted in a full
  // copy (always current), the server's in a lazy one (subcategories have none there).
  counts() {
    const perCategory = new Map();
    const loose = new Map();
    if (this.lazy) {
      for (const lib of this.libraries) {
        loose.set(lib.id, lib.uncategorized_count);
        lib.categories.forEach((c) => perCategory.set(c.id, c.reply_count));
      }
      return { perCategory, loose };
    }
    this.categoryById.forEach((_c, id) => perCategory.set(id, 0));
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
