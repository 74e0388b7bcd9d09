"""Every table of the seed-7 sample and of the demo equals tests/golden/ (a refactor changes no output)."""

from __future__ import annotations

import pytest

from golden_tables import GOLDEN, compare, run_reference


@pytest.mark.slow
def test_outputs_equal_golden(tmp_path):
    assert (GOLDEN / "summary.json").exists(), "tests/golden/ is missing: python tests/golden_tables.py --write"
    tables, summary = run_reference(tmp_path)
    problems = compare(tables, summary)
    assert not problems, "outputs differ from tests/golden/ (regenerate only for an intended change):\n" + "\n".join(
        problems)
