"""Web pages of the reply library, one module per page; the names below are the public surface."""

from kefu.replies.views.categories import (
    category_create,
    category_delete,
    category_move,
    category_rename,
)
from kefu.replies.views.editor import reply_edit, reply_image_add, reply_image_remove, reply_new
from kefu.replies.views.history import reply_history, reply_restore
from kefu.replies.views.importer import import_wizard
from kefu.replies.views.library import library, reply_delete, reply_move, reply_undelete
from kefu.replies.views.variables import variable_delete, variable_edit, variable_list

__all__ = [
    "category_create", "category_delete", "category_move", "category_rename", "import_wizard",
    "library",
    "reply_delete", "reply_edit", "reply_history", "reply_image_add", "reply_image_remove",
    "reply_move", "reply_new", "reply_restore",
    "reply_undelete", "variable_delete", "variable_edit", "variable_list",
]
