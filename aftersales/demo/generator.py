"""A realistic Chinese demo data set, reproducible from a seed.

Organisation, staff and catalog go through the actions (they are few and each is audited);
customers and units, which can number in the thousands, are inserted in bulk in one
transaction, with one audit entry for the load.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from aftersales.accounts import actions as org
from aftersales.accounts.choices import Role
from aftersales.accounts.models import Company, Region, Skill, Station, User
from aftersales.billing.demo import demo_settlement
from aftersales.calendars.selectors import work_calendar
from aftersales.catalog.models import (
    FaultCode,
    MainComponent,
    Part,
    ProductCategory,
    ProductModel,
)
from aftersales.core import clock
from aftersales.core.audit import audit_record
from aftersales.core.errors import ApplicationError
from aftersales.customers.choices import ConsentChannel, ConsentPurpose, CustomerKind
from aftersales.customers.models import Address, Consent, Customer, InstalledUnit
from aftersales.dispatch import actions as dispatch_actions
from aftersales.dispatch import selectors as dispatch_selectors
from aftersales.feedback import actions as feedback
from aftersales.fieldwork import actions as field
from aftersales.fieldwork.actions import fee_item_save
from aftersales.fieldwork.models import FeeItem
from aftersales.knowledge import demo as knowledge_demo
from aftersales.kpi.demo import kpi_demo
from aftersales.maintenance.demo import demo_maintenance
from aftersales.orders import actions as order_actions
from aftersales.parts import actions as stock
from aftersales.parts.models import Warehouse
from aftersales.warranty.actions import warranty_policy_save
from aftersales.warranty.engine import FREE_TO_CUSTOMER
from aftersales.workshop.demo import demo_workshop

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强晓东海燕红梅丹玉兰金凤文斌俊杰浩然欣怡子涵梓萱宇轩"
ORG_SUFFIXES = [
    "餐饮有限公司",
    "物业管理有限公司",
    "酒店",
    "商贸有限公司",
    "小学",
    "超市",
    "连锁便利店",
]

# City, region code, centre (lat, lng), districts, streets
CITIES = [
    (
        "上海",
        "sh",
        (31.2304, 121.4737),
        ["浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区"],
        ["世纪大道", "漕溪北路", "南京西路", "七莘路", "控江路"],
    ),
    (
        "杭州",
        "hz",
        (30.2741, 120.1551),
        ["西湖区", "上城区", "拱墅区", "滨江区"],
        ["文三路", "解放路", "莫干山路", "江南大道"],
    ),
    (
        "南京",
        "nj",
        (32.0603, 118.7969),
        ["鼓楼区", "玄武区", "秦淮区", "建邺区"],
        ["中山路", "北京东路", "中华路", "江东中路"],
    ),
    (
        "苏州",
        "sz",
        (31.2990, 120.5853),
        ["姑苏区", "工业园区", "吴中区"],
        ["人民路", "星湖街", "东吴北路"],
    ),
]

# Category code, name, skill, brand prefix, models, main components, parts, fault codes
CATALOG: list[dict[str, Any]] = [
    {
        "code": "ac",
        "name": "空调",
        "skill": ("ac", "空调维修"),
        "prefix": "KF",
        "models": [
            ("KFR-35GW", "挂式空调 1.5匹"),
            ("KFR-72LW", "柜式空调 3匹"),
            ("KFR-26GW", "挂式空调 1匹"),
        ],
        "components": [("compressor", "压缩机"), ("controller", "主控板")],
        "parts": [
            ("AC-CMP-01", "压缩机 1.5匹", "1280.00", True, "compressor"),
            ("AC-PCB-01", "室内机主控板", "260.00", True, "controller"),
            ("AC-CAP-01", "启动电容", "35.00", False, None),
            ("AC-FAN-01", "室外风扇电机", "180.00", False, None),
        ],
        "faults": [
            ("E1", "不制冷", True),
            ("E2", "室内机漏水", False),
            ("E3", "噪音大", False),
            ("E4", "通电无反应", True),
        ],
    },
    {
        "code": "washer",
        "name": "洗衣机",
        "skill": ("washer", "洗衣机维修"),
        "prefix": "XQ",
        "models": [("XQG100-B14", "滚筒洗衣机 10公斤"), ("XQB80-M1", "波轮洗衣机 8公斤")],
        "components": [("motor", "电动机"), ("controller", "程控器")],
        "parts": [
            ("WS-MTR-01", "变频电机", "420.00", True, "motor"),
            ("WS-PCB-01", "电脑板", "230.00", True, "controller"),
            ("WS-PMP-01", "排水泵", "85.00", False, None),
            ("WS-BLT-01", "传动皮带", "28.00", False, None),
        ],
        "faults": [
            ("F1", "不排水", False),
            ("F2", "不进水", False),
            ("F3", "脱水异响", False),
            ("F4", "漏电", True),
        ],
    },
    {
        "code": "fridge",
        "name": "电冰箱",
        "skill": ("fridge", "冰箱维修"),
        "prefix": "BC",
        "models": [("BCD-520W", "对开门冰箱 520升"), ("BCD-216", "三门冰箱 216升")],
        "components": [("compressor", "压缩机"), ("thermostat", "温控器")],
        "parts": [
            ("FR-CMP-01", "冰箱压缩机", "650.00", True, "compressor"),
            ("FR-THM-01", "温控器", "60.00", False, "thermostat"),
            ("FR-GSK-01", "门封条", "45.00", False, None),
        ],
        "faults": [
            ("R1", "冷藏不制冷", True),
            ("R2", "冷冻室结霜", False),
            ("R3", "压缩机不停机", False),
        ],
    },
    {
        "code": "tv",
        "name": "彩色电视机",
        "skill": ("tv", "彩电维修"),
        "prefix": "TV",
        "models": [("LED55-A1", "55英寸液晶电视"), ("LED65-A1", "65英寸液晶电视")],
        "components": [("panel", "显示屏"), ("mainboard", "主板"), ("power", "电源板")],
        "parts": [
            ("TV-PNL-55", "55英寸屏组件", "1650.00", True, "panel"),
            ("TV-MB-01", "主板", "380.00", True, "mainboard"),
            ("TV-PWR-01", "电源板", "210.00", True, "power"),
            ("TV-RC-01", "遥控器", "40.00", False, None),
        ],
        "faults": [("T1", "有声无图", False), ("T2", "无法开机", True), ("T3", "屏幕花屏", False)],
    },
    {
        "code": "heater",
        "name": "热水器",
        "skill": ("heater", "热水器维修"),
        "prefix": "JS",
        "models": [("JSQ25-13", "燃气热水器 13升"), ("EWH-60", "电热水器 60升")],
        "components": [("exchanger", "热交换器"), ("igniter", "点火器")],
        "parts": [
            ("HT-EXC-01", "热交换器", "520.00", True, "exchanger"),
            ("HT-IGN-01", "脉冲点火器", "75.00", False, "igniter"),
            ("HT-ROD-01", "镁棒", "30.00", False, None),
        ],
        "faults": [("H1", "不点火", True), ("H2", "水不热", False), ("H3", "燃气泄漏", True)],
    },
]

DEMO_ROLES = [
    (Role.AGENT, "agent", "客服", "小美", None),
    (Role.DISPATCHER, "dispatcher", "调度", "老周", None),
    (Role.TECHNICIAN, "technician", "王", "师傅", "station"),
    (Role.STATION_MANAGER, "station", "网点", "李经理", "station"),
    (Role.SERVICE_MANAGER, "manager", "售后", "主管", None),
    (Role.FINANCE, "finance", "财务", "张会计", None),
    (Role.DEPARTMENT_HEAD, "head", "部长", "陈", None),
    (Role.ADMIN, "admin", "系统", "管理员", None),
]


@dataclass
class Ctx:
    rng: random.Random
    company: Company
    regions: dict[str, Region]
    stations: list[Station]


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given[:2]


def mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + f"{rng.randrange(10**9):09d}"


def _near(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[float, float]:
    lat = centre[0] + rng.uniform(-km, km) / 111.0
    lng = centre[1] + rng.uniform(-km, km) / 96.0
    return round(lat, 6), round(lng, 6)


def _organisation(rng: random.Random) -> Ctx:
    company = org.company_create(
        actor=None, name="海川电器售后服务有限公司", code="haichuan", hotline="400-820-8820"
    )
    regions: dict[str, Region] = {}
    stations: list[Station] = []
    for city, code, centre, districts, _streets in CITIES:
        region = org.region_create(actor=None, company=company, name=f"{city}大区", code=code)
        regions[code] = region
        for i, district in enumerate(districts[:2], start=1):
            lat, lng = _near(rng, centre, 8)
            stations.append(
                org.station_create(
                    actor=None,
                    region=region,
                    name=f"{city}{district}服务网点",
                    code=f"{code}-{i:02d}",
                    address=f"{city}市{district}{rng.randint(1, 999)}号",
                    phone=f"0{rng.randint(10, 99)}-{rng.randint(10**7, 10**8 - 1)}",
                    latitude=lat,
                    longitude=lng,
                )
            )
    return Ctx(rng=rng, company=company, regions=regions, stations=stations)


def _catalog(ctx: Ctx) -> tuple[list[ProductModel], dict[str, Skill]]:
    models: list[ProductModel] = []
    skills: dict[str, Skill] = {}
    for spec in CATALOG:
        category = ProductCategory.objects.create(
            company=ctx.company, code=spec["code"], name=spec["name"]
        )
        skill_code, skill_name = spec["skill"]
        skills[spec["code"]] = Skill.objects.create(
            company=ctx.company, code=skill_code, name=skill_name
        )
        for code, name in spec["models"]:
            models.append(
                ProductModel.objects.create(category=category, code=code, name=name, brand="海川")
            )
        components = {
            code: MainComponent.objects.create(category=category, code=code, name=name)
            for code, name in spec["components"]
        }
        for code, name, price, serialised, component in spec["parts"]:
            Part.objects.create(
                company=ctx.company,
                code=code,
                name=name,
                category=category,
                price=Decimal(price),
                is_serialised=serialised,
                component=components.get(component) if component else None,
            )
        for code, symptom, urgent in spec["faults"]:
            FaultCode.objects.create(
                category=category, code=code, symptom=symptom, is_urgent=urgent
            )
    return models, skills


def _staff(ctx: Ctx, skills: dict[str, Skill]) -> list[dict[str, str]]:
    accounts: list[dict[str, str]] = []
    first_station = ctx.stations[0]
    for role, username, last, first, where in DEMO_ROLES:
        password = f"{username}-{secrets.token_hex(3)}"
        user = org.user_create(
            actor=None,
            username=username,
            password=password,
            role=role,
            company=ctx.company,
            last_name=last,
            first_name=first,
            station=first_station if where == "station" else None,
            phone=mobile(ctx.rng),
        )
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        accounts.append(
            {
                "role": str(role),
                "role_label": str(Role(role).label),
                "username": username,
                "password": password,
            }
        )
    # Technicians: the demo technician plus three more per station, with skills and homes.
    all_skills = list(skills.values())
    for station in ctx.stations:
        for i in range(3 if station != first_station else 2):
            org.user_create(
                actor=None,
                username=f"tech-{station.code}-{i}",
                password=secrets.token_urlsafe(12),
                role=Role.TECHNICIAN,
                company=ctx.company,
                last_name=person_name(ctx.rng)[0],
                first_name=person_name(ctx.rng)[1:],
                station=station,
                phone=mobile(ctx.rng),
            )
    for user in User.objects.filter(role=Role.TECHNICIAN).select_related("station"):
        home_station = user.station
        assert home_station is not None
        chosen = ctx.rng.sample(all_skills, k=ctx.rng.randint(2, 4))
        lat, lng = _near(
            ctx.rng, (home_station.latitude or 31.2, home_station.longitude or 121.4), 6
        )
        org.technician_profile_set(
            actor=None,
            user=user,
            skills={s: ctx.rng.randint(1, 5) for s in chosen},
            home_address=f"{home_station.address.split('区')[0]}区某小区{ctx.rng.randint(1, 30)}栋",
            home_latitude=lat,
            home_longitude=lng,
        )
    return accounts


def serial_for(rng: random.Random, prefix: str, made: dt.date) -> str:
    """Brand serial: prefix, 2-digit year, 2-digit month, 6 digits (e.g. KF2403012345)."""
    return f"{prefix}{made:%y%m}{rng.randrange(10**6):06d}"


def _customers(ctx: Ctx, models: list[ProductModel], count: int) -> tuple[int, int]:
    rng = ctx.rng
    today = clock.today()
    prefixes = {spec["code"]: spec["prefix"] for spec in CATALOG}
    stations_by_region: dict[int, list[Station]] = {}
    for s in ctx.stations:
        stations_by_region.setdefault(s.region_id, []).append(s)
    customers: list[Customer] = []
    addresses: list[tuple[int, dict[str, Any]]] = []
    for i in range(count):
        city, code, centre, districts, streets = rng.choice(CITIES)
        region = ctx.regions[code]
        station = rng.choice(stations_by_region[region.pk])
        is_org = rng.random() < 0.12
        name = (
            f"{city}{rng.choice(['金桥', '天虹', '锦江', '新世纪', '和平', '东方'])}{rng.choice(ORG_SUFFIXES)}"
            if is_org
            else person_name(rng)
        )
        customers.append(
            Customer(
                company=ctx.company,
                kind=CustomerKind.ORGANISATION if is_org else CustomerKind.PERSON,
                name=name,
                phone=mobile(rng),
                region=region,
                station=station,
            )
        )
        lat, lng = _near(rng, centre, 15)
        district = rng.choice(districts)
        addresses.append(
            (
                i,
                {
                    "region": region,
                    "line": f"{city}市{district}{rng.choice(streets)}{rng.randint(1, 2000)}号"
                    f"{rng.randint(1, 30)}栋{rng.randint(1, 30)}0{rng.randint(1, 4)}室",
                    "latitude": lat,
                    "longitude": lng,
                    "is_default": True,
                },
            )
        )
    Customer.objects.bulk_create(customers, batch_size=500)
    saved = list(Customer.objects.filter(company=ctx.company).order_by("id"))
    Address.objects.bulk_create(
        [Address(customer=saved[i], **data) for i, data in addresses], batch_size=500
    )
    address_of = {a.customer_id: a for a in Address.objects.filter(customer__company=ctx.company)}
    Consent.objects.bulk_create(
        [
            Consent(
                customer=c,
                purpose=ConsentPurpose.SURVEY,
                granted=rng.random() > 0.05,
                channel=ConsentChannel.PHONE,
            )
            for c in saved
        ],
        batch_size=500,
    )
    units: list[InstalledUnit] = []
    seen: set[tuple[int, str]] = set()
    for customer in saved:
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            model = rng.choice(models)
            purchase = today - dt.timedelta(days=rng.randint(3, 365 * 4))
            made = purchase - dt.timedelta(days=rng.randint(15, 120))
            prefix = prefixes[model.category.code]
            serial = serial_for(rng, prefix, made)
            while (model.pk, serial) in seen:
                serial = serial_for(rng, prefix, made)
            seen.add((model.pk, serial))
            has_voucher = rng.random() > 0.1
            units.append(
                InstalledUnit(
                    company=ctx.company,
                    product_model=model,
                    serial=serial,
                    customer=customer,
                    address=address_of.get(customer.pk),
                    purchase_date=purchase,
                    invoice_date=purchase if has_voucher else None,
                    installation_date=purchase + dt.timedelta(days=rng.randint(0, 7)),
                    voucher_no=f"SB{purchase:%Y}{rng.randrange(10**8):08d}" if has_voucher else "",
                    region=customer.region,
                    station=customer.station,
                )
            )
    InstalledUnit.objects.bulk_create(units, batch_size=500)
    return len(saved), len(units)


FAULTS = [
    "不制冷，外机不转",
    "开机无反应",
    "运行噪音大",
    "漏水",
    "显示故障代码",
    "遥控失灵",
    "加热慢",
    "异味",
]
# (action, who, minutes after the previous step)
STEPS = [
    ("triage", "agent", 10),
    ("dispatch", "dispatcher", 40),
    ("assign", "dispatcher", 60),
    ("accept", "technician", 30),
    ("depart", "technician", 20 * 60),
    ("arrive", "technician", 60),
    ("complete", "technician", 120),
    ("follow_up", "agent", 24 * 60),
    ("close", "agent", 60),
]


def _warranty_policies(ctx: Ctx) -> None:
    """The brand's promises: serials carry year and month at positions 2-6 (KF2403012345);
    air conditioners 6 years on the compressor, TVs 3 years on the panel."""
    manager = User.objects.get(company=ctx.company, username="manager")
    serials = {"year": [2, 4], "month": [4, 6]}
    warranty_policy_save(
        actor=manager, name="海川电器三包承诺", whole_unit_months=12, serial_format=serials
    )
    for category in ProductCategory.objects.filter(company=ctx.company):
        components = {"ac": {"compressor": 72}, "tv": {"panel": 36, "mainboard": 36}}.get(
            category.code
        )
        if components:
            warranty_policy_save(
                actor=manager,
                name=f"{category.name}三包",
                category=category,
                whole_unit_months=12,
                components=components,
                serial_format=serials,
            )


def _orders(ctx: Ctx, count: int) -> int:
    """Historical orders over the last 60 days, walked through the real actions so that every
    one has its events and due times; recent ones are still open."""
    if count <= 0:
        return 0
    rng = ctx.rng
    agent = User.objects.get(company=ctx.company, username="agent")
    dispatcher = User.objects.get(company=ctx.company, username="dispatcher")
    technicians: dict[int, list[User]] = {}
    for member in User.objects.filter(company=ctx.company, role=Role.TECHNICIAN):
        technicians.setdefault(member.station_id or 0, []).append(member)
    units = list(InstalledUnit.objects.filter(company=ctx.company).select_related("product_model"))
    faults: dict[int, list[FaultCode]] = {}
    for code in FaultCode.objects.filter(category__company=ctx.company):
        faults.setdefault(code.category_id, []).append(code)
    now = clock.now()
    made = 0
    for _ in range(count):
        unit = rng.choice(units)
        created = now - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 60))
        codes = faults.get(unit.product_model.category_id, [])
        order, _created = order_actions.order_create(
            actor=agent,
            customer=unit.customer_id,
            unit=unit,
            channel=rng.choice(["phone"] * 6 + ["portal", "email", "walk_in", "api"]),
            service_type=rng.choice(["repair"] * 7 + ["installation", "maintenance", "inspection"]),
            priority=rng.choice(["high", "medium", "medium", "medium", "low"]),
            fault_description=rng.choice(FAULTS),
            fault_code=rng.choice(codes) if codes and rng.random() < 0.6 else None,
            allow_duplicate=True,
            created_at=created,
        )
        made += 1
        at = created
        station_id = unit.station_id or ctx.stations[0].pk
        tech = rng.choice(technicians.get(station_id) or [None])
        people = {"agent": agent, "dispatcher": dispatcher, "technician": tech}
        stop = rng.choice([None] * 7 + ["cancel", "wait_parts", "stall"])
        stall_at = rng.choice([a for a, _w, _m in STEPS[:6]])
        for action, who, minutes in STEPS:
            if stop == "stall" and action == stall_at:
                break  # stuck: these become the overdue orders
            at = at + dt.timedelta(minutes=int(minutes * rng.uniform(0.3, 2.0)))
            if at >= now or (action == "assign" and tech is None):
                break
            if action == "complete":
                if stop == "wait_parts":
                    order_actions.order_transition(
                        actor=tech, order=order, action="wait_parts", reason="等待配件", at=at
                    )
                    break
                _finish_visit(ctx, tech, order, at)
                continue
            if action == "follow_up":
                _follow_up(ctx, agent, order, at)
                continue
            if stop == "wait_parts" and action == "complete":
                order_actions.order_transition(
                    actor=tech, order=order, action="wait_parts", reason="等待配件", at=at
                )
                break
            if stop == "cancel" and action == "assign":
                order_actions.order_transition(
                    actor=agent, order=order, action="cancel", reason="客户已自行解决", at=at
                )
                break
            order_actions.order_transition(
                actor=people[who],
                order=order,
                action=action,
                station=station_id,
                technician=tech,
                at=at,
            )
    return made


DIAGNOSES = [
    ("压缩机启动电容老化", "product_fault", "更换启动电容，试机正常"),
    ("排水管堵塞", "not_product_fault", "疏通排水管，清洗滤网"),
    ("主控板继电器损坏", "product_fault", "更换主控板"),
    ("遥控器电池耗尽", "not_product_fault", "更换电池，讲解使用方法"),
    ("温度传感器接触不良", "product_fault", "重新插接传感器并固定"),
]


def _signature_png() -> str:
    """A drawn signature as the phone page sends it (a PNG data URL)."""
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).line(
        [(15, 70), (70, 20), (130, 80), (210, 25), (285, 60)], fill="black", width=4
    )
    out = io.BytesIO()
    img.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _finish_visit(ctx: Ctx, tech: Any, order: Any, at: dt.datetime) -> None:
    """The on-site record of a historical visit, through the field-work actions, at `at`."""
    rng = ctx.rng
    diagnosis, cause, work = rng.choice(DIAGNOSES)
    signature = _signature_png()
    field.record_condition(
        actor=tech, order=order, complete=True, tampered=False, signature=signature, now=at
    )
    field.record_diagnosis(
        actor=tech, order=order, diagnosis=diagnosis, cause=cause, work_done=work, now=at
    )
    if cause == "product_fault" and order.warranty_decision not in FREE_TO_CUSTOMER:
        _charge(ctx, tech, order, at, signature)
    field.visit_finish(
        actor=tech,
        order=order,
        result="fixed",
        signature=signature,
        rating=rng.choice([5, 5, 5, 4, 4, 3, 2]),
        now=at,
    )


def _charge(ctx: Ctx, tech: Any, order: Any, at: dt.datetime, signature: str) -> None:
    """A repair out of 三包 charged on site: the quote from the fee schedule, the customer's
    signed acceptance and the payment (a receipt), at the visit's time."""
    fees = FeeItem.objects.filter(company=ctx.company, code__in=("SM", "WX"))
    with clock.at(at, source=""):  # history, not an import: nothing is sent for the past
        field.quote_propose(
            actor=tech, order=order, items=[{"fee_item": f.pk, "quantity": 1} for f in fees]
        )
        quote = field.quote_accept(actor=tech, order=order, signature=signature)
        method = ctx.rng.choice(["cash", "qr", "qr"])
        field.payment_record(
            actor=tech,
            order=order,
            method=method,
            amount=quote.total,
            reference="" if method == "cash" else f"WX{ctx.rng.randint(10**11, 10**12)}",
        )


