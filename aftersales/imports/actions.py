"""The history import: check a file (dry run), then apply it row by row through the live
actions at each row's own time, in committed batches that a crash cannot half-write.

`history_check` is the dry run: it validates every line and, unless `replay=False`, replays
the whole file inside a transaction that is rolled back, so the report also carries what the
actions would refuse (an illegal transition in the source); nothing is written.
`history_import_create` stores a file and its check as a `HistoryImport`;
`history_import_apply` applies (or resumes) it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import Company, User
from aftersales.accounts.permissions import Perm, company_of, require
from aftersales.calendars.actions import calendar_load_published_years
from aftersales.core import clock
from aftersales.core.errors import ApplicationError, NotFound
from aftersales.core.validation import ValidationFailed
from aftersales.imports import format as fmt
from aftersales.imports import replay
from aftersales.imports.models import ExternalRef, HistoryImport, ImportIssue, ImportStatus
from aftersales.imports.workbook import to_jsonl
from aftersales.orders.models import ServiceOrder

BATCH = 500
# Above this many rows a report checks the file without replaying it (the replay of a large
# file takes as long as applying it): the actions' refusals then show when applying.
REPLAY_LIMIT = 2000


@dataclass
class RowReport:
    line: int
    kind: str
    external_id: str
    # create (would be / was applied), skip (already imported), refuse, gap
    outcome: str
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [fmt.message(code, params) for code, params in self.problems]


@dataclass
class Report:
    rows: list[RowReport]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def _existing(company: Company, wanted: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Which of these (kind: external ids) the company has (one query per kind and 500 ids)."""
    found: set[tuple[str, str]] = set()
    for kind, ids in wanted.items():
        listed = list(ids)
        for start in range(0, len(listed), 500):
            found |= {
                (kind, e)
                for e in ExternalRef.objects.filter(
                    company=company, kind=kind, external_id__in=listed[start : start + 500]
                ).values_list("external_id", flat=True)
            }
    return found


def _known(company: Company, checks: list[fmt.Check]) -> set[tuple[str, str]]:
    """The (kind, external id) pairs of the file, and of the ids its rows name, already here."""
    wanted: dict[str, set[str]] = {}
    for c in checks:
        if c.kind and c.external_id:
            wanted.setdefault(c.kind, set()).add(c.external_id)
            for name, kind in fmt.SPECS[c.kind].refs.items():
                if c.row.get(name) not in (None, ""):
                    wanted.setdefault(kind, set()).add(str(c.row[name]))
    return _existing(company, wanted)


def check_text(company: Company, text: str) -> list[fmt.Check]:
    rows = fmt.read_lines(text)
    first = fmt.check_rows(rows, set())
    return fmt.check_rows(rows, _known(company, first))


