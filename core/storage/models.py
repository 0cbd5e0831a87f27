"""The data model (SQLAlchemy 2.x, typed) for every object of the domain.

Columns holding personal data carry ``info={"pii": True}``; masking and exports look for that flag.
Times are naive local time (China Standard Time); dates are calendar dates.
Schema changes go through Alembic migrations in ``core/storage/migrations``; a test checks the two agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.storage.pii_crypto import EncryptedText, index_default

PII = {"pii": True}

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Vocabularies. Codes are stored; labels live in the dashboard's i18n table.
CUSTOMER_KINDS = ("person", "sole_trader", "enterprise", "government", "leasing")
FUNNEL_STAGES = ("lead", "first_contact", "needs", "visit", "test_drive", "quote", "order", "delivery")
# when each stage after "lead" was reached: column of ``leads`` per FUNNEL_STAGES[1:]
STAGE_TIME_COLUMNS = (
    "first_contact_at",
    "needs_at",
    "visit_at",
    "test_drive_at",
    "quote_at",
    "order_at",
    "delivery_at",
)
LEAD_GRADES = ("H", "A", "B", "C", "O", "D", "M")
LEAD_STATUSES = ("open", "won", "defeated")
FOLLOW_UP_KINDS = ("call", "wechat", "sms", "visit")
FOLLOW_UP_OUTCOMES = ("reached", "no_answer", "replied", "no_reply", "visited")
PURCHASE_KINDS = ("new_car", "maintenance", "repair", "insurance", "finance", "accessories")
DEFEAT_REASONS = ("price", "competitor", "model", "service", "finance", "delivery_time", "unclear_need")
PRICE_SUB_REASONS = (
    "positioned_high",
    "dealer_markup",
    "price_war",
    "promotion_mismatch",
    "excuse",
    "need_misread",
)
SATISFACTION_GRADES = ("A", "B", "C", "D", "E", "F")
COST_MODELS = ("per_lead", "per_visit", "per_sale", "flat", "none")
SCHEME_POPULATIONS = ("owners", "leads")
SCHEME_STATUSES = ("draft", "published", "archived")
DEFEAT_APPROVALS = ("pending", "approved", "returned")
REVIEW_DECISIONS = ("confirmed", "overridden")
# scoring_schemes.published_population: the population while the version is published, else NULL
PUBLISHED_POPULATION_SQL = "CASE WHEN status = 'published' THEN population END"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Region(Base):
    """区域: where a customer lives."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))


class Store(Base):
    """门店 (4S store) of a dealer group."""

    __tablename__ = "stores"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    brand: Mapped[str] = mapped_column(String(64))