def _follow_up(ctx: Ctx, agent: Any, order: Any, at: dt.datetime) -> None:
    """The follow-up call of a historical order, through the follow-up actions: most
    customers are satisfied, a few are not (and those open complaints)."""
    rng = ctx.rng
    task = feedback.follow_up_open(order=order, now=at)
    score = rng.choice([5] * 6 + [4] * 3 + [3, 2, 1])
    answers = {
        "fixed": rng.random() > 0.05,
        "on_time": rng.random() > 0.1,
        "polite": score > 2 or rng.random() > 0.5,
        "charged_correctly": rng.random() > 0.03,
        "satisfaction": score,
        "comment": "" if score > 2 else "上门晚了，服务一般",
    }
    feedback.follow_up_record(actor=agent, follow_up=task, answers=answers, now=at)


def _fees(ctx: Ctx) -> None:
    """The fee schedule (收费标准) that on-site quotes are made from."""
    manager = User.objects.get(company=ctx.company, username="manager")
    for code, name, kind, price in [
        ("SM", "上门服务费", "travel", "50.00"),
        ("JC", "检测费", "labour", "30.00"),
        ("WX", "维修工时费", "labour", "80.00"),
        ("QX", "清洗保养", "other", "120.00"),
        ("YC", "远程上门附加费（每10公里）", "travel", "20.00"),
    ]:
        fee_item_save(actor=manager, code=code, name=name, kind=kind, price=price)


