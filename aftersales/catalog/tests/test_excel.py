"""The parts workbook: a valid file imports through `part_save`; bad rows are reported with their
row number and field and nothing is written (unless bad rows are to be skipped); the export
holds the company's parts only and reads back as the same rows."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from aftersales.accounts.choices import Role
from aftersales.catalog import actions
from aftersales.catalog.excel import PART_COLUMNS, export_part_rows, import_part_row
from aftersales.catalog.models import Part
from aftersales.core.errors import ApplicationError, PermissionDenied
from aftersales.core.excel import ImportReport, read_rows, run_import, write_xlsx
from aftersales.core.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "category", "unit_of_measure", "price", "is_serialised"]
CHINESE_HEADER = ["配件编号", "名称", "类别编码", "单位", "价格（元）", "按序列号管理"]


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


def workbook(header: Sequence[Any], *rows: Sequence[Any]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def import_parts(actor: Any, upload: io.BytesIO, *, skip_bad_rows: bool = False) -> ImportReport:
    """What the transfer page and the API do with an uploaded parts workbook."""
    rows = read_rows(upload, PART_COLUMNS)
    return run_import(rows, lambda row: import_part_row(actor, row), skip_bad_rows=skip_bad_rows)


def errors_of(report: ImportReport) -> list[tuple[int, str]]:
    return sorted((e.row, e.field) for e in report.errors)


def nothing_written() -> bool:
    return (
        not Part.objects.exists() and not AuditEntry.objects.filter(action="part.create").exists()
    )


# --- importing -------------------------------------------------------------------------------


def test_a_valid_workbook_imports_every_row(admin, catalog, org_tree):
    upload = workbook(
        HEADER,
        ["P-100", "电容", "ac", "个", 12.5, "是"],
        ["P-200", "压缩机", "", "台", "1299", 1],
        ["P-300", "密封圈", None, None, 0, None],
    )

    report = import_parts(admin, upload)

    assert (report.applied, report.total_rows, report.created, report.errors) == (True, 3, 3, [])
    parts = {p.code: p for p in Part.objects.filter(company=org_tree["company"])}
    assert set(parts) == {"P-100", "P-200", "P-300"}
    assert (parts["P-100"].category, parts["P-100"].price) == (
        catalog["category"],
        Decimal("12.50"),
    )
    assert parts["P-100"].is_serialised is True
    assert (parts["P-200"].category, parts["P-200"].unit_of_measure) == (None, "台")
    assert parts["P-200"].price == Decimal("1299.00")
    assert parts["P-200"].is_serialised is True
    assert (parts["P-300"].unit_of_measure, parts["P-300"].is_serialised) == ("个", False)
    # Written through the action: each part audited, as from the page.
    assert AuditEntry.objects.filter(action="part.create", actor=admin).count() == 3


def test_the_chinese_headers_are_understood(admin, catalog):
    upload = workbook(CHINESE_HEADER, ["P-100", "电容", "ac", "个", "8.8", "否"])
    report = import_parts(admin, upload)
    assert report.applied and report.created == 1
    part = Part.objects.get(code="P-100")
    assert (part.name, part.category, part.price) == ("电容", catalog["category"], Decimal("8.80"))
    assert part.is_serialised is False


@pytest.mark.parametrize(
    ("cell", "serialised"),
    [("1", True), ("yes", True), ("TRUE", True), ("是", True), ("✓", True), (True, True)]
    + [("0", False), ("no", False), ("否", False), ("", False), (None, False), (False, False)],
)
def test_the_serialised_column_reads_yes_words(admin, cell, serialised):
    import_parts(admin, workbook(HEADER, ["P-1", "电容", "", "", 1, cell]))
    assert Part.objects.get(code="P-1").is_serialised is serialised


def test_bad_rows_are_reported_by_row_and_field_and_nothing_is_written(admin, catalog):
    upload = workbook(
        HEADER,
        ["P-100", "电容", "ac", "个", 12.5, ""],  # row 2: good
        ["P-200", "", "ac", "个", 1, ""],  # row 3: no name
        ["P-300", "风机", "nope", "个", 1, ""],  # row 4: unknown category
        [None, None, None, None, None, None],  # row 5: empty, skipped
        ["P 400", "铜管", "", "米", -3, ""],  # row 6: bad code and price
        ["P-500", "螺丝", "", "", "1.234", ""],  # row 7: three decimals
    )

    report = import_parts(admin, upload)

    assert (report.applied, report.created, report.total_rows, report.bad_rows) == (
        False,
        0,
        5,
        4,
    )
    assert errors_of(report) == [
        (3, "name"),
        (4, "category"),
        (6, "code"),
        (6, "price"),
        (7, "price"),
    ]
    (unknown,) = [e for e in report.errors if e.row == 4]
    assert "nope" in unknown.message
    assert nothing_written()


def test_skipping_bad_rows_writes_the_good_ones_only(admin, catalog):
    upload = workbook(
        HEADER,
        ["P-100", "电容", "ac", "个", 12.5, ""],
        ["P-200", "", "ac", "个", 1, ""],
        ["P-300", "风机", "", "个", 3, ""],
    )

    report = import_parts(admin, upload, skip_bad_rows=True)

    assert (report.applied, report.created) == (True, 2)
    assert errors_of(report) == [(3, "name")]
    assert set(Part.objects.values_list("code", flat=True)) == {"P-100", "P-300"}


def test_a_code_twice_in_the_file_is_reported_on_its_second_row(admin):
    upload = workbook(
        HEADER,
        ["P-100", "电容", "", "", 1, ""],
        ["P-100", "另一个电容", "", "", 2, ""],
    )
    report = import_parts(admin, upload)
    assert not report.applied
    assert [(e.row, e.field) for e in report.errors] == [(3, "")]
    assert nothing_written()


def test_a_code_the_company_has_already_is_refused_not_overwritten(admin):
    existing = actions.part_save(actor=admin, code="P-100", name="电容", price="5")
    report = import_parts(admin, workbook(HEADER, ["P-100", "新电容", "", "", 9, ""]))
    assert not report.applied
    assert [e.row for e in report.errors] == [2]
    existing.refresh_from_db()
    assert (existing.name, existing.price) == ("电容", Decimal("5.00"))


def test_another_companys_category_code_is_unknown(admin, make_user, org_tree, catalog):
    # "ac" exists in both companies; the other company's "tv" must not be found from here.
    from aftersales.catalog.models import ProductCategory

    ProductCategory.objects.create(company=org_tree["other"], code="tv", name="电视")
    report = import_parts(admin, workbook(HEADER, ["P-1", "屏幕", "tv", "", 1, ""]))
    assert errors_of(report) == [(2, "category")]
    assert nothing_written()


def test_the_imported_parts_go_to_the_importers_company(make_user, org_tree, catalog):
    other_admin = make_user(Role.ADMIN, company=org_tree["other"])
    report = import_parts(other_admin, workbook(HEADER, ["P-1", "电容", "ac", "", 1, ""]))
    assert report.applied
    part = Part.objects.get(code="P-1")
    assert part.company == org_tree["other"]
    assert part.category == catalog["other_model"].category


@pytest.mark.parametrize("role", [Role.AGENT, Role.TECHNICIAN, Role.FINANCE])
def test_a_role_that_may_not_edit_parts_is_refused_outright(make_user, role):
    upload = workbook(HEADER, ["P-1", "电容", "", "", 1, ""])
    with pytest.raises(PermissionDenied):
        import_parts(make_user(role), upload)
    assert nothing_written()


@pytest.mark.parametrize("missing", ["code", "name", "price"])
def test_the_required_columns_must_be_there(admin, missing):
    header = [h for h in HEADER if h != missing]
    with pytest.raises(ApplicationError) as refused:
        import_parts(admin, workbook(header, ["x"] * len(header)))
    assert refused.value.code == "missing_columns"
    assert nothing_written()


def test_the_optional_columns_may_be_left_out(admin):
    report = import_parts(admin, workbook(["code", "name", "price"], ["P-1", "电容", 2]))
    assert report.applied
    part = Part.objects.get(code="P-1")
    assert (part.category, part.unit_of_measure, part.is_serialised) == (None, "个", False)


# --- exporting -------------------------------------------------------------------------------


def test_the_export_lists_the_companys_parts_only(admin, make_user, org_tree, catalog):
    actions.part_save(
        actor=admin, code="P-1", name="电容", category=catalog["category"], price="12.5"
    )
    actions.part_save(
        actor=admin, code="P-2", name="压缩机", unit_of_measure="台", is_serialised=True
    )
    other_admin = make_user(Role.ADMIN, company=org_tree["other"])
    actions.part_save(actor=other_admin, code="X-1", name="别家配件")

    rows = list(export_part_rows(admin))

    assert rows == [
        ["P-1", "电容", "ac", "个", Decimal("12.50"), "0"],
        ["P-2", "压缩机", "", "台", Decimal("0.00"), "1"],
    ]
    assert [r[0] for r in export_part_rows(other_admin)] == ["X-1"]


def test_an_exported_workbook_imports_into_another_company_as_the_same_parts(
    admin, make_user, org_tree, catalog
):
    actions.part_save(
        actor=admin, code="P-1", name="电容", category=catalog["category"], price="12.5"
    )
    actions.part_save(
        actor=admin, code="P-2", name="压缩机", unit_of_measure="台", is_serialised=True
    )
    content = write_xlsx(PART_COLUMNS, export_part_rows(admin), sheet_title="parts")
    other_admin = make_user(Role.ADMIN, company=org_tree["other"])

    report = import_parts(other_admin, io.BytesIO(content))

    assert (report.applied, report.created) == (True, 2)
    assert list(export_part_rows(other_admin)) == [
        ["P-1", "电容", "ac", "个", Decimal("12.50"), "0"],
        ["P-2", "压缩机", "", "台", Decimal("0.00"), "1"],
    ]
