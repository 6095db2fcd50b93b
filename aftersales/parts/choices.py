from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.transitions import Machine


class WarehouseKind(models.TextChoices):
    # 总库: the company's central warehouse.
    CENTRAL = "central", _("Central")
    # 区域库: a region's warehouse.
    REGIONAL = "regional", _("Regional")
    # 网点库: a service station's stock.
    STATION = "station", _("Station")
    # 车载库: what a technician carries in the van.
    VAN = "van", _("Van")


class MoveKind(models.TextChoices):
    # 入库: goods received from a supplier or production.
    RECEIPT = "receipt", _("Receipt")
    # 调出: shipped to another warehouse (in transit until received).
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    # 调入: received from another warehouse.
    TRANSFER_IN = "transfer_in", _("Transfer in")
    # 领用: used on a service order.
    ISSUE = "issue", _("Issue to order")
    # 退回: unused part back from a service order.
    RETURN = "return", _("Return from order")
    # 盘点调整: stock count correction, with a reason.
    ADJUST = "adjust", pgettext_lazy("stock", "Adjustment")
    # 报废: written off.
    SCRAP = "scrap", _("Scrap")


# Kinds that take stock out (their quantities are negative) and that put it in.
OUTWARD = frozenset({MoveKind.TRANSFER_OUT, MoveKind.ISSUE, MoveKind.SCRAP})
INWARD = frozenset({MoveKind.RECEIPT, MoveKind.TRANSFER_IN, MoveKind.RETURN})


class TransferStatus(models.TextChoices):
    # 在途: shipped, not yet received.
    IN_TRANSIT = "in_transit", _("In transit")
    # 已收货: received at the target warehouse.
    RECEIVED = "received", _("Received")


class ReservationStatus(models.TextChoices):
    # 已预留: held for a booked visit.
    ACTIVE = "active", _("Active")
    # 已领用: issued to the order.
    CONSUMED = "consumed", _("Consumed")
    # 已释放: no longer needed.
    RELEASED = "released", _("Released")


class RequestStatus(models.TextChoices):
    # 待审批: submitted, waiting for the approver its value and warranty status need.
    SUBMITTED = "submitted", pgettext_lazy("parts request", "Submitted")
    # 已批准: approved; shipped as stock allows, the rest on back-order.
    APPROVED = "approved", _("Approved")
    # 已驳回: refused, with a reason.
    REJECTED = "rejected", _("Rejected")
    # 已撤回: withdrawn by the requester before a decision.
    CANCELLED = "cancelled", _("Cancelled")
    # 已完成: every approved unit received.
    FULFILLED = "fulfilled", _("Fulfilled")


class ReturnStatus(models.TextChoices):
    # 待返还: the old part must be sent back before the deadline.
    OPEN = "open", _("To return")
    # 已寄回: shipped back, on the way.
    SHIPPED = "shipped", _("Shipped back")
    # 已收到: received, waiting for inspection.
    RECEIVED = "received", _("Received")
    # 已鉴定: inspected; the outcome decides a chargeback or a supplier claim.
    INSPECTED = "inspected", _("Inspected")


class InspectionOutcome(models.TextChoices):
    # 确认故障: the part was faulty; claimed from the supplier.
    CONFIRMED_FAULT = "confirmed_fault", _("Confirmed fault")
    # 未发现故障: nothing wrong with it.
    NO_FAULT_FOUND = "no_fault_found", _("No fault found")
    # 非所换件: not the part that was issued.
    WRONG_PART = "wrong_part", _("Wrong part")
    # 人为损坏: damaged by misuse (not a warranty case).
    MISUSE = "misuse", _("Damaged by misuse")


# Outcomes charged back to the station (the warranty part was not justified).
CHARGED_OUTCOMES = frozenset({InspectionOutcome.WRONG_PART, InspectionOutcome.MISUSE})


# The parts request's lifecycle on the transition kernel (`core/transitions.py`). Shipping
# changes no status (an event through `record()`); `fulfil` follows the last unit received.
REQUEST_MACHINE = Machine(
    name="parts_request",
    statuses=dict(RequestStatus.choices),
    table={
        "approve": (frozenset({"submitted"}), "approved"),
        "reject": (frozenset({"submitted"}), "rejected"),
        "cancel": (frozenset({"submitted"}), "cancelled"),
        "fulfil": (frozenset({"approved"}), "fulfilled"),
    },
    needs_reason=frozenset({"reject"}),
)

# The old-part return's lifecycle (旧件返还); a chargeback is an event, not a status.
RETURN_MACHINE = Machine(
    name="old_part_return",
    statuses=dict(ReturnStatus.choices),
    table={
        "ship": (frozenset({"open"}), "shipped"),
        "receive": (frozenset({"open", "shipped"}), "received"),
        "inspect": (frozenset({"received"}), "inspected"),
    },
)
