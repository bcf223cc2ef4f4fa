"""How fast the panel answers in the browser: from a keystroke in the search box to the
frame that paints its results, with the demo library (335 replies) and with 10,000.

Printed at the end of the run, never asserted (numbers depend on the machine); the aim is
p95 ≤ 50 ms on loopback. docs/benchmarks/panel.md keeps a run's numbers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from kefu.core.demo import DEMO_PASSWORD
from kefu.replies.demo import DEMO_DIR
from tests.browser.conftest import SPEED, OpenPanel, Shop
from tests.live import run_cli

pytestmark = pytest.mark.browser

# What agents type: pinyin, initials, characters, mixed, shortcut codes; one key at a time.
QUERIES = ["tuikuan", "退kuan", "fahuo", "发货慢", "thh", "/tk", "chima", "尺码", "yfx",
           "youhuiquan", "kdwl", "bufa"]

# Keystroke (keydown; insertText for characters the keyboard cannot type, which fire only
# input) to the animation frame after the list shows that query's results.
MEASURE = """() => {
    window.__lat = [];
    window.__t0 = null;
    const q = document.querySelector('[data-q]');
    const list = document.querySelector('[data-list]');
    const start = (e) => {
        if (e.target === q && window.__t0 === null) window.__t0 = performance.now();
    };
    document.addEventListener('keydown', start, true);
    document.addEventListener('input', start, true);
    new MutationObserver(() => {
        const want = q.value.replace(/'/g, '').trim();
        if (window.__t0 === null || !want || list.dataset.query !== want) return;
        const t0 = window.__t0;
        window.__t0 = null;
        requestAnimationFrame(() => window.__lat.push(performance.now() - t0));
    }).observe(list, {attributes: true, attributeFilter: ['data-query']});
}"""


def measure(page: Any) -> list[float]:
    page.evaluate(MEASURE)
    page.focus("[data-q]")
    for query in QUERIES:
        page.fill("[data-q]", "")
        page.wait_for_function("document.querySelector('[data-list]').dataset.query === ''")
        page.evaluate("window.__t0 = null")
        for ch in query:
            n = page.evaluate("window.__lat.length")
            page.keyboard.type(ch)
            page.wait_for_function("n => window.__lat.length > n", arg=n)
    return [float(x) for x in page.evaluate("window.__lat")]


def fetch_times(page: Any) -> list[float]:
    """How long each search request took, request start to last byte (the browser's
    resource timing): the server's and the network's share of a keystroke."""
    return [float(x) for x in page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/api/v1/replies/search'))
        .map((e) => e.responseEnd - e.startTime)""")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def record(name: str, replies: int, latencies: list[float], fetches: list[float]) -> None:
    SPEED.append({"library": name, "replies": replies, "keystrokes": len(latencies),
                  "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                  "max": max(latencies), "fetch_p50": percentile(fetches, 50),
                  "fetch_p95": percentile(fetches, 95)})


def warm_up(page: Any) -> None:
    # The server builds an organization's index on its first search: not a keystroke's cost.
    page.focus("[data-q]")
    page.keyboard.type("tk")
    page.wait_for_function("document.querySelector('[data-list]').dataset.query === 'tk'",
                           timeout=60_000)


def test_keystroke_to_results_with_the_demo_library(open_panel: OpenPanel):
    page = open_panel()
    warm_up(page)

    record("demo", 335, measure(page), fetch_times(page))


PRODUCTS = """连衣裙 羽绒服 卫衣 牛仔裤 T恤 衬衫 大衣 毛衣 运动鞋 半身裙 西装 风衣 打底衫 针织衫
    阔腿裤 休闲裤 帆布鞋 棉服 马甲 短裤 睡衣 羊毛衫 长裙 外套 夹克 冲锋衣 背心 吊带 卫裤 瑜伽裤"""


def big_library(path: Path, n: int) -> Path:
    """n replies made from the demo library's, each a distinct product's variant."""
    demo = [json.loads(line) for line in
            (DEMO_DIR / "library.jsonl").read_text(encoding="utf-8").splitlines()]
    products = PRODUCTS.split()
    rnd = random.Random(6)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            reply = dict(demo[i % len(demo)])
            product = products[(i // len(demo)) % len(products)]
            reply.update(key=f"BIG-{i:05d}", shortcut="", questions=reply["questions"][:2],
                         title=f"{reply['title']}（{product}）",
                         body=f"{reply['body']} 【{product}{rnd.randint(1, 99)}号款】")
            out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def big_shop(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An organization with 10,000 replies and an agent, "bigagent"."""
    env = shop.site.env
    run_cli(env, "org", "create", "big", "--name", "万条话术店")
    run_cli(env, "member", "add", "big", "bigagent", "--role", "agent",
            "--password", DEMO_PASSWORD)
    library = big_library(tmp_path_factory.mktemp("big") / "big.jsonl", 10_000)
    run_cli(env, "replies", "import", "big", str(library), "--yes")
    return "bigagent"


def test_keystroke_to_results_with_ten_thousand_replies(open_panel: OpenPanel, big_shop: str):
    page = open_panel(user=big_shop)
    # Too big to copy whole into every agent's browser: categories load when opened.
    assert page.get_attribute("[data-panel]", "data-copy") == "lazy"
    warm_up(page)

    record("10k", 10_000, measure(page), fetch_times(page))


def test_a_big_library_is_browsed_category_by_category(open_panel: OpenPanel, big_shop: str):
    page = open_panel(user=big_shop)
    page.keyboard.press("Alt+B")
    page.keyboard.press("Enter")  # the first category, with its subcategories

    page.wait_for_selector("[data-list] li.item")
    shown = len(page.locator("[data-list] li.item").all())
    count = int(page.inner_text(".tree button.node >> nth=0 >> .count"))
    assert shown == count > 100
    assert page.evaluate("window.kefuPanel.store.replies.size") == shown
