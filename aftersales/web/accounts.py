"""Login (with the demo accounts listed), home page, API tokens, audit trail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from aftersales.accounts import actions
from aftersales.accounts.choices import Role, TokenScope
from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.models import User
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.core import clock
from aftersales.core.audit_labels import audit_rows, record_choices
from aftersales.core.errors import ApplicationError
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.models import AuditEntry
from aftersales.core.selectors import as_id
from aftersales.core.validation import ValidationFailed
from aftersales.customers.selectors import customers_visible_to, units_visible_to
from aftersales.notifications.models import OutboxMessage
from aftersales.orders.selectors import order_queue
from aftersales.web.listing import list_links, sorted_page
from aftersales.web.navigation import landing_url
from aftersales.web.shortcuts import page, xlsx_response


def demo_accounts() -> list[dict[str, str]]:
    """The demo accounts written by `aftersales demo`, if this database has them."""
    path = settings.DATA_DIR / "demo_accounts.json"
    try:
        accounts = list(json.loads(path.read_text()))
    except (OSError, ValueError):
        return []
    labels = {**dict(Role.choices), "portal": _("Customer portal (/portal/)")}
    rows = []
    for a in accounts:
        row = {**a, "role_label": labels.get(a.get("role"), a.get("role_label", a.get("role")))}
        if a.get("role") == "portal":  # no password: a one-time code, written to the log
            row["password"] = _("sign-in code in the log")
        rows.append(row)
    return rows


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = demo_accounts()
        return context

    def get_default_redirect_url(self) -> str:
        # Without a `next`, each role lands on its work page (navigation.LANDING).
        return landing_url(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The interface in the language the person chose last time (on any device).
        language = getattr(form.get_user(), "language", "")
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
            )
        return response


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The footer's switch: Django's (the language cookie), and for a signed-in member of
    staff their language kept, so what is written to them follows it."""
    response = i18n_views.set_language(request)
    user = request.user
    language = request.POST.get("language", "")
    if isinstance(user, User) and user.is_authenticated and language in dict(settings.LANGUAGES):
        actions.user_language_set(actor=user, language=language)
    return response


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"role_label": user.get_role_display()}
    if has_perm(user, Perm.CUSTOMER_VIEW):
        context["recent_customers"] = customers_visible_to(user).order_by("-id")[:5]
    if has_perm(user, Perm.UNIT_VIEW):
        context["recent_units"] = (
            units_visible_to(user).select_related("product_model").order_by("-id")[:5]
        )
    if has_perm(user, Perm.ORDER_VIEW):
        context["queue_counts"] = [
            (key, label, order_queue(user, key).count())
            for key, label in (
                ("overdue", _("Overdue")),
                ("unassigned", _("Unassigned")),
                ("mine", _("Mine")),
            )
        ]
    context["inbox"] = OutboxMessage.objects.filter(recipient=user).order_by("-id")[:8]
    return render(request, "web/home.html", context)


def _token_expiry(value: str) -> dt.datetime | None:
    """The last day a token works (local date) -> the moment it stops: the next midnight."""
    day = dt.date.fromisoformat(value) if value else None
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)))


@login_required
def token_list(request: AuthedRequest) -> HttpResponse:
    """The caller's API tokens; a new one with a name, a scope (read only or full) and an
    optional last day. The key is shown once."""
    user = request.user
    new_key = None
    errors: list[str] = []
    if request.method == "POST":
        try:
            expires_at = _token_expiry(request.POST.get("expires", "").strip())
        except ValueError:
            errors.append(str(_("Give the last day as a date.")))
        else:
            try:
                _token, new_key = actions.api_token_create(
                    actor=user,
                    name=request.POST.get("name", ""),
                    scope=request.POST.get("scope") or TokenScope.FULL,
                    expires_at=expires_at,
                )
            except ApplicationError as exc:
                details = exc.errors.values() if isinstance(exc, ValidationFailed) else []
                errors += [str(m) for m in details] or [str(exc.message)]
    tokens = user.api_tokens.filter(revoked=False).order_by("-id")
    return render(
        request,
        "web/tokens.html",
        {
            "tokens": tokens,
            "new_key": new_key,
            "errors": errors,
            "scopes": TokenScope.choices,
            "now": clock.now(),
        },
    )


