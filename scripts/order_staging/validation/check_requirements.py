"""Every requirement (REQ-OS-...) of the plan has a passing test (JUnit results in reports/).

python dev/order_staging/validation/check_requirements.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from dev.shared.traceability import check_requirements

if __name__ == "__main__":
    raise SystemExit(check_requirements("order_staging"))
