"""Personal data (PIPL): the export holds every kind of record about a customer; anonymisation
leaves no personal value in any table or in the uploads and keeps the orders; retention; the
rights are the service manager's and the administrator's; every step is audited."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models
from openpyxl import load_workbook

from aftersales.accounts.choices import Role
from aftersales.accounts.models import User
from aftersales.core import clock
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AppendOnlyModel, AuditEntry
from aftersales.customers.models import Customer
from aftersales.orders import uploads
from aftersales.orders.models import ServiceOrder
from aftersales.privacy import actions, redact
from aftersales.privacy.export import SECTIONS, collect, to_xlsx
from aftersales.privacy.models import Anonymisation
from aftersales.privacy.personal import HOLDINGS, personal_values

pytestmark = pytest.mark.django_db

# Records that refer to a customer, a unit or an order and hold nothing about the person:
# the company's own bookkeeping (settlement, stock, maintenance planning, knowledge). A new
# model referring to a customer must be put in the export or here, with its reason.
NOT_PERSONAL = {
    "orders.OrderPause",  # the SLA clock's pauses
    "orders.OrderEscalation",  # internal escalation levels
    "billing.StatementOrder",  # the station's settlement
    "billing.StatementLine",
    "billing.WarrantyClaim",  # the station's claim on the maker
    "maintenance.UnitPlanOverride",  # planning of maintenance visits
    "maintenance.UnitSchedule",
    "maintenance.MaintenanceVisit",
    "maintenance.ChecklistEntry",
    "maintenance.CampaignUnit",
    "maintenance.AcceptanceDefect",
    "parts.StockMove",  # stock ledger
    "parts.Reservation",
    "parts.PartsRequest",
    "parts.ReturnObligation",
    "knowledge.Article",  # cases are written with personal data removed
    "knowledge.ArticleFeedback",
    "fieldwork.Submission",  # one-time form keys
}
PERSON_MODELS = ("customers.Customer", "customers.InstalledUnit", "orders.ServiceOrder")


def test_every_model_referring_to_a_customer_is_exported_or_declared_not_personal():
    exported = {label for _k, _t, label, _l in SECTIONS}
    targets = {apps.get_model(label) for label in PERSON_MODELS}
    referring = {
        model._meta.label
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model in targets
    }
    missing = referring - exported - NOT_PERSONAL - set(PERSON_MODELS)
    assert missing == set()
    assert set(PERSON_MODELS) <= exported


def test_every_personal_holding_is_exported():
    exported = {label for _k, _t, label, _l in SECTIONS}
    assert {h.model for h in HOLDINGS} - {"workshop.QueueTicket"} <= exported


@pytest.fixture
def demo(settings, tmp_path):
    from aftersales.demo.generator import generate

    settings.DATA_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }
    generate(seed=3, customers=24, orders=30, open_orders=6)
    return tmp_path


def _richest_customer() -> Customer:
    """The demo customer with the most kinds of records."""
    best, score = None, -1
    for customer in Customer.objects.order_by("pk"):
        data = collect(customer)
        kinds = sum(1 for v in data.values() if isinstance(v, list) and v)
        if kinds > score:
            best, score = customer, kinds
    assert best is not None
    return best


def _text_columns() -> list[tuple[type[models.Model], list[str]]]:
    out = []
    for model in apps.get_models():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if names and model._meta.managed:
            out.append((model, names))
    return out


def _where(values: set[str]) -> list[str]:
    """`model.field` of every stored text that contains one of `values`."""
    found = []
    for model, names in _text_columns():
        for row in model._default_manager.values_list("pk", *names):
            for name, value in zip(names, row[1:], strict=True):
                text = (
                    json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                )
                hits = [v for v in values if value and v in text]
                if hits:
                    found.append(f"{model._meta.label}.{name}#{row[0]}: {hits}")
    return found


def _unique_fields(model: Any) -> set[str]:
    """The fields a unique constraint (or `unique=True`) holds."""
    names = {f.name for f in model._meta.concrete_fields if f.unique}
    for c in model._meta.constraints:
        names |= set(getattr(c, "fields", ()) or ())
    for group in model._meta.unique_together:
        names |= set(group)
    return names


def _mention_everywhere(customer: Customer) -> str:
    """Staff free text quoting the person in every text column of every record about the
    customer (a note, a diagnosis, a remark, an event's reason and details, an audit reason):
    returns the phone as typed with separators."""
    address = customer.addresses.order_by("pk").first()
    line = address.line if address else ""
    phone = customer.phone
    spaced = f"{phone[:3]} {phone[3:7]}-{phone[7:]}"
    full = f"客户{customer.name}（{phone}，{customer.email}）住{line}，又{spaced}"
    short = f"电话{phone}"
    written = 0
    for _key, _title, label, lookup in SECTIONS:
        model = apps.get_model(label)
        fields = redact._text_fields(model)
        rows = list(model._default_manager.filter(**{lookup: customer.pk}).order_by("pk")[:3])
        unique = _unique_fields(model)
        for row in rows:
            for f in fields:
                if isinstance(f, models.JSONField):
                    value: object = {"note": full, "list": [short]}
                else:
                    size = getattr(f, "max_length", None) or 10_000
                    # a field that must be unique (a receipt's number) gets the row's own tail
                    tail = f"#{written}" if f.name in unique else ""
                    value = next((v + tail for v in (full, short) if len(v + tail) <= size), None)
                if value is not None:
                    setattr(row, f.attname, value)
            if issubclass(model, AppendOnlyModel):
                row.pk = None  # history is never changed: a new row quoting the person
                row._state.adding = True
                row.save()
            else:
                models.QuerySet(model).filter(pk=row.pk).update(
                    **{f.attname: getattr(row, f.attname) for f in fields}
                )
            written += 1
    for order in ServiceOrder.objects.filter(customer=customer)[:1]:
        AuditEntry.objects.create(
            action="order.note",
            object_type="orders.serviceorder",
            object_id=str(order.pk),
            changes={"note": [None, full]},
            reason=full,
        )
    assert written > 10
    return spaced


@pytest.mark.parametrize(
    ("text", "values", "masked"),
    [
        ("客户张三说空调不制冷", ["张三"], "客户***说空调不制冷"),
        ("回电 13812345678 或 138-1234-5678", ["13812345678"], "回电 *** 或 ***"),
        ("call 138 1234 5678 now", ["13812345678"], "call *** now"),
        ("not 213812345678 nor 138123456789", ["13812345678"], "not 213812345678 nor 138123456789"),
        ("Mail ZHANG@Example.com", ["zhang@example.com"], "Mail ***"),
        ("住北京市朝阳区一路1号", ["北京市朝阳区一路1号", "朝阳"], "住***"),
        ("王五来过", ["王"], "王五来过"),  # one character: not searched
        # A short Latin name is a whole word: not inside other words, codes or serials.
        (
            "Ma called; maintenance of MA12345, ma",
            ["Ma"],
            "*** called; maintenance of MA12345, ***",
        ),
        (
            "Li Wei (li.wei@x.cn) at 12 Ring Rd",
            ["Li Wei", "li.wei@x.cn"],
            "*** (***) at 12 Ring Rd",
        ),
        ("幸福路12号和幸福路123号", ["幸福路12"], "***号和幸福路123号"),  # a digit end is whole
        ("", ["张三"], ""),
    ],
)
def test_mask_text(text, values, masked):
    assert redact.mask_text(text, redact.patterns(values)) == masked


def test_mask_json_keeps_keys_and_other_values():
    pattern = redact.patterns(["张三"])
    data = {"张三": ["张三好", 3, None], "n": {"x": "李四"}}
    assert redact.mask_json(data, pattern) == {"张三": ["***好", 3, None], "n": {"x": "李四"}}


def test_export_holds_every_kind_of_record_and_anonymisation_leaves_nothing(demo):
    customer = _richest_customer()
    manager = User.objects.filter(
        role=Role.SERVICE_MANAGER, company_id=customer.company_id, is_active=True
    ).first()
    orders_before = ServiceOrder.objects.filter(customer=customer).count()

    data = actions.customer_personal_data(actor=manager, customer=customer)

    # Every kind of record the database holds about this customer is in the export.
    for key, _title, label, lookup in SECTIONS:
        held = apps.get_model(label)._default_manager.filter(**{lookup: customer.pk}).count()
        assert len(data[key]) == held, key
    assert data["orders"] and data["units"] and data["addresses"]
    assert data["customer"][0]["phone"] == customer.phone
    book = load_workbook(io.BytesIO(to_xlsx(data)))
    assert len(book.sheetnames) == sum(1 for k, *_ in SECTIONS if data[k])
    assert AuditEntry.objects.filter(
        action="customer.personal_data_export", object_id=str(customer.pk)
    ).exists()

    held = personal_values(customer)
    values = {
        v
        for field, vs in held.items()
        for v in vs
        if not field.endswith(
            ("latitude", "longitude", "notify_channel", "stored_name", "signature")
        )
        and len(v) >= 3
    }
    values |= {customer.phone, customer.name}
    files = [v for f, vs in held.items() for v in vs if f.endswith(("stored_name", "signature"))]
    assert values
    spaced = _mention_everywhere(customer)

    actions.customer_anonymise(actor=manager, customer=customer, reason="客户电话要求删除")

    assert _where(values) == []
    assert _where({spaced}) == []
    assert personal_values(customer) == {}
    for name in files:
        assert not default_storage.exists(f"{uploads.PREFIX}/{name}")
    customer.refresh_from_db()
    assert customer.name == f"#{customer.pk}" and customer.phone == "" and customer.email == ""
    assert ServiceOrder.objects.filter(customer=customer).count() == orders_before
    audit = AuditEntry.objects.get(action="customer.anonymise", object_id=str(customer.pk))
    assert audit.actor == manager and audit.reason == "客户电话要求删除"


def test_anonymisation_is_refused_twice_without_a_reason_and_to_an_agent(data, make_user):
    manager = make_user(Role.SERVICE_MANAGER)
    agent = make_user(Role.AGENT)
    with pytest.raises(ApplicationError) as err:
        actions.customer_anonymise(actor=agent, customer=data["c1"], reason="x")
    assert err.value.status == 403
    with pytest.raises(ApplicationError) as err:
        actions.customer_anonymise(actor=manager, customer=data["c1"], reason=" ")
    assert err.value.status == 422
    actions.customer_anonymise(actor=manager, customer=data["c1"], reason="request")
    with pytest.raises(ApplicationError) as err:
        actions.customer_anonymise(actor=manager, customer=data["c1"], reason="again")
    assert err.value.code == "already_anonymised"
    assert Anonymisation.objects.count() == 1


def test_the_export_is_refused_to_a_role_without_the_right(data, make_user):
    for role in (Role.AGENT, Role.TECHNICIAN, Role.FINANCE):
        with pytest.raises(ApplicationError):
            actions.customer_personal_data(actor=make_user(role), customer=data["c1"])


def test_retention_dry_run_lists_then_apply_anonymises_only_the_inactive(data, agent):
    from aftersales.orders import actions as orders

    # c1 was registered long ago and has nothing since; c2 has an order still open.
    old = clock.now() - dt.timedelta(days=800)
    Customer.objects.filter(pk__in=[data["c1"].pk, data["c2"].pk]).update(created_at=old)
    orders.order_create(
        actor=agent, customer=data["c2"], unit=data["u2"], fault_description="不制冷"
    )

    report = actions.retention_run(days=365)

    assert not report.applied
    assert [c["customer"] for c in report.customers] == [data["c1"].pk]
    assert not Anonymisation.objects.exists()  # a dry run changes nothing

    applied = actions.retention_run(days=365, apply=True)

    assert applied.applied and len(applied.customers) == 1
    record = Anonymisation.objects.get()
    assert (record.customer_id, record.kind, record.actor) == (data["c1"].pk, "retention", None)
    assert actions.retention_run(days=365).customers == []  # not twice
    data["c2"].refresh_from_db()
    assert data["c2"].phone == "13987654321"


def test_retention_runs_as_of_the_clock(data):
    Customer.objects.filter(pk=data["c1"].pk).update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    with clock.at(dt.datetime(2020, 6, 1, tzinfo=dt.UTC)):
        assert actions.retention_run(days=365).customers == []
    with clock.at(dt.datetime(2021, 6, 1, tzinfo=dt.UTC)):
        assert [c["customer"] for c in actions.retention_run(days=365).customers] == [data["c1"].pk]


def test_retention_is_off_unless_configured(data, settings):
    settings.PRIVACY_RETENTION_DAYS = 0
    report = actions.retention_run(apply=True)
    assert report.customers == [] and report.cutoff is None


def test_api_export_and_anonymise(data, make_user, api):
    manager = api(make_user(Role.SERVICE_MANAGER))
    agent = api(make_user(Role.AGENT))
    url = f"/customers/{data['c1'].pk}"

    assert agent.get(f"{url}/personal-data").status_code == 403
    got = manager.get(f"{url}/personal-data")
    assert got.status_code == 200 and got.json()["customer"][0]["name"] == "张三"

    done = manager.post(f"{url}/anonymise", {"reason": "客户要求"})
    assert done.status_code == 200 and done.json()["kind"] == "request"
    assert manager.post(f"{url}/anonymise", {"reason": "again"}).status_code == 409


def test_customer_page_offers_the_downloads_and_the_removal(data, make_user, login):
    manager = login(make_user(Role.SERVICE_MANAGER))
    page = manager.get(f"/customers/{data['c1'].pk}/")
    assert b'data-testid="personal-data"' in page.content
    xlsx = manager.get(f"/customers/{data['c1'].pk}/personal-data.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    assert manager.get(f"/customers/{data['c1'].pk}/personal-data.csv").status_code == 404
    refused = manager.post(f"/customers/{data['c1'].pk}/anonymise/", {"reason": "x"})
    assert refused.status_code == 302 and not Anonymisation.objects.exists()  # not confirmed
    manager.post(f"/customers/{data['c1'].pk}/anonymise/", {"reason": "客户要求", "confirm": "1"})
    page = manager.get(f"/customers/{data['c1'].pk}/")
    assert b'data-testid="anonymised"' in page.content and "13812345678" not in page.text
    agent = login(make_user(Role.AGENT))
    assert b'data-testid="personal-data"' not in agent.get(f"/customers/{data['c2'].pk}/").content
