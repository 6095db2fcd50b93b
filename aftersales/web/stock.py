"""Stock pages: levels of a warehouse (low-stock highlighted), shipments on the way, the
ledger, the movement forms, and the levels as Excel. Every change goes through the parts
actions."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftersales.accounts.choices import Role
from aftersales.accounts.http import AuthedRequest
from aftersales.accounts.permissions import Perm, company_of, has_perm
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.excel import Column, write_xlsx
from aftersales.core.selectors import as_id, get_visible
from aftersales.orders.selectors import orders_visible_to
from aftersales.parts import actions
from aftersales.parts.choices import (
    InspectionOutcome,
    MoveKind,
    RequestStatus,
    ReturnStatus,
    TransferStatus,
)
from aftersales.parts.models import Chargeback, Transfer, Warehouse
from aftersales.parts.rules import may_approve
from aftersales.parts.selectors import (
    ledger,
    levels_visible_to,
    low_stock,
    may_move_stock,
    requests_visible_to,
    returns_visible_to,
    warehouses_visible_to,
)
from aftersales.web.orders import WARRANTY_LABELS
from aftersales.web.shortcuts import flash_error, page, xlsx_response

LEDGER_ROWS = 50


def _chosen(request: AuthedRequest, source: Any) -> tuple[list[Warehouse], Warehouse | None]:
    warehouses = list(warehouses_visible_to(request.user).filter(is_active=True).order_by("code"))
    wanted = source.get("warehouse")
    mine = next(
        (w for w in warehouses if w.technician_id == getattr(request.user, "pk", None)), None
    )
    found = next((w for w in warehouses if str(w.pk) == wanted), None)
    return warehouses, found or mine or (warehouses[0] if warehouses else None)


@page(Perm.STOCK_VIEW)
def stock(request: AuthedRequest) -> HttpResponse:
    user = request.user
    warehouses, warehouse = _chosen(request, request.GET)
    ctx: dict[str, Any] = {"warehouses": warehouses, "warehouse": warehouse, "kinds": MoveKind}
    if warehouse is not None:
        levels = low_stock(user) if request.GET.get("low") == "1" else levels_visible_to(user)
        ctx["levels"] = (
            levels.filter(warehouse=warehouse).select_related("part").order_by("part__code")
        )
        ctx["incoming"] = Transfer.objects.filter(
            target=warehouse, status=TransferStatus.IN_TRANSIT
        ).select_related("source", "part")
        filters = _ledger_filters(request.GET, warehouse)
        ctx["filters"] = filters
        ctx["moves"] = ledger(user, filters)[:LEDGER_ROWS]
        ctx["can_move"] = may_move_stock(user, warehouse)
        ctx["can_adjust"] = ctx["can_move"] and user.role != Role.TECHNICIAN
        ctx["parts"] = Part.objects.filter(company_id=company_of(user), is_active=True).order_by(
            "code"
        )[:1000]
        ctx["targets"] = Warehouse.objects.filter(
            company_id=company_of(user), is_active=True
        ).exclude(pk=warehouse.pk)
    return render(request, "web/stock/stock.html", ctx)


def _ledger_filters(source: Any, warehouse: Warehouse) -> dict[str, Any]:
    out: dict[str, Any] = {"warehouse": warehouse.pk}
    if source.get("kind") in MoveKind.values:
        out["kind"] = source.get("kind")
    if as_id(source.get("part")) > 0:
        out["part"] = as_id(source.get("part"))
    for key in ("since", "until"):
        with contextlib.suppress(ValueError):
            out[key] = dt.date.fromisoformat(source.get(key) or "")
    return out


LEDGER_COLUMNS = [
    Column("at", _("Time")),
    Column("warehouse", _("Warehouse")),
    Column("kind", _("Kind")),
    Column("part", _("Part number")),
    Column("quantity", _("Quantity")),
    Column("order", _("Order")),
    Column("serial", _("Serial")),
    Column("old_serial", _("Old part serial")),
    Column("actor", _("By")),
    Column("reason", _("Note")),
]


@page(Perm.STOCK_VIEW)
def ledger_export(request: AuthedRequest) -> HttpResponse:
    """The ledger of one warehouse with the page's filters, as Excel (at most 100,000 rows)."""
    _warehouses, warehouse = _chosen(request, request.GET)
    if warehouse is None:
        raise NotFound("not_found", _("Not found."))
    tz = timezone.get_current_timezone()
    rows = (
        (
            m.at.astimezone(tz).replace(tzinfo=None),
            m.warehouse.code,
            str(m.get_kind_display()),
            m.part.code,
            m.quantity,
            m.order.number if m.order else "",
            m.serial,
            m.old_serial,
            m.actor.username if m.actor else "",
            m.reason,
        )
        for m in ledger(request.user, _ledger_filters(request.GET, warehouse))[:100_000].iterator()
    )
    content = write_xlsx(LEDGER_COLUMNS, rows, sheet_title="ledger")
    return xlsx_response(content, f"ledger-{warehouse.code}-{clock.today():%Y%m%d}.xlsx")