class Channel(Base):
    """线索渠道: lead source, with how its spend is counted."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    cost_model: Mapped[str] = mapped_column(String(16))  # one of COST_MODELS
    online: Mapped[bool] = mapped_column(Boolean, default=True)


class ChannelSpend(Base):
    """投放费用: a channel's spend for one store and month (month = first day of the month)."""

    __tablename__ = "channel_spend"
    __table_args__ = (UniqueConstraint("channel_id", "store_id", "month", name="uq_channel_spend_month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Numeric(14, 2))


class Advisor(Base):
    """销售顾问: belongs to a store; level and weekly capacity (follow-ups per week)."""

    __tablename__ = "advisors"
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), info=PII)
    level: Mapped[str] = mapped_column(String(16))  # junior / senior / expert
    capacity_per_week: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(Base):
    """客户: a person or an organisation."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of CUSTOMER_KINDS
    # sealed at rest (core.storage.pii_crypto): the columns hold base64 AES-GCM text, the model reads plain text
    name: Mapped[str] = mapped_column(EncryptedText(1024, "customers.name"), info=PII)
    phone: Mapped[str | None] = mapped_column(EncryptedText(256, "customers.phone"), info=PII)
    # keyed hashes that find a customer without decrypting anyone: bulk writes derive them from the frame,
    # any other insert from its parameters (an update of name or phone goes through importing's update_rows)
    phone_hash: Mapped[str | None] = mapped_column(String(32), index=True, default=index_default("phone"))
    phone_last4_hash: Mapped[str | None] = mapped_column(
        String(32), index=True, default=index_default("phone_last4")
    )
    name_hash: Mapped[str | None] = mapped_column(String(32), index=True, default=index_default("name"))
    gender: Mapped[str | None] = mapped_column(String(1), info=PII)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, info=PII)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"), index=True)
    first_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    intended_model: Mapped[str | None] = mapped_column(String(64))
    budget_range: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(32))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Lead(Base):
    """商机: one customer's path through the funnel, owned by an advisor.

    ``stage_reached`` indexes ``FUNNEL_STAGES``; each ``*_at`` is when that stage was reached (NULL if not).
    """

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_created_store", "created_at", "store_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )  # source system's key
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    intended_model: Mapped[str | None] = mapped_column(String(64))
    grade: Mapped[str] = mapped_column(String(1))  # one of LEAD_GRADES
    status: Mapped[str] = mapped_column(String(16))  # one of LEAD_STATUSES
    stage_reached: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    needs_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    visit_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    test_drive_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    quote_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    order_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivery_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    defeated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expected_purchase_date: Mapped[dt.date | None] = mapped_column(Date)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    asked_competitor: Mapped[bool] = mapped_column(Boolean, default=False)


class FollowUp(Base):
    """跟进记录: a call, WeChat message, SMS or visit."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )  # source system's key
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))  # one of FOLLOW_UP_KINDS
    outcome: Mapped[str] = mapped_column(String(16))  # one of FOLLOW_UP_OUTCOMES
    responded: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text, info=PII)


class Purchase(Base):
    """消费: new car, maintenance, repair, insurance, finance or accessories."""

    __tablename__ = "purchases"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )  # source system's key
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of PURCHASE_KINDS
    at: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[float] = mapped_column(Numeric(14, 2))
    gross_profit: Mapped[float] = mapped_column(Numeric(14, 2))
    model: Mapped[str | None] = mapped_column(String(64))


class Defeat(Base):
    """战败: a lost lead, why and where it was lost, and whether it came back."""

    __tablename__ = "defeats"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )  # source system's key
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    stage_lost: Mapped[int] = mapped_column(SmallInteger)  # index into FUNNEL_STAGES
    reason: Mapped[str] = mapped_column(String(32))  # one of DEFEAT_REASONS
    sub_reason: Mapped[str | None] = mapped_column(String(32))  # PRICE_SUB_REASONS for price
    competitor_brand: Mapped[str | None] = mapped_column(String(64))
    competitor_model: Mapped[str | None] = mapped_column(String(64))
    approval: Mapped[str] = mapped_column(String(16), default="approved")  # one of DEFEAT_APPROVALS
    requested_by: Mapped[str | None] = mapped_column(String(64))  # the advisor who marked it (app: actor)
    approval_by: Mapped[str | None] = mapped_column(String(64))  # the manager who approved or sent it back
    approval_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approval_note: Mapped[str | None] = mapped_column(Text)
    reactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    reactivated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Satisfaction(Base):
    """满意度: survey or call grade (A 非常满意 … E 非常不满意, F 重大客户) and complaints."""

    __tablename__ = "satisfaction"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[dt.date] = mapped_column(Date)
    grade: Mapped[str] = mapped_column(String(1))
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint_resolved: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # survey / call


class EventAttendance(Base):
    """活动参与: a customer came to a store event (loyalty)."""

    __tablename__ = "event_attendances"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[dt.date] = mapped_column(Date)
    event: Mapped[str] = mapped_column(String(64))


