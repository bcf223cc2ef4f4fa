"""Demo content of the reply library: a shop's company library and its variables.

``demo/library.jsonl`` goes through the importer like any user's file (upsert by 编号, so a
second ``kefu demo`` changes nothing), ``demo/variables.json`` through do_save_variable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kefu.core.errors import KefuError
from kefu.core.models import Organization
from kefu.replies.actions import do_save_variable
from kefu.replies.io.apply import apply_plan
from kefu.replies.io.plan import plan_import
from kefu.replies.models import Variable
from kefu.replies.validation import normalize_text

DEMO_DIR = Path(__file__).resolve().parent / "demo"


def load(org: Organization, demo_dir: Path | None = None) -> Iterator[str]:
    folder = demo_dir or DEMO_DIR
    yield from _load_library(org, folder / "library.jsonl")
    yield from _load_variables(org, folder / "variables.json")


def _load_library(org: Organization, path: Path) -> Iterator[str]:
    if not path.is_file():
        yield f"replies: no demo library at {path}; skipped"
        return
    plan = plan_import(org, path.read_bytes(), path.name, "company", None)
    if not plan.ok:  # the demo file is ours: a problem in it is a bug to fix, not to skip
        first = "; ".join(f"row {p.row} {p.column}: {p.message}" for p in plan.problems[:5])
        raise KefuError(f"{path.name} has {len(plan.problems)} problems: {first}")
    result = apply_plan(plan, None)
    yield (f"replies: demo library {result.created} created, {result.updated} updated, "
           f"{result.unchanged} unchanged")


def _variables(data: Any) -> list[tuple[str, str, str]]:
    """Accepts {"name": "value"}, {"name": {"value", "description"}} or a list of
    {"name", "value", "description"} objects."""
    items = data.items() if isinstance(data, dict) else (
        (d["name"], d) for d in data)
    out = []
    for name, spec in items:
        if isinstance(spec, dict):
            out.append((str(name), str(spec.get("value", "")),
                        str(spec.get("description", ""))))
        else:
            out.append((str(name), str(spec), ""))
    return out


def _load_variables(org: Organization, path: Path) -> Iterator[str]:
    if not path.is_file():
        yield f"replies: no demo variables at {path}; skipped"
        return
    changed = 0
    specs = _variables(json.loads(path.read_text(encoding="utf-8")))
    for name, value, description in specs:
        current = Variable.objects.filter(organization=org,
                                          name=normalize_text(name).strip("{}")).first()
        if current is not None and (current.value, current.description) == (
                normalize_text(value), description[:200]):
            continue
        do_save_variable(None, org.id, name, value, description, variable=current)
        changed += 1
    yield f"replies: demo variables {changed} saved, {len(specs) - changed} unchanged"
