"""The workshop's customer messages: events and default wording, registered with the
notifications app when the app is ready (the notifications app imports nothing of ours)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.notifications import labels, rendering

EVENTS: dict[str, tuple[str, ...]] = {
    "workshop_received": ("number", "station", "code", "link"),
    "workshop_ready": ("number", "station"),
    "workshop_reminder": ("number", "station", "days"),
    "workshop_shipped": ("number", "carrier", "tracking"),
    "mail_in_request": ("number", "address", "recipient", "phone"),
    "mail_in_reminder": ("number", "address"),
    "car_loaner_due": ("number", "station"),
}
# Texts holding the pickup code are not kept once the channel has them.
SECRET = frozenset({"workshop_received"})

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("workshop_received", "zh-hans"): (
        "送修受理单",
        "工单{number}：{station}已收到您的送修机器。取件码{code}，请凭取件码取件。受理单：{link}",
    ),
    ("workshop_received", "en"): (
        "Your repair receipt",
        "Order {number}: {station} has received your unit. Pickup code {code}. Receipt: {link}",
    ),
    ("workshop_ready", "zh-hans"): (
        "您的机器可以取件了",
        "工单{number}：您的机器已在{station}等候取件，请凭取件码或身份证件取件。",
    ),
    ("workshop_ready", "en"): (
        "Your unit is ready for pickup",
        "Order {number}: your unit is ready at {station}. Bring your pickup code or ID.",
    ),
    ("workshop_reminder", "zh-hans"): (
        "取件提醒",
        "工单{number}：您的机器已在{station}等候{days}天，请尽快取件。",
    ),
    ("workshop_reminder", "en"): (
        "Please collect your unit",
        "Order {number}: your unit has been waiting at {station} for {days} days.",
    ),
    ("workshop_shipped", "zh-hans"): (
        "维修机器已寄回",
        "工单{number}：您的机器已由{carrier}寄回，运单号{tracking}。",
    ),
    ("workshop_shipped", "en"): (
        "Your unit is on its way back",
        "Order {number}: your unit was shipped back by {carrier}, tracking no. {tracking}.",
    ),
    ("mail_in_request", "zh-hans"): (
        "寄修申请已受理",
        "寄修单{number}：请将机器寄至{address}（{recipient}，{phone}），并在包裹内注明寄修单号。",
    ),
    ("mail_in_request", "en"): (
        "Your mail-in request",
        "Request {number}: please send the unit to {address} ({recipient}, {phone}) "
        "with the request number inside the parcel.",
    ),
    ("mail_in_reminder", "zh-hans"): (
        "寄修提醒",
        "寄修单{number}：我们尚未收到您的机器，请寄至{address}。如不再需要，请联系我们取消。",
    ),
    ("mail_in_reminder", "en"): (
        "We have not received your unit",
        "Request {number}: we have not received your unit yet. Please send it to {address}.",
    ),
    ("car_loaner_due", "zh-hans"): (
        "备用车提供通知",
        "工单{number}：您的车辆修理时间已超过5日，自第6日起可在{station}领取备用车"
        "（或按规定获得交通费用补偿），请与我们联系。",
    ),
    ("car_loaner_due", "en"): (
        "A loaner car for you",
        "Order {number}: your car's repair has taken over 5 days; from day 6 a loaner car "
        "(or travel compensation) is available at {station}. Please contact us.",
    ),
}


# What the settings pages call each event.
LABELS = {
    "workshop_received": _("Unit received at the workshop"),
    "workshop_ready": _("Unit ready for pickup"),
    "workshop_shipped": _("Unit shipped back"),
    "workshop_reminder": _("Unit waiting for pickup (reminder)"),
    "mail_in_request": _("Mail-in request"),
    "mail_in_reminder": _("Mail-in unit not received (reminder)"),
    "car_loaner_due": _("Loaner car due (car repair over 5 days)"),
}


def register() -> None:
    rendering.EVENTS.update(EVENTS)
    labels.EVENTS.update(LABELS)
    rendering.DEFAULTS.update(DEFAULTS)
    rendering.SECRET = rendering.SECRET | SECRET