class ScoringScheme(Base):
    """分级方案: dimensions, weights, normalisation, tier rule and triggers; versioned per population."""

    __tablename__ = "scoring_schemes"
    __table_args__ = (
        UniqueConstraint("population", "version", name="uq_scoring_schemes_version"),
        # one published version per population, enforced by the database on every backend (MariaDB has no
        # partial index; a generated column that is NULL unless published, under a unique index, works on all)
        Index("uq_scoring_schemes_published", "published_population", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    population: Mapped[str] = mapped_column(String(16))  # one of SCHEME_POPULATIONS
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # one of SCHEME_STATUSES
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_population: Mapped[str | None] = mapped_column(
        String(16), Computed(PUBLISHED_POPULATION_SQL, persisted=True)
    )


class TierAssignment(Base):
    """分级结果: a customer's tier from a scheme version, valid from ``effective_from`` until replaced.

    The current assignment has ``effective_to`` NULL; history keeps every earlier one.
    """

    __tablename__ = "tier_assignments"
    __table_args__ = (Index("ix_tier_assignments_current", "effective_to", "customer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_schemes.id"), index=True)
    tier: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Double)  # double precision everywhere (MariaDB's FLOAT is single)
    rule: Mapped[str | None] = mapped_column(String(64))  # trigger rule that forced the tier, if any
    effective_from: Mapped[dt.datetime] = mapped_column(DateTime)
    effective_to: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TierOverride(Base):
    """人工调整: a person's tier decision that stays in force through rescoring until it expires or is cleared.

    ``row_version`` implements optimistic locking for concurrent editors.
    """

    __tablename__ = "tier_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    population: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class ReviewMeeting(Base):
    """周会: the weekly tier review of one population, comparing the tiers in force at ``cutoff_at`` with those
    at ``baseline_at`` (the previous meeting's cut-off, or just before the last publish)."""

    __tablename__ = "review_meetings"
    __table_args__ = (UniqueConstraint("population", "week_start", name="uq_review_meetings_week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    population: Mapped[str] = mapped_column(String(16))
    week_start: Mapped[dt.date] = mapped_column(Date)  # the meeting's Monday
    baseline_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cutoff_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReviewItem(Base):
    """One customer's tier change on a meeting's agenda, and what the meeting decided about it.

    ``row_version`` implements optimistic locking: a save names the version it read and fails if it moved.
    """

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("meeting_id", "customer_id", name="uq_review_items_customer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("review_meetings.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"))
    old_tier: Mapped[str | None] = mapped_column(String(32))
    new_tier: Mapped[str] = mapped_column(String(32))
    old_score: Mapped[float | None] = mapped_column(Double)
    new_score: Mapped[float | None] = mapped_column(Double)
    rule: Mapped[str | None] = mapped_column(String(64))  # trigger rule that forced the new tier, if any
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)  # [[dimension, change in points], ...]
    decision: Mapped[str | None] = mapped_column(String(16))  # one of REVIEW_DECISIONS, None = open
    decided_tier: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    override_id: Mapped[int | None] = mapped_column(ForeignKey("tier_overrides.id"))
    discussed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class AuditLog(Base):
    """审计日志: who did what, when. Written by the app, never edited by it."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class User(Base):
    """用户: an account of the dashboard. Passwords are kept only as salted scrypt hashes (core.access.auth).

    A staff account may be tied to an advisor: it sees that advisor's customers only.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # one of core.access.auth.ROLES
    password_hash: Mapped[str] = mapped_column(String(255))
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisors.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UserSession(Base):
    """A signed-in session: only a hash of its random token is stored; it ends on logout or inactivity."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RoleSetting(Base):
    """Per-role switches an admin changes (audited): whether the role may see personal data."""

    __tablename__ = "role_settings"
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    show_pii: Mapped[bool] = mapped_column(Boolean)


class LoginThrottle(Base):
    """Failed sign-ins counted per key (``name:N|ip:A`` per account and address, ``ip:A`` per address,
    ``name:N`` per account, unknown names too): a sign-in first reserves an attempt on every key with one
    atomic UPDATE, so however many run in parallel at most the limit's number of passwords are checked."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # attempts reserved and not yet succeeded
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Meta(Base):
    """Key/value facts about the database, e.g. how and when demo data was generated."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def pii_columns() -> dict[str, list[str]]:
    """Table name → columns marked as personal data.

    Examples
    --------
    >>> sorted(pii_columns()["customers"])
    ['birth_date', 'gender', 'name', 'phone']
    """
    out: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        cols = [c.name for c in table.columns if c.info.get("pii")]
        if cols:
            out[table.name] = cols
    return out
