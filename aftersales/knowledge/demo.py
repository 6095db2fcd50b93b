"""Demo data for the knowledge base: a few published solutions and answers for the demo
catalog (called once from the demo generator), written and published through the actions."""

from __future__ import annotations

from typing import Any

from aftersales.accounts.models import User
from aftersales.catalog.models import FaultCode, ProductModel
from aftersales.knowledge import actions

# (kind, category code, fault code or "", title, body, tags)
ARTICLES = [
    (
        "solution",
        "ac",
        "E1",
        "空调不制冷：先查冷媒和电容",
        "## 症状\n\n出风不凉，外机风扇转或不转。\n\n## 检查顺序\n\n1. 测低压压力，偏低则查焊点和喇叭口泄漏\n"
        "2. 压缩机不启动时测启动电容容量\n3. 外机风扇不转时查风扇电容和电机\n\n## 处理\n\n补漏后抽真空加注冷媒，"
        "或更换同规格电容（AC-CAP-01）。约 60 分钟。",
        "空调,制冷,电容",
    ),
    (
        "solution",
        "ac",
        "E2",
        "室内机漏水：排水管堵塞或安装不水平",
        "1. 检查排水管是否弯折、堵塞，疏通\n2. 检查挂板是否水平，重新调整\n3. 检查接水盘有无裂纹",
        "空调,漏水",
    ),
    (
        "answer",
        "ac",
        "",
        "遥控器没反应怎么办",
        "请客户先更换两节 7 号电池，对准室内机接收窗再试；可用手机摄像头查看遥控器发射灯是否闪烁。",
        "空调,遥控器",
    ),
    (
        "solution",
        "washer",
        "F1",
        "洗衣机不排水：排水泵堵塞",
        "清理排水过滤器（前下方小门），检查排水管高度不超过 1 米，测量排水泵线圈阻值。",
        "洗衣机,排水",
    ),
    (
        "answer",
        "washer",
        "",
        "洗衣机有异味怎么清洁",
        "每月运行一次筒清洁程序并使用专用清洁剂，洗完开门通风。",
        "洗衣机,保养",
    ),
    (
        "solution",
        "fridge",
        "R1",
        "冰箱冷藏室不制冷：风门或化霜故障",
        "风道结冰会堵住冷气：先手动化霜，再检查风门和化霜加热器、化霜传感器。",
        "冰箱,制冷,化霜",
    ),
    (
        "solution",
        "tv",
        "T1",
        "电视有声音无图像：背光灯条损坏",
        "用手电照屏幕可见暗图像即为背光故障，更换灯条。",
        "电视,背光",
    ),
    (
        "solution",
        "heater",
        "H1",
        "燃气热水器打不着火",
        "检查电池电量、燃气阀门和点火针位置，清理点火针积碳。",
        "热水器,燃气,点火",
    ),
]


def load(company: Any) -> int:
    """Write and publish the demo articles as the demo service manager; returns how many."""
    manager = User.objects.filter(company=company, role="service_manager").order_by("id").first()
    if manager is None:
        return 0
    n = 0
    for kind, category, code, title, body, tags in ARTICLES:
        models = ProductModel.objects.filter(category__company=company, category__code=category)
        codes = FaultCode.objects.filter(category__company=company, category__code=category)
        art = actions.article_create(
            actor=manager,
            kind=kind,
            title=title,
            body=body,
            tags=tags,
            category=models[0].category_id if models else None,
            product_models=list(models),
            fault_codes=list(codes.filter(code=code)) if code else [],
        )
        actions.article_transition(actor=manager, article=art, verb="publish")
        n += 1
    return n
