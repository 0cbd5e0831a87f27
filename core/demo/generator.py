"""Deterministic demo data: a Huizhou dealer group with 36 months of history.

Everything is drawn from ``numpy.random.default_rng(seed)`` in a fixed order, so the same ``seed``,
``customers`` and ``as_of`` give the same database. Outcomes follow behaviour: every customer has a
hidden engagement level that raises funnel conversion, follow-up responsiveness, satisfaction,
service loyalty and repurchase, so that scoring has something real to find. Defeat reasons follow the
articles (price first). Fast first contact converts better (the 5-minute rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.demo import reference as ref
from core.storage.bulk import write_frames
from core.storage.models import STAGE_TIME_COLUMNS

HISTORY_DAYS = 365 * 3
# typical stage-to-stage pass rates of an average lead (first contact … delivery)
PASS_RATES = np.array([0.93, 0.78, 0.45, 0.70, 0.80, 0.28, 0.96])
DAY = np.timedelta64(1, "D")
Progress = Callable[[float, str], None]


@dataclass
class DemoSummary:
    """Row counts written per table, and the reference date of the data."""

    as_of: dt.date
    seed: int
    rows: dict[str, int] = field(default_factory=dict)


def _noop(_fraction: float, _what: str) -> None:
    return None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _choice(rng: np.random.Generator, shares: list[float], size: int) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _hours(x: np.ndarray) -> np.ndarray:
    """Hours (floats) as a timedelta, to the minute."""
    return (x * 60.0).astype("timedelta64[m]").astype("timedelta64[s]")


def _days(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) * 86400.0).astype("timedelta64[s]")


class _Generator:
    def __init__(self, customers: int, seed: int, as_of: dt.date, progress: Progress):
        if customers < 1:
            raise ValueError("customers must be at least 1")
        self.n = customers
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.now = np.datetime64(dt.datetime.combine(as_of, dt.time(18, 0)), "s")
        self.start = self.now - np.timedelta64(HISTORY_DAYS, "D")
        self.progress = progress
        self.frames: dict[str, pd.DataFrame] = {}

    # ---- reference tables -------------------------------------------------------------------------
    def reference(self) -> None:
        self.frames["regions"] = pd.DataFrame(
            {
                "id": np.arange(1, len(ref.REGIONS) + 1),
                "code": [r[0] for r in ref.REGIONS],
                "name": [r[1] for r in ref.REGIONS],
                "name_en": [r[2] for r in ref.REGIONS],
            }
        )
        region_id = {r[0]: i + 1 for i, r in enumerate(ref.REGIONS)}
        self.frames["stores"] = pd.DataFrame(
            {
                "id": np.arange(1, len(ref.STORES) + 1),
                "code": [s[0] for s in ref.STORES],
                "name": [s[1] for s in ref.STORES],
                "name_en": [s[2] for s in ref.STORES],
                "region_id": [region_id[s[3]] for s in ref.STORES],
                "brand": ref.BRAND,
            }
        )
        self.frames["channels"] = pd.DataFrame(
            {
                "id": np.arange(1, len(ref.CHANNELS) + 1),
                "code": [c[0] for c in ref.CHANNELS],
                "name": [c[1] for c in ref.CHANNELS],
                "name_en": [c[2] for c in ref.CHANNELS],
                "cost_model": [c[3] for c in ref.CHANNELS],
                "online": [c[7] for c in ref.CHANNELS],
            }
        )
        rng = self.rng
        per_store = int(np.clip(self.n / 2500, 4, 40))
        n_adv = per_store * len(ref.STORES)
        level = _choice(rng, [0.45, 0.40, 0.15], n_adv)
        names = self._person_names(n_adv)
        self.frames["advisors"] = pd.DataFrame(
            {
                "id": np.arange(1, n_adv + 1),
                "store_id": np.repeat(np.arange(1, len(ref.STORES) + 1), per_store),
                "name": names,
                "level": np.array([lv[0] for lv in ref.ADVISOR_LEVELS])[level],
                "capacity_per_week": np.array([lv[1] for lv in ref.ADVISOR_LEVELS])[level],
                "active": rng.random(n_adv) > 0.05,
            }
        )
        # hidden advisor traits: skill adds to conversion; discipline keeps the follow-up cadence
        self.adv_skill = rng.normal(0.0, 0.25, n_adv) + 0.15 * level
        self.adv_discipline = rng.beta(5, 2, n_adv)
        self.per_store = per_store

    def _person_names(self, k: int) -> np.ndarray:
        rng = self.rng
        s = np.array(ref.SURNAMES)[rng.integers(0, len(ref.SURNAMES), k)]
        g1 = np.array(ref.GIVEN)[rng.integers(0, len(ref.GIVEN), k)]
        g2 = np.array(ref.GIVEN)[rng.integers(0, len(ref.GIVEN), k)]
        two = rng.random(k) < 0.6
        return np.where(two, np.char.add(np.char.add(s, g1), g2), np.char.add(s, g1))

    # ---- customers ---------------------------------------------------------------------------------
    def customers(self) -> None:
        rng, n = self.rng, self.n
        self.eng = rng.beta(2.0, 3.0, n)  # hidden engagement / intent, mean 0.4
        self.z = (self.eng - 0.4) / 0.2
        kind_idx = _choice(rng, [k[1] for k in ref.CUSTOMER_KIND_SHARES], n)
        kinds = np.array([k[0] for k in ref.CUSTOMER_KIND_SHARES])[kind_idx]
        region_idx = _choice(rng, [r[3] for r in ref.REGIONS], n)
        store_code = np.array([ref.REGION_STORE[r[0]] for r in ref.REGIONS])[region_idx]
        # one customer in ten is served by another store of the group than the one nearest to them
        store_idx = np.searchsorted([s[0] for s in ref.STORES], store_code)
        store_order = np.argsort([s[0] for s in ref.STORES])
        store_idx = store_order[store_idx]
        moved = rng.random(n) < 0.10
        store_idx = np.where(moved, rng.integers(0, len(ref.STORES), n), store_idx)
        # a quarter were already owners (bought before the history window); the rest arrive over it
        base_owner = rng.random(n) < 0.22
        u = rng.random(n)
        arrive = self.start + _days(HISTORY_DAYS * u**0.85)
        before = self.start - _days(rng.uniform(30, 2 * 365, n))
        created = np.where(base_owner, before, arrive)
        # ids grow with time, as in a CRM
        order = np.argsort(created, kind="stable")
        for name in ("eng", "z"):
            setattr(self, name, getattr(self, name)[order])
        kinds, region_idx, store_idx = kinds[order], region_idx[order], store_idx[order]
        base_owner, created = base_owner[order], created[order]
        ids = np.arange(1, n + 1)
        names = self._person_names(n)
        org = kinds != "person"
        if org.any():
            k = int(org.sum())
            pre = np.array(ref.COMPANY_PREFIX)[rng.integers(0, len(ref.COMPANY_PREFIX), k)]
            word = np.array(ref.COMPANY_WORDS)[rng.integers(0, len(ref.COMPANY_WORDS), k)]
            suf = np.array([ref.COMPANY_SUFFIX[x] for x in kinds[org]])
            names = names.astype(object)
            names[org] = np.char.add(np.char.add(pre, word), suf)
        # unique mobile numbers: a prefix and the id scrambled by an affine map mod 10^8
        prefixes = np.array(
            ["138", "139", "135", "136", "137", "150", "151", "158", "159", "186", "187", "188"]
        )
        body = (ids * 48_271 + 12_345 + seed_offset(self.seed)) % 100_000_000
        phones = np.char.add(prefixes[ids % len(prefixes)], np.char.zfill(body.astype(str), 8))
        gender = np.where(org, None, np.where(rng.random(n) < 0.68, "M", "F"))
        birth = (np.datetime64("1960-01-01") + rng.integers(0, 40 * 365, n) * DAY).astype("datetime64[D]")
        self.cust_store = store_idx + 1
        self.cust_created = created
        self.base_owner = base_owner
        model_idx = _choice(rng, [m[3] for m in ref.MODELS], n)
        self.cust_model = model_idx
        self.frames["customers"] = pd.DataFrame(
            {
                "id": ids,
                "external_id": np.char.add("CRM", np.char.zfill(ids.astype(str), 8)),
                "kind": kinds,
                "name": names,
                "phone": phones,
                "gender": gender,
                "birth_date": np.where(org, np.datetime64("NaT"), birth),
                "region_id": region_idx + 1,
                "store_id": self.cust_store,
                "advisor_id": 0,  # set from the first lead below
                "first_channel_id": pd.array([pd.NA] * n, dtype="Int64"),
                "referred_by_id": pd.array([pd.NA] * n, dtype="Int64"),
                "intended_model": np.array([m[0] for m in ref.MODELS])[model_idx],
                "budget_range": np.array(ref.BUDGETS)[np.clip(model_idx // 2 + rng.integers(-1, 2, n), 0, 4)],
                "purpose": np.array(ref.PURPOSES)[_choice(rng, [0.45, 0.25, 0.2, 0.04, 0.06], n)],
                "is_owner": base_owner,
                "created_at": created,
            }
        )

    # ---- leads and the funnel ------------------------------------------------------------------------
    def leads(self) -> None:
        rng, n = self.rng, self.n
        ids = np.arange(n)
        extra = (rng.random(n) < 0.5).astype(int) + (rng.random(n) < 0.2) + (rng.random(n) < 0.06)
        # base owners come back for another car (or not), more often when engaged
        n_leads = np.where(self.base_owner, (rng.random(n) < 0.2 + 0.5 * self.eng).astype(int), 1 + extra)
        cust = np.repeat(ids, n_leads)
        seq = np.arange(len(cust)) - np.repeat(np.cumsum(n_leads) - n_leads, n_leads)
        m = len(cust)
        created = self.cust_created[cust].copy()
        later = (seq > 0) | self.base_owner[cust]
        floor = np.maximum(created, self.start)
        span = (self.now - floor).astype("timedelta64[s]").astype(float) / 86400.0
        offs = np.where(later, rng.uniform(0.15, 1.0, m) * np.maximum(span - 1, 0), 0.0)
        created = np.where(later, floor + _days(offs), created)
        created = created + _hours(rng.uniform(0, 10, m))  # spread over the business day (hours)
        created = np.minimum(created, self.now - np.timedelta64(3600, "s"))
        order = np.lexsort((seq, created))  # lead ids grow with time
        cust, created, seq = cust[order], created[order], seq[order]
        z = self.z[cust]

        chan = _choice(rng, [c[5] for c in ref.CHANNELS], m)
        chan_quality = np.array([c[6] for c in ref.CHANNELS])[chan]
        walk_in = chan == [c[0] for c in ref.CHANNELS].index("walk_in")
        store = self.cust_store[cust]
        adv = (store - 1) * self.per_store + rng.integers(0, self.per_store, m)
        skill, discipline = self.adv_skill[adv], self.adv_discipline[adv]
        # minutes to first contact: fast advisors answer within 5 minutes, slow ones take hours
        resp_min = rng.lognormal(np.log(12) - 1.6 * (discipline - 0.7), 1.4, m)
        resp_min = np.where(walk_in, 0.0, resp_min)
        speed = np.select([resp_min <= 5, resp_min <= 15, resp_min <= 120], [0.35, 0.15, 0.0], -0.30)
        owner_before = self.base_owner[cust] | (seq > 0)
        base = np.log(PASS_RATES / (1 - PASS_RATES))
        stage = np.zeros(m, dtype=np.int16)
        alive = np.ones(m, dtype=bool)
        for k in range(7):
            logit = base[k] + 0.9 * z + chan_quality + skill + (speed if k >= 1 else 0.0) + 0.3 * owner_before
            if k < 3:
                logit = np.where(
                    walk_in, 6.0, logit
                )  # a walk-in is contacted, heard and in the store at once
            passed = alive & (rng.random(m) < _sigmoid(logit))
            stage = stage + passed
            alive = passed
        gaps = np.stack(
            [
                _hours(resp_min / 60.0),
                _days(rng.uniform(0.01, 2.0, m)),
                _days(rng.exponential(5.0, m)),
                _days(rng.uniform(0.0, 2.0, m) * (rng.random(m) < 0.5)),
                _days(rng.exponential(2.0, m)),
                _days(rng.exponential(7.0, m)),
                _days(rng.uniform(7.0, 30.0, m)),
            ],
            axis=1,
        )
        gaps[walk_in, 0:3] = np.timedelta64(0, "s")
        times = created[:, None] + np.cumsum(gaps, axis=1)  # times[:, k] = reaching stage k+1
        reached_by_now = (times <= self.now).sum(axis=1)  # times are increasing
        cut = reached_by_now < stage
        stage = np.minimum(stage, reached_by_now).astype(np.int16)
        last_stage_time = np.where(stage > 0, times[np.arange(m), np.maximum(stage - 1, 0)], created)
        # a lead that stopped before delivery is defeated after a while, unless the window ends first
        stop_wait = _days(rng.uniform(3.0, 40.0, m))
        defeated_at = last_stage_time + stop_wait
        ordered_pending = (stage == 6) & cut
        defeated = (stage < 7) & ~cut & (defeated_at <= self.now) & (rng.random(m) < 0.92) & ~ordered_pending
        won = stage == 7
        status = np.where(won, "won", np.where(defeated, "defeated", "open"))
        stage_cols = {}
        for k, col in enumerate(STAGE_TIME_COLUMNS):
            stage_cols[col] = np.where(stage > k, times[:, k], np.datetime64("NaT"))
        # grade: D/M after delivery, O once ordered, else H/A/B/C by intent and depth
        intent = z + 0.35 * stage + rng.normal(0, 0.6, m)
        grade = np.select([intent > 2.6, intent > 1.6, intent > 0.6], ["H", "A", "B"], "C").astype(object)
        grade = np.where(stage == 6, "O", grade)
        delivered_recent = won & (self.now - stage_cols["delivery_at"] <= np.timedelta64(30, "D"))
        grade = np.where(won, np.where(delivered_recent, "D", "M"), grade)
        exp_days = pd.Series(grade).map({"H": 5, "A": 25, "B": 90, "C": 120}).to_numpy(dtype=float)
        open_ = status == "open"
        expected = np.where(
            open_ & ~np.isnan(exp_days),
            (self.now + _days(np.nan_to_num(exp_days))).astype("datetime64[D]"),
            np.datetime64("NaT"),
        )
        asked_comp = rng.random(m) < 0.04 + 0.12 * defeated
        model = np.where(
            rng.random(m) < 0.8, self.cust_model[cust], _choice(rng, [mm[3] for mm in ref.MODELS], m)
        )

        self.lead = pd.DataFrame(
            {
                "id": np.arange(1, m + 1),
                "customer_id": cust + 1,
                "store_id": store,
                "advisor_id": adv + 1,
                "channel_id": chan + 1,
                "intended_model": np.array([mm[0] for mm in ref.MODELS])[model],
                "grade": grade,
                "status": status,
                "stage_reached": stage,
                "created_at": created,
                **stage_cols,
                "defeated_at": np.where(defeated, defeated_at, np.datetime64("NaT")),
                "expected_purchase_date": expected,
                "last_contact_at": np.datetime64("NaT"),
                "asked_competitor": asked_comp,
            }
        )
        self.lead_model = model
        self.lead_discipline = discipline
        self.lead_skill = skill
        # the customer's advisor and first channel are those of their first lead
        first = self.lead.drop_duplicates("customer_id")
        cust_df = self.frames["customers"]
        adv_col = np.zeros(n, dtype=np.int64)
        adv_col[first["customer_id"].to_numpy() - 1] = first["advisor_id"].to_numpy()
        no_lead = adv_col == 0
        adv_col[no_lead] = (self.cust_store[no_lead] - 1) * self.per_store + rng.integers(
            1, self.per_store + 1, int(no_lead.sum())
        )
        cust_df["advisor_id"] = adv_col
        first_chan = pd.array([pd.NA] * n, dtype="Int64")
        first_chan[first["customer_id"].to_numpy() - 1] = first["channel_id"].to_numpy()
        cust_df["first_channel_id"] = first_chan
        # referrals: a customer whose first lead came by referral was sent by an earlier, engaged customer
        ref_chan = [c[0] for c in ref.CHANNELS].index("referral") + 1
        referred = np.flatnonzero(first_chan.to_numpy(dtype=float, na_value=0) == ref_chan)
        referred = referred[referred > 0]
        if len(referred):
            # pick a referrer among earlier customers, weighted toward the engaged: best of 3 random draws
            cand = (rng.random((len(referred), 3)) * referred[:, None]).astype(np.int64)
            best = cand[np.arange(len(referred)), np.argmax(self.eng[cand], axis=1)]
            rb = pd.array([pd.NA] * n, dtype="Int64")
            rb[referred] = best + 1
            cust_df["referred_by_id"] = rb
        owner = self.base_owner.copy()
        owner[cust[won]] = True
        cust_df["is_owner"] = owner
        self.is_owner = owner

    # ---- follow-ups ------------------------------------------------------------------------------
    def follow_ups(self) -> None:
        rng, lead = self.rng, self.lead
        m = len(lead)
        cust = lead["customer_id"].to_numpy() - 1
        eng = self.eng[cust]
        stage = lead["stage_reached"].to_numpy()
        k = np.minimum(stage, 2) + rng.poisson(0.2 + 1.2 * eng)
        start = lead["first_contact_at"].to_numpy()
        start = np.where(np.isnat(start), lead["created_at"].to_numpy(), start)
        end = lead["delivery_at"].to_numpy()
        end = np.where(np.isnat(end), lead["defeated_at"].to_numpy(), end)
        open_ = lead["status"].to_numpy() == "open"
        # on open leads, undisciplined advisors stop calling some while before today: that is what goes overdue
        lapse = _days(rng.exponential(1.0 + 40.0 * (1.0 - self.lead_discipline) ** 2, m))
        end = np.where(open_, self.now - lapse, end)
        end = np.where(np.isnat(end), self.now, end)
        end = np.maximum(end, start)
        idx = np.repeat(np.arange(m), k)
        f = len(idx)
        span = (end - start)[idx].astype("timedelta64[s]").astype(np.int64)
        at = start[idx] + (rng.random(f) * span).astype("timedelta64[s]")
        responded = rng.random(f) < 0.2 + 0.7 * eng[idx]
        kind_idx = _choice(rng, [0.50, 0.35, 0.05, 0.10], f)
        kinds = np.array(["call", "wechat", "sms", "visit"])[kind_idx]
        outcome = np.select(
            [kind_idx == 3, (kind_idx == 0) & responded, (kind_idx == 0) & ~responded, responded],
            ["visited", "reached", "no_answer", "replied"],
            "no_reply",
        )
        responded = responded | (kind_idx == 3)
        fu = pd.DataFrame(
            {
                "customer_id": cust[idx] + 1,
                "lead_id": lead["id"].to_numpy()[idx],
                "advisor_id": lead["advisor_id"].to_numpy()[idx],
                "at": at,
                "kind": kinds,
                "outcome": outcome,
                "responded": responded,
                "note": None,
            }
        )
        fu = fu.sort_values("at", kind="stable").reset_index(drop=True)
        fu.insert(0, "id", np.arange(1, f + 1))
        # last contact: the latest follow-up or the first contact; never contacted stays empty
        last = fu.groupby("lead_id")["at"].max().reindex(lead["id"].to_numpy())
        lead["last_contact_at"] = np.fmax(last.to_numpy(), lead["first_contact_at"].to_numpy())
        self.frames["follow_ups"] = fu

    # ---- purchases, satisfaction, events ---------------------------------------------------------
    def purchases(self) -> None:
        rng, lead, n = self.rng, self.lead, self.n
        price = np.array([mm[1] for mm in ref.MODELS], dtype=float)
        margin = np.array([mm[2] for mm in ref.MODELS])
        won = lead["status"].to_numpy() == "won"
        w = lead[won]
        wm = self.lead_model[won]
        amount = np.round(price[wm] * rng.uniform(0.92, 1.02, len(w)), -2)
        parts = [
            pd.DataFrame(
                {
                    "customer_id": w["customer_id"].to_numpy(),
                    "store_id": w["store_id"].to_numpy(),
                    "lead_id": w["id"].to_numpy(),
                    "kind": "new_car",
                    "at": w["delivery_at"].to_numpy().astype("datetime64[D]"),
                    "amount": amount,
                    "gross_profit": np.round(amount * margin[wm] * rng.uniform(0.6, 1.3, len(w)), 2),
                    "model": np.array([mm[0] for mm in ref.MODELS])[wm],
                }
            )
        ]
        # base owners bought their car before the window
        bo = np.flatnonzero(self.base_owner)
        bm = self.cust_model[bo]
        bamount = np.round(price[bm] * rng.uniform(0.9, 1.0, len(bo)), -2)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": bo + 1,
                    "store_id": self.cust_store[bo],
                    "lead_id": pd.array([pd.NA] * len(bo), dtype="Int64"),
                    "kind": "new_car",
                    "at": self.cust_created[bo].astype("datetime64[D]"),
                    "amount": bamount,
                    "gross_profit": np.round(bamount * margin[bm] * rng.uniform(0.6, 1.3, len(bo)), 2),
                    "model": np.array([mm[0] for mm in ref.MODELS])[bm],
                }
            )
        )
        # finance and accessories sold with a new car
        cars = pd.concat(parts, ignore_index=True)
        for kind, p, lo, hi, gm in (
            ("finance", 0.38, 2000, 8000, 0.6),
            ("accessories", 0.5, 1500, 12000, 0.35),
        ):
            sel = rng.random(len(cars)) < p * (0.6 + 0.8 * self.eng[cars["customer_id"].to_numpy() - 1])
            c = cars[sel]
            amt = np.round(rng.uniform(lo, hi, len(c)), -1)
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": c["customer_id"].to_numpy(),
                        "store_id": c["store_id"].to_numpy(),
                        "lead_id": c["lead_id"].to_numpy(),
                        "kind": kind,
                        "at": c["at"].to_numpy(),
                        "amount": amt,
                        "gross_profit": np.round(amt * gm, 2),
                        "model": None,
                    }
                )
            )
        # after-sales: owners' maintenance, repair, insurance until they lapse (loyalty follows engagement)
        since = cars.groupby("customer_id")["at"].min()
        oc = since.index.to_numpy() - 1
        osince = since.to_numpy().astype("datetime64[D]")
        today = self.now.astype("datetime64[D]")
        loyal = _sigmoid(1.6 * self.z[oc] + 0.4)
        # churn: some owners stop coming; the less engaged, the sooner
        churn = rng.random(len(oc)) < 0.55 * (1 - loyal)
        tenure = (today - osince).astype(float)
        lapse_day = osince + (np.where(churn, rng.uniform(0.2, 1.0, len(oc)) * tenure, tenure + 1)).astype(
            "timedelta64[D]"
        )
        self.owner_lapse = pd.Series(lapse_day, index=oc)
        for kind, every, p_scale, lo, hi, gm in (
            ("maintenance", 182, 1.0, 300, 1600, 0.45),
            ("repair", 540, 0.5, 800, 9000, 0.35),
            ("insurance", 365, 0.9, 3000, 9000, 0.12),
        ):
            # services come on a schedule (every `every` days, ± a few weeks); a loyal owner keeps more of
            # the appointments, so the count per year is steady until the owner lapses
            slots = np.floor(tenure / every).astype(int)
            idx = np.repeat(np.arange(len(oc)), slots)
            k = np.arange(len(idx)) - np.repeat(np.cumsum(slots) - slots, slots) + 1
            jitter = rng.integers(-20, 21, len(idx))
            at = osince[idx] + (k * every + jitter).astype("timedelta64[D]")
            kept = rng.random(len(idx)) < np.clip(p_scale * (0.55 + 0.45 * loyal[idx]), 0, 1)
            keep = kept & (at <= lapse_day[idx]) & (at <= today) & (at > osince[idx])
            idx, at = idx[keep], at[keep]
            amt = np.round(rng.uniform(lo, hi, len(idx)), -1)
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": oc[idx] + 1,
                        "store_id": self.cust_store[oc[idx]],
                        "lead_id": pd.array([pd.NA] * len(idx), dtype="Int64"),
                        "kind": kind,
                        "at": at,
                        "amount": amt,
                        "gross_profit": np.round(amt * gm, 2),
                        "model": None,
                    }
                )
            )
        pur = pd.concat(parts, ignore_index=True)
        pur["lead_id"] = pur["lead_id"].astype("Int64")
        pur = pur.sort_values(["at", "customer_id"], kind="stable").reset_index(drop=True)
        pur.insert(0, "id", np.arange(1, len(pur) + 1))
        self.frames["purchases"] = pur
        self.owner_since = since

        # satisfaction: after delivery and after some services; happier when engaged and served well
        srv = pur[pur["kind"].isin(["new_car", "maintenance", "repair"])]
        srv = srv[(srv["kind"] == "new_car") | (rng.random(len(srv)) < 0.3)]
        srv = srv[srv["at"].to_numpy() >= self.start.astype("datetime64[D]")]
        sc = srv["customer_id"].to_numpy() - 1
        adv = self.frames["customers"]["advisor_id"].to_numpy()[sc] - 1
        mood = 0.8 * self.z[sc] + 2.0 * self.adv_skill[adv] + rng.normal(0, 0.8, len(sc))
        grade = np.select(
            [mood > 0.5, mood > -0.5, mood > -1.3, mood > -2.0], ["A", "B", "C", "D"], "E"
        ).astype(object)
        kinds = self.frames["customers"]["kind"].to_numpy()[sc]
        major = np.isin(kinds, ["enterprise", "government"]) & (rng.random(len(sc)) < 0.2)
        grade = np.where(major, "F", grade)
        complaint = np.isin(grade, ["D", "E"]) & (rng.random(len(sc)) < 0.7)
        resolved = np.where(complaint, rng.random(len(sc)) < 0.65, None)
        sat = pd.DataFrame(
            {
                "customer_id": sc + 1,
                "at": (srv["at"].to_numpy() + rng.integers(3, 10, len(sc)) * DAY).astype("datetime64[D]"),
                "grade": grade,
                "complaint": complaint,
                "complaint_resolved": resolved,
                "source": np.where(rng.random(len(sc)) < 0.6, "call", "survey"),
            }
        )
        sat = sat[sat["at"].to_numpy() <= today].sort_values("at", kind="stable").reset_index(drop=True)
        sat.insert(0, "id", np.arange(1, len(sat) + 1))
        self.frames["satisfaction"] = sat

        # events: engaged customers and owners come to store events
        lam = 2.5 * self.eng**2 * (0.4 + self.is_owner)
        cnt = rng.poisson(lam)
        idx = np.repeat(np.arange(n), cnt)
        first = np.maximum(self.cust_created[idx], self.start).astype("datetime64[D]")
        span = (today - first).astype(float)
        at = first + (rng.random(len(idx)) * span).astype("timedelta64[D]")
        ev = pd.DataFrame(
            {
                "customer_id": idx + 1,
                "at": at,
                "event": np.array(ref.EVENTS)[rng.integers(0, len(ref.EVENTS), len(idx))],
            }
        )
        ev = ev.sort_values("at", kind="stable").reset_index(drop=True)
        ev.insert(0, "id", np.arange(1, len(ev) + 1))
        self.frames["event_attendances"] = ev

    # ---- defeats -----------------------------------------------------------------------------------
    def defeats(self) -> None:
        rng, lead = self.rng, self.lead
        d = lead[lead["status"] == "defeated"]
        k = len(d)
        asked = d["asked_competitor"].to_numpy()
        shares = np.array([s for _, s in ref.DEFEAT_REASON_SHARES])
        reason_idx = _choice(rng, list(shares), k)
        # a customer who asked about a competitor is lost to that competitor more often
        to_comp = asked & (rng.random(k) < 0.4)
        reason_idx = np.where(to_comp, 1, reason_idx)
        reasons = np.array([r for r, _ in ref.DEFEAT_REASON_SHARES])[reason_idx]
        sub = np.where(
            reasons == "price",
            np.array([r for r, _ in ref.PRICE_SUB_REASON_SHARES])[
                _choice(rng, [s for _, s in ref.PRICE_SUB_REASON_SHARES], k)
            ],
            None,
        )
        comp_idx = rng.integers(0, len(ref.COMPETITORS), k)
        has_comp = np.isin(reasons, ["competitor", "price", "model"]) & (
            (reasons == "competitor") | (rng.random(k) < 0.5)
        )
        brand = np.where(has_comp, np.array([c[0] for c in ref.COMPETITORS])[comp_idx], None)
        cmodel = np.where(has_comp, np.array([c[1] for c in ref.COMPETITORS])[comp_idx], None)
        # re-activated: the customer opened another lead after this defeat
        later = lead[["customer_id", "created_at"]].rename(columns={"created_at": "next_at"})
        dd = d[["id", "customer_id", "defeated_at"]].reset_index(drop=True)
        nxt = pd.merge_asof(
            dd.sort_values("defeated_at"),
            later.sort_values("next_at"),
            left_on="defeated_at",
            right_on="next_at",
            by="customer_id",
            direction="forward",
        ).set_index("id")
        react_at = nxt.loc[d["id"].to_numpy(), "next_at"].to_numpy()
        self.frames["defeats"] = pd.DataFrame(
            {
                "id": np.arange(1, k + 1),
                "lead_id": d["id"].to_numpy(),
                "customer_id": d["customer_id"].to_numpy(),
                "advisor_id": d["advisor_id"].to_numpy(),
                "at": d["defeated_at"].to_numpy(),
                "stage_lost": d["stage_reached"].to_numpy(),
                "reason": reasons,
                "sub_reason": sub,
                "competitor_brand": brand,
                "competitor_model": cmodel,
                "approval": "approved",
                "reactivated": ~np.isnat(react_at),
                "reactivated_at": react_at,
            }
        )

    # ---- channel spend ---------------------------------------------------------------------------
    def spend(self) -> None:
        rng, lead = self.rng, self.lead
        month = lead["created_at"].to_numpy().astype("datetime64[M]")
        key = pd.DataFrame(
            {
                "channel_id": lead["channel_id"].to_numpy(),
                "store_id": lead["store_id"].to_numpy(),
                "month": month,
                "lead": 1,
                "visit": lead["stage_reached"].to_numpy() >= 3,
                "sale": lead["stage_reached"].to_numpy() >= 6,
            }
        )
        agg = key.groupby(["channel_id", "store_id", "month"], as_index=False).sum()
        model = np.array([c[3] for c in ref.CHANNELS])[agg["channel_id"].to_numpy() - 1]
        unit = np.array([c[4] for c in ref.CHANNELS])[agg["channel_id"].to_numpy() - 1]
        noise = rng.uniform(0.9, 1.1, len(agg))
        # flat fees scale with the size of the business, so every demo size keeps a realistic cost per lead
        scale = self.n / 60_000
        amount = (
            np.select(
                [model == "per_lead", model == "per_visit", model == "per_sale", model == "flat"],
                [unit * agg["lead"], unit * agg["visit"], unit * agg["sale"], unit * scale],
                0.0,
            )
            * noise
        )
        # online acquisition got dearer: +45% over three years (the articles' figure)
        months = agg["month"].to_numpy().astype("datetime64[M]") - self.start.astype("datetime64[M]")
        years = months.astype(np.int64) / 36.0
        amount = np.round(amount * (0.85 + 0.45 * 0.85 * years), 2)
        out = pd.DataFrame(
            {
                "channel_id": agg["channel_id"],
                "store_id": agg["store_id"],
                "month": agg["month"].to_numpy().astype("datetime64[D]"),
                "amount": amount,
            }
        )
        out = out[model != "none"]
        # spend missing where a store forgot to report it: 抖音 at the third store, two months ago
        douyin = [c[0] for c in ref.CHANNELS].index("douyin") + 1
        gap = (self.now.astype("datetime64[M]") - 2).astype("datetime64[D]")
        out = out[
            ~((out["channel_id"] == douyin) & (out["store_id"] == len(ref.STORES)) & (out["month"] == gap))
        ]
        out = out.reset_index(drop=True)
        out.insert(0, "id", np.arange(1, len(out) + 1))
        self.frames["channel_spend"] = out

    def run(self) -> dict[str, pd.DataFrame]:
        steps = [
            (self.reference, "reference"),
            (self.customers, "customers"),
            (self.leads, "leads"),
            (self.follow_ups, "follow-ups"),
            (self.purchases, "purchases"),
            (self.defeats, "defeats"),
            (self.spend, "channel spend"),
        ]
        for i, (step, what) in enumerate(steps):
            self.progress(0.4 * i / len(steps), what)
            step()
        self.frames["leads"] = self.lead
        return self.frames


def seed_offset(seed: int) -> int:
    return (seed * 7919) % 100_000_000


TABLE_ORDER = [
    "regions",
    "stores",
    "channels",
    "advisors",
    "customers",
    "leads",
    "follow_ups",
    "purchases",
    "defeats",
    "satisfaction",
    "event_attendances",
    "channel_spend",
]


def build_frames(
    customers: int, *, seed: int = 42, as_of: dt.date | None = None, progress: Progress | None = None
) -> dict[str, pd.DataFrame]:
    """Generate the demo tables in memory (no database).

    Examples
    --------
    >>> f = build_frames(200, seed=1, as_of=dt.date(2026, 6, 30))
    >>> len(f["customers"]), sorted(f["regions"]["name"])[:2]
    (200, ['博罗县', '大亚湾区'])
    >>> bool(f["leads"]["stage_reached"].between(0, 7).all())
    True
    """
    as_of = as_of or dt.date.today()
    return _Generator(customers, seed, as_of, progress or _noop).run()


def generate(
    engine: Engine,
    *,
    customers: int,
    seed: int = 42,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    with_tiers: bool = True,
) -> DemoSummary:
    """Generate the demo dealer group and write it into an empty database: the event tables in one
    transaction, then each publish and rescore of the tier history in its own (as the app writes them).

    The schema must exist (``core.storage.db.open_database`` upgrades it). A database that already holds
    customers is refused, so that demo data never mixes with a dealer's own. With ``with_tiers`` the owners
    get a year and a half of tier history (``core.demo.tier_history``: version 1 published and rescored half-yearly,
    version 2 published a week before ``as_of`` and rescored on it) and the customers with an open lead their
    H/A/B/C tier.
    """
    progress = progress or _noop
    as_of = as_of or dt.date.today()
    from core.storage.pii_crypto import keyring

    keyring(
        create_local=True
    )  # names and phones are sealed: a demo without a configured key makes a local one
    frames = build_frames(customers, seed=seed, as_of=as_of, progress=progress)
    summary = DemoSummary(as_of=as_of, seed=seed)

    def on_table(i: int, name: str) -> None:
        progress(0.4 + 0.5 * i / len(TABLE_ORDER), name)

    meta = {
        "demo": "true",
        "demo_seed": str(seed),
        "demo_as_of": as_of.isoformat(),
        "demo_customers": str(customers),
    }
    summary.rows = write_frames(
        engine,
        [(t, frames[t]) for t in TABLE_ORDER],
        meta=meta,
        on_table=on_table,
        require_empty="customers",
        trusted=True,
    )
    if with_tiers:
        from core.demo.tier_history import publish_tier_history

        progress(0.9, "tiers")
        summary.rows["tier_assignments"] = publish_tier_history(
            engine, frames=frames, as_of=as_of, progress=lambda i, n: progress(0.9 + 0.09 * i / n, "tiers")
        )
    import sqlalchemy as sa

    from core.access.auth import ensure_demo_accounts, update_user
    from core.storage.models import User

    ensure_demo_accounts(engine)  # one account per role, shown on the login page of a demo database only
    with engine.connect() as conn:  # the demo's own staff account (not one made before the demo was written)
        demo_staff = conn.execute(
            sa.select(User.id).where(User.name == "staff", User.role == "staff", User.created_by == "demo")
        ).first()
    advisor = staff_advisor(engine) if demo_staff else None
    if advisor is not None:  # the staff account reviews an advisor who has changes on the first meeting
        update_user(engine, name="staff", advisor_id=advisor, actor="demo")
    progress(1.0, "done")
    return summary


def staff_advisor(engine: Engine, population: str = "owners") -> int | None:
    """The advisor the demo's staff account stands for: the one with the most customers whose tier the last
    publish or rescore up to now changed (what a first weekly meeting opened now lists), else the one with the
    most customers; the lowest id on a tie. None without advisors."""
    import sqlalchemy as sa

    from core.storage.models import Customer, ScoringScheme, TierAssignment
    from core.workflow.review import tier_changes

    with engine.connect() as conn:
        now = dt.datetime.now().replace(
            microsecond=0
        )  # as core.workflow.review.open_meeting: the last write by now
        last = conn.execute(
            sa.select(sa.func.max(TierAssignment.effective_from)).where(
                TierAssignment.scheme_id.in_(
                    sa.select(ScoringScheme.id).where(ScoringScheme.population == population)
                ),
                TierAssignment.effective_from <= now,
            )
        ).scalar()
        moved = pd.DataFrame({"customer_id": []})
        if last is not None:
            last = pd.Timestamp(last).to_pydatetime()
            moved = tier_changes(
                conn=conn, population=population, baseline=last - dt.timedelta(seconds=1), cutoff=now
            )
        owners = pd.read_sql(
            sa.select(Customer.id.label("customer_id"), Customer.advisor_id).where(
                Customer.advisor_id.is_not(None)
            ),
            conn,
        )
    if owners.empty:
        return None
    movers = owners[owners["customer_id"].isin(moved["customer_id"])]
    counts = (movers if len(movers) else owners).groupby("advisor_id").size()
    return int(counts[counts == counts.max()].index.min())
