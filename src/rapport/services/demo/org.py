"""Northwind Retail's unit tree and people for the demo generator.

The tree's shape depends only on the requested number of units (never on the seed), so the
codes named in ``docs/demo-data.md`` hold for every seed; people and their hidden traits are
drawn from the generator's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from rapport.services.demo.models import DemoPerson, DemoUnit

COMPANY_CODE = "northwind"
OFFICE_CODE = "head-office"
REGIONS = ("north", "south", "east", "west", "central")
PROGRAMME_REGION = "west"
DRIFTING_STORE_COUNT = 5
# Persistent person effects (index points): hearts sd, minds sd, their correlation.
CUSTOMER_PERSON_SD = (7.0, 6.0, 0.5)
EMPLOYEE_PERSON_SD = (8.0, 7.0, 0.5)

_TOWNS = {
    "north": ("Leeds", "York", "Newcastle", "Durham", "Harrogate", "Hull", "Carlisle", "Preston"),
    "south": ("Brighton", "Southampton", "Portsmouth", "Guildford", "Reading", "Canterbury"),
    "east": ("Norwich", "Cambridge", "Ipswich", "Colchester", "Peterborough", "Lincoln"),
    "west": ("Bristol", "Bath", "Exeter", "Plymouth", "Gloucester", "Cheltenham", "Truro"),
    "central": ("Birmingham", "Coventry", "Leicester", "Nottingham", "Derby", "Oxford"),
}
# (code suffix, name, headcount at scale 1): several are small on purpose, so that monthly
# employee respondents fall below the anonymity threshold of 5.
_DEPARTMENTS = (
    ("customer-service", "Customer service", 10),
    ("hr", "HR", 4),
    ("finance", "Finance", 5),
    ("it", "IT", 6),
    ("marketing", "Marketing", 4),
    ("logistics", "Logistics", 9),
)
_FIRST = (
    "Alice", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George", "Hannah", "Isaac", "Jade",
    "Karim", "Laura", "Mohammed", "Nina", "Oliver", "Priya", "Quentin", "Rosa", "Samuel",
    "Tara", "Usman", "Valentina", "William", "Yasmin", "Zoe", "Carlos", "Lucía", "Javier",
)  # fmt: skip
_LAST = (
    "Adams", "Brown", "Clarke", "Davies", "Evans", "Fernández", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "López", "Morris", "Nguyen", "Owen", "Patel", "Roberts", "Smith",
    "Taylor", "Walker", "White", "Wilson", "Wright", "García", "Martín", "O'Brien",
)  # fmt: skip
SEGMENTS = ("everyday", "premium", "business")
_SEGMENT_P = (0.6, 0.25, 0.15)
_CHANNELS = ("email", "sms", "app")
_STORE_ROLES = ("cashier", "advisor", "stock_associate")


@dataclass(frozen=True)
class OrgPlan:
    """The unit tree plus the groupings the generator needs."""

    units: list[DemoUnit]
    stores_by_region: dict[str, list[str]]
    departments: list[tuple[str, int]]  # (code, headcount at scale 1)
    drifting_stores: list[str]

    @property
    def stores(self) -> list[str]:
        """All store codes, region by region."""
        return [code for codes in self.stores_by_region.values() for code in codes]


@dataclass(frozen=True)
class Pool:
    """People of one unit with hidden traits the answers depend on (not part of the output)."""

    external_ids: list[str]
    start_days: NDArray[np.int64]  # relationship start, days after the generation start date
    hearts_effect: NDArray[np.float64]  # persistent person effect, index points
    minds_effect: NDArray[np.float64]
    segment: NDArray[np.int64]  # index into SEGMENTS (customers); 0 for employees
    spanish: NDArray[np.bool_]


def plan_organisation(units: int) -> OrgPlan:
    """Lay out the tree for about ``units`` units (at least one store per region).

    >>> plan_organisation(40).units[0].code
    'northwind'
    """
    fixed = 1 + len(REGIONS) + 1 + len(_DEPARTMENTS)
    store_total = max(len(REGIONS), units - fixed)
    tree = [DemoUnit(COMPANY_CODE, "Northwind Retail", "company", None)]
    stores_by_region: dict[str, list[str]] = {}
    for index, region in enumerate(REGIONS):
        tree.append(DemoUnit(region, f"{region.title()} region", "region", COMPANY_CODE))
        count = store_total // len(REGIONS) + (1 if index < store_total % len(REGIONS) else 0)
        towns = _TOWNS[region]
        codes = []
        for number in range(1, count + 1):
            town = towns[(number - 1) % len(towns)]
            suffix = "" if number <= len(towns) else f" {(number - 1) // len(towns) + 1}"
            code = f"{region}-store-{number:02d}"
            tree.append(DemoUnit(code, f"Northwind {town}{suffix}", "store", region))
            codes.append(code)
        stores_by_region[region] = codes
    tree.append(DemoUnit(OFFICE_CODE, "Head office", "office", COMPANY_CODE))
    departments = []
    for suffix, name, headcount in _DEPARTMENTS:
        tree.append(DemoUnit(f"hq-{suffix}", name, "department", OFFICE_CODE))
        departments.append((f"hq-{suffix}", headcount))
    others = [c for r, codes in stores_by_region.items() if r != PROGRAMME_REGION for c in codes]
    pick = min(DRIFTING_STORE_COUNT, len(others))
    drifting = [others[int((j + 0.5) * len(others) / pick)] for j in range(pick)]
    return OrgPlan(tree, stores_by_region, departments, drifting)


def _name(rng: np.random.Generator) -> tuple[str, str]:
    first = _FIRST[int(rng.integers(len(_FIRST)))]
    last = _LAST[int(rng.integers(len(_LAST)))]
    return first, last


def _email(first: str, last: str, number: int, domain: str) -> str:
    local = f"{first}.{last}".lower().replace("'", "")
    ascii_local = local.translate(str.maketrans("áéíóúñ", "aeioun"))
    return f"{ascii_local}.{number}@{domain}"


def _person_effects(
    rng: np.random.Generator, n: int, sd_hearts: float, sd_minds: float, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    return sd_hearts * z1, sd_minds * z2


def make_customers(
    rng: np.random.Generator,
    store: str,
    size: int,
    start: date,
    window_days: int,
    first_number: int,
) -> tuple[list[DemoPerson], Pool]:
    """A store's customer base: most joined up to 8 years before ``start``, some during it."""
    joined_during = rng.random(size) < 0.3
    before = -rng.integers(1, 8 * 365, size)
    during = rng.integers(0, max(window_days - 1, 1), size)
    start_days = np.where(joined_during, during, before).astype(np.int64)
    segment = rng.choice(len(SEGMENTS), size=size, p=_SEGMENT_P).astype(np.int64)
    spanish = rng.random(size) < 0.07
    channel = rng.integers(len(_CHANNELS), size=size)
    hearts, minds = _person_effects(rng, size, *CUSTOMER_PERSON_SD)
    people, ids = [], []
    for i in range(size):
        number = first_number + i
        first, last = _name(rng)
        external_id = f"cust-{number:06d}"
        attributes = {
            "segment": SEGMENTS[int(segment[i])],
            "preferred_channel": _CHANNELS[int(channel[i])],
            "language": "es" if spanish[i] else "en",
        }
        started = start + timedelta(days=int(start_days[i]))
        email = _email(first, last, number, "example.com")
        people.append(
            DemoPerson(
                external_id, "customer", store, f"{first} {last}", email, started, attributes
            )
        )
        ids.append(external_id)
    return people, Pool(ids, start_days, hearts, minds, segment, spanish)


