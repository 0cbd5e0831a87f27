"""A small demo dealer whose every stored text holds hostile Markdown/HTML: links, images, bare URLs, formulas,
colours, HTML, a direction override and emphasis (issue 13 item 11).

Text arrives the ways it really does: files through the importer (customers and leads naming new stores,
regions, channels and advisors; follow-up notes), the review, override and defeat-approval writes of core,
accounts made by core.access.auth; what only the generator writes (the demo's reference names, customer names, the
scheme name, audit details) is overwritten in the database afterwards.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.access import auth
from core.demo.generator import generate
from core.io.importing import import_bytes
from core.io.importing.store import update_rows
from core.storage.models import (
    Advisor,
    AuditLog,
    Channel,
    Customer,
    Defeat,
    EventAttendance,
    FollowUp,
    Lead,
    Purchase,
    Region,
    ReviewItem,
    ScoringScheme,
    Store,
    TierAssignment,
    User,
)
from core.workflow import defeat_approval, overrides, review

AS_OF = dt.date(2026, 6, 30)
WEEK = dt.date(2026, 6, 29)

# each piece: what data holds → a token that must never be shown without the punctuation around it
LINK = "[点我Lk](https://evil.example/x)"
IMAGE = "![图Im](https://evil.example/p.png)"
BARE = "https://evil.example/bare www.evil.example x@evil.example"
FORMULA = "$x^2$"
COLOUR = ":red[红Rd]"
HTML = "<b>粗Bd</b><img src=x onerror=alert(1)><a href='https://evil.example/h'>链Ah</a>"
RTL = "\u202e反RTL"
BOLD = "**强调Em**"
PIECES = (LINK, IMAGE, BARE, FORMULA, COLOUR, HTML, RTL, BOLD)
# token → the literal it must stay inside wherever it is shown (escaped Markdown or HTML shows these)
LITERALS = {
    "点我Lk": LINK,
    "红Rd": COLOUR,
    "粗Bd": "<b>粗Bd</b>",
    "链Ah": "<a href='https://evil.example/h'>链Ah</a>",
    "强调Em": BOLD,
    "x^2": FORMULA,
}
HOSTILE = " ".join(PIECES)
# tier labels are typed in the lab: the owners' tiers get hostile ones (distinct, short enough for a column)
TIER_LABELS = {
    "高价值": f"高{LINK}{IMAGE}",
    "普通": f"中{COLOUR}{BOLD}{RTL}",
    "流失风险": f"低<b>粗Bd</b>{FORMULA}",
}


def registered_pages() -> list[tuple[str, str, str]]:
    """(file, url path, role) of every page in dashboard/app.py's REGISTRY, read from its source (importing
    the entrypoint would run it): the role that sees it and the most data, the manager (names and phones
    shown), else the admin (users, audit)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "dashboard" / "app.py").read_text())
    return [
        (node.args[1].value, node.args[4].value, role_for(node.args[5].value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PageSpec"
    ]


def role_for(permission: str) -> str:
    return "manager" if "manager" in auth.PERMISSIONS[permission] else "admin"


def hostile(tag: str, limit: int | None = None) -> str:
    """``tag`` and the hostile pieces, as many as fit in ``limit`` characters (the importer's field lengths)."""
    text = tag
    for piece in PIECES:
        if limit is None or len(text) + 1 + len(piece) <= limit:
            text += " " + piece
    return text


def _csv(rows: list[dict]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _import(engine: Engine, kind: str, rows: list[dict], filename: str) -> None:
    res = import_bytes(engine, _csv(rows), kind, filename=filename)
    assert res.committed and not res.error_rows, (kind, res.issues.head(10).to_string())


def build(engine: Engine, *, customers: int = 300, seed: int = 11) -> dict[str, int]:
    """Generate the demo, pour hostile text into every text it stores; returns ids the pages are opened on:
    ``customer`` (a hostile name on the review agenda) and ``meeting``."""
    generate(engine, customers=customers, seed=seed, as_of=AS_OF)

    # files: new customers and leads naming new regions, stores, channels and advisors; follow-up notes
    people = [
        {
            "编号": f"H{i}",
            "姓名": hostile(f"客{i}", 128),
            "电话": f"1390000{i:04d}",
            "区域": hostile(f"区{i}", 64),
            "门店": hostile(f"店{i}", 64),
            "销售顾问": hostile(f"顾{i}", 64),
            "渠道": hostile(f"渠{i}", 64),
            "意向车型": hostile(f"车{i}", 64),
        }
        for i in range(3)
    ]
    _import(engine, "customers", people, f"{LINK}{IMAGE}.csv")
    leads = [
        {
            "线索编号": f"HL{i}",
            "客户编号": f"H{i}",
            "门店": p["门店"],
            "渠道": p["渠道"],
            "销售顾问": p["销售顾问"],
            "线索创建时间": "2026-06-01",
            "状态": "跟进中",
            "意向车型": hostile(f"线{i}", 64),
        }
        for i, p in enumerate(people)
    ]
    _import(engine, "leads", leads, "leads.csv")
    with engine.connect() as conn:
        some_leads = conn.execute(sa.select(Lead.external_id).where(Lead.external_id.is_not(None)).limit(5))
        notes = [
            {
                "线索编号": ext,
                "跟进时间": "2026-06-20 10:00",
                "跟进方式": "电话",
                "结果": "接通",
                "备注": hostile(f"记{i}"),
            }
            for i, (ext,) in enumerate(some_leads)
        ]
    if notes:
        _import(engine, "followups", notes, "notes.csv")

    # what only the generator writes: every name and free text it made
    with engine.begin() as conn:
        for model, columns in (
            (Region, ("name", "name_en")),
            (Store, ("name", "name_en", "brand")),
            (Channel, ("name", "name_en")),
            (Advisor, ("name",)),
        ):
            for (rid,) in conn.execute(sa.select(model.id)).all():
                conn.execute(
                    sa.update(model)
                    .where(model.id == rid)
                    .values({c: hostile(f"{model.__tablename__[:2]}{rid}{c[-2:]}") for c in columns})
                )
        # names are sealed at rest: written as values through the importer's update path (which also writes
        # their keyed hashes), not as a SQL expression
        ids = [cid for (cid,) in conn.execute(sa.select(Customer.id)).all()]
        update_rows(
            conn, Customer.__table__, pd.DataFrame({"id": ids, "name": [f"{hostile('客')}{i}" for i in ids]})
        )
        conn.execute(
            sa.update(Customer).values(
                intended_model=hostile("车"),
                budget_range=hostile("预"),
                purpose=hostile("用"),
            )
        )
        conn.execute(sa.update(Lead).values(intended_model=hostile("线")))
        conn.execute(sa.update(FollowUp).where(FollowUp.note.is_(None)).values(note=hostile("记")))
        conn.execute(sa.update(Purchase).values(model=hostile("购")))
        conn.execute(sa.update(Defeat).values(competitor_brand=hostile("竞"), competitor_model=hostile("型")))
        conn.execute(sa.update(EventAttendance).values(event=hostile("活")))
        conn.execute(
            sa.update(ScoringScheme).values(
                name=sa.literal(hostile("方案")) + sa.cast(ScoringScheme.id, sa.String)
            )
        )
        conn.execute(sa.update(User).values(display_name=sa.literal(hostile("人")) + User.name))
        for sid, params in conn.execute(
            sa.select(ScoringScheme.id, ScoringScheme.params).where(ScoringScheme.population == "owners")
        ).all():
            params = dict(params)
            params["labels"] = [TIER_LABELS.get(x, x) for x in params["labels"]]
            params["triggers"] = [
                {**tr, "tier": TIER_LABELS.get(tr["tier"], tr["tier"])} for tr in params["triggers"]
            ]
            conn.execute(sa.update(ScoringScheme).where(ScoringScheme.id == sid).values(params=params))
            for old, new in TIER_LABELS.items():
                conn.execute(
                    sa.update(TierAssignment)
                    .where(TierAssignment.scheme_id == sid, TierAssignment.tier == old)
                    .values(tier=new)
                )

    # the workflow's own writes: a meeting, decisions with reasons and notes, an override, a pending defeat
    meeting = review.open_meeting(engine, population="owners", week=WEEK, actor="manager")
    with engine.connect() as conn:
        items = conn.execute(
            sa.select(ReviewItem.id, ReviewItem.customer_id, ReviewItem.row_version, ReviewItem.new_tier)
            .where(ReviewItem.meeting_id == meeting)
            .order_by(ReviewItem.id)
        ).all()
    assert len(items) >= 3, "the demo's meeting needs an agenda"
    first = items[0]
    review.decide(
        engine, item_id=first.id, read_version=first.row_version, decision="overridden",
        tier=first.new_tier, reason=hostile("因", 256), note=hostile("注"), actor="manager",
        now=dt.datetime(2026, 6, 30, 10, 0),
    )  # fmt: skip
    second = items[1]
    review.decide(
        engine, item_id=second.id, read_version=second.row_version, decision="confirmed", actor="manager",
        note=hostile("注二"), now=dt.datetime(2026, 6, 30, 10, 0),
    )  # fmt: skip
    overrides.set_override(
        engine, customer_id=items[2].customer_id, population="owners", tier=items[2].new_tier,
        reason=hostile("手", 256), note=hostile("手注"), actor="manager", now=dt.datetime(2026, 6, 30, 11, 0),
    )  # fmt: skip
    with engine.connect() as conn:
        open_lead = conn.execute(
            sa.select(Lead.id).where(Lead.status == "open").order_by(Lead.id).limit(1)
        ).scalar_one()
    defeat_approval.request_defeat(
        engine, lead_id=open_lead, reason="competitor", actor="staff",
        competitor_brand=hostile("竞", 64), competitor_model=hostile("型", 64), note=hostile("败"),
    )  # fmt: skip

    # an account whose own name and display name are hostile, and audit details that quote data
    auth.create_user(
        engine, name="hostile", role="analyst", password="hostile-password-1",
        actor="admin", display_name=hostile("新人", 64),
    )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            sa.insert(AuditLog),
            [
                {
                    "at": dt.datetime(2026, 6, 30, 12, 0),
                    "actor": hostile("操"),
                    "action": "import",
                    "object_type": hostile("类"),
                    "object_id": hostile("号"),
                    "detail": {"file": hostile("文件"), "note": HOSTILE},
                }
            ],
        )
    return {"customer": int(first.customer_id), "meeting": int(meeting)}
