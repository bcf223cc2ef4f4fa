"""Settings for the test suite: isolated from any real configuration on the machine.

Tests never read the operator's kefu.toml or KEFU_DATABASE_URL; they use a throwaway data
directory, SQLite, or the PostgreSQL named by KEFU_TEST_DATABASE_URL (pytest-django creates
and drops its own test database there).
"""

import atexit
import os
import shutil
import tempfile


def _sweep(tmp: str) -> None:
    """Remove the directories of test processes that are gone without their exit handlers
    (mypy's Django plugin reads these settings in a process that ends so)."""
    for name in os.listdir(tmp):
        parts = name.split("-")
        if len(parts) == 4 and parts[:2] == ["kefu", "test"] and parts[2].isdigit():
            try:
                os.kill(int(parts[2]), 0)
            except ProcessLookupError:
                shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
            except OSError:  # alive, someone else's
                pass


_sweep(tempfile.gettempdir())
_data = tempfile.mkdtemp(prefix=f"kefu-test-{os.getpid()}-")
# Each process of a test run has its own directory: removed when that process exits, or
# by the next run's sweep, or /tmp fills run after run.
atexit.register(shutil.rmtree, _data, ignore_errors=True)
_empty_toml = os.path.join(_data, "kefu.toml")
with open(_empty_toml, "w") as fh:
    fh.write("# tests ignore any real configuration\n")

for _key in list(os.environ):
    if _key.startswith("KEFU_") and not _key.startswith("KEFU_TEST_"):
        del os.environ[_key]
os.environ.update({
    "KEFU_CONFIG": _empty_toml,
    "KEFU_DATA_DIR": _data,
    "KEFU_SECRET_KEY": "test-secret-key-not-for-production-" + "x" * 16,
    "KEFU_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
})
if os.environ.get("KEFU_TEST_DATABASE_URL"):
    os.environ["KEFU_DATABASE_URL"] = os.environ["KEFU_TEST_DATABASE_URL"]

from kefu.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
