"""Catalog: product categories and models, main components, parts with prices, fault codes."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Company


class ProductCategory(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="categories")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="category_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ProductModel(models.Model):
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="models")
    code = models.CharField(_("model number"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="model_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MainComponent(models.Model):
    """A main component (主要部件) of a category, which may carry a longer warranty."""

    category = models.ForeignKey(
        ProductCategory, on_delete=models.CASCADE, related_name="main_components"
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("main component")
        verbose_name_plural = _("main components")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="component_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Part(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="parts")
    code = models.CharField(_("part number"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("product category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
    )
    component = models.ForeignKey(
        MainComponent, on_delete=models.SET_NULL, null=True, blank=True, related_name="parts"
    )
    unit_of_measure = models.CharField(_("unit"), max_length=16, default="个")
    price = models.DecimalField(
        _("price (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    is_serialised = models.BooleanField(_("serialised"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="part_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FaultCode(models.Model):
    category = models.ForeignKey(
        ProductCategory, on_delete=models.CASCADE, related_name="fault_codes"
    )
    code = models.CharField(_("fault code"), max_length=32)
    symptom = models.CharField(_("symptom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    is_performance_fault = models.BooleanField(_("performance fault"), default=True)
    # 维修级别: how big the repair this fault means is (e.g. 1–3 or A–C, the company's own
    # scale); settlement's fee rules can price by it.
    repair_level = models.CharField(_("repair level"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("fault code")
        verbose_name_plural = _("fault codes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="faultcode_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.symptom}"