@require_POST
@page()
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    actions.api_token_revoke(actor=request.user, token_id=pk)
    return redirect("token-list")


# Sorts of the audit trail: name -> ordering (the id breaks ties). The first is the default.
AUDIT_SORTS: dict[str, tuple[str, ...]] = {
    "-at": ("-at",),
    "at": ("at",),
    "actor": ("actor__username",),
    "-actor": ("-actor__username",),
    "action": ("action",),
    "-action": ("-action",),
    "record": ("object_type", "object_id"),
    "-record": ("-object_type", "-object_id"),
}
AUDIT_FILTERS = ("actor", "object_type", "object_id", "since", "until")
# Rows in one export (the orders list's limit).
AUDIT_EXPORT_LIMIT = 10_000


def _audit_entries(request: AuthedRequest) -> Any:
    user = request.user
    get = request.GET
    qs = AuditEntry.objects.filter(actor__company_id=company_of(user)).select_related("actor")
    if get.get("actor"):
        qs = qs.filter(actor_id=as_id(get["actor"]))
    if get.get("object_type"):
        qs = qs.filter(object_type=get["object_type"])
    if get.get("object_id"):
        qs = qs.filter(object_id=get["object_id"].strip())
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        try:
            day = dt.date.fromisoformat(get.get(key, ""))
        except ValueError:
            continue
        qs = qs.filter(**{lookup: day})
    return qs


@page(Perm.AUDIT_VIEW)
def audit_list(request: AuthedRequest) -> HttpResponse:
    """The company's audit trail, newest first, filtered by person, kind of record (and its
    number) and a date range, sortable; actions and fields shown by their labels."""
    user = request.user
    get = request.GET
    people = User.objects.filter(company_id=company_of(user)).order_by("username")
    types = (
        AuditEntry.objects.filter(actor__company_id=company_of(user))
        .values_list("object_type", flat=True)
        .distinct()
    )
    result = sorted_page(
        _audit_entries(request),
        sorts=AUDIT_SORTS,
        sort=get.get("sort", ""),
        page=get.get("page"),
        size=50,
    )
    filters = {k: get[k] for k in AUDIT_FILTERS if get.get(k)}
    return render(
        request,
        "web/audit.html",
        {
            "page": result,
            "rows": audit_rows(result.items),
            "people": people,
            "record_types": record_choices(types),
            "filters": filters,
            **list_links(result, filters, ("at", "actor", "action", "record")),
        },
    )


@page(Perm.AUDIT_VIEW)
def audit_export(request: AuthedRequest) -> HttpResponse:
    """The audit trail as an Excel file: the same filters and sort as on the page (at most
    10,000 rows), actions, records and fields by their labels."""
    ordering = AUDIT_SORTS.get(request.GET.get("sort", ""), ("-at",))
    tie = "-pk" if ordering[0].startswith("-") else "pk"
    entries = list(_audit_entries(request).order_by(*ordering, tie)[:AUDIT_EXPORT_LIMIT])
    rows = (
        (
            timezone.localtime(h.at).strftime("%Y-%m-%d %H:%M:%S"),
            (h.actor.get_full_name() or h.actor.username) if h.actor else "",
            str(h.action),
            f"{h.record} {h.object_id}",
            "; ".join(f"{c.field}: {c.before} → {c.after}" for c in h.changes),
            h.reason or "",
        )
        for h in audit_rows(entries)
    )
    content = write_xlsx(AUDIT_EXPORT_COLUMNS, rows, sheet_title="audit")
    return xlsx_response(content, f"audit-{clock.today():%Y%m%d}.xlsx")


AUDIT_EXPORT_COLUMNS = [
    Column("at", _("Time")),
    Column("user", _("User")),
    Column("action", _("Action")),
    Column("record", pgettext_lazy("audit", "Record")),
    Column("changes", _("Changes")),
    Column("reason", _("Reason")),
]


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every site: the icon in the static files."""
    return redirect(static("favicon.svg"), permanent=True)
