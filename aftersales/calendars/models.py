"""The working calendar of a company, as editable tables.

Statutory holidays and 调休 make-up days are loaded per year from the `chinese-calendar`
package; a company adds its own closures. `CompanyHours` holds the working day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company


class CompanyHours(models.Model):
    """Working intervals and the weekly pattern. A company without a row works 09:00-18:00,
    Monday to Friday."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="hours")
    # [["09:00", "12:00"], ["13:00", "18:00"]]
    intervals = models.JSONField(_("working intervals"), default=list)
    # Monday = 0
    weekdays = models.JSONField(_("working weekdays"), default=list)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.intervals}"


class DayKind(models.TextChoices):
    # 法定节假日: a statutory holiday (day off), loaded from the State Council's schedule.
    HOLIDAY = "holiday", _("Statutory holiday")
    # 调休上班: a weekend day worked to make up for a holiday bridge.
    MAKE_UP = "make_up", _("Make-up working day")
    # 公司停工: a company closure (day off), added by the company.
    CLOSURE = "closure", _("Company closure")


class CalendarDay(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="calendar_days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["company", "date"], name="calendar_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose statutory schedule is loaded. Years without a row run on the weekly pattern
    and every due time that crosses them is provisional."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="calendar_years")
    year = models.PositiveIntegerField(_("year"))
    loaded_at = models.DateTimeField(_("loaded"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("loaded year")
        verbose_name_plural = _("loaded years")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["company", "year"], name="calendar_year_unique"),
        ]

    def __str__(self) -> str:
        return str(self.year)
