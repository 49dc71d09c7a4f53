"""Every requirement (REQ-MB-...) of the plan has a passing test (JUnit results in reports/).

python dev/monday_boards/validation/check_requirements.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )

from dev.shared.traceability import check_requirements

if __name__ == "__main__":
    raise SystemExit(check_requirements("monday_boards"))
