"""Settings for the test suite: isolated from any real configuration on the machine.

Tests never read the operator's kefu.toml or KEFU_DATABASE_URL; they use a throwaway data
directory, SQLite, or the PostgreSQL named by KEFU_TEST_DATABASE_URL (pytest-django creates
and drops its own test database there).
"""

import atexit
import os
import shutil
import tempfile

_data = tempfile.mkdtemp(prefix="kefu-test-")
# Each process of a test run (pytest, the servers the browser and bus tests start) has
# its own directory: removed when that process exits, or /tmp fills run after run.
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
