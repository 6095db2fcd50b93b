"""Login (with the demo accounts listed), home page, API tokens, audit trail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts import actions
from aftersales.accounts.choices import Role
from aftersales.accounts.permissions import Perm, has_perm
from aftersales.core.models import AuditEntry
from aftersales.core.selectors import as_id, keyset_page
from aftersales.customers.selectors import customers_visible_to, units_visible_to
from aftersales.web.navigation import landing_url
from aftersales.web.shortcuts import page


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


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context: dict[str, Any] = {"role_label": user.get_role_display()}
    if has_perm(user, Perm.CUSTOMER_VIEW):
        context["recent_customers"] = customers_visible_to(user).order_by("-id")[:5]
    if has_perm(user, Perm.UNIT_VIEW):
        context["recent_units"] = (
            units_visible_to(user).select_related("product_model").order_by("-id")[:5]
        )
    if has_perm(user, Perm.ORDER_VIEW):
        from aftersales.orders.selectors import order_queue

        context["queue_counts"] = [
            (key, label, order_queue(user, key).count())
            for key, label in (
                ("overdue", _("Overdue")),
                ("unassigned", _("Unassigned")),
                ("mine", _("Mine")),
            )
        ]
    from aftersales.notifications.models import OutboxMessage

    context["inbox"] = OutboxMessage.objects.filter(recipient=user).order_by("-id")[:8]
    return render(request, "web/home.html", context)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    new_key = None
    if request.method == "POST":
        _, new_key = actions.api_token_create(actor=user, name=request.POST.get("name", ""))
    tokens = user.api_tokens.filter(revoked=False).order_by("-id")
    return render(request, "web/tokens.html", {"tokens": tokens, "new_key": new_key})


@require_POST
@page()
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actions.api_token_revoke(actor=request.user, token_id=pk)
    return redirect("token-list")


@page(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    """The company's audit trail, newest first, filtered by person, kind of record (and its
    number) and a date range; actions and fields shown by their labels."""
    from aftersales.accounts.models import User
    from aftersales.core.audit_labels import audit_rows, record_choices

    user: Any = request.user
    get = request.GET
    qs = AuditEntry.objects.filter(actor__company_id=user.company_id).select_related("actor")
    people = User.objects.filter(company_id=user.company_id).order_by("username")
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
    types = (
        AuditEntry.objects.filter(actor__company_id=user.company_id)
        .values_list("object_type", flat=True)
        .distinct()
    )
    result = keyset_page(qs, after=get.get("after"), size=50)
    filters = {
        k: get[k] for k in ("actor", "object_type", "object_id", "since", "until") if get.get(k)
    }
    return render(
        request,
        "web/audit.html",
        {
            "page": result,
            "rows": audit_rows(result.items),
            "people": people,
            "record_types": record_choices(types),
            "filters": filters,
            "filter_query": urlencode(filters),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every site: the icon in the static files."""
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)
