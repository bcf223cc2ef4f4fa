from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from kefu.api import api
from kefu.core import views
from kefu.core.events.sse import events_view

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("org/switch/", views.switch_org, name="switch_org"),
    path("healthz", views.healthz, name="healthz"),
    # Before the ninja routes: SSE is a plain async view (streaming, no DB connection held).
    path("api/v1/events", events_view, name="events"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
