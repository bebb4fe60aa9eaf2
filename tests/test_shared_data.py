"""The shared test data's absence is a clear failure, not a puzzle."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SHARED_DATA, missing_shared_data


def test_the_shared_data_is_here() -> None:
    assert missing_shared_data() is None


def test_missing_data_says_where_it_belongs_and_how_to_get_it(tmp_path: Path) -> None:
    root = tmp_path / "shared" / "data"
    message = missing_shared_data(root)
    assert message is not None
    assert str(root / "osv" / "PyPI" / "all.zip") in message
    assert "beside the project checkout as ../shared/data" in message
    assert "README.md" in message


def test_the_default_location_is_beside_the_project() -> None:
    assert Path(__file__).resolve().parents[2] / "shared" / "data" == SHARED_DATA
