from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "kefu.suggestions"
    label = "suggestions"
    verbose_name = _("smart suggestions")

    def ready(self) -> None:
        from kefu.core.views.nav import Page, managers, register_page

        register_page(Page("suggestions:examples", _("Learned examples"),
                           _("Buyer messages and the replies agents chose for them: what "
                             "suggestions learn from."), managers, order=30))
