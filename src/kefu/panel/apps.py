from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PanelConfig(AppConfig):
    name = "kefu.panel"
    label = "panel"
    verbose_name = _("agent panel")

    def ready(self) -> None:
        from kefu.core.views.nav import Page, register_page

        # First in the top bar: the page agents keep open all day.
        register_page(Page("panel:panel", _("Agent panel"),
                           _("Search, fill and copy replies beside the chat tool; paste a "
                             "buyer's message for suggestions."), order=5))
