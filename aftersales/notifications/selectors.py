"""Reads of the notification settings and the company's message wording."""

from __future__ import annotations

from typing import Any

from aftersales.notifications import labels, rendering
from aftersales.notifications.models import MessageTemplate, NotificationSettings


def notification_settings(company_id: int) -> NotificationSettings:
    """The company's settings, or the defaults (unsaved) until someone changes them."""
    found = NotificationSettings.objects.filter(company_id=company_id).first()
    return found or NotificationSettings(company_id=company_id)


def company_wording(company_id: int, event: str | None = None) -> dict[tuple[str, str], Any]:
    """{(event, language): MessageTemplate} of the company's own wording."""
    qs = MessageTemplate.objects.filter(company_id=company_id)
    if event is not None:
        qs = qs.filter(event=event)
    return {(t.event, t.language): t for t in qs}


def template_rows(company_id: int) -> list[dict[str, Any]]:
    """Every event in both languages with the wording in force and its variables."""
    own = company_wording(company_id)
    rows = []
    for event, variables in rendering.EVENTS.items():
        for language in ("zh-hans", "en"):
            mine = own.get((event, language))
            subject, body = rendering.template_for(event, language)
            rows.append(
                {
                    "event": event,
                    "event_label": labels.EVENTS.get(event, event),
                    "language": language,
                    "language_label": labels.LANGUAGES.get(language, language),
                    "variables": ", ".join("{" + v + "}" for v in variables),
                    "subject": mine.subject if mine else subject,
                    "body": mine.body if mine else body,
                    "custom": mine is not None,
                }
            )
    return rows
