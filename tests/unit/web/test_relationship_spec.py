"""The relationship pages write a chart's inline rows around altair, not through it: the
spec must be exactly the one altair writes."""

from __future__ import annotations

import pandas as pd

from rapport.exporters import charts
from rapport.web.relationship_pages import _map_chart, _spec


def test_the_map_spec_is_the_one_altair_writes() -> None:
    frame = pd.DataFrame(
        {
            "unit": ["north", "n-1", "n-1", "south"],
            "region": ["North", "North", "North", "South"],
            "period_label": ["2026-01", "2026-01", "2026-02", "2026-02"],
            "stage": ["fresh", "at_risk", "too_little_data", "settled"],
            "probability": [0.8, 0.61, None, 0.5],
            "alarm": [False, True, False, False],
        }
    )
    written = _spec(lambda: _map_chart(frame, "/relationships/unit?unit="))
    assert written == charts.embed_json(charts.spec(_map_chart(frame, "/relationships/unit?unit=")))
    assert '"values": [' in written