def _moment(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else timezone.make_aware(moment)


@page(Perm.STOCK_MOVE)
@require_POST
def stock_change(request: AuthedRequest) -> HttpResponse:
    """One handler for the movement forms: `op` names the action."""
    actor = request.user
    post = request.POST
    wh, part, op = post.get("warehouse"), post.get("part"), post.get("op", "")
    try:
        qty = int(post.get("quantity") or 0)
        if op == "receive":
            actions.stock_receive(
                actor=actor,
                warehouse=wh,
                part=part,
                quantity=qty,
                at=_moment(post.get("at")),
                serial=post.get("serial", ""),
                reason=post.get("reason", ""),
            )
        elif op == "issue":
            number = (post.get("order") or "").strip()
            order = orders_visible_to(actor).filter(number=number).first()
            actions.stock_issue(
                actor=actor,
                warehouse=wh,
                part=part,
                quantity=qty,
                order=order.pk if order else 0,
                at=_moment(post.get("at")),
                serial=post.get("serial", ""),
                old_serial=post.get("old_serial", ""),
            )
        elif op == "adjust":
            actions.stock_adjust(
                actor=actor, warehouse=wh, part=part, quantity=qty, reason=post.get("reason", "")
            )
        elif op == "scrap":
            actions.stock_scrap(
                actor=actor, warehouse=wh, part=part, quantity=qty, reason=post.get("reason", "")
            )
        elif op == "ship":
            actions.transfer_ship(
                actor=actor,
                source=wh,
                target=post.get("target"),
                part=part,
                quantity=qty,
                shipment=post.get("shipment", ""),
            )
        elif op == "receive_transfer":
            actions.transfer_receive(actor=actor, transfer=post.get("transfer"))
        elif op == "return_days":
            actions.parts_settings_update(actor=actor, return_days=post.get("return_days"))
            messages.success(request, _("Saved."))
            return redirect("stock-returns")
        else:
            messages.error(request, _("Unknown operation."))
            return redirect(f"{reverse('stock')}?warehouse={wh}")
        messages.success(request, _("Recorded."))
    except ValueError:
        messages.error(request, _("Some fields are not valid: check the quantity and the time."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect(f"{reverse('stock')}?warehouse={wh}")


LEVEL_COLUMNS = [
    Column("warehouse", _("Warehouse")),
    Column("part", _("Part number")),
    Column("name", _("Name")),
    Column("on_hand", _("On hand")),
    Column("reserved", _("Reserved")),
    Column("available", _("Available")),
    Column("min_level", _("Minimum")),
    Column("max_level", _("Maximum")),
]


@page(Perm.STOCK_VIEW)
def stock_export(request: AuthedRequest) -> HttpResponse:
    """The levels the user may see (or one warehouse's) as an Excel file."""
    levels = levels_visible_to(request.user).select_related("warehouse", "part")
    if request.GET.get("warehouse"):
        levels = levels.filter(warehouse_id=as_id(request.GET.get("warehouse")))
    rows = (
        (
            lv.warehouse.code,
            lv.part.code,
            lv.part.name,
            lv.on_hand,
            lv.reserved,
            lv.available,
            lv.min_level,
            lv.max_level,
        )
        for lv in levels.order_by("warehouse__code", "part__code").iterator()
    )
    content = write_xlsx(LEVEL_COLUMNS, rows, sheet_title="stock")
    return xlsx_response(content, f"stock-{clock.today():%Y%m%d}.xlsx")


# --- parts requests --------------------------------------------------------------------------


@page(Perm.STOCK_VIEW)
def requests_queue(request: AuthedRequest) -> HttpResponse:
    """Parts requests: the open ones first (submitted, then on back-order), or by status."""
    status = request.GET.get("status", "open")
    qs = requests_visible_to(request.user).select_related(
        "target", "order", "requested_by", "station"
    )
    if status == "open":
        qs = qs.filter(status__in=("submitted", "approved"))
    elif status in RequestStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "web/stock/requests.html",
        {
            "rows": qs.order_by("-id")[:200],
            "status": status,
            "statuses": RequestStatus.choices,
        },
    )


@page(Perm.STOCK_VIEW)
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    row = get_visible(
        requests_visible_to(user).select_related("target", "order", "requested_by"), pk
    )
    return render(
        request,
        "web/stock/request.html",
        {
            "row": row,
            "lines": row.lines.select_related("part").order_by("id"),
            "events": row.events.select_related("actor").order_by("at", "id"),
            "can_decide": row.status == "submitted" and may_approve(user.role, row.approver_level),
            "can_cancel": row.status == "submitted" and row.requested_by_id == user.pk,
            "can_ship": row.status == "approved" and has_perm(user, Perm.STOCK_MOVE),
            "sources": Warehouse.objects.filter(company_id=company_of(user), is_active=True)
            .exclude(pk=row.target_id)
            .order_by("code"),
            "level_label": Role(row.approver_level).label,
            "warranty_label": WARRANTY_LABELS.get(row.order.warranty_decision, "—")
            if row.order
            else "",
        },
    )


@page(Perm.STOCK_VIEW)
@require_POST
def request_change(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Submit, approve, reject, withdraw or ship a parts request (`op`)."""
    actor = request.user
    post = request.POST
    op = post.get("op", "")
    try:
        if op == "submit":
            number = (post.get("order") or "").strip()
            order = orders_visible_to(actor).filter(number=number).first() if number else None
            if number and order is None:
                messages.error(request, _("Unknown order."))
                return redirect(f"{reverse('stock')}?warehouse={post.get('target', '')}")
            row = actions.parts_request_submit(
                actor=actor,
                target=post.get("target"),
                lines=[(post.get("part"), int(post.get("quantity") or 0))],
                order=order.pk if order else None,
                note=post.get("note", ""),
            )
            messages.success(request, _("Request sent for approval."))
            return redirect("stock-request", pk=row.pk)
        if op == "approve":
            quantities = {
                int(key[4:]): int(post.get(key) or 0)
                for key in post
                if key.startswith("qty-") and key[4:].isdigit()
            }
            actions.parts_request_approve(
                actor=actor,
                request=pk,
                source=post.get("source"),
                quantities=quantities or None,
                reason=post.get("reason", ""),
            )
        elif op == "reject":
            actions.parts_request_reject(actor=actor, request=pk, reason=post.get("reason", ""))
        elif op == "cancel":
            actions.parts_request_cancel(actor=actor, request=pk, reason=post.get("reason", ""))
        elif op == "ship":
            actions.parts_request_ship(actor=actor, request=pk, source=post.get("source"))
        else:
            messages.error(request, _("Unknown operation."))
    except ValueError:
        messages.error(request, _("Some fields are not valid: check the quantity and the time."))
    except ApplicationError as exc:
        flash_error(request, exc)
        if pk is None:
            return redirect(f"{reverse('stock')}?warehouse={post.get('target', '')}")
    return redirect("stock-request", pk=pk) if pk else redirect("stock-requests")


# --- old-part returns ------------------------------------------------------------------------


@page(Perm.STOCK_VIEW)
def returns_queue(request: AuthedRequest) -> HttpResponse:
    """Old parts to send back, earliest deadline first; overdue ones in red."""
    user = request.user
    status = request.GET.get("status", "")
    qs = returns_visible_to(user).select_related("order", "part", "station")
    qs = (
        qs.filter(status=status)
        if status in ReturnStatus.values
        else qs.exclude(status="inspected")
    )
    rows = list(qs.order_by("due", "id")[:300])
    charged = set(
        Chargeback.objects.filter(obligation__in=[r.pk for r in rows]).values_list(
            "obligation_id", flat=True
        )
    )
    today = clock.today()
    return render(
        request,
        "web/stock/returns.html",
        {
            "rows": [(r, r.overdue(today), r.pk in charged) for r in rows],
            "status": status,
            "statuses": ReturnStatus.choices,
            "outcomes": InspectionOutcome.choices,
            "can_ship": has_perm(user, Perm.STOCK_MOVE),
            "can_inspect": has_perm(user, Perm.WAREHOUSE_EDIT),
            "return_days": actions.parts_settings(company_of(user)).return_days,
        },
    )


@page(Perm.STOCK_VIEW)
@require_POST
def return_change(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = request.user
    op = request.POST.get("op", "")
    try:
        if op == "ship":
            actions.return_ship(
                actor=actor, obligation=pk, shipment=request.POST.get("shipment", "")
            )
        elif op == "receive":
            actions.return_receive(actor=actor, obligation=pk)
        elif op == "inspect":
            actions.return_inspect(
                actor=actor,
                obligation=pk,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            )
        else:
            messages.error(request, _("Unknown operation."))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("stock-returns")
