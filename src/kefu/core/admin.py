from django.contrib import admin

from kefu.core.models import ApiToken, AuditLog, Department, Member, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["organization", "role", "is_active"]
    search_fields = ["user__username", "display_name"]
    filter_horizontal = ["departments"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # Tokens are created through kefu (the secret is shown once); admins may only revoke.
    list_display = ["name", "member", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["member", "name", "hint", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "actor_label", "action", "object_type",
                    "object_id"]
    list_filter = ["organization", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
