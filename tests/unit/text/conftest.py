from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "goemotions"


@pytest.fixture(scope="session")
def goemotions_dir() -> Path:
    return DATA
