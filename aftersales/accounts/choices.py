from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # 客服坐席: takes calls, registers requests, keeps customer and unit data current.
    AGENT = "agent", _("Agent")
    # 调度: plans each day's visits for technicians.
    DISPATCHER = "dispatcher", _("Dispatcher")
    # 售后服务人员 / 维修工程师: on-site inspection, repair and maintenance.
    TECHNICIAN = "technician", _("Technician")
    # 网点负责人: runs a service station's technicians, stock and settlement.
    STATION_MANAGER = "station_manager", _("Station manager")
    # 服务管理员 / 售后主管: tracks open orders, audits warranty cards and service records.
    SERVICE_MANAGER = "service_manager", _("Service manager")
    # 财务: approves settlements and charges.
    FINANCE = "finance", _("Finance")
    # 售后服务部部长: approves escalations, policy and assessment rules.
    DEPARTMENT_HEAD = "department_head", _("Department head")
    # 系统管理员: manages users, organisation and catalog.
    ADMIN = "admin", _("Administrator")


# Roles whose users work for one service station and see only that station's data.
STATION_ROLES = frozenset({Role.TECHNICIAN, Role.STATION_MANAGER})


class TokenScope(models.TextChoices):
    # Reads only: GET/HEAD/OPTIONS; any write is refused (403 read_only_token).
    READ = "read", _("Read only")
    # Everything the token's user may do.
    FULL = "full", _("Full access")
