"""Reply import: parse + validate and apply times for generated libraries of 1,000 and 10,000
rows in .xlsx, .csv and .jsonl, on SQLite (and PostgreSQL when KEFU_BENCH_DATABASE_URL names
a server). Prints Markdown tables; asserts nothing.

    .venv/bin/python bench/import_bench.py [--sizes 1000,10000] [--formats xlsx,csv,jsonl]
    KEFU_BENCH_DATABASE_URL=postgresql://user@127.0.0.1:5432/postgres .venv/bin/python ...

Every database run happens in a child process with the production settings (kefu.settings:
SQLite in WAL mode, or PostgreSQL), on a fresh database: a new SQLite file, or a new
database created on the PostgreSQL server and dropped afterwards. Each size × format imports
into a new organization (all rows create); then, per size, the same JSONL file is imported
again (all rows unchanged) and once more with every body edited (all rows update).

Times are wall-clock (time.perf_counter) around kefu.replies.io: read_file + build_plan
("check") and apply_plan ("apply"). "keys" is the part of apply spent in search_keys_for
(the search index's per-reply keys, computed on every write).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261111

CATEGORIES = {
    "售前咨询": ["商品材质", "尺码推荐", "库存现货", "颜色款式"],
    "活动优惠": ["满减", "优惠券", "赠品", "预售"],
    "发货物流": ["发货时间", "快递公司", "物流查询", "偏远地区"],
    "催付": ["未付款提醒", "库存紧张", "优惠到期"],
    "售后退换": ["退货流程", "换货", "运费险", "退货地址"],
    "退款": ["退款时效", "部分退款", "拒收退款"],
    "质量问题": ["破损", "色差", "做工", "异味"],
    "评价返现": ["好评邀请", "差评处理", "晒图"],
    "投诉安抚": ["情绪安抚", "升级处理", "补偿方案"],
    "大促话术": ["双11", "618", "年货节"],
    "会员服务": ["积分", "会员价", "生日礼"],
    "发票": ["开票", "换开"],
}
OPENERS = ["亲，", "亲爱的{买家昵称}，", "您好呀，", "宝子，", "亲亲，"]
PHRASES = [
    "这款是我们店的热销款，面料柔软亲肤，穿着很舒服", "付款后48小时内就会安排发货哦",
    "现在下单还能参加{活动.满减}的活动", "支持七天无理由退换，运费险会帮您承担来回运费",
    "建议您参考详情页的尺码表，按平时的码数拍就可以", "订单号{订单号}已经为您加急处理了",
    "收到货有任何问题随时联系{客服昵称}，一定给您处理好", "颜色以实物为准，不同显示器会有轻微色差",
    "退款会在1-3个工作日原路退回到您的支付账户", "给您备注了优先发货，请您耐心等待一下",
    "仓库这边核实了一下，您拍的颜色还有现货", "真的很抱歉给您带来不好的体验",
]
TAGS = ["发货", "尺码", "退款", "活动", "售后", "催付", "质量", "物流", "面料", "优惠", "安抚",
        "好评", "预售", "运费险", "会员"]
QUESTIONS = ["什么时候发货", "能便宜点吗", "有优惠券吗", "怎么退货", "多久到账", "穿多大码",
             "有现货吗", "会起球吗", "包邮吗", "能开发票吗", "发什么快递", "坏了怎么办",
             "可以换颜色吗", "质量怎么样", "退款到哪里", "好评有返现吗"]


def make_rows(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    rnd = random.Random(seed + n)
    tops = list(CATEGORIES)
    rows = []
    for i in range(n):
        top = tops[i * len(tops) // n]  # contiguous blocks, as an exported library is
        sub = rnd.choice(CATEGORIES[top])
        body = rnd.choice(OPENERS) + "，".join(rnd.sample(PHRASES, rnd.randint(2, 4))) + "~"
        rows.append({
            "key": f"K{i:06d}", "category": [top, sub],
            "title": f"{sub}{rnd.choice(['说明', '回复', '话术', '答复'])}{i}",
            "body": body,
            "shortcut": f"/{rnd.choice('abcdefghjkmnpqrstwxyz')}{i}" if rnd.random() < 0.4
            else "",
            "tags": rnd.sample(TAGS, rnd.randint(0, 3)),
            "questions": [f"{q}{'呀' * rnd.randint(0, 1)}"
                          for q in rnd.sample(QUESTIONS, rnd.randint(1, 5))],
        })
    return rows


def write_files(rows: list[dict[str, Any]], folder: Path, formats: list[str],
                stem: str) -> dict[str, Path]:
    from kefu.replies.io.formats import write_rows

    out = {}
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        path.write_bytes(write_rows(rows, fmt))
        out[fmt] = path
    return out


# --- the child: one database ------------------------------------------------------------

def child(workdir: Path, sizes: list[int], formats: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kefu.core.actions import do_create_organization
    from kefu.replies.io import apply as io_apply
    from kefu.replies.io.apply import apply_plan
    from kefu.replies.io.export import export_file
    from kefu.replies.io.formats import read_file, write_rows
    from kefu.replies.io.plan import build_plan
    from kefu.replies.io.scopes import library_for_import, parse_scope

    call_command("migrate", interactive=False, verbosity=0)
    keys_time = [0.0]
    real_keys = io_apply.search_keys_for

    def timed_keys(reply: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        try:
            return real_keys(reply)
        finally:
            keys_time[0] += time.perf_counter() - t0

    io_apply.search_keys_for = timed_keys  # type: ignore[assignment]
    n_org = iter(range(1, 10_000))
    results: list[dict[str, Any]] = []

    def run(org: Any, path: Path, label: str, fmt: str, size: int) -> None:
        data = path.read_bytes()
        t0 = time.perf_counter()
        parsed = read_file(data, path.name)
        t1 = time.perf_counter()
        plan = build_plan(parsed, library_for_import(org, parse_scope("company"), None))
        t2 = time.perf_counter()
        assert plan.ok, plan.problems[:3]
        keys_time[0] = 0.0
        result = apply_plan(plan, None)
        t3 = time.perf_counter()
        results.append({"size": size, "format": fmt, "run": label, "bytes": len(data),
                        "parse": t1 - t0, "validate": t2 - t1, "apply": t3 - t2,
                        "keys": keys_time[0], "created": result.created,
                        "updated": result.updated, "unchanged": result.unchanged})

    # Warm-up: first-use costs (openpyxl's modules, the pinyin dictionary behind the search
    # keys) are paid once per process, by a 20-row import of every format, unmeasured.
    warm = do_create_organization("warmup", "预热")
    for fmt in formats:
        small = workdir / f"warmup.{fmt}"
        small.write_bytes(write_rows(make_rows(20, SEED + 1), fmt))
        apply_plan(build_plan(read_file(small.read_bytes(), small.name),
                              library_for_import(warm, parse_scope("company"), None)), None)

    exports: list[dict[str, Any]] = []
    for size in sizes:
        files = {fmt: workdir / f"replies-{size}.{fmt}" for fmt in formats}
        for fmt in formats:
            org = do_create_organization(f"bench{next(n_org)}", "压测店铺")
            run(org, files[fmt], "create", fmt, size)
        jsonl = workdir / f"replies-{size}.jsonl"
        if jsonl.exists():
            run(org, jsonl, "unchanged", "jsonl", size)
            run(org, workdir / f"replies-{size}-edited.jsonl", "update", "jsonl", size)
            from kefu.replies.models import Library

            libs = list(Library.objects.filter(organization=org))
            for fmt in formats:
                t0 = time.perf_counter()
                data = export_file(libs, fmt)
                exports.append({"size": size, "format": fmt, "bytes": len(data),
                                "seconds": time.perf_counter() - t0})
    print(json.dumps({"vendor": connection.vendor, "results": results, "exports": exports}))


# --- the parent: files, databases, tables ----------------------------------------------

def fresh_postgres(base: str) -> tuple[str, Any]:
    import psycopg

    name = f"kefu_bench_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def run_child(workdir: Path, url: str, sizes: list[int], formats: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEFU_") and k != "DJANGO_SETTINGS_MODULE"}
    (workdir / "kefu.toml").write_text("# import benchmark\n")
    env.update({"KEFU_CONFIG": str(workdir / "kefu.toml"), "KEFU_DATA_DIR": str(workdir),
                "KEFU_DATABASE_URL": url, "KEFU_SECRET_KEY": "bench-" + "z" * 40,
                "DJANGO_SETTINGS_MODULE": "kefu.settings"})
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(workdir), "--sizes",
         ",".join(map(str, sizes)), "--formats", ",".join(formats)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed:\n{proc.stdout}\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def table(out: dict[str, Any]) -> str:
    lines = [f"### {out['vendor']}", "",
             "| rows | file | run | size | parse | validate | apply (keys) | total | rows/s |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in out["results"]:
        total = r["parse"] + r["validate"] + r["apply"]
        lines.append(
            f"| {r['size']:,} | {r['format']} | {r['run']} | {r['bytes'] / 1e6:.1f} MB | "
            f"{r['parse']:.2f} s | {r['validate']:.2f} s | {r['apply']:.2f} s "
            f"({r['keys']:.2f}) | {total:.2f} s | {r['size'] / total:,.0f} |")
    lines += ["", "| export rows | file | size | time |", "|---:|---|---:|---:|"]
    lines += [f"| {e['size']:,} | {e['format']} | {e['bytes'] / 1e6:.1f} MB | "
              f"{e['seconds']:.2f} s |" for e in out["exports"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--formats", default="xlsx,csv,jsonl")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each database N times and keep each cell's best time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    if args.child:
        child(Path(args.child), sizes, formats)
        return

    pg = os.environ.get("KEFU_BENCH_DATABASE_URL")  # read first: settings_test drops KEFU_*
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings_test")
    import django

    django.setup()  # only for the writers; each database run is a child process
    import platform

    print(f"kefu import benchmark — Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, seed {SEED}\n")
    with tempfile.TemporaryDirectory(prefix="kefu-import-bench-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            rows = make_rows(size)
            write_files(rows, workdir, formats, f"replies-{size}")
            edited = [{**r, "body": r["body"] + "（已更新）"} for r in rows]
            write_files(edited, workdir, ["jsonl"], f"replies-{size}-edited")
        runs = []
        for i in range(args.repeat):
            db = workdir / f"bench-{i}.sqlite3"
            runs.append(run_child(workdir, f"sqlite:///{db}", sizes, formats))
            db.unlink()
        print(table(best(runs)) + "\n")
        if pg:
            runs = []
            for _i in range(args.repeat):
                url, drop = fresh_postgres(pg)
                try:
                    runs.append(run_child(workdir, url, sizes, formats))
                finally:
                    drop()
            print(table(best(runs)) + "\n")


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each cell's fastest run: on a shared machine the others measure the neighbours."""
    out = runs[0]
    for other in runs[1:]:
        for mine, theirs in zip(out["results"], other["results"], strict=True):
            if theirs["parse"] + theirs["validate"] + theirs["apply"] < \
                    mine["parse"] + mine["validate"] + mine["apply"]:
                mine.update(theirs)
        for mine, theirs in zip(out["exports"], other["exports"], strict=True):
            mine["seconds"] = min(mine["seconds"], theirs["seconds"])
    return out


if __name__ == "__main__":
    main()
