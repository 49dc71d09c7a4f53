"""The reliability suite's tally: every test counts what it tried; the session writes the totals.

    def test_x(tally):
        tally.add("faults_injected")
        tally.add("rows_compared", len(frame))

At the end, reports/reliability.json holds the counts per test and in total, plus the number of
failed tests, and the terminal shows the table (the README quotes it).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest

from dev.shared.noxkit import REPORTS

COUNTS = ("cases_tried", "faults_injected", "rows_compared", "failures_found")


class Tally:
    """Counters for one test; merged into the session totals."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n


_PER_TEST: dict[str, Counter[str]] = defaultdict(Counter)
_OUTCOMES: Counter[str] = Counter()


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counter = Tally()
    yield counter
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    _PER_TEST[module].update(counter.counts)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        _OUTCOMES[report.outcome] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    total: Counter[str] = Counter()
    for counts in _PER_TEST.values():
        total.update(counts)
    result: dict[str, dict[str, object]] = {
        "totals": {name: total.get(name, 0) for name in COUNTS},
        "tests": {
            "passed": _OUTCOMES["passed"],
            "failed": _OUTCOMES["failed"],
            "skipped": _OUTCOMES["skipped"],
        },
        "by_area": {area: dict(counts) for area, counts in sorted(_PER_TEST.items())},
    }
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "reliability.json").write_text(json.dumps(result, indent=2))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "reliability counts (reports/reliability.json)")
        for area, counts in sorted(_PER_TEST.items()):
            reporter.write_line(
                f"{area:<28} " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            )
        reporter.write_line(
            f"{'total':<28} "
            + "  ".join(f"{k}={v}" for k, v in result["totals"].items())
            + f"  failed_tests={_OUTCOMES['failed']}"
        )


# the framework tests' temporary repository copies, shared with this suite
from dev.shared.testing.conftest import demo_repo, repo_copy  # noqa: F401
