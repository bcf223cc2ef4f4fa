"""What suggestions learn from: buyer messages paired with the reply an agent chose."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Member, Organization
from kefu.replies.models import Reply, ReplyUse

CONVERSATION_MAX = 100


class ExampleSource(models.TextChoices):
    USE = "use", _("Used by an agent")
    IMPORT = "import", _("Imported history")


class LearnedExample(models.Model):
    """One buyer message (masked) and the reply chosen for it. The message is stored as the
    agent saw it with phones and addresses masked; ``normalized`` is the cleaned text the
    model reads, and ``embedding`` the semantic backend's vector when one is configured."""

    MESSAGE_MAX = 2000

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organization"))
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="learned_examples",
                              verbose_name=_("reply"))
    message = models.TextField(_("buyer message (masked)"), max_length=MESSAGE_MAX)
    normalized = models.TextField(_("normalized text"), max_length=MESSAGE_MAX)
    source = models.CharField(_("source"), max_length=16, choices=ExampleSource.choices)
    use = models.OneToOneField(ReplyUse, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="learned_example", verbose_name=_("reply use"))
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    embedding = models.BinaryField(_("embedding"), null=True, blank=True, editable=False)
    embedding_model = models.CharField(_("embedding model"), max_length=200, blank=True,
                                       editable=False)
    # Where the example stood in its conversation (context.py learns sequences from it).
    # Stored on the example itself, so deleting one forgets its sequence too and a model
    # rebuilt from the database counts exactly what the live one did.
    conversation = models.CharField(
        _("conversation"), max_length=CONVERSATION_MAX, blank=True, default="",
        help_text=_("The chat this message came from (an id from the chat platform, or a "
                    "history file's session); empty when unknown."))
    turn = models.PositiveSmallIntegerField(
        _("turn"), null=True, blank=True,
        help_text=_("How many library replies the agent had already sent in the "
                    "conversation; empty when unknown."))
    previous_replies = models.JSONField(
        _("previous replies"), default=list, blank=True,
        help_text=_("Ids of the library replies of the agent's previous turn."))

    class Meta:
        verbose_name = _("learned example")
        verbose_name_plural = _("learned examples")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "id"], name="example_org_id"),
            models.Index(fields=["organization", "reply"], name="example_org_reply"),
            models.Index(fields=["organization", "conversation", "id"],
                         name="example_org_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.message[:30]} → {self.reply_id}"

    def to_api_dict(self) -> dict[str, Any]:
        # Callers select_related("reply", "created_by__user").
        return {
            "id": self.id, "message": self.message, "reply_id": self.reply_id,
            "reply_key": self.reply.key, "reply_title": self.reply.title,
            "source": self.source,
            "created_by": self.created_by.name if self.created_by else None,
            "created_at": self.created_at,
        }


class EncodedText(models.Model):
    """A reply's text as one semantic model encoded it (suggestions/vectors.py). Kept so that
    building an organization's suggestion model after a restart reads each reply's vector
    instead of encoding the whole library again: e5-small takes 0.1-0.2 s for a reply of a
    title, a few example questions and a body start on one core, m3e-small about 15 ms.
    Keyed by a digest of the text, so an edited reply's new text is encoded anew; vectors of
    texts no reply has any more are deleted when the model is next built."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organization"))
    model = models.CharField(_("embedding model"), max_length=200)
    digest = models.CharField(_("text digest"), max_length=64)
    vector = models.BinaryField(_("vector"))

    class Meta:
        verbose_name = _("encoded text")
        verbose_name_plural = _("encoded texts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "model", "digest"], name="encoded_text_unique",
                violation_error_message=_("This text is already encoded by this model.")),
        ]

    def __str__(self) -> str:
        return f"{self.model}:{self.digest[:12]}"
