"""Per-organization caches (core/orgcache.py): builds read the database while changes go on,
and a stale entry keeps serving while its successor is built."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from kefu.core import orgcache
from kefu.core.events import get_bus
from kefu.core.events.hub import Audience
from kefu.core.orgcache import OrgCache


@dataclass
class Entry:
    """What a build read ("the database"), and the events applied since."""

    read: list[str]
    applied: list[str] = field(default_factory=list)
    last_used: float = field(default_factory=time.monotonic)
    stale: bool = False

    def state(self) -> list[str]:
        return self.read + self.applied


class Cache(OrgCache[Entry]):
    """Builds from ``self.database``; each build may be held at ``gate`` until released."""

    def __init__(self) -> None:
        super().__init__()
        self.database: list[str] = ["a"]
        self.builds = 0
        self.gate: threading.Event | None = None
        self.reading = threading.Event()  # a build has read the database
        self.fail = False

    def build(self, org_id: int) -> Entry:
        self.builds += 1
        entry = Entry(list(self.database))
        self.reading.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("database gone")
        return entry

    def stale(self, entry: Entry) -> bool:
        return entry.stale

    def apply(self, org_id: int, entry: Entry, event: dict[str, Any]) -> None:
        if event.get("op") == "reload":
            self.drop(org_id)
        else:
            entry.applied.append(str(event["value"]))

    def thread_done(self) -> None:
        pass  # no database connection here


def _change(cache: Cache, value: str, org: int = 1) -> None:
    """A change committed to the database, then its event published on the bus."""
    cache.database.append(value)
    get_bus().publish(org, Audience.all(), {"type": "test", "op": "add", "value": value})


def _wait(predicate: Any) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def cache() -> Cache:
    c = Cache()
    c.get(1)  # listening to the bus from here on
    return c


def test_a_change_made_while_the_first_build_reads_is_not_lost(cache: Cache):
    # Given an organization whose first build is under way (its read done, nothing built)
    cache.gate = threading.Event()
    cache.reading.clear()
    waiting = threading.Thread(target=cache.get, args=(2,))
    waiting.start()
    assert cache.reading.wait(10)
    # When a change is committed and published before the build ends
    _change(cache, "b", org=2)
    cache.gate.set()
    waiting.join(10)
    # Then the new entry has it, once
    assert cache.get(2).state() == ["a", "b"]


def test_a_stale_entry_serves_while_its_successor_is_built(cache: Cache):
    old = cache.get(1)
    old.stale = True
    cache.gate = threading.Event()
    cache.reading.clear()
    # When the entry goes stale, a request gets it at once, not after a build
    assert cache.get(1) is old
    assert cache.reading.wait(10)  # its successor is being built meanwhile
    assert cache.get(1) is old  # and only one build runs
    # And a change during that build reaches both the old entry and the new one
    _change(cache, "b")
    assert old.state() == ["a", "b"]
    cache.gate.set()
    _wait(lambda: cache.get(1) is not old)
    assert cache.get(1).state() == ["a", "b"]
    assert cache.builds == 2


def test_an_import_during_a_build_builds_again(cache: Cache):
    # Given a rebuild under way
    cache.get(1).stale = True
    cache.gate = threading.Event()
    cache.reading.clear()
    cache.get(1)
    assert cache.reading.wait(10)
    # When everything changes meanwhile (an import publishes one reload event)
    cache.database[:] = ["x", "y"]
    get_bus().publish(1, Audience.all(), {"type": "test", "op": "reload"})
    cache.gate.set()
    # Then what the first build read is thrown away and the database read again
    _wait(lambda: 1 in cache.entries)
    assert cache.get(1).state() == ["x", "y"]
    assert cache.builds == 3


def test_a_failed_rebuild_leaves_the_stale_entry_serving(cache: Cache, monkeypatch):
    old = cache.get(1)
    old.stale = True
    cache.fail = True
    assert cache.get(1) is old
    _wait(lambda: 1 in cache.failed_at)
    # The failure is not retried on every request ...
    assert cache.get(1) is old
    assert cache.builds == 2
    # ... but after a while
    cache.fail = False
    monkeypatch.setattr(orgcache, "RETRY_SECONDS", 0.0)
    assert cache.get(1) is old
    _wait(lambda: cache.get(1) is not old)
    assert cache.builds == 3
