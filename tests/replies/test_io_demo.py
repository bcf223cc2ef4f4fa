"""The demo loader: the shop's library through the importer, variables through actions, and a
second run that changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kefu.core.demo import load_demo
from kefu.core.models import AuditLog, Organization
from kefu.replies import demo
from kefu.replies.io.plan import plan_import
from kefu.replies.models import Category, Reply, Revision, Variable


def state(org: Organization) -> dict[str, Any]:
    return {
        "replies": list(Reply.objects.filter(organization=org).order_by("id")
                        .values("id", "key", "title", "body", "version", "category_id",
                                "position", "tags", "questions", "shortcut")),
        "categories": Category.objects.filter(library__organization=org).count(),
        "revisions": Revision.objects.filter(reply__organization=org).count(),
        "variables": list(Variable.objects.filter(organization=org)
                          .values("name", "value", "description", "version")),
        "audit": AuditLog.objects.filter(organization=org).count(),
    }


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    rows = [
        {"key": "demo-001", "title": "欢迎语", "body": "亲，欢迎光临{店铺名}，我是{客服昵称}~",
         "category": ["售前咨询", "问候"], "shortcut": "/hi", "tags": ["问候"],
         "questions": ["在吗", "有人吗"]},
        {"key": "demo-002", "title": "满减活动", "body": "亲，现在{活动.满减}哦",
         "category": "活动优惠/满减", "tags": ["活动"], "questions": ["有优惠吗"]},
        {"key": "demo-003", "title": "催付", "body": "亲，您的订单还没付款哦",
         "category": ["催付"]},
    ]
    (tmp_path / "library.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "variables.json").write_text(json.dumps(
        {"活动.满减": {"value": "满300减30", "description": "当前店铺满减"},
         "活动.赠品": "下单送运费险"}, ensure_ascii=False), encoding="utf-8")
    return tmp_path


@pytest.mark.django_db
def test_demo_loader_imports_the_library_and_variables_once(org: Organization,
                                                            demo_dir: Path):
    # When the loader runs
    lines = list(demo.load(org, demo_dir))

    # Then the company library and the variables are there
    assert lines == ["replies: demo library 3 created, 0 updated, 0 unchanged",
                     "replies: demo variables 2 saved, 0 unchanged"]
    reply = Reply.objects.get(organization=org, key="demo-001")
    assert (reply.library.scope, reply.category_path(), reply.shortcut) == (
        "company", ["售前咨询", "问候"], "/hi")
    assert dict(Variable.objects.filter(organization=org).values_list("name", "value")) == {
        "活动.满减": "满300减30", "活动.赠品": "下单送运费险"}
    first = state(org)

    # and a second run changes nothing at all
    again = list(demo.load(org, demo_dir))
    assert again == ["replies: demo library 0 created, 0 updated, 3 unchanged",
                     "replies: demo variables 0 saved, 2 unchanged"]
    assert state(org) == first


@pytest.mark.django_db
def test_demo_loader_updates_what_the_demo_files_changed(org: Organization, demo_dir: Path):
    list(demo.load(org, demo_dir))
    path = demo_dir / "library.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("满减活动", "满减活动说明"),
                    encoding="utf-8")
    (demo_dir / "variables.json").write_text(json.dumps(
        {"活动.满减": {"value": "满200减20", "description": "当前店铺满减"},
         "活动.赠品": "下单送运费险"}, ensure_ascii=False), encoding="utf-8")

    assert list(demo.load(org, demo_dir)) == [
        "replies: demo library 0 created, 1 updated, 2 unchanged",
        "replies: demo variables 1 saved, 1 unchanged"]
    assert Reply.objects.get(organization=org, key="demo-002").version == 2
    assert Variable.objects.get(organization=org, name="活动.满减").version == 2


@pytest.mark.django_db
def test_demo_loader_skips_missing_files(org: Organization, tmp_path: Path):
    lines = list(demo.load(org, tmp_path))
    assert [line.split(" at ")[0] for line in lines] == [
        "replies: no demo library", "replies: no demo variables"]
    assert not Reply.objects.exists()


@pytest.mark.django_db
def test_kefu_demo_twice_changes_nothing_in_the_library():
    list(load_demo())
    org = Organization.objects.get(slug="demo")
    first = state(org)
    list(load_demo())
    assert state(org) == first


SHIPPED = demo.DEMO_DIR / "library.jsonl"


@pytest.mark.skipif(not SHIPPED.is_file(), reason="the demo library is not written yet")
@pytest.mark.django_db
def test_the_shipped_demo_library_imports_cleanly_and_is_big_enough(org: Organization):
    plan = plan_import(org, SHIPPED.read_bytes(), SHIPPED.name, "company", None)
    assert plan.problems == []
    assert plan.parsed.unknown_columns == []
    assert len(plan.rows) >= 300
    assert len({tuple(r.category or ())[:1] for r in plan.rows}) >= 8
    assert all(r.fields.get("key") for r in plan.rows), "every demo reply needs a key"