def _technician_day(ctx: Ctx, count: int = 4) -> dt.date | None:
    """Orders assigned to the demo technician with visits placed on their day (today, or the
    next day when today is nearly over), so that "My day" has work to open."""
    tech = User.objects.get(company=ctx.company, username="technician")
    agent = User.objects.get(company=ctx.company, username="agent")
    dispatcher = User.objects.get(company=ctx.company, username="dispatcher")
    tz = timezone.get_current_timezone()
    now = clock.localtime()
    day = now.date() if now.hour < 15 else now.date() + dt.timedelta(days=1)
    dispatch_actions.shift_set(
        actor=dispatcher, technician=tech, day=day, start=dt.time(8), end=dt.time(20)
    )
    first = max(9, now.hour + 1) if day == now.date() else 9
    units = list(InstalledUnit.objects.filter(company=ctx.company, station=tech.station_id)[:50])
    placed = 0
    for k, unit in enumerate(ctx.rng.sample(units, min(count, len(units)))):
        order, _created = order_actions.order_create(
            actor=agent,
            customer=unit.customer_id,
            unit=unit,
            channel="phone",
            service_type="repair",
            priority="medium",
            fault_description=ctx.rng.choice(FAULTS),
            allow_duplicate=True,
        )
        order = order_actions.order_transition(
            actor=dispatcher, order=order, action="dispatch", station=tech.station_id
        )
        start = dt.datetime.combine(day, dt.time(min(first + 2 * k, 18)), tzinfo=tz)
        try:
            dispatch_actions.visit_move(
                actor=dispatcher, order=order, technician=tech.pk, start=start
            )
            placed += 1
        except ApplicationError:
            continue  # the day is full or over; the order waits on the board
    return day if placed else None


