"""Organisations (company -> regions -> service stations), users with roles, technicians."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.choices import STATION_ROLES, Role, TokenScope


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    hotline = models.CharField(_("service hotline"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="regions")
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["company_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="region_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A service station (服务网点): the company's own branch or a contracted partner."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="stations")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=32)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service station")
        verbose_name_plural = _("service stations")
        ordering = ["company_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="station_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Role decides what they may do; region/station decide what they see."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.AGENT)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, null=True, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The language the person reads the interface in (chosen with the footer's switch): their
    # messages (escalations, alerts, reports) are written in it. Empty: the company's.
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    objects: ClassVar[UserManager[Self]] = UserManager()

    def reads(self) -> str:
        """The language to write to this person in."""
        return self.language or settings.LANGUAGE_CODE

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        """Family name first, as Chinese names are written (王师傅, 客服小美)."""
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def is_station_user(self) -> bool:
        return self.role in STATION_ROLES


class Skill(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="skills")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="skill_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TechnicianProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="technician")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="technicians")
    home_address = models.CharField(_("home address"), max_length=300, blank=True)
    home_latitude = models.FloatField(_("home latitude"), null=True, blank=True)
    home_longitude = models.FloatField(_("home longitude"), null=True, blank=True)
    work_start = models.TimeField(_("work starts"), default="09:00")
    work_end = models.TimeField(_("work ends"), default="18:00")
    max_visits_per_day = models.PositiveSmallIntegerField(_("max visits per day"), default=8)
    is_active = models.BooleanField(_("active"), default=True)
    skills: models.ManyToManyField[Skill, TechnicianSkill] = models.ManyToManyField(
        Skill, through="TechnicianSkill", related_name="technicians"
    )

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username


class TechnicianSkill(models.Model):
    technician = models.ForeignKey(TechnicianProfile, on_delete=models.CASCADE)
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField(
        _("level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("technician skill")
        constraints = [
            models.UniqueConstraint(fields=["technician", "skill"], name="technician_skill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} L{self.level}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.FULL
    )
    # After this moment the token no longer authenticates (401); empty = until revoked.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "as_" + secrets.token_urlsafe(32)
