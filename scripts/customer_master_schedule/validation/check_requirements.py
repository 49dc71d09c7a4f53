"""Every requirement (REQ-CMS-...) of the plan has a passing test (JUnit results in reports/).

python dev/customer_master_schedule/validation/check_requirements.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from dev.shared.traceability import check_requirements

if __name__ == "__main__":
    raise SystemExit(check_requirements("customer_master_schedule"))
