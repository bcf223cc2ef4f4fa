"""Smart suggestions measured on real customer-service data, through the product's own API,
next to simple baselines computed in the same run. Prints Markdown tables; asserts nothing.

    .venv/bin/python bench/suggest_eval.py [--data ../shared/data] [--only faq,reply,latency]
                                           [--semantic use-multilingual] [--weights k=v,...]

- faq-dev (Alipay questions, ATEC 2018): kb.jsonl becomes an organization's replies (key =
  id, the text as title, body and example question); every query is asked of
  POST /api/v1/suggest; gold_ids are matched to the suggestions' keys.
- reply-dev (JD chats, JDDC 2019): sessions are split into two halves (fixed seed); a fresh
  organization learns one half through the history importer ({"message", "reply_key",
  "session"}, rows in session order) and is asked the other half's queries; then the other
  way round. Each query is asked twice: alone, and with its conversation as context (the
  earlier queries of its session as buyer turns, each followed by its gold replies as the
  agent's turn; the first query of a session gets an empty context). Queries whose gold
  scripts are all outside the 20 most frequent (gold frequency in the split) are reported
  apart.
- latency: one organization with 5,000 replies and 50,000 learned examples (generated from
  the two data sets, in sessions of four), 1,000 suggestions through the API; server-side
  took_ms and the round trip through Django's test client, p50 and p99; then the same
  1,000 again with a four-turn context (server-side took_ms), and once more through the
  re-ranker's path; then 300 uses with a message (POST /replies/{id}/uses), round trip.

The data sets are read from --data at run time and never copied anywhere. Every run starts
from an empty throwaway SQLite database (kefu.settings_test).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings_test")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SEED = 20240611

Ranker = Callable[[str], list[str]]
# Rankers that read the query's conversation: (query row, context turns) -> keys.
ContextRanker = Callable[[dict[str, Any], list[dict[str, Any]]], list[str]]


# --- data ------------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- metrics ---------------------------------------------------------------------------

def rank_of(keys: list[str], gold: set[str]) -> int | None:
    for i, key in enumerate(keys[:10], 1):
        if key in gold:
            return i
    return None


def metrics(ranks: list[int | None]) -> tuple[float, float, float, int]:
    n = max(len(ranks), 1)
    return (sum(r == 1 for r in ranks) / n, sum(1 for r in ranks if r and r <= 5) / n,
            sum(1 / r for r in ranks if r) / n, len(ranks))


def table(title: str, rows: list[tuple[str, tuple[float, float, float, int]]]) -> str:
    out = [f"**{title}**", "", "| method | acc@1 | acc@5 | MRR@10 | queries |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for name, (a1, a5, mrr, n) in rows:
        out.append(f"| {name} | {a1:.3f} | {a5:.3f} | {mrr:.3f} | {n} |")
    return "\n".join(out)


# --- baselines (computed here, independent of kefu's code) ------------------------------

_NON_WORD = re.compile(r"[\s\W_]+")


def char_grams(text: str) -> list[str]:
    t = _NON_WORD.sub("", text.lower())
    return list(t) + [t[i:i + 2] for i in range(len(t) - 1)]


class BM25:
    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b, self.n = k1, b, len(docs)
        self.length = np.array([len(d) for d in docs], float)
        self.avg = max(float(self.length.mean()) if docs else 1.0, 1e-9)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf))
        self.post = {t: (np.array([d for d, _ in p]), np.array([f for _, f in p], float))
                     for t, p in postings.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n)
        for term in set(query):
            if term not in self.post:
                continue
            docs, tf = self.post[term]
            idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = self.k1 * (1 - self.b + self.b * self.length[docs] / self.avg)
            out[docs] += idf * tf * (self.k1 + 1) / (tf + norm)
        return out


def bm25_ranker(kb: list[dict[str, Any]]) -> Ranker:
    ids = [k["id"] for k in kb]
    index = BM25([char_grams(k["text"]) for k in kb])

    def rank(query: str) -> list[str]:
        s = index.scores(char_grams(query))
        return [ids[i] for i in np.argsort(-s, kind="stable")[:10]]
    return rank


def knn_ranker(train: list[dict[str, Any]], k: int = 20) -> Ranker:
    """Nearest past messages (BM25, character uni+bigrams) vote with their scores."""
    index = BM25([char_grams(q["query"]) for q in train])

    def rank(query: str) -> list[str]:
        s = index.scores(char_grams(query))
        votes: Counter[str] = Counter()
        for i in np.argsort(-s, kind="stable")[:k]:
            if s[i] > 0:
                for gid in train[i]["gold_ids"]:
                    votes[gid] += float(s[i])
        return [g for g, _ in votes.most_common(10)]
    return rank


def frequency_ranker(train: list[dict[str, Any]]) -> Ranker:
    order = [g for g, _ in Counter(g for q in train for g in q["gold_ids"]).most_common(10)]
    return lambda query: order


# --- the product --------------------------------------------------------------------------

class Shop:
    """A fresh organization in the throwaway database, asked through the JSON API."""

    def __init__(self, slug: str) -> None:
        from django.test import Client

        from kefu.core import actions
        from kefu.core.models import Role

        self.org = actions.do_create_organization(slug, f"bench {slug}")
        self.owner = actions.do_add_member(self.org, f"owner-{slug}", Role.OWNER, None,
                                           password="bench-pass-9x")
        _token, raw = actions.do_create_token(self.owner, "bench", None)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def load_kb(self, rows: list[dict[str, Any]]) -> None:
        from kefu.replies.io.apply import apply_plan
        from kefu.replies.io.plan import plan_import

        lines = [json.dumps({"key": r["key"], "title": r["title"][:100], "body": r["body"],
                             "questions": r.get("questions", []),
                             "category": r.get("category", [])}, ensure_ascii=False)
                 for r in rows]
        plan = plan_import(self.org, "\n".join(lines).encode(), "kb.jsonl", "company", None)
        if not plan.ok:
            raise SystemExit(f"import problems: {plan.problems[:3]}")
        apply_plan(plan, None)

    def learn(self, pairs: Iterable[tuple[str, str] | tuple[str, str, str]]) -> int:
        from kefu.suggestions.actions import do_import_history
        from kefu.suggestions.history import parse_history

        data = "\n".join(json.dumps({"message": p[0], "reply_key": p[1],
                                     **({"session": p[2]} if len(p) > 2 else {})},
                                    ensure_ascii=False)
                         for p in pairs).encode()
        parsed = parse_history(self.org, data)
        if parsed.problems:
            raise SystemExit(f"history problems: {parsed.problems[:3]}")
        return do_import_history(None, self.org, parsed.rows).learned

    def ask(self, message: str, limit: int = 10,
            context: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message, "limit": limit}
        if context is not None:
            body["context"] = context
        resp = self.client.post("/api/v1/suggest", body, content_type="application/json")
        if resp.status_code != 200:
            raise SystemExit(f"suggest answered {resp.status_code}: {resp.content[:200]!r}")
        return dict(resp.json())

    def ranker(self) -> Ranker:
        return lambda q: [s["key"] for s in self.ask(q)["suggestions"]]

    def reply_ids(self) -> dict[str, int]:
        from kefu.replies.models import Reply

        return dict(Reply.objects.filter(organization=self.org).values_list("key", "id"))

    def context_ranker(self) -> ContextRanker:
        return lambda q, ctx: [s["key"] for s in self.ask(q["query"], 10, ctx)["suggestions"]]


def kb_rows(kb: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": k["id"], "title": k["text"], "body": k["text"], "questions": [k["text"]]}
            for k in kb]


def evaluate(rankers: dict[str, Ranker], queries: list[dict[str, Any]]
             ) -> dict[str, list[int | None]]:
    return {name: [rank_of(rank(q["query"]), set(q["gold_ids"])) for q in queries]
            for name, rank in rankers.items()}


_seq = iter(range(1, 1000))


def slug(name: str) -> str:
    return f"{name}-{next(_seq)}"


# --- the three parts ----------------------------------------------------------------------

def run_faq(data: Path) -> str:
    kb = read_jsonl(data / "faq-dev" / "kb.jsonl")
    queries = read_jsonl(data / "faq-dev" / "queries.jsonl")
    shop = Shop(slug("faq"))
    shop.load_kb(kb_rows(kb))
    started = time.perf_counter()
    ranks = evaluate({"kefu (API)": shop.ranker(), "BM25 chars uni+bi": bm25_ranker(kb)},
                     queries)
    took = time.perf_counter() - started
    rows = [(name, metrics(r)) for name, r in ranks.items()]
    return table(f"faq-dev: {len(kb)} KB entries, {len(queries)} queries, no learning "
                 f"({took:.0f} s)", rows)


def split_sessions(queries: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    sessions = sorted({q["session"] for q in queries})
    random.Random(SEED).shuffle(sessions)
    half = set(sessions[: len(sessions) // 2])
    return ([q for q in queries if q["session"] in half],
            [q for q in queries if q["session"] not in half])


def conversations(queries: list[dict[str, Any]], reply_ids: dict[str, int]
                  ) -> list[list[dict[str, Any]]]:
    """Each query's context as the API takes it: the earlier queries of its session as the
    buyer's turns, each followed by the library replies the agent then sent (its gold ids,
    the scripts found in the agent's next turn). queries.jsonl lists a session's queries in
    chat order; agent messages that were no library script are unknown, so not included."""
    from kefu.suggestions.context import MAX_TURNS

    out: list[list[dict[str, Any]]] = []
    seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in queries:
        turns = seen[q["session"]]
        out.append(turns[-MAX_TURNS:])
        seen[q["session"]] = [*turns, {"from": "buyer", "text": q["query"]},
                              *({"from": "agent", "reply_id": reply_ids[g]}
                                for g in q["gold_ids"])]
    return out


def run_reply(data: Path) -> str:
    kb = read_jsonl(data / "reply-dev" / "kb.jsonl")
    queries = read_jsonl(data / "reply-dev" / "queries.jsonl")
    a, b = split_sessions(queries)
    top20 = {g for g, _ in Counter(g for q in queries for g in q["gold_ids"]).most_common(20)}
    names = ["kefu (API, learned, with context)", "kefu (API, learned, no context)",
             "kefu (API, no learning)", "nearest-past-message voting", "frequency",
             "BM25 chars uni+bi"]
    ranks: dict[str, list[int | None]] = {n: [] for n in names}
    rare: dict[str, list[int | None]] = {n: [] for n in names}
    later: dict[str, list[int | None]] = {n: [] for n in names}
    per_fold: list[tuple[str, tuple[float, float, float, int]]] = []
    empty = Shop(slug("reply-empty"))
    empty.load_kb(kb_rows(kb))
    for fold, (train, test) in enumerate(((a, b), (b, a)), 1):
        shop = Shop(slug("reply"))
        shop.load_kb(kb_rows(kb))
        shop.learn((q["query"], g, q["session"]) for q in train for g in q["gold_ids"])
        contexts = conversations(test, shop.reply_ids())
        with_context = shop.context_ranker()
        got = evaluate({names[1]: shop.ranker(), names[2]: empty.ranker(),
                        names[3]: knn_ranker(train), names[4]: frequency_ranker(train),
                        names[5]: bm25_ranker(kb)}, test)
        got[names[0]] = [rank_of(with_context(q, ctx), set(q["gold_ids"]))
                         for q, ctx in zip(test, contexts, strict=True)]
        per_fold += [(f"{name}, fold {fold}", metrics(got[name])) for name in names[:2]]
        for name, r in got.items():
            ranks[name] += r
            rare[name] += [x for x, q in zip(r, test, strict=True)
                           if not set(q["gold_ids"]) & top20]
            later[name] += [x for x, ctx in zip(r, contexts, strict=True) if ctx]
    rows = [(n, metrics(ranks[n])) for n in names]
    rare_rows = [(n, metrics(rare[n])) for n in names]
    later_rows = [(n, metrics(later[n])) for n in names]
    return "\n\n".join([
        table(f"reply-dev: {len(kb)} scripts, {len(queries)} queries, two folds by session "
              f"(learn {len(a)}/{len(b)} queries, ask the other half)", rows),
        table("reply-dev, queries after the first of their session (context has turns)",
              later_rows),
        table("reply-dev, queries whose gold is outside the 20 most frequent scripts",
              rare_rows),
        table("reply-dev, each fold (fold 1 learns the first half of the shuffled sessions "
              "and is asked the second; fold 2 the other way round)", per_fold),
        f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"])


def run_latency(data: Path, n_replies: int = 5000, n_examples: int = 50000,
                n_queries: int = 1000) -> str:
    rng = random.Random(SEED)
    faq_kb = read_jsonl(data / "faq-dev" / "kb.jsonl")
    faq_q = read_jsonl(data / "faq-dev" / "queries.jsonl")
    rep_kb = read_jsonl(data / "reply-dev" / "kb.jsonl")
    rep_q = read_jsonl(data / "reply-dev" / "queries.jsonl")
    texts = [k["text"] for k in faq_kb + rep_kb]
    cats = ["售前咨询", "发货物流", "售后退换", "退款", "活动优惠", "投诉安抚", "评价返现"]
    rows = []
    for i in range(n_replies):
        body = texts[i % len(texts)] if i < len(texts) else \
            "，".join(rng.sample(texts, 2))
        rows.append({"key": f"R{i:05d}", "title": body[:30], "body": body,
                     "questions": rng.sample(texts, 2), "category": [rng.choice(cats)]})
    messages = [q["query"] for q in faq_q + rep_q]
    pairs = []
    for i in range(n_examples):
        msg = messages[i % len(messages)]
        if i >= len(messages):  # distinct, realistic-looking variations
            msg = f"{msg} {rng.choice(messages)[:12]}"
        # Sessions of four turns, so the context signal has transitions to read.
        pairs.append((msg, f"R{rng.randrange(n_replies):05d}", f"s{i // 4}"))
    shop = Shop(slug("latency"))
    t0 = time.perf_counter()
    shop.load_kb(rows)
    t1 = time.perf_counter()
    shop.learn(pairs)
    t2 = time.perf_counter()
    shop.ask("预热")  # builds the in-memory model
    t3 = time.perf_counter()
    server, wall, cpu, with_context = [], [], [], []
    contexts: list[list[dict[str, Any]]] = []
    asked = [rng.choice(messages) for _ in range(n_queries)]
    for q in asked[:50]:
        shop.ask(q, 5)
    ids = list(shop.reply_ids().values())
    for q in asked:
        s, c = time.perf_counter(), time.thread_time()
        answer = shop.ask(q, 5)
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - s) * 1000)
        server.append(answer["took_ms"])
        # The same message again with a context, right after: the same machine load.
        context = [{"from": "buyer", "text": rng.choice(messages)},
                   {"from": "agent", "reply_id": rng.choice(ids)},
                   {"from": "buyer", "text": rng.choice(messages)},
                   {"from": "agent", "reply_id": rng.choice(ids)}]
        with_context.append(shop.ask(q, 5, context)["took_ms"])
        contexts.append(context)
    # The re-ranker (rerank.py) orders the candidates once enough picks were among them;
    # random picks rarely are. To time its path anyway, it is given the fusion's own
    # weighing (weight 1 on the fused log score), which keeps the fusion's order.
    from kefu.suggestions.registry import REGISTRY
    from kefu.suggestions.rerank import FEATURES

    model = REGISTRY.get(shop.org.id)
    learned = model.reranker.weights is not None
    if not learned:
        model.reranker.weights = np.eye(len(FEATURES))[0]
    reranked = [shop.ask(q, 5, ctx)["took_ms"] for q, ctx in zip(asked, contexts, strict=True)]
    if not learned:
        model.reranker.weights = None
    # Learning is immediate: a use with the buyer's message is learned in its request
    # (and, for the re-ranker, ranked once before it is; refitted every 10 picks).
    uses = []
    for i, q in enumerate(asked[:300]):
        s = time.perf_counter()
        resp = shop.client.post(f"/api/v1/replies/{rng.choice(ids)}/uses",
                                {"source": "suggest", "message": q,
                                 "conversation": f"bench-{i // 3}"},
                                content_type="application/json")
        if resp.status_code != 201:
            raise SystemExit(f"use answered {resp.status_code}: {resp.content[:200]!r}")
        uses.append((time.perf_counter() - s) * 1000)

    def pct(values: list[float], p: float) -> float:
        return float(np.percentile(np.array(values), p))
    return "\n".join([
        f"**latency: {n_replies} replies, {n_examples} learned examples (sessions of 4), "
        f"{n_queries} suggestions (limit 5), one thread**", "",
        "| measure | p50 ms | p99 ms | max ms |", "| --- | ---: | ---: | ---: |",
        f"| server took_ms | {pct(server, 50):.2f} | {pct(server, 99):.2f} | "
        f"{max(server):.2f} |",
        f"| server took_ms, with a 4-turn context | {pct(with_context, 50):.2f} | "
        f"{pct(with_context, 99):.2f} | {max(with_context):.2f} |",
        f"| server took_ms, with a 4-turn context, re-ranked"
        f"{'' if learned else ' (fusion weights)'} | {pct(reranked, 50):.2f} | "
        f"{pct(reranked, 99):.2f} | {max(reranked):.2f} |",
        f"| API round trip (test client) | {pct(wall, 50):.2f} | {pct(wall, 99):.2f} | "
        f"{max(wall):.2f} |",
        f"| CPU time of the round trip (this thread) | {pct(cpu, 50):.2f} | "
        f"{pct(cpu, 99):.2f} | {max(cpu):.2f} |",
        f"| learning a use with a message, round trip ({len(uses)} uses) | "
        f"{pct(uses, 50):.2f} | {pct(uses, 99):.2f} | {max(uses):.2f} |", "",
        f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        "",
        f"set-up: import {n_replies} replies {t1 - t0:.1f} s, learn {n_examples} examples "
        f"{t2 - t1:.1f} s, first suggestion (builds the model) {t3 - t2:.1f} s"])


def run_semantic_cost(data: Path, n: int = 200) -> str:
    """What the semantic backend adds to each suggestion: encoding the message."""
    from kefu.suggestions.semantic import get_encoder

    encoder = get_encoder()
    if encoder is None:
        return "(semantic backend not configured)"
    rng = random.Random(SEED)
    messages = [q["query"] for q in read_jsonl(data / "reply-dev" / "queries.jsonl")]
    encoder.encode(messages[:5])
    times = []
    for msg in rng.sample(messages, n):
        s = time.perf_counter()
        encoder.encode([msg])
        times.append((time.perf_counter() - s) * 1000)
    arr = np.array(times)
    return (f"**semantic backend {encoder.name}: encoding one message, {n} messages**\n\n"
            "| p50 ms | p99 ms |\n| ---: | ---: |\n"
            f"| {np.percentile(arr, 50):.1f} | {np.percentile(arr, 99):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default="faq,reply,latency")
    parser.add_argument("--semantic", default="", help="semantic_model for this run")
    parser.add_argument("--weights", default="", help="override model weights: k=v,k=v "
                        "(for tuning on DEV)")
    args = parser.parse_args()
    if args.semantic:
        os.environ["KEFU_SEMANTIC_MODEL"] = args.semantic
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    if args.semantic:
        settings.KEFU_SEMANTIC_MODEL = args.semantic  # settings_test clears KEFU_* variables
    call_command("migrate", verbosity=0)
    from kefu.suggestions.registry import REGISTRY

    for pair in filter(None, args.weights.split(",")):
        key, _, value = pair.partition("=")
        current = getattr(REGISTRY.weights, key)
        setattr(REGISTRY.weights, key, type(current)(float(value)))
    print(f"semantic backend: {args.semantic or 'off'}; weights: {REGISTRY.weights}\n")
    parts = {"faq": run_faq, "reply": run_reply, "latency": run_latency,
             "semantic-cost": run_semantic_cost}
    for name in args.only.split(","):
        print(parts[name](args.data), "\n", flush=True)


if __name__ == "__main__":
    main()
