"""The sliding 60-second complexity budget of a Monday account."""

from __future__ import annotations

import math
import threading
from collections import deque


class ComplexityBudget:
    """Points spent in the last ``window`` seconds count against ``limit``."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] + self.window <= now:
            self._total -= self._spent.popleft()[1]

    def left(self, now: float) -> int:
        """Points available now."""
        with self._lock:
            self._expire(now)
            return self.limit - self._total

    def try_charge(self, cost: int, now: float) -> tuple[int, int] | None:
        """Spend ``cost``: (before, after), or None when the budget cannot cover it."""
        with self._lock:
            self._expire(now)
            before = self.limit - self._total
            if cost > before:
                return None
            self._spent.append((now, cost))
            self._total += cost
            return before, before - cost

    def retry_in(self, cost: int, now: float) -> int:
        """Whole seconds until enough points leave the window to cover ``cost``."""
        with self._lock:
            self._expire(now)
            free = self.limit - self._total
            for stamp, spent in self._spent:
                free += spent
                if free >= cost:
                    return max(1, math.ceil(stamp + self.window - now))
            return math.ceil(self.window)

    def reset_in(self, now: float) -> int:
        """Whole seconds until the oldest spend in the window expires."""
        with self._lock:
            self._expire(now)
            if not self._spent:
                return math.ceil(self.window)
            return max(1, math.ceil(self._spent[0][0] + self.window - now))

    def clear(self) -> None:
        """Forget every spend."""
        with self._lock:
            self._spent.clear()
            self._total = 0
