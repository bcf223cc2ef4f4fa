"""How far can a learner go on reply-dev from the buyer's message? A question about the data,
not a benchmark of kefu: a standard discriminative text classifier (multinomial logistic
regression on TF-IDF character unigrams and bigrams, scikit-learn) trained the way kefu
learns, next to the frequency baseline, in one run. Prints a Markdown table; asserts nothing.

    pip install -e '.[analysis]'   # scikit-learn: not a kefu dependency, only this script's
    .venv/bin/python bench/reply_ceiling.py [--data ../shared/data]

Rows (acc@1 / acc@5 / MRR@10 over all 950 queries, each asked once):

- *2 folds*: the split of bench/suggest_eval.py (sessions halved with its seed; learn one
  half, ask the other, both ways), so the row compares with kefu's numbers there.
- *5 and 10 folds by session*: each query is predicted by a model trained on 80 % / 90 % of
  the sessions: does more training data of this kind help?
- *+ earlier scripts of the session*: the scripts the agent sent earlier in the same session
  as extra features (what kefu's conversation context knows).
- *+ every other script of the session* (an oracle: later ones included): how much knowing
  the agent's habits in this chat could add, at most, through such features.

The data is read from --data at run time and never copied anywhere.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest_eval import DEFAULT_DATA, metrics, split_sessions, table


def _fit_predict(train: list[dict[str, Any]], test: list[dict[str, Any]],
                 session_features: str) -> list[int | None]:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def scripts(rows: list[dict[str, Any]]) -> list[str]:
        """Per row, the session's other scripts as tokens (earlier only, or all)."""
        by_session: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_session.setdefault(r["session"], []).append(r)
        out = []
        for r in rows:
            rows_of = by_session[r["session"]]
            others = rows_of[:rows_of.index(r)] if session_features == "earlier" else \
                [o for o in rows_of if o is not r]
            out.append(" ".join(f"s_{g}" for o in others for g in o["gold_ids"]) or "none")
        return out

    texts, labels, extra = [], [], []
    train_scripts = scripts(train) if session_features else [""] * len(train)
    for row, sc in zip(train, train_scripts, strict=True):
        for gold in row["gold_ids"]:  # one example per script the agent sent
            texts.append(row["query"])
            labels.append(gold)
            extra.append(sc)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    x = chars.fit_transform(texts)
    x_test = chars.transform([r["query"] for r in test])
    if session_features:
        tokens = CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True)
        x = hstack([x, 0.5 * tokens.fit_transform(extra)]).tocsr()
        x_test = hstack([x_test, 0.5 * tokens.transform(scripts(test))]).tocsr()
    model = LogisticRegression(C=1.0, max_iter=3000).fit(x, labels)
    classes = list(model.classes_)
    ranks: list[int | None] = []
    for row, p in zip(test, model.predict_proba(x_test), strict=True):
        top = [classes[i] for i in np.argsort(-p)[:10]]
        ranks.append(next((i + 1 for i, k in enumerate(top) if k in row["gold_ids"]), None))
    return ranks


def _folds(queries: list[dict[str, Any]], k: int) -> list[tuple[list[Any], list[Any]]]:
    sessions = sorted({q["session"] for q in queries})
    random.Random(k).shuffle(sessions)
    fold = {s: i % k for i, s in enumerate(sessions)}
    return [([q for q in queries if fold[q["session"]] != f],
             [q for q in queries if fold[q["session"]] == f]) for f in range(k)]


def _frequency(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> list[int | None]:
    top = [g for g, _ in Counter(g for q in train for g in q["gold_ids"]).most_common(10)]
    return [next((i + 1 for i, k in enumerate(top) if k in q["gold_ids"]), None) for q in test]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        sys.exit("bench/reply_ceiling.py needs scikit-learn: pip install -e '.[analysis]'")
    queries = [json.loads(line) for line in
               (args.data / "reply-dev" / "queries.jsonl").read_text("utf-8").splitlines()]
    a, b = split_sessions(queries)
    halves = [(a, b), (b, a)]
    rows = []
    for name, folds, features in (
            ("frequency, 2 folds", halves, None),
            ("logistic regression, 2 folds (as suggest_eval.py)", halves, ""),
            ("logistic regression, 5 folds by session", _folds(queries, 5), ""),
            ("logistic regression, 10 folds by session", _folds(queries, 10), ""),
            ("+ earlier scripts of the session, 2 folds", halves, "earlier"),
            ("+ every other script of the session (oracle), 2 folds", halves, "all")):
        ranks: list[int | None] = []
        for train, test in folds:
            ranks += _frequency(train, test) if features is None else \
                _fit_predict(train, test, features)
        rows.append((name, metrics(ranks)))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print(table(f"reply-dev: {len(queries)} queries, what a text classifier reaches", rows))


if __name__ == "__main__":
    main()
