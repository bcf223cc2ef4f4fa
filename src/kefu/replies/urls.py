"""Pages of the reply library, mounted at /library/."""

from django.urls import path

from kefu.replies import views

app_name = "replies"

urlpatterns = [
    path("", views.library, name="library"),
    path("replies/new", views.reply_new, name="reply_new"),
    path("replies/<int:reply_id>/edit", views.reply_edit, name="reply_edit"),
    path("replies/<int:reply_id>/images/add", views.reply_image_add, name="reply_image_add"),
    path("replies/<int:reply_id>/images/<int:image_id>/remove", views.reply_image_remove,
         name="reply_image_remove"),
    path("replies/<int:reply_id>/history", views.reply_history, name="reply_history"),
    path("replies/<int:reply_id>/restore", views.reply_restore, name="reply_restore"),
    path("replies/<int:reply_id>/delete", views.reply_delete, name="reply_delete"),
    path("replies/<int:reply_id>/undelete", views.reply_undelete, name="reply_undelete"),
    path("replies/<int:reply_id>/move", views.reply_move, name="reply_move"),
    path("categories/new", views.category_create, name="category_create"),
    path("categories/<int:category_id>/rename", views.category_rename, name="category_rename"),
    path("categories/<int:category_id>/delete", views.category_delete, name="category_delete"),
    path("categories/<int:category_id>/move", views.category_move, name="category_move"),
    path("import/", views.import_wizard, name="import"),
    path("variables/", views.variable_list, name="variables"),
    path("variables/<int:variable_id>/edit", views.variable_edit, name="variable_edit"),
    path("variables/<int:variable_id>/delete", views.variable_delete, name="variable_delete"),
]
