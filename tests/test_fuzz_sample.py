"""A fixed-seed sample of the fuzzing bench (bench/fuzz.py): every reader of untrusted input
gets the same hostile cases on every run, and none may crash (an exception that is not one of
pipvet's own errors), hang, or accept a requirements line that pip rejects."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pipvet_bench_fuzz", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


fuzz = _bench()
CASES = 100  # per reader: the eleven readers take about 20 s together on a quiet machine


@pytest.mark.slow  # about 20 s of CPU: in CI, beside the venv tests
@pytest.mark.parametrize("reader", sorted(fuzz.READERS))
def test_no_reader_crashes_or_hangs_on_the_fixed_sample(reader: str, tmp_path: Path) -> None:
    tally = fuzz.fuzz_reader(reader, CASES, 1, tmp_path)
    assert tally.cases == CASES
    assert (tally.crashes, tally.hangs, tally.disagreements) == (0, 0, 0), tally.examples


def test_the_bench_counts_a_crash_as_a_crash(tmp_path: Path) -> None:
    """The harness itself can fail: a reader that raises something foreign is counted."""

    def explode(_ctx: object, text: str, _tally: object) -> None:
        if "x" in text:
            raise KeyError(text)

    fuzz.READERS["explode"] = fuzz.Reader(
        "explode", lambda: ["xyz"], lambda _ctx: explode, fuzz._text_strategy(lambda: ["xyz"])
    )
    try:
        tally = fuzz.fuzz_reader("explode", 20, 1, tmp_path)
    finally:
        del fuzz.READERS["explode"]
    assert tally.crashes > 0
    assert any("KeyError" in e for e in tally.examples)
