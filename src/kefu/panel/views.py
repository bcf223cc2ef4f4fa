"""The agent panel (/panel): one page; everything on it talks to the JSON API and the event
stream. The server gives it who the member is, where things are, and its strings in the
member's language (the script has none of its own, so the catalogue translates it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.core.models import Member
from kefu.core.views.common import member_page
from kefu.replies.variables import CONVERSATION_VARIABLES, SERVER_VARIABLES, server_values

# How many results a search asks for: nine to copy by number, a few more to scroll to.
# More costs paint time on every keystroke (20 measured ~8 ms slower at p50 than 12).
SEARCH_LIMIT = 12
SUGGEST_LIMIT = 9


def strings() -> dict[str, Any]:
    """Every sentence the script shows, translated here. %(name)s placeholders as in Python."""
    return {
        "searchResults": _("Results for “%(q)s”"),
        "resultCount": _("%(n)s results"),
        "resultCountMore": _("first %(n)s results: type more to narrow"),
        "noResults": _("No reply matches “%(q)s”. Press Alt+N to save it as a new reply."),
        # Why a result that does not hold what was typed is listed (search's typo passes)
        "matchHomophone": _("Same sound as typed"),
        "matchFuzzy": _("Sounds like what was typed"),
        "matchMissingChar": _("One character left out"),
        "matchExtraChar": _("One character too many"),
        "matchPartial": _("Matches only the start of what was typed"),
        "matchPart": _("Matches only part of what was typed"),
        "matchNumeral": _("Number written the other way (7 / 七)"),
        "favourites": _("Favourites"),
        "recent": _("Recently used"),
        "homeEmpty": _("Type pinyin, initials, characters or a shortcut code to search. "
                       "Replies you pin or copy are listed here."),
        "loading": _("Loading…"),
        "copied": _("Copied"),
        "copiedTitle": _("Copied: %(title)s"),
        "copyFailed": _("Could not copy to the clipboard. Select the text below and copy it "
                        "yourself."),
        "renderFailed": _("Could not fill the reply: %(detail)s"),
        "networkError": _("The server did not answer. Check the connection and try again."),
        "pin": _("Pin to favourites"),
        "unpin": _("Remove from favourites"),
        "pinned": _("Pinned: %(title)s"),
        "unpinned": _("Removed from favourites: %(title)s"),
        "edit": _("Edit"),
        "usedCount": _("used %(n)s times"),
        "companyLibrary": _("Company replies"),
        "personalLibrary": _("My replies"),
        "uncategorized": _("(uncategorized)"),
        "browseHint": _("Choose a category to list its replies."),
        "categoryEmpty": _("No replies in this category."),
        "connLive": _("Live"),
        "connConnecting": _("Connecting…"),
        "connReconnecting": _("Reconnecting…"),
        "connOffline": _("Offline: retrying in %(s)s s"),
        "connLoggedOut": _("Logged out: log in again to receive updates"),
        "resynced": _("Caught up with changes made while disconnected."),
        "promptTitle": _("Fill in before copying"),
        "promptUnknown": _("Not a known variable (a typo in the reply?)"),
        "promptRequired": _("Fill in every value: the reply would reach the buyer with a "
                            "placeholder in it."),
        "saveTitle": _("Save as my reply"),
        "saved": _("Saved to My replies: %(title)s"),
        "saveFailed": _("Not saved: %(detail)s"),
        "suggestTitle": _("Suggestions"),
        "suggestEmpty": _("No suggestion for this message. Try searching instead."),
        "suggestUnavailable": _("Suggestions are not available on this server yet."),
        "suggestFailed": _("Suggestions failed: %(detail)s"),
        "intent": _("Intent: %(category)s (%(confidence)s%%)"),
        "escalate": _("Escalate: this buyer may complain or dispute. Consider handing the "
                      "conversation to a supervisor."),
        "orderFilled": _("Order number %(value)s filled into this conversation."),
        "imageCopy": _("Copy image"),
        "imageDownload": _("Download"),
        "imageCopied": _("Image copied"),
        "imageCopyFailed": _("This browser cannot copy images: drag the image into the chat "
                             "window or download it."),
        "imagesHint": _("This reply has images: Alt+I copies the first, or drag one into the "
                        "chat window."),
        "newConversation": _("New conversation: values cleared."),
        # The kinds of POST /api/v1/suggest's "entities", and where numbers come from.
        "entityKinds": {
            "order_numbers": _("Order number"), "tracking_numbers": _("Tracking number"),
            "phones": _("Phone"), "amounts": _("Amount"), "dates": _("Date"),
            "durations": _("Duration"),
        },
        "platforms": {
            "taobao": _("Taobao/Tmall"), "jd": _("JD"), "pinduoduo": _("Pinduoduo"),
            "douyin": _("Douyin"), "kuaishou": _("Kuaishou"),
        },
    }


@member_page()
def panel(request: HttpRequest, member: Member) -> HttpResponse:
    config: dict[str, Any] = {
        "member": {"id": member.id, "org": member.organization_id, "name": member.name},
        "canManage": member.is_manager,
        "conversationVariables": list(CONVERSATION_VARIABLES),
        "serverVariables": list(SERVER_VARIABLES),
        # Shown in the preview as filled; the copy itself is filled by POST /api/v1/render.
        "serverValues": server_values(member),
        "searchLimit": SEARCH_LIMIT,
        "suggestLimit": SUGGEST_LIMIT,
        "urls": {
            "library": reverse("replies:library"),
            # The editor's URL with a placeholder id the script replaces.
            "replyEdit": reverse("replies:reply_edit", args=[0]).replace("/0/", "/{id}/"),
        },
    }
    return render(request, "panel/panel.html", {
        "panel_config": config, "panel_strings": strings(),
        "conversation_variables": CONVERSATION_VARIABLES,
    })
