# %% [markdown]
# # Rapport for analysts: metrics as DataFrames
#
# A notebook-style script (`# %%` cells: open it in VS Code, Jupyter with jupytext, or run it
# with `python docs/notebooks/analyst-example.py`). It reads the Northwind demo:
#
# ```bash
# export RAPPORT_DATABASE_URL=sqlite:////tmp/rapport-demo.db
# rapport demo            # ~12,000 responses, 40 units, 15 months, planted effects
# ```
#
# Everything goes through `rapport.client`, which applies the same permission checks and
# anonymity suppression as the web pages: the default principal is an *analyst*, so hidden
# employee groups stay hidden here too.

# %%
import os

import pandas as pd

import rapport.client as rc

URL = os.environ.get("RAPPORT_DATABASE_URL", "sqlite:////tmp/rapport-demo.db")
r = rc.connect(URL)
rc.Client.definitions()[["name", "title", "scale"]]

# %% [markdown]
# ## NPS by region, with intervals
# `by="unit"` rolls the tree up: a region includes its stores. Every row has `n`, the value,
# its interval, and `sufficiency` ("not_enough_responses" below 10 answers).

# %%
nps = r.metrics("customer-relationship", "nps", by="unit")
regions = nps[nps.unit_depth <= 1][["unit_name", "n", "value", "lower", "upper", "sufficiency"]]
print(regions.round(1).to_string(index=False))

# %% [markdown]
# ## Taken for granted: hearts fall, minds stay
# Five stores drift from October 2025 (see `docs/demo-data.md`). Their hearts index falls about
# two points a month while the minds index stays flat.

# %%
drifting = [
    "north-store-03",
    "south-store-01",
    "south-store-06",
    "east-store-04",
    "central-store-03",
]
frames = []
for construct in ("hearts", "minds"):
    f = r.metrics("customer-relationship", construct, by="unit", period="month")
    frames.append(f[f.unit_code.isin(drifting)].assign(construct=construct))
trend = pd.concat(frames).pivot_table(
    index="period_label", columns="construct", values="value", aggfunc="mean"
)
print(trend.round(1).to_string())

# %% [markdown]
# ## Is the drop significant?
# Compare one drifting store's hearts in its last month with its first: a Welch t-test from
# the engine's sufficient statistics.

# %%
months = sorted(trend.index)
found = r.compare(
    "customer-relationship",
    "hearts",
    {"unit": "south-store-01", "period": months[-1]},
    {"unit": "south-store-01", "period": months[0]},
    period="month",
)
d = found.difference
print(f"hearts {months[-1]} − {months[0]}: {d.estimate:.1f} [{d.lower:.1f}, {d.upper:.1f}], "
      f"p = {d.p_value:.2g}")  # fmt: skip

# %% [markdown]
# ## Employees: eNPS by unit and month, suppressed
# In a month, small head-office departments have fewer than 5 respondents: hidden
# ("below_threshold"), and so is whatever would let you subtract your way to them
# ("complementary") — within the month's unit tree and within each unit's months. `n` stays.

# %%
enps = r.metrics("employee-relationship", "enps", by="unit", period="month")
first = enps[
    (enps.period_label == enps.period_label.min()) & enps.unit_path.str.contains("head-office")
]
print(first[["unit_path", "n", "value", "suppressed", "reason"]].to_string(index=False))
print(enps.groupby("reason", dropna=False).size())

# %% [markdown]
# ## Emotions by customer segment, and index reliability

# %%
emotions = r.metrics("customer-relationship", "emotions", attribute="segment")
print(emotions.pivot_table(index="emotion", columns="attribute", values="value").round(1))
hearts = r.reliability("customer-relationship", "hearts").reliability
print(f"hearts: alpha {hearts.alpha.value:.3f}, omega {hearts.omega.value:.3f}, "
      f"items {', '.join(hearts.items)}")  # fmt: skip

# %% [markdown]
# ## The same on DuckDB over a Parquet snapshot
# For big data: write a snapshot once, then query it with DuckDB. Same definitions, same
# numbers (the conformance suite checks every metric to 1e-9).

# %%
import tempfile  # noqa: E402 - notebook cell

with tempfile.TemporaryDirectory() as folder:
    r.snapshot(folder)
    with rc.connect(URL, engine="duckdb", snapshot_dir=folder) as duck:
        again = duck.metrics("customer-relationship", "nps", by="unit")
pd.testing.assert_frame_equal(again, nps, rtol=0, atol=1e-9)
print("DuckDB agrees with", r.engine.name)
r.close()
