"""Benchmark: knowledge search over 100,000 articles (issue 19).

    AFTERSALES_DATA_DIR=/tmp/bench-knowledge python bench/knowledge_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:54330/bench_knowledge python bench/knowledge_search.py
    python bench/knowledge_search.py --tiny        # CI smoke test: 2,000 articles, few repeats

Generates the articles into an empty database (or reuses one of the right size) from the
catalog's fault vocabulary (the demo catalog's categories, models, parts and fault codes, the
demo's fault descriptions, and the labelled collection's solutions) with bulk inserts, then
rebuilds the SQLite FTS5 index once (PostgreSQL's GIN index follows the inserts). Times the
search selector (`article_search`: parse with synonyms, scope, candidates from the index,
ranking) for 1-, 2-, 4- and 8-character queries and fault codes, and reports the index size.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
if "--tiny" in sys.argv and "DATABASE_URL" not in os.environ:
    import tempfile

    os.environ.setdefault("AFTERSALES_DATA_DIR", tempfile.mkdtemp(prefix="bench-knowledge-"))

import django  # noqa: E402

from aftersales import datadir  # noqa: E402

datadir.prepare()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from aftersales.accounts import actions as org  # noqa: E402
from aftersales.accounts.choices import Role  # noqa: E402
from aftersales.accounts.models import Company, User  # noqa: E402
from aftersales.demo.generator import CATALOG, FAULTS  # noqa: E402
from aftersales.knowledge import search  # noqa: E402
from aftersales.knowledge.models import Article  # noqa: E402
from aftersales.knowledge.selectors import article_search  # noqa: E402
from aftersales.knowledge.tests.collection import ARTICLES  # noqa: E402

CHECKS = ["测量", "检查", "更换", "清洗", "紧固", "疏通", "重置", "调整", "试机", "排查"]
PLACES = ["室内机", "室外机", "主板", "电源", "管路", "线路", "接头", "传感器", "风扇", "门封"]
RESULTS = ["恢复正常", "故障排除", "运行稳定", "用户满意", "试机正常"]

QUERIES = {
    "1 char": ["漏", "冷", "响", "霜", "泵"],
    "2 chars": ["压缩", "漏水", "制冷", "噪音", "电容", "排水", "主板", "异味"],
    "4 chars": ["外机不转", "排水管堵", "不制冷了", "压缩机坏", "更换电容"],
    "8 chars": ["外机风扇不转动了", "空调室内机漏水严重", "洗衣机脱水时异响大", "冰箱冷藏室不制冷"],
    "fault code": ["E1", "E4", "F2", "R1", "H3", "E41"],
}


def vocabulary() -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(phrases, (category, fault code) pairs, category names) from the catalog vocabulary."""
    phrases = list(FAULTS)
    codes: list[tuple[str, str]] = []
    names = []
    for spec in CATALOG:
        names.append(spec["name"])
        for _code, name in spec["models"]:
            phrases.append(name)
        for _code, name in spec["components"]:
            phrases.append(name + "故障")
        for part in spec["parts"]:
            phrases.append("更换" + part[1])
        for code, symptom, _urgent in spec["faults"]:
            codes.append((spec["name"], code))
            codes.append((spec["name"], code + str(len(codes) % 10)))  # E41-style sub-codes
            phrases.append(symptom)
    for _kind, title, body, _codes, _tags in ARTICLES.values():
        phrases.append(title)
        phrases.extend(s for s in body.replace("。", "，").split("，") if s.strip())
    phrases += ["外机风扇不转动了", "空调室内机漏水严重", "洗衣机脱水时异响大", "冰箱冷藏室不制冷"]
    return phrases, codes, names


def generate(total: int, seed: int) -> None:
    call_command("migrate", verbosity=0)
    company = Company.objects.filter(code="bench").first()
    if company is None:
        company = org.company_create(actor=None, name="基准公司", code="bench")
        org.user_create(
            actor=None,
            username="bench-agent",
            password="bench-pw-1",
            role=Role.AGENT,
            company=company,
        )
    author = User.objects.get(username="bench-agent")
    have = Article.objects.count()
    if have >= total:
        return
    rng = random.Random(seed)
    phrases, codes, names = vocabulary()
    kinds = ["solution", "case", "answer"]
    started = time.perf_counter()
    batch = 5000
    while have < total:
        rows = []
        for _ in range(min(batch, total - have)):
            category, code = rng.choice(codes)
            symptom = rng.choice(phrases)
            title = f"{category}{symptom}" if rng.random() < 0.5 else f"{code} {symptom}"
            body = "；".join(
                [
                    f"症状：{rng.choice(phrases)}",
                    f"{rng.choice(CHECKS)}{rng.choice(PLACES)}",
                    rng.choice(phrases),
                    f"{rng.choice(CHECKS)}{rng.choice(PLACES)}，{rng.choice(phrases)}",
                    rng.choice(RESULTS),
                ]
            )
            tags = ",".join(rng.sample(names, 2))
            cols = search.derived_columns(title=title, body=body, tags=tags, codes=[code])
            rows.append(
                Article(
                    company=company,
                    kind=rng.choice(kinds),
                    status="published",
                    title=title[:200],
                    body=body,
                    tags=tags,
                    author=author,
                    **cols,
                )
            )
        with transaction.atomic():
            Article.objects.bulk_create(rows, batch_size=1000)
        have += len(rows)
        rate = have / (time.perf_counter() - started)
        print(f"  {have:,} articles ({rate:,.0f}/s)", file=sys.stderr)
    t0 = time.perf_counter()
    search.fts_rebuild()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"  index built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def index_size() -> dict[str, int]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'knowledge_article%' "
                "GROUP BY name"
            )
            sizes = dict(cur.fetchall())
            fts = sum(v for k, v in sizes.items() if k.startswith("knowledge_article_fts"))
            return {"fts5_index_bytes": fts, "article_table_bytes": sizes["knowledge_article"]}
        cur.execute(
            "SELECT pg_relation_size('knowledge_article_vector_gin'), "
            "pg_relation_size('knowledge_article_head_gin'), "
            "SUM(pg_column_size(search_vector) + pg_column_size(search_vector_head)), "
            "pg_total_relation_size('knowledge_article') FROM knowledge_article"
        )
        gin, head, vectors, table = cur.fetchone()
        return {
            "gin_index_bytes": gin,
            "head_gin_index_bytes": head,
            "stored_vectors_bytes": int(vectors or 0),
            "article_table_total_bytes": table,
        }


def measure(repeat: int) -> dict[str, dict[str, float]]:
    user = User.objects.get(username="bench-agent")
    out: dict[str, dict[str, float]] = {}
    for group, queries in QUERIES.items():
        samples = []
        hits = []
        for q in queries:
            found = article_search(user, q, limit=20)  # warm
            hits.append(len(found))
            for _ in range(repeat):
                t0 = time.perf_counter()
                article_search(user, q, limit=20)
                samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        out[group] = {
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
            "max_ms": round(samples[-1], 2),
            "min_hits": min(hits),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--tiny", action="store_true", help="2,000 articles, 2 repeats (CI)")
    args = parser.parse_args()
    if args.tiny:
        args.articles, args.repeat = 2000, 2
    generate(args.articles, args.seed)
    result = {
        "database": connection.vendor,
        "sqlite": __import__("sqlite3").sqlite_version,
        "python": platform.python_version(),
        "articles": Article.objects.count(),
        "queries": measure(args.repeat),
        "index": index_size(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
