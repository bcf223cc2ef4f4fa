from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "kefu.replies"
    label = "replies"
    verbose_name = _("reply library")

    def ready(self) -> None:
        from kefu.core.views.nav import Page, register_page

        # Variables, import and export are reached from the library page's toolbar, so the
        # top bar keeps one entry for the whole library.
        register_page(Page("replies:library", _("Reply library"),
                           _("Shared and personal reply scripts, categories, variables, "
                             "import and export."), order=10))
