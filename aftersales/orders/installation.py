"""Linking an installation order to the unit it installed (the unit record is created or
activated on site, after the order was taken without one)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import User
from aftersales.core.errors import Conflict, NotFound
from aftersales.core.selectors import as_id
from aftersales.customers.models import InstalledUnit
from aftersales.orders.actions import order_event
from aftersales.orders.choices import EventKind, ServiceType
from aftersales.orders.models import ServiceOrder


@transaction.atomic
def order_unit_link(
    *, actor: User | None, order: ServiceOrder | int, unit: InstalledUnit | int
) -> ServiceOrder:
    """Give an installation order without a unit the customer's unit it installed (one edit
    event). The caller authorises (the installation action checks the technician's order)."""
    locked = ServiceOrder.objects.select_for_update().filter(pk=as_id(order)).first()
    if locked is None:
        raise NotFound("not_found", _("Not found."))
    found = InstalledUnit.objects.filter(pk=as_id(unit), company_id=locked.company_id).first()
    if found is None or found.customer_id != locked.customer_id:
        raise Conflict("unit_mismatch", _("The unit belongs to another customer."))
    if locked.unit_id == found.pk:
        return locked
    if locked.unit_id is not None or locked.service_type != ServiceType.INSTALLATION:
        raise Conflict("unit_already_set", _("This order already names its unit."))
    locked.unit = found
    locked.version += 1
    locked.save(update_fields=["unit", "version", "updated_at"])
    order_event(
        locked,
        actor=actor,
        kind=EventKind.EDIT,
        payload={"unit": [None, found.pk], "serial": found.serial},
    )
    return locked