def _stock(ctx: Ctx) -> int:
    """A central warehouse, one per station and a van per technician, stocked from the central
    one by received transfers; non-serialised parts only. Returns the number of warehouses."""
    rng = ctx.rng
    manager = User.objects.get(company=ctx.company, username="manager")
    central = stock.warehouse_create(actor=manager, kind="central", code="ZK", name="总库")
    parts = list(Part.objects.filter(company=ctx.company, is_serialised=False).order_by("code"))
    for part in parts:
        stock.stock_receive(
            actor=manager, warehouse=central, part=part, quantity=200, reason="期初库存"
        )
    made = 1
    for station in ctx.stations:
        wh = stock.warehouse_create(
            actor=manager,
            kind="station",
            code=f"WD-{station.code}",
            name=f"{station.name}库",
            station=station,
        )
        made += 1
        for part in rng.sample(parts, min(6, len(parts))):
            quantity = rng.randint(3, 12)
            transfer = stock.transfer_ship(
                actor=manager, source=central, target=wh, part=part, quantity=quantity
            )
            stock.transfer_receive(actor=manager, transfer=transfer)
            stock.stock_level_set(actor=manager, warehouse=wh, part=part, min_level=4, max_level=20)
        technicians = User.objects.filter(station=station, role=Role.TECHNICIAN).order_by("id")
        for tech in technicians:
            van = stock.warehouse_create(
                actor=manager,
                kind="van",
                code=f"CZ-{tech.username}",
                name=f"{tech.get_full_name() or tech.username}车载库",
                technician=tech,
            )
            made += 1
            for part in rng.sample(parts, min(3, len(parts))):
                transfer = stock.transfer_ship(
                    actor=manager, source=central, target=van, part=part, quantity=2
                )
                stock.transfer_receive(actor=manager, transfer=transfer)
    # One shipment still on the way to the first station.
    stock.transfer_ship(
        actor=manager,
        source=central,
        target=Warehouse.objects.get(company=ctx.company, code=f"WD-{ctx.stations[0].code}"),
        part=parts[0],
        quantity=5,
        shipment="SF1234567890",
    )
    return made


