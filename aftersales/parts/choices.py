from django.db import models
from django.utils.translation import gettext_lazy as _


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
    ADJUST = "adjust", _("Adjustment")
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
    SUBMITTED = "submitted", _("Submitted")
    # 已批准: approved; shipped as stock allows, the rest on back-order.
    APPROVED = "approved", _("Approved")
    # 已驳回: refused, with a reason.
    REJECTED = "rejected", _("Rejected")
    # 已撤回: withdrawn by the requester before a decision.
    CANCELLED = "cancelled", _("Cancelled")
    # 已完成: every approved unit received.
    FULFILLED = "fulfilled", _("Fulfilled")
