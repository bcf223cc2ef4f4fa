"""Forms of the core pages. They parse input only; the actions decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.core.models import ApiToken, AuditLog, Department, Member, Organization, Role

# Each language under its own name, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"zh-hans": "简体中文", "en": "English"}


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _departments_of(org: Organization) -> Any:
    return Department.objects.filter(organization=org).order_by("name")


class MemberFieldsMixin(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"), max_length=Member.DISPLAY_NAME_MAX, required=False,
        help_text=_("Shown to buyers; defaults to the user name."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    departments = DepartmentChoiceField(label=_("Departments"), queryset=Department.objects.none(),
                                        required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this organization's departments are valid choices: another one's id is refused.
        self.fields["departments"].queryset = _departments_of(org)  # type: ignore[attr-defined]

    def department_ids(self) -> list[int]:
        return [d.id for d in self.cleaned_data["departments"]]


class MemberAddForm(MemberFieldsMixin):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(
        label=_("Initial password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. Leave empty only for a user who already has an "
                    "account in another organization."))

    field_order = ["username", "display_name", "role", "departments", "password"]


class MemberChangeForm(MemberFieldsMixin):
    pass


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Department.NAME_MAX)


class TokenForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=Member.objects.none(),
                                    empty_label=None)
    name = forms.CharField(label=_("Token name"), max_length=ApiToken.NAME_MAX,
                           help_text=_("What the token is for, e.g. the name of a script."))

    def __init__(self, *args: Any, org: Organization, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = (Member.objects.filter(  # type: ignore[attr-defined]
            organization=org, is_active=True).select_related("user").order_by("user__username"))
        field.initial = actor.pk
        field.label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.name} ({m.user.username})" if m.display_name else m.user.username)


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action starts with"), required=False,
        max_length=AuditLog._meta.get_field("action").max_length,
        widget=forms.TextInput(attrs={"placeholder": "member.", "list": "audit-actions"}))


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"), max_length=Member.DISPLAY_NAME_MAX, required=False,
        help_text=_("Shown to buyers; defaults to the user name."))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[(code, LANGUAGE_NAMES.get(code, code)) for code, _name in settings.LANGUAGES],
        widget=forms.RadioSelect)
