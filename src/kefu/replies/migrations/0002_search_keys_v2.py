"""Rewrite every reply's stored search keys for KEYS_VERSION 2 (readings of the 通用规范汉字字典).

Without it the index would still be right, as a build computes the keys of rows whose stored
version is older, but every build would pay for that until each reply is next edited
(seconds at 100k replies). Rows are rewritten in batches, reading only title and tags.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 2000


def rewrite_keys(apps: Any, schema_editor: Any) -> None:
    from kefu.replies.search.keys import search_keys_for

    reply_model = apps.get_model("replies", "Reply")
    rows = reply_model.objects.using(schema_editor.connection.alias).only("id", "title", "tags")
    batch = []
    for reply in rows.order_by("id").iterator(chunk_size=BATCH):
        reply.search_keys = search_keys_for(reply)
        batch.append(reply)
        if len(batch) == BATCH:
            rows.bulk_update(batch, ["search_keys"])
            batch = []
    if batch:
        rows.bulk_update(batch, ["search_keys"])


class Migration(migrations.Migration):
    dependencies = [("replies", "0001_initial")]

    # Going back needs nothing: the older code recomputes keys of a version it does not know.
    operations = [migrations.RunPython(rewrite_keys, migrations.RunPython.noop, elidable=True)]