def _plannable_day(ctx: Ctx, count: int = 14) -> dt.date | None:
    """Open orders at one station (the dispatch board's first) for its next working day, some
    with a booked window, so that the board has a day to optimise. Returns that day."""
    rng = ctx.rng
    station = min(ctx.stations, key=lambda s: s.name)  # the board shows this one first
    agent = User.objects.get(company=ctx.company, username="agent")
    dispatcher = User.objects.get(company=ctx.company, username="dispatcher")
    calendar = work_calendar(ctx.company.pk)
    day = clock.today() + dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    units = list(
        InstalledUnit.objects.filter(company=ctx.company, station=station).order_by("id")[:300]
    )
    if not units:
        return None
    tz = timezone.get_current_timezone()
    for k, unit in enumerate(rng.sample(units, min(count, len(units)))):
        wished = rng.choice([None, (9, 12), (13, 17), (14, 18)])
        order, _created = order_actions.order_create(
            actor=agent,
            customer=unit.customer_id,
            unit=unit,
            channel="phone",
            service_type=rng.choice(["repair"] * 4 + ["installation", "maintenance"]),
            priority=rng.choice(["high", "medium", "medium", "low"]),
            fault_description=rng.choice(FAULTS),
            preferred_start=dt.datetime.combine(day, dt.time(wished[0]), tzinfo=tz)
            if wished
            else None,
            preferred_end=dt.datetime.combine(day, dt.time(wished[1]), tzinfo=tz)
            if wished
            else None,
            allow_duplicate=True,
        )
        order = order_actions.order_transition(
            actor=dispatcher, order=order, action="dispatch", station=station
        )
        if k % 3 == 0:  # a third of them booked a window with the customer
            slots = dispatch_selectors.appointment_slots(
                actor=agent, order=order, first=day, days=1
            )
            if slots:
                slot = rng.choice(slots)
                dispatch_actions.appointment_book(
                    actor=agent, order=order, start=slot.start, end=slot.end, by_customer=True
                )
    return day


