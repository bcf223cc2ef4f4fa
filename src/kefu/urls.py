from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kefu.api import api
from kefu.core import views
from kefu.core.events.sse import events_view

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("org/switch/", views.switch_org, name="switch_org"),
    path("account/", views.account, name="account"),
    path("account/language/", views.account_language, name="account_language"),
    path("members/", views.member_list, name="members"),
    path("members/add/", views.member_add, name="member_add"),
    path("members/<int:member_id>/", views.member_edit, name="member_edit"),
    path("members/<int:member_id>/active/", views.member_set_active, name="member_set_active"),
    path("departments/", views.department_list, name="departments"),
    path("departments/add/", views.department_create, name="department_create"),
    path("departments/<int:department_id>/", views.department_edit, name="department_edit"),
    path("departments/<int:department_id>/delete/", views.department_delete,
         name="department_delete"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/add/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_list, name="audit"),
    path("library/", include("kefu.replies.urls")),
    path("suggestions/", include("kefu.suggestions.urls")),
    path("panel/", include("kefu.panel.urls")),
    path("healthz", views.healthz, name="healthz"),
    # Before the ninja routes: SSE is a plain async view (streaming, no DB connection held).
    path("api/v1/events", events_view, name="events"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