def make_employees(
    rng: np.random.Generator,
    unit: str,
    headcount: int,
    is_store: bool,
    start: date,
    first_number: int,
) -> tuple[list[DemoPerson], Pool]:
    """A unit's staff: one manager (store) or head (department), the rest in front-line roles."""
    tenure_days = np.clip(rng.exponential(3.5 * 365, headcount), 20, 20 * 365).astype(np.int64)
    spanish = rng.random(headcount) < 0.1
    part_time = rng.random(headcount) < (0.4 if is_store else 0.1)
    hearts, minds = _person_effects(rng, headcount, *EMPLOYEE_PERSON_SD)
    people, ids = [], []
    for i in range(headcount):
        number = first_number + i
        if i == 0:
            role = "manager" if is_store else "head"
        elif is_store and i <= max(1, headcount // 6):
            role = "supervisor"
        elif is_store:
            role = _STORE_ROLES[int(rng.choice(3, p=(0.5, 0.3, 0.2)))]
        else:
            role = "advisor" if unit == "hq-customer-service" else "specialist"
        first, last = _name(rng)
        external_id = f"emp-{number:05d}"
        attributes = {
            "role": role,
            "contract": "part_time" if part_time[i] else "full_time",
            "language": "es" if spanish[i] else "en",
        }
        started = start - timedelta(days=int(tenure_days[i]))
        email = _email(first, last, number, "example.org")
        people.append(
            DemoPerson(external_id, "employee", unit, f"{first} {last}", email, started, attributes)
        )
        ids.append(external_id)
    segment = np.zeros(headcount, dtype=np.int64)
    return people, Pool(ids, -tenure_days, hearts, minds, segment, spanish)
