"""Excel import/export through the page and the API: row reports, all-or-nothing, limits."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from aftersales.accounts.choices import Role
from aftersales.catalog.models import Part
from aftersales.customers.models import Customer, InstalledUnit


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content, name="data.xlsx"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


CUSTOMERS_OK_AND_BAD = [
    ["name", "phone", "station", "address"],
    ["王芳", "13800000001", "sh-1", "上海市徐汇区1号"],
    ["", "13800000002", "sh-1", ""],
    ["李雷", "not-a-phone", "nowhere", ""],
    ["韩梅梅", "13800000004", "", ""],
]


def test_import_is_all_or_nothing_and_reports_each_bad_row(data, agent, login):
    before = Customer.objects.count()
    response = login(agent).post(
        "/transfer/import/customers/", {"file": upload(xlsx(CUSTOMERS_OK_AND_BAD))}
    )
    assert response.status_code == 422
    errors = response.context["report"].errors
    assert {(e.row, e.field) for e in errors} == {(3, "name"), (4, "station")}
    assert Customer.objects.count() == before


def test_bad_phone_is_reported_together_with_the_bad_station(data, agent, api):
    response = api(agent).client.post(
        "/api/v1/import/customers",
        {"file": upload(xlsx([["name", "phone"], ["李雷", "123"]]))},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 2, "field": "phone", "message": "电话号码无效。"}]


def test_skip_bad_rows_imports_the_good_ones(data, agent, login):
    before = Customer.objects.count()
    response = login(agent).post(
        "/transfer/import/customers/",
        {"file": upload(xlsx(CUSTOMERS_OK_AND_BAD)), "skip_bad_rows": "1"},
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == 2 and report.bad_rows == 2
    assert Customer.objects.count() == before + 2
    assert Customer.objects.get(phone="13800000001").station == data["s1"]


def test_chinese_headers_are_understood(data, agent, api):
    content = xlsx(
        [
            ["用户电话", "型号", "序列号", "购买日期"],
            ["13812345678", "KFR-35GW", "kf-new-1", "2024-06-01"],
        ]
    )
    response = api(agent).client.post("/api/v1/import/units", {"file": upload(content)})
    assert response.status_code == 200, response.content
    unit = InstalledUnit.objects.get(serial="KF-NEW-1")
    assert unit.customer == data["c1"] and str(unit.purchase_date) == "2024-06-01"


def test_unit_import_refuses_duplicate_serials_within_the_file_and_the_database(data, agent, api):
    content = xlsx(
        [
            ["customer_phone", "model", "serial"],
            ["13812345678", "KFR-35GW", "DUP-1"],
            ["13812345678", "KFR-35GW", "DUP-1"],
            ["13812345678", "KFR-35GW", "KF2401000001"],
            ["13900000000", "NOPE", "X-9"],
        ]
    )
    response = api(agent).client.post("/api/v1/import/units", {"file": upload(content)})
    assert response.status_code == 422
    rows = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert rows == {(3, ""), (4, ""), (5, "customer_phone"), (5, "model")}
    assert InstalledUnit.objects.count() == 2


def test_station_user_cannot_import_units_for_another_stations_customer(data, make_user, api):
    manager = make_user(Role.STATION_MANAGER, station=data["s1"])
    content = xlsx([["customer_phone", "model", "serial"], ["13987654321", "KFR-35GW", "S-1"]])
    response = api(manager).client.post("/api/v1/import/units", {"file": upload(content)})
    assert response.status_code == 403  # station managers may not import units at all
    agent_east = make_user(Role.AGENT, region=data["east"])
    response = api(agent_east).client.post("/api/v1/import/units", {"file": upload(content)})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_phone"


@pytest.mark.parametrize(
    ("content", "code", "status"),
    [
        (b"", "empty_file", 400),
        (b"name,phone\n", "not_xlsx", 400),
        (b"PK\x03\x04garbage", "not_xlsx", 400),
    ],
)
def test_files_that_are_not_workbooks_are_refused(content, code, status, data, agent, api):
    response = api(agent).client.post("/api/v1/import/customers", {"file": upload(content)})
    assert response.status_code == status
    assert response.json()["code"] == code


def test_oversized_upload_is_refused_with_413(data, agent, api, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = xlsx([["name", "phone"]] + [["名字" * 50, "13800000000"]] * 50)
    assert len(content) > 1000
    response = api(agent).client.post("/api/v1/import/customers", {"file": upload(content)})
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert Customer.objects.count() == 2


def test_too_many_rows_is_refused(data, agent, api, settings):
    settings.IMPORT_MAX_ROWS = 3
    content = xlsx([["name", "phone"]] + [["某", f"1380000000{i}"] for i in range(5)])
    response = api(agent).client.post("/api/v1/import/customers", {"file": upload(content)})
    assert response.status_code == 413
    assert Customer.objects.count() == 2


def test_missing_required_columns_are_named(data, agent, api):
    response = api(agent).client.post(
        "/api/v1/import/units",
        {"file": upload(xlsx([["serial"], ["X"]]))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "missing_columns"
    assert "Owner's phone" in response.json()["message"]


def test_parts_round_trip_through_export_and_import(data, make_user, api):
    manager = make_user(Role.SERVICE_MANAGER)
    client = api(manager)
    content = xlsx(
        [
            ["code", "name", "category", "price", "is_serialised"],
            ["AC-CAP-01", "启动电容", "ac", "35.00", "否"],
            ["AC-PCB-01", "主控板", "ac", "260.5", "是"],
        ]
    )
    assert client.client.post("/api/v1/import/parts", {"file": upload(content)}).status_code == 200
    assert Part.objects.get(code="AC-PCB-01").is_serialised
    exported = client.get("/export/parts.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:2] == ("AC-CAP-01", "启动电容")
    # an amount is a number cell (a spreadsheet sums it) shown with its two places
    price = sheet.cell(row=3, column=5)
    assert (price.value, price.number_format) == (260.5, "0.00")


def test_bad_prices_are_reported(data, make_user, api):
    content = xlsx(
        [
            ["code", "name", "price"],
            ["P-1", "甲", "-1"],
            ["P-2", "乙", "1.234"],
            ["P 3", "丙", "abc"],
        ]
    )
    response = api(make_user(Role.ADMIN)).client.post(
        "/api/v1/import/parts", {"file": upload(content)}
    )
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json()["errors"]} == {
        (2, "price"),
        (3, "price"),
        (4, "code"),
        (4, "price"),
    }
    assert not Part.objects.exists()


def test_customer_export_is_scoped_and_masks_phones(data, make_user, login):
    manager = make_user(Role.STATION_MANAGER, station=data["s1"])
    response = login(manager).get("/transfer/export/customers.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1] == "张三" and rows[1][2] == "138****5678"
    assert rows[1][7] == "上海市浦东新区世纪大道100号"
