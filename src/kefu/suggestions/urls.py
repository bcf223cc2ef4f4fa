"""Pages of suggestions, mounted at /suggestions/."""

from django.urls import path

from kefu.suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("examples/", views.example_list, name="examples"),
    path("examples/<int:example_id>/delete/", views.example_delete, name="example_delete"),
]
