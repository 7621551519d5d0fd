"""Anonymity for employee results: the one gate every employee aggregate passes through.

A group is hidden when it has fewer respondents than the policy's threshold (*primary*
suppression), and further groups are hidden when the ones left visible could be subtracted
from each other to isolate a small group (*complementary* or *secondary* suppression).
Pages, API routes, exports and the metrics engine all call :func:`suppress` (or its pandas
convenience :func:`rapport.analytics.suppression.frame.suppress_frame`); nothing shows an
employee aggregate any other way. ``docs/confidentiality.md`` explains the rules and the
attacker model.

The groups of one call form a hierarchy: every :class:`Cell` names the group it is carved
from (its parent). Children of one parent must be disjoint parts of it — stores of a region,
tenure bands of a unit, months of a year, the ``role=cashier`` slice of a unit. What the
parent has beyond its children (responses attached to a region itself, people with no tenure
recorded) is its *remainder* and counts as hidden.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from rapport.analytics.suppression.tree import Hierarchy
from rapport.domain.org import PersonKind

MIN_ALLOWED_THRESHOLD = 3
"""No policy may show groups smaller than this, whatever an administrator configures."""


class Measure(enum.StrEnum):
    """What is shown for a group; comments need bigger groups than scores."""

    SCORES = "scores"
    COMMENTS = "comments"


class SuppressionReason(enum.StrEnum):
    """Why a group is hidden; the UI says "hidden to protect anonymity" for both."""

    BELOW_THRESHOLD = "below_threshold"
    COMPLEMENTARY = "complementary"
    CROSS_SURVEY = "cross_survey"  # protected results are reported one survey at a time
    UNDECIDED = "undecided"  # never decided (a period the request did not ask for): fail closed


#: Calendar periods a protected survey may be reported by (weeks do not nest in months).
CONFIDENTIAL_PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class SuppressionPolicy:
    """Minimum group sizes, which audiences they protect, and the period they are reported by.

    Customer aggregates are not hidden for anonymity (their "too few responses to estimate"
    minimum is a statistical rule applied by the metrics engine); employee ones always are.
    Results of protected audiences are only ever shown per closed calendar ``period`` (one
    grain for every protected figure, so the groups shown form one hierarchy per period;
    ``docs/confidentiality.md``).

    >>> SuppressionPolicy().threshold(Measure.COMMENTS)
    10
    >>> SuppressionPolicy(min_scores=2)
    Traceback (most recent call last):
    ...
    ValueError: SuppressionPolicy.min_scores must be at least 3, got 2 ...
    """

    min_scores: int = 5
    min_comments: int = 10
    protected_audiences: frozenset[PersonKind] = frozenset({PersonKind.EMPLOYEE})
    period: str = "month"

    def __post_init__(self) -> None:
        if self.period not in CONFIDENTIAL_PERIODS:
            raise ValueError(
                f"SuppressionPolicy.period must be one of {', '.join(CONFIDENTIAL_PERIODS)}, "
                f"got {self.period!r}"
            )
        for name in ("min_scores", "min_comments"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"SuppressionPolicy.{name} must be an int, got {value!r}")
            if value < MIN_ALLOWED_THRESHOLD:
                raise ValueError(
                    f"SuppressionPolicy.{name} must be at least {MIN_ALLOWED_THRESHOLD}, "
                    f"got {value} (smaller groups make individual answers identifiable)"
                )
        audiences = frozenset(PersonKind(a) for a in self.protected_audiences)
        if PersonKind.EMPLOYEE not in audiences:
            raise ValueError(
                "SuppressionPolicy.protected_audiences must include 'employee': "
                "employee results are always subject to the anonymity threshold"
            )
        object.__setattr__(self, "protected_audiences", audiences)

    def threshold(self, measure: Measure | str) -> int:
        """The minimum number of respondents for showing ``measure`` of a group."""
        return self.min_comments if _measure(measure) is Measure.COMMENTS else self.min_scores

    def protects(self, audience: PersonKind | str) -> bool:
        """True when groups of this audience are suppressed for anonymity."""
        return _audience(audience) in self.protected_audiences


@dataclass(frozen=True)
class Cell:
    """A group a caller may show: its key, its respondent count, the key of its parent.

    ``n`` counts the distinct respondents behind the thing shown (for a per-question table,
    those who answered that question). ``parent`` is ``None`` for a top-level group.
    """

    key: str
    n: int
    parent: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"Cell.key must be a non-empty string, got {self.key!r}")
        if isinstance(self.n, bool) or not hasattr(self.n, "__index__") or self.n < 0:
            raise ValueError(f"Cell {self.key!r}: n must be a count (int >= 0), got {self.n!r}")
        object.__setattr__(self, "n", operator.index(self.n))  # numpy ints become plain ints
        if self.parent is not None and (not isinstance(self.parent, str) or not self.parent):
            raise ValueError(f"Cell {self.key!r}: parent must be a key or None")
        if self.parent == self.key:
            raise ValueError(f"Cell {self.key!r} cannot be its own parent")


@dataclass(frozen=True)
class Decision:
    """Whether one group may be shown, and why not when it may not.

    Pass a decision back as ``within=`` to :func:`suppress` to break that group down further
    in a later call (its tenure bands, a filtered slice of it).
    """

    key: str
    n: int
    revealed: bool
    reason: SuppressionReason | None
    measure: Measure
    audience: PersonKind

    @property
    def suppressed(self) -> bool:
        return not self.revealed


def suppress(
    cells: Iterable[Cell],
    policy: SuppressionPolicy,
    *,
    audience: PersonKind | str,
    measure: Measure | str,
    within: Iterable[Decision] = (),
) -> dict[str, Decision]:
    """Decide, for every cell, whether it may be shown; keyed by cell key, in input order.

    Pass the *whole* hierarchy the shown groups belong to (every unit of the tree with its
    count, not just the rows on screen), so that every page reaches the same decisions.
    To break down a group decided by an earlier call, pass that call's decision in
    ``within`` and name its key as the children's parent. Raises ``ValueError`` for an
    inconsistent hierarchy (unknown parent, repeated key, cycle, children adding up to more
    than their parent) or an unknown audience or measure.

    >>> policy = SuppressionPolicy()
    >>> region = [
    ...     Cell("north", 40),
    ...     Cell("north/s1", 20, parent="north"),
    ...     Cell("north/s2", 17, parent="north"),
    ...     Cell("north/s3", 3, parent="north"),
    ... ]
    >>> shown = suppress(region, policy, audience="employee", measure="scores")
    >>> {key: str(d.reason) for key, d in shown.items() if d.suppressed}
    {'north/s2': 'complementary', 'north/s3': 'below_threshold'}
    >>> cashiers = suppress(
    ...     [Cell("north/s1?role=cashier", 17, parent="north/s1")], policy,
    ...     audience="employee", measure="scores", within=[shown["north/s1"]],
    ... )
    >>> cashiers["north/s1?role=cashier"].reason  # the other 3 of s1 would be exposed
    <SuppressionReason.COMPLEMENTARY: 'complementary'>
    """
    who = _audience(audience)
    what = _measure(measure)
    cell_list = list(cells)
    context = list(within)
    for decision in context:
        if decision.measure is not what or decision.audience is not who:
            raise ValueError(
                f"within: decision for {decision.key!r} was made for {decision.audience} "
                f"{decision.measure}, not {who} {what}"
            )
    tree = Hierarchy(
        [(c.key, c.n, c.parent) for c in cell_list],
        [(d.key, d.n, d.revealed) for d in context],
    )
    hidden = tree.suppress(policy.threshold(what)) if policy.protects(who) else {}
    return {
        c.key: Decision(
            key=c.key,
            n=c.n,
            revealed=c.key not in hidden,
            reason=_reason(hidden.get(c.key)),
            measure=what,
            audience=who,
        )
        for c in cell_list
    }


def check_complement(
    n_group: int,
    n_parent: int,
    policy: SuppressionPolicy,
    *,
    measure: Measure | str = Measure.SCORES,
) -> bool:
    """True when a slice of a shown employee group may itself be shown.

    The slice must reach the threshold, and so must what is left of the parent without it
    (unless nothing is left), or subtracting the two would expose the rest. Use it also for
    a live total against the last published one: the new respondents are the complement.

    >>> policy = SuppressionPolicy()
    >>> check_complement(17, 20, policy)  # unit of 20, 17 of them cashiers: 3 exposed
    False
    >>> check_complement(15, 20, policy), check_complement(20, 20, policy)
    (True, True)
    """
    for name, value in (("n_group", n_group), ("n_parent", n_parent)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a count (int >= 0), got {value!r}")
    if n_group > n_parent:
        raise ValueError(f"n_group ({n_group}) cannot exceed n_parent ({n_parent})")
    k = policy.threshold(measure)
    rest = n_parent - n_group
    return n_group >= k and (rest == 0 or rest >= k)


def _audience(value: PersonKind | str) -> PersonKind:
    try:
        return PersonKind(value)
    except ValueError:
        allowed = ", ".join(repr(str(k)) for k in PersonKind)
        raise ValueError(f"audience must be one of {allowed}, got {value!r}") from None


def _measure(value: Measure | str) -> Measure:
    try:
        return Measure(value)
    except ValueError:
        allowed = ", ".join(repr(str(m)) for m in Measure)
        raise ValueError(f"measure must be one of {allowed}, got {value!r}") from None


def _reason(code: str | None) -> SuppressionReason | None:
    return None if code is None else SuppressionReason(code)
