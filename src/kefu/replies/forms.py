"""Forms of the library pages. They parse input only; the actions clean, decide and write
(so limits and messages live in one place: replies/validation.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.replies.models import Category, Reply, Variable

STATE_CHOICES = [
    ("", _("Active and inactive")),
    ("active", _("Active only")),
    ("inactive", _("Inactive only")),
    ("deleted", _("Deleted (restorable)")),
]


class ListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search text"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    tag = forms.CharField(label=_("Tag"), max_length=Reply.TAG_MAX, required=False)
    state = forms.ChoiceField(label=_("Status"), choices=STATE_CHOICES, required=False)

    def filtering(self) -> bool:
        data = self.cleaned_data if self.is_valid() else {}
        return any(data.get(k) for k in ("q", "tag", "state"))


class ReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=Reply.TITLE_MAX * 2)
    body = forms.CharField(
        label=_("Reply text"), max_length=Reply.BODY_MAX * 2,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Variables in braces, like {买家昵称}, are filled in when an agent uses "
                    "the reply."))
    place = forms.ChoiceField(label=_("Library and category"))
    shortcut = forms.CharField(
        label=_("Shortcut code"), max_length=Reply.SHORTCUT_MAX * 2, required=False,
        widget=forms.TextInput(attrs={"placeholder": "/tk1", "autocomplete": "off"}),
        help_text=_("Type it in the search box to find this reply at once."))
    tags = forms.CharField(label=_("Tags"), max_length=Reply.TAG_MAX * Reply.TAGS_MAX * 2,
                           required=False,
                           help_text=_("Separate tags with commas or 、."))
    questions = forms.CharField(
        label=_("Example questions"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Buyer messages this reply answers, one per line. Suggestions learn "
                    "from them."))
    key = forms.CharField(label=_("Key (编号)"), max_length=Reply.KEY_MAX, required=False,
                          help_text=_("Optional. Spreadsheet imports update the reply with "
                                      "the same key."))
    is_active = forms.BooleanField(label=_("Active (agents can find and use it)"),
                                   required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, places: list[Any], editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places  # type: ignore[attr-defined]
        # An edit must say which version it started from, or it could overwrite silently.
        self.fields["version"].required = editing

    def reply_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "body", "shortcut", "tags",
                                              "questions", "key")}


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category name"), max_length=Category.NAME_MAX * 2)
    parent = forms.TypedChoiceField(label=_("Level"), coerce=int, empty_value=None,
                                    required=False)

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [  # type: ignore[attr-defined]
            ("", _("First level"))] + [
            (pk, _("Under %(name)s") % {"name": name}) for pk, name in parents]


class CategoryRenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=Category.NAME_MAX * 2)


class CategoryDeleteForm(forms.Form):
    move_to = forms.ChoiceField(label=_("Move its replies to"), required=False)

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_to"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose…")),
                                          ("0", _("(uncategorized)")), *targets]


class RestoreForm(forms.Form):
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class VariableForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=Variable.NAME_MAX + 2,
        widget=forms.TextInput(attrs={"placeholder": "活动.满减", "autocomplete": "off"}),
        help_text=_("Written in replies in braces, like {活动.满减}."))
    value = forms.CharField(label=_("Value"), max_length=Variable.VALUE_MAX * 2, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"),
                           help_text=_("Excel (.xlsx), CSV (UTF-8 or GBK) or JSON Lines "
                                       "(.jsonl)."))
    library = forms.ChoiceField(label=_("Import into"))

    def __init__(self, *args: Any, libraries: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["library"].choices = libraries  # type: ignore[attr-defined]