def _detail(exc: ApplicationError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
    return str(exc.message)


class _Rollback(Exception):
    pass


def _replay_one(
    ctx: replay.Context, check: fmt.Check, made: set[tuple[str, str]], refs: list[ExternalRef]
) -> RowReport:
    """Apply one checked row (in a savepoint, at its time); its external id (and a reopened
    order's) goes to `refs`, for the caller to write with the rest of the batch. `made` holds
    the (kind, external id) pairs already imported: those rows are skipped."""
    report = RowReport(check.line, check.kind, check.external_id, "create")
    if not check.ok:
        report.outcome, report.problems = "refuse", list(check.problems)
        return report
    if (check.kind, check.external_id) in made:
        report.outcome, report.problems = "skip", [("imported", {})]
        return report
    for name, kind in fmt.SPECS[check.kind].refs.items():
        value = check.row.get(name)
        if value not in (None, "") and ctx.ref(kind, value) is None:
            report.outcome = "refuse"
            report.problems = [("unknown_ref", {"field": name, "kind": kind, "value": value})]
            return report
    object_id: int | None
    try:
        with clock.at(replay.moment(check), source="import"), transaction.atomic():
            object_id = replay.REPLAY[check.kind](ctx, check)
    except replay.Gap as gap:
        report.outcome = "gap"
        report.problems = [("gap", {"detail": _gap_words(gap.detail)})]
        object_id = gap.object_id
        with clock.at(replay.moment(check), source="import"):
            _note_gap(ctx, check, gap)
    except ApplicationError as exc:
        report.outcome = "refuse"
        report.problems = [("action_refused", {"detail": _detail(exc), "code": exc.code})]
        return report
    pairs = [(check.kind, check.external_id)]
    if check.kind == "event" and check.row.get("action") == "reopen" and report.outcome == "create":
        # The new order is a record of its own: later rows (and the API) name it by its id.
        pairs.append(("order", str(check.row["new_order"])))
    for kind, external_id in pairs:
        refs.append(
            ExternalRef(
                company=ctx.company,
                kind=kind,
                external_id=external_id,
                object_id=object_id,
                line=check.line,
            )
        )
        made.add((kind, external_id))
        ctx.ids[(kind, external_id)] = object_id
    return report


def _made(company: Company, checks: list[fmt.Check]) -> set[tuple[str, str]]:
    """The (kind, external id) pairs of these rows already imported (read once for a batch,
    not once per row)."""
    wanted: dict[str, set[str]] = {}
    for c in checks:
        if c.ok and c.kind:
            wanted.setdefault(c.kind, set()).add(c.external_id)
    return _existing(company, wanted)


def _gap_words(detail: str) -> str:
    return replay.gap_words(detail)


def _note_gap(ctx: replay.Context, check: fmt.Check, gap: replay.Gap) -> None:
    """The order's history says what the source lacks: a note event, with the step it held."""
    if check.kind != "event" or gap.object_id is None:
        return
    replay.note_gap(ctx, ServiceOrder.objects.get(pk=gap.object_id), gap.detail, check.row)


def _calendar_years(company: Company, checks: list[fmt.Check]) -> None:
    """The holiday schedule of every year the file covers (as far as the installed package
    publishes it), so the imported orders' due times are on the working calendar, as live
    ones are, rather than provisional (and the admins are not told of each missing year per
    order)."""
    years = [c.at.astimezone(fmt.BEIJING).year for c in checks if c.at is not None and c.ok]
    if years:
        calendar_load_published_years(company_id=company.pk, since=min(years))


def history_check(
    *, actor: User, text: str, replay_rows: bool = True, staff: dict[str, str] | None = None
) -> Report:
    """The dry run: what each line would do, or why it is refused. Writes nothing."""
    require(actor, Perm.HISTORY_IMPORT)
    company = Company.objects.get(pk=company_of(actor))
    checks = check_text(company, text)
    if not replay_rows:
        return Report(
            [
                RowReport(
                    c.line,
                    c.kind,
                    c.external_id,
                    "refuse" if not c.ok else ("skip" if c.already else "create"),
                    list(c.problems) or ([("imported", {})] if c.already else []),
                )
                for c in checks
            ]
        )
    rows: list[RowReport] = []
    try:
        with transaction.atomic():
            _calendar_years(company, checks)
            ctx = replay.Context(
                company=company, actor=replay.import_actor(company), staff=dict(staff or {})
            )
            made, refs = _made(company, checks), list[ExternalRef]()
            rows = [_replay_one(ctx, c, made, refs) for c in checks]
            raise _Rollback
    except _Rollback:
        pass
    return Report(rows)


# --- stored imports --------------------------------------------------------------------------


def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_text(history_import: HistoryImport) -> str:
    return (_import_dir() / history_import.stored_name).read_text(encoding="utf-8")


def history_import_create(
    *, actor: User, name: str, data: bytes, staff: dict[str, str] | None = None
) -> HistoryImport:
    """Store a file and check it (schema, references, times; already imported rows)."""
    require(actor, Perm.HISTORY_IMPORT)
    if data[:4] == b"PK\x03\x04":  # an xlsx workbook (the template): its rows as lines
        data = to_jsonl(data).encode()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": _("The file is not UTF-8 text (JSON Lines).")}) from None
    company = Company.objects.get(pk=company_of(actor))
    checks = check_text(company, text)
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{digest}.jsonl"
    (_import_dir() / stored).write_text(text, encoding="utf-8")
    return HistoryImport.objects.create(
        company=company,
        created_by=actor,
        name=(name or "history.jsonl")[:200],
        stored_name=stored,
        digest=digest,
        total=len(checks),
        refused=sum(1 for c in checks if not c.ok),
        staff={str(k): str(v) for k, v in (staff or {}).items()},
    )


def unfinished_import(*, company: Company, data: bytes) -> HistoryImport | None:
    """The last import of this very file that stopped before its end, if any."""
    return (
        HistoryImport.objects.filter(
            company=company,
            digest=hashlib.sha256(data).hexdigest(),
            status__in=(ImportStatus.RUNNING, ImportStatus.FAILED),
        )
        .order_by("-pk")
        .first()
    )


def history_import_get(*, actor: User, import_id: int) -> HistoryImport:
    require(actor, Perm.HISTORY_IMPORT)
    found = HistoryImport.objects.filter(pk=import_id, company_id=company_of(actor)).first()
    if found is None:
        raise NotFound("not_found", _("Not found."))
    return found


def history_import_apply(
    *,
    import_id: int,
    batch: int = BATCH,
    fail_after: int | None = None,
    on_row: Callable[[RowReport], None] | None = None,
) -> HistoryImport:
    """Apply (or resume) a stored import: rows after the last committed line, in batches;
    each batch commits its records, their external ids, its issues and the progress together.
    `fail_after` (tests) raises after that many rows of this run, as a crash would."""
    job = HistoryImport.objects.get(pk=import_id)
    if job.status == ImportStatus.DONE:
        return job
    company = job.company
    checks = [c for c in check_text(company, stored_text(job)) if c.line > job.done_line]
    HistoryImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, error="")
    if job.done_line == 0:  # from here on `refused` counts the rows refused so far
        HistoryImport.objects.filter(pk=job.pk).update(refused=0)
    with transaction.atomic():
        _calendar_years(company, checks)
    ctx = replay.Context(
        company=company, actor=replay.import_actor(company), staff=dict(job.staff or {})
    )
    seen = 0
    for start in range(0, len(checks), batch):
        chunk = checks[start : start + batch]
        last = max((c.at for c in chunk if c.at is not None), default=clock.now())
        # Work handed to `on_commit` (messages) runs when the batch commits: still replaying.
        with clock.at(last, source="import"), transaction.atomic():
            locked = HistoryImport.objects.select_for_update().get(pk=job.pk)
            # read under the import's lock: a second run of the same import waits here, then
            # finds this batch's rows made and skips them
            made, refs = _made(company, chunk), list[ExternalRef]()
            counts = {"create": 0, "skip": 0, "refuse": 0, "gap": 0}
            issues = []
            for check in chunk:
                if fail_after is not None and seen >= fail_after:
                    raise RuntimeError("import interrupted (test)")
                seen += 1
                report = _replay_one(ctx, check, made, refs)
                counts[report.outcome] += 1
                if on_row is not None:
                    on_row(report)
                issues += [
                    ImportIssue(
                        history_import=locked,
                        line=report.line,
                        kind=report.kind,
                        external_id=report.external_id,
                        code=code,
                        params=params,
                    )
                    for code, params in report.problems
                    if report.outcome in ("refuse", "gap")
                ]
            ExternalRef.objects.bulk_create(refs)
            ImportIssue.objects.bulk_create(issues)
            locked.done_line = chunk[-1].line
            locked.done += len(chunk)
            locked.applied += counts["create"] + counts["gap"]
            locked.skipped += counts["skip"]
            locked.gaps += counts["gap"]
            locked.refused += counts["refuse"]
            locked.save(
                update_fields=["done_line", "done", "applied", "skipped", "gaps", "refused"]
            )
            ctx.ids = {k: v for k, v in ctx.ids.items() if v is not None}
    refused = ImportIssue.objects.filter(history_import=job).exclude(code="gap")
    HistoryImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        finished_at=clock.now(),
        refused=refused.values("line").distinct().count(),
    )
    job.refresh_from_db()
    return job


def history_import_failed(*, import_id: int, error: str) -> None:
    HistoryImport.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED, error=error[:2000]
    )