@transaction.atomic
def generate(
    *, seed: int = 1, customers: int = 300, orders: int = 0, open_orders: int = 14
) -> dict[str, Any]:
    rng = random.Random(seed)
    ctx = _organisation(rng)
    models, skills = _catalog(ctx)
    accounts = _staff(ctx, skills)
    for m in models:
        m.category  # noqa: B018 - cache the category for serial prefixes
    n_customers, n_units = _customers(ctx, models, customers)
    _warranty_policies(ctx)
    _fees(ctx)  # before the orders: the visits out of 三包 are charged from it
    n_orders = _orders(ctx, orders)
    knowledge_demo.load(ctx.company)
    n_warehouses = _stock(ctx)
    demo_settlement(ctx.company)
    plan_day = _plannable_day(ctx, open_orders) if open_orders > 0 else None
    tech_day = _technician_day(ctx) if open_orders > 0 else None
    kpi_demo(ctx.company, seed)
    demo_maintenance(ctx.company, orders=3 if open_orders > 0 else 0)
    workshop_jobs = (
        demo_workshop(ctx.company, ctx.stations[0], _signature_png()) if open_orders else 0
    )
    audit_record(
        actor=None,
        action="demo.load",
        obj=ctx.company,
        changes={"customers": [None, n_customers], "units": [None, n_units]},
    )
    portal = (
        Customer.objects.filter(company=ctx.company, units__isnull=False).order_by("id").first()
    )
    if portal is not None:  # a customer to try the portal with (the code is in the log)
        accounts.append(
            {
                "role": "portal",
                "role_label": "客户门户 /portal/",
                "username": portal.phone,
                "password": "验证码见日志",
            }
        )
    path = settings.DATA_DIR / "demo_accounts.json"
    path.write_text(json.dumps(accounts, ensure_ascii=False, indent=1))
    path.chmod(0o600)
    return {
        "company": ctx.company.name,
        "regions": len(ctx.regions),
        "stations": len(ctx.stations),
        "staff": User.objects.filter(company=ctx.company).count(),
        "customers": n_customers,
        "units": n_units,
        "orders": n_orders,
        "warehouses": n_warehouses,
        "plannable_day": plan_day.isoformat() if plan_day else None,
        "technician_day": tech_day.isoformat() if tech_day else None,
        "workshop_jobs": workshop_jobs,
    }
