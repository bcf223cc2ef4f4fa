"""The agent panel, mounted at /panel."""

from django.urls import path

from kefu.panel import views

app_name = "panel"

urlpatterns = [
    path("", views.panel, name="panel"),
]
