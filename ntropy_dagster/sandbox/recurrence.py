"""Recurring-group detection for the sandbox (``POST /v3/account_holders/{id}/recurring_groups``).

Pure Python, no I/O. :func:`detect_recurring_groups` takes an account holder's stored, enriched v3
transactions and returns RecurrenceGroup dicts (contract: ``ntropy-api.md`` §2.3).

How it works, per (counterparty, direction) bucket:

1. **Loose amount clusters** (single linkage on sorted amounts, neighbours within 40 %).
2. Inside each, **tight amount clusters** (neighbours within 2 %): subscriptions and fixed charges. In
   each cluster one linear pass finds, for every periodicity at once, the longest chain of transactions
   whose gaps fit that period (each transaction links to one of the 8 before it; ties go to the gap
   closest to the nominal one). The best valid chain becomes a group, its transactions are removed and
   the search repeats (at most 12 groups per cluster), so one counterparty can hold several groups.
   Left-over transactions get the varying-amount search of step 3.
3. **Varying amounts** (bills, drifting salaries): the same chain search over a loose cluster, but a
   group also needs consistent amounts (coefficient of variation <= 0.25), one more occurrence and no
   missed occurrence. It replaces the stable groups of step 2 when it explains at least 1.5x as many
   transactions, so a utility bill whose amounts happen to repeat is not cut into small groups.

Rules (Assumption: the contract gives no numbers; these are ours):

* A gap fits period ``P`` if it is within ``tol(P) = min(0.3 P, 8) + 0.02 P`` days of ``P`` (a regular
  occurrence) or of ``2 P`` (one missed occurrence). E.g. monthly accepts 22-39 days, weekly 5-9,
  quarterly 82-101; ``daily`` accepts 1 day, or 2-3 days as a miss (a weekend pause).
* At most one missed occurrence per three gaps (``misses <= (count - 1) // 3``); a gap counts as a miss
  when it is over 1.5x the median gap of the chain.
* Minimum occurrences: 3 for stable amounts, 4 for varying amounts; a yearly group of exactly 2 equal
  amounts is allowed when they are 365 +- 7 days apart.
* The estimated period is ``(last - first) / (count - 1 + misses)``; the label is the nominal period
  nearest to it on a log scale (this separates bi-weekly 14.0 from semi-monthly 15.2), and the estimate
  must lie within ``tol / 2 + 0.2`` days of that nominal period (a steady 100-day cadence is no quarter).
* Gaps must be regular: their mean absolute deviation from (multiples of) the estimated period is at
  most ``0.1 P + 1`` days, or ``0.05 P + 1.5`` for chains of 3-4 (three dates fit a window by chance).
* Noise guard: between its first and last transaction a chain may skip at most ``count // 2`` other
  transactions of its amount cluster (random purchases at one merchant rarely line up that densely).
* ``other`` is part of the enum but never emitted: only the nine nominal cadences are searched.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ntropy_dagster.client.models.account_holders import PERIODICITIES

__all__ = ["PERIODICITIES", "detect_recurring_groups"]


_YEAR = 365.25
_NOMINAL_DAYS: dict[str, float] = {
    "daily": 1.0,
    "weekly": 7.0,
    "bi-weekly": 14.0,
    "semi-monthly": _YEAR / 24,
    "monthly": _YEAR / 12,
    "bi-monthly": _YEAR / 6,
    "quarterly": _YEAR / 4,
    "semi-yearly": _YEAR / 2,
    "yearly": _YEAR,
}

_MIN_OCCURRENCES = 3
_MIN_OCCURRENCES_VARYING = 4
_YEARLY_PAIR_TOLERANCE_DAYS = 7.0
_TIGHT_RATIO = 1.02
_LOOSE_RATIO = 1.4
_MAX_AMOUNT_CV = 0.25
_LOOKBACK = 8
_MAX_CHAINS_PER_CLUSTER = 12

_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ntropy-dagster.invalid/sandbox/recurrence")
_DIRECTIONS = {"incoming": "incoming", "credit": "incoming", "outgoing": "outgoing", "debit": "outgoing"}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class _Tx:
    """One usable input transaction, reduced to what detection needs."""

    id: str
    day: int  # proleptic Gregorian ordinal
    amount: float
    direction: str
    counterparty: Mapping[str, Any]
    general: str | None
    accounting: str | None


@dataclass(frozen=True, slots=True)
class _Chain:
    """A detected group before serialisation."""

    members: tuple[_Tx, ...]
    misses: int
    period: float
    label: str
    irregularity: float

    @property
    def rank(self) -> tuple[int, int, float]:
        """Higher is better: more transactions, fewer missed occurrences, more regular gaps."""
        return (len(self.members), -self.misses, -self.irregularity)


def detect_recurring_groups(
    transactions: Sequence[Mapping[str, Any]], *, account_holder_id: str
) -> list[dict[str, Any]]:
    """Find recurring groups in one account holder's enriched v3 transactions.

    Transactions without a counterparty, date, id or amount are ignored, as are repeated ids (the first
    one wins). Returns RecurrenceGroup dicts with every contract field, sorted by start date, counterparty
    name, direction and id. The same history always yields the same group ids (uuid5 of the account
    holder, counterparty key, direction, periodicity and first transaction id).
    """
    buckets: dict[tuple[str, str], list[_Tx]] = defaultdict(list)
    seen: set[str] = set()
    for raw in transactions:
        tx = _to_tx(raw)
        if tx is None or tx.id in seen:
            continue
        seen.add(tx.id)
        key = _counterparty_key(tx.counterparty)
        if key is not None:
            buckets[(key, tx.direction)].append(tx)

    groups = [
        _serialise(chain, key, direction, account_holder_id)
        for (key, direction), txs in buckets.items()
        for chain in _bucket_chains(txs)
    ]
    groups.sort(
        key=lambda g: (g["start_date"], str(g["counterparty"].get("name") or ""), g["entry_type"], g["id"])
    )
    return groups


# --- input normalisation -------------------------------------------------------------------------


def _to_tx(raw: Mapping[str, Any]) -> _Tx | None:
    tx_id = raw.get("id")
    direction = _DIRECTIONS.get(str(raw.get("entry_type") or "").lower())
    day = _parse_day(raw.get("date"))
    entities = raw.get("entities")
    counterparty = entities.get("counterparty") if isinstance(entities, Mapping) else None
    try:
        # Assumption: amounts are non-negative per the contract; a negative one is taken by magnitude.
        amount = abs(float(raw.get("amount")))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not tx_id or direction is None or day is None or not isinstance(counterparty, Mapping):
        return None
    if not math.isfinite(amount):
        return None
    categories = raw.get("categories")
    categories = categories if isinstance(categories, Mapping) else {}
    return _Tx(
        id=str(tx_id),
        day=day,
        amount=amount,
        direction=direction,
        counterparty=counterparty,
        general=categories.get("general"),
        accounting=categories.get("accounting"),
    )


def _parse_day(value: object) -> int | None:
    if isinstance(value, datetime):
        return value.date().toordinal()
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).toordinal()
        except ValueError:
            return None
    return None


def _counterparty_key(counterparty: Mapping[str, Any]) -> str | None:
    """Counterparty identity: its id, else its website (without scheme/www), else its normalised name."""
    if counterparty.get("id"):
        return f"id:{counterparty['id']}"
    return _website_or_name_key(str(counterparty.get("website") or ""), str(counterparty.get("name") or ""))


@functools.lru_cache(maxsize=4096)
def _website_or_name_key(website: str, name: str) -> str | None:
    website = re.sub(r"^[a-z]+://", "", website.strip().lower()).removeprefix("www.").split("/")[0]
    if website:
        return f"web:{website}"
    name = _NON_ALNUM.sub(" ", name.lower()).strip()
    return f"name:{name}" if name else None


# --- detection -----------------------------------------------------------------------------------


def _bucket_chains(txs: list[_Tx]) -> list[_Chain]:
    """Chains of one (counterparty, direction) bucket.

    Within each loose amount cluster two explanations compete: stable-amount chains (from tight
    clusters, then varying chains over what they leave) or varying-amount chains over the whole loose
    cluster. The varying one wins only if it covers clearly more transactions (1.5x), so a utility bill
    whose amounts happen to repeat is not cut into small stable groups, while a fixed subscription
    among random purchases at the same merchant keeps its exact membership.
    """
    chains: list[_Chain] = []
    for loose in _amount_clusters(txs, _LOOSE_RATIO):
        stable: list[_Chain] = []
        leftovers: list[_Tx] = []
        for tight in _amount_clusters(loose, _TIGHT_RATIO):
            found, rest = _extract_chains(tight, varying=False)
            stable += found
            leftovers += rest
        stable_count = sum(len(c.members) for c in stable)
        needed = max(_MIN_OCCURRENCES_VARYING, stable_count + 1, math.ceil(1.5 * stable_count))
        varying = _extract_chains(loose, varying=True)[0] if len(loose) >= needed else []
        if sum(len(c.members) for c in varying) >= needed:
            chains += varying
            continue
        chains += stable
        for cluster in _amount_clusters(leftovers, _LOOSE_RATIO):
            chains += _extract_chains(cluster, varying=True)[0]
    return chains


def _amount_clusters(txs: Iterable[_Tx], ratio: float) -> list[list[_Tx]]:
    """Single-linkage clusters of sorted amounts; each cluster is returned in chronological order."""
    clusters: list[list[_Tx]] = []
    for tx in sorted(txs, key=lambda t: (t.amount, t.day, t.id)):
        if clusters and tx.amount <= clusters[-1][-1].amount * ratio + 0.01:
            clusters[-1].append(tx)
        else:
            clusters.append([tx])
    return [sorted(c, key=lambda t: (t.day, t.id)) for c in clusters]


def _extract_chains(txs: list[_Tx], *, varying: bool) -> tuple[list[_Chain], list[_Tx]]:
    """Repeatedly take the best chain out of ``txs``; return the chains and what is left over."""
    found: list[_Chain] = []
    remaining = txs
    while len(remaining) >= 2 and len(found) < _MAX_CHAINS_PER_CLUSTER:
        chain = _best_chain(remaining, varying=varying)
        if chain is None:
            break
        found.append(chain)
        taken = {tx.id for tx in chain.members}
        remaining = [tx for tx in remaining if tx.id not in taken]
    return found, remaining


def _tolerance(period: float) -> float:
    return min(0.3 * period, 8.0) + 0.02 * period


def _gap_fits() -> list[tuple[tuple[int, int, float], ...]]:
    """For every whole-day gap, the (period index, chain score gain, deviation) it fits.

    The score of a chain is ``2 * count - misses``: a gap of one period adds 2, of two periods 1.
    """
    fits: list[list[tuple[int, int, float]]] = [[] for _ in range(2 * 366 + 20)]
    for index, nominal in enumerate(_NOMINAL_DAYS.values()):
        tol = _tolerance(nominal)
        for units in (1, 2):
            low = max(1, math.ceil(units * nominal - tol))
            # Assumption: a daily series may pause for a weekend (Friday to Monday counts as one miss).
            high = 3 if nominal == 1.0 and units == 2 else math.floor(units * nominal + tol)
            for gap in range(low, high + 1):
                fits[gap].append((index, 3 - units, abs(gap - units * nominal)))
    return [tuple(f) for f in fits]


_GAP_FITS = _gap_fits()


def _best_chain(txs: list[_Tx], *, varying: bool) -> _Chain | None:
    best: _Chain | None = None
    for indices in _longest_chains([tx.day for tx in txs]):
        if len(indices) < 2 or (best is not None and len(indices) < len(best.members)):
            continue
        members = tuple(txs[i] for i in indices)
        skipped = indices[-1] - indices[0] + 1 - len(indices)
        chain = _evaluate(members, skipped, varying=varying)
        if chain is not None and (best is None or chain.rank > best.rank):
            best = chain
    return best


def _longest_chains(days: list[int]) -> list[list[int]]:
    """For each nominal period, the best chain (by ``2 * count - misses``) through sorted ``days``.

    A chain links each transaction to one of the ``_LOOKBACK`` transactions before it whose gap fits the
    period once or twice (one missed occurrence); ties go to the gap closest to the nominal one. One
    pass serves all periods, so the search is O(n) with a small constant.
    """
    n = len(days)
    periods = len(_NOMINAL_DAYS)
    score = [[2] * periods for _ in range(n)]
    prev = [[-1] * periods for _ in range(n)]
    limit = len(_GAP_FITS)
    for i in range(1, n):
        day, mine, links = days[i], score[i], prev[i]
        deviation: dict[int, float] = {}
        for j in range(i - 1, max(-1, i - 1 - _LOOKBACK), -1):
            gap = day - days[j]
            if gap >= limit:
                break
            theirs = score[j]
            for period, gain, dev in _GAP_FITS[gap]:
                candidate = theirs[period] + gain
                if candidate > mine[period] or (
                    candidate == mine[period] and dev < deviation.get(period, math.inf)
                ):
                    mine[period] = candidate
                    links[period] = j
                    deviation[period] = dev
    chains = []
    for period in range(periods):
        end = max(range(n), key=lambda i: score[i][period])
        chain = [end]
        while prev[chain[-1]][period] != -1:
            chain.append(prev[chain[-1]][period])
        chain.reverse()
        chains.append(chain)
    return chains


def _classify(period: float) -> str:
    return min(_NOMINAL_DAYS, key=lambda name: abs(math.log(period / _NOMINAL_DAYS[name])))


def _evaluate(members: tuple[_Tx, ...], skipped: int, *, varying: bool) -> _Chain | None:
    """Turn a candidate chain into a group if it satisfies the rules in the module docstring."""
    count = len(members)
    if count < 2:
        return None
    gaps = [b.day - a.day for a, b in itertools.pairwise(members)]
    span = members[-1].day - members[0].day
    # A gap well above the typical one spans a missed occurrence (chains only link 1 or 2 periods).
    typical = sorted(gaps)[(len(gaps) - 1) // 2]
    units = [2 if gap > 1.5 * typical else 1 for gap in gaps]
    misses = sum(units) - len(units)
    if misses > (0 if varying else (count - 1) // 3) or skipped > count // 2:
        return None
    period = span / (count - 1 + misses)
    label = _classify(period)
    nominal = _NOMINAL_DAYS[label]
    if abs(period - nominal) > 0.5 * _tolerance(nominal) + 0.2:
        return None  # e.g. a steady 100-day cadence is not quarterly
    if count < (_MIN_OCCURRENCES_VARYING if varying else _MIN_OCCURRENCES) and not (
        count == 2
        and not varying
        and abs(span - _YEAR) <= _YEARLY_PAIR_TOLERANCE_DAYS
        and abs(members[0].amount - members[1].amount) < 0.005
    ):
        return None
    irregularity = sum(abs(g - u * period) for g, u in zip(gaps, units, strict=True)) / len(gaps)
    # Short chains must be more regular: three dates can fit a wide window by chance.
    limit = 0.1 * period + 1 if count >= 5 else 0.05 * period + 1.5
    if irregularity > limit:
        return None
    if varying:
        amounts = [tx.amount for tx in members]
        mean = sum(amounts) / count
        spread = math.sqrt(sum((a - mean) ** 2 for a in amounts) / count)
        if mean <= 0 or spread / mean > _MAX_AMOUNT_CV:
            return None
    return _Chain(members, misses, period, label, irregularity)


# --- output --------------------------------------------------------------------------------------


def _most_common(values: Iterable[str | None]) -> str | None:
    """Most frequent non-null value; ties go to the most recent one (values are chronological)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    counts = Counter(present)
    last_seen = {v: i for i, v in enumerate(present)}
    return max(counts, key=lambda v: (counts[v], last_seen[v]))


def _serialise(chain: _Chain, key: str, direction: str, account_holder_id: str) -> dict[str, Any]:
    members = chain.members
    first, last = members[0], members[-1]
    total = sum(tx.amount for tx in members)
    # Assumption: the group shows the counterparty as enriched on its newest transaction.
    counterparty = dict(last.counterparty)
    counterparty.setdefault("type", "organization")
    counterparty.setdefault("mccs", [])
    name = f"{account_holder_id}|{key}|{direction}|{chain.label}|{first.id}"
    return {
        "id": str(uuid.uuid5(_ID_NAMESPACE, name)),
        "start_date": date.fromordinal(first.day).isoformat(),
        "end_date": date.fromordinal(last.day).isoformat(),
        "total_amount": round(total, 2),
        "average_amount": round(total / len(members), 2),
        "periodicity_in_days": round(chain.period, 2),
        "periodicity": chain.label,
        "counterparty": counterparty,
        "categories": {
            "general": _most_common(tx.general for tx in members),
            "accounting": _most_common(tx.accounting for tx in members),
        },
        "transaction_ids": [tx.id for tx in members],
        "entry_type": direction,
    }
