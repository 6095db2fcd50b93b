"""Search quality on a fixed hand-labelled collection (tests/collection.py): precision@5 and
recall@10 reported, floors asserted, and the top five of every query compared with a stored
snapshot, so SQLite and PostgreSQL are shown to give the same top results.

Run with `-s` to see the table. Regenerate the snapshot (after a deliberate ranking change)
with KNOWLEDGE_WRITE_SNAPSHOT=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection

from aftersales.catalog.models import FaultCode
from aftersales.knowledge import actions
from aftersales.knowledge.selectors import article_search
from aftersales.knowledge.tests.collection import ARTICLES, QUERIES

SNAPSHOT = Path(__file__).with_name("search_snapshot.json")


@pytest.fixture
def collection(people, data):
    codes: dict[str, FaultCode] = {}
    keys: dict[int, str] = {}
    for key, (kind, title, body, fault_codes, tags) in ARTICLES.items():
        for c in fault_codes:
            if c not in codes:
                codes[c] = FaultCode.objects.create(category=data["category"], code=c, symptom=c)
        art = actions.article_create(
            actor=people["agent"],
            kind=kind,
            title=title,
            body=body,
            tags=tags,
            fault_codes=[codes[c] for c in fault_codes],
            language="en" if key.startswith("en-") else "zh-hans",
        )
        actions.article_transition(actor=people["service_manager"], article=art, verb="publish")
        keys[art.pk] = key
    return keys


@pytest.mark.django_db
def test_precision_and_recall_on_the_labelled_collection(people, collection):
    assert len(QUERIES) >= 50
    rows, tops = [], {}
    for text, relevant in QUERIES:
        assert relevant <= set(ARTICLES), text
        found = [collection[a.pk] for a, _s in article_search(people["tech"], text, limit=10)]
        p5 = len(set(found[:5]) & relevant) / 5
        # The best possible precision@5 when fewer than five articles are relevant.
        ideal = min(5, len(relevant)) / 5
        r10 = len(set(found[:10]) & relevant) / len(relevant)
        rows.append((text, p5, ideal, r10))
        tops[text] = found[:5]
    mean_p5 = sum(r[1] for r in rows) / len(rows)
    mean_ideal = sum(r[2] for r in rows) / len(rows)
    mean_r10 = sum(r[3] for r in rows) / len(rows)
    print(f"\n{connection.vendor}: {len(rows)} queries")
    for text, p5, ideal, r10 in rows:
        print(f"  {text:<12} P@5 {p5:.2f} (best {ideal:.2f})  R@10 {r10:.2f}")
    print(
        f"  mean P@5 {mean_p5:.3f} (best possible {mean_ideal:.3f}), "
        f"normalised {mean_p5 / mean_ideal:.3f}; mean R@10 {mean_r10:.3f}"
    )
    assert mean_p5 / mean_ideal >= 0.85
    assert mean_r10 >= 0.85
    # Every query finds at least one of its articles in the top five.
    assert [r[0] for r in rows if r[1] == 0] == []

    if os.environ.get("KNOWLEDGE_WRITE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(tops, ensure_ascii=False, indent=1) + "\n")
    # The same top five on every database (the snapshot was written on SQLite).
    assert tops == json.loads(SNAPSHOT.read_text())
