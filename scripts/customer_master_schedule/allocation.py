"""Rules CMS-R2 and CMS-R3: greedy day-by-day capacity allocation of one production line.

Lines are taken in priority order; each takes the earliest remaining capacity on or after its
own start day, spilling over as many days as it needs. A later line whose start day is earlier
can still use capacity an earlier line skipped, so a plain cumulative sum is not enough.

The loop is plain Python over lists, with a "next day that still has capacity" pointer array
(a union-find with path halving): a day is visited again only while it has capacity left, so
the work is O((lines + days) * alpha) per production line - about 1 us per line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineAllocation:
    """Result for the lines of one production line, in the order they were given.

    first_day / last_day: day index of the first and last unit (-1 when none / not finished);
    allocated: units placed inside the horizon; days / units / owner: one record per
    (line, day) slice, owner being the position of the line in the input arrays.
    """

    first_day: np.ndarray
    last_day: np.ndarray
    allocated: np.ndarray
    owner: np.ndarray
    days: np.ndarray
    units: np.ndarray


def allocate(capacity: np.ndarray, start_day: np.ndarray, quantity: np.ndarray) -> LineAllocation:
    """Allocate lines (already in priority order) onto daily capacity.

    capacity: units per day index over the horizon; start_day: first allowed day per line
    (>= len(capacity) means it cannot start inside the horizon); quantity: units per line (> 0).
    A line that does not finish inside the horizon keeps what it got (it had priority over
    later lines) and reports last_day = -1.
    """
    remaining = [int(units) for units in capacity]
    horizon = len(remaining)
    # nxt[d] == d: day d has capacity left; otherwise a pointer towards the next such day.
    nxt = [d if remaining[d] > 0 else d + 1 for d in range(horizon)] + [horizon]
    n = len(quantity)
    first, last, placed = [-1] * n, [-1] * n, [0] * n
    owner: list[int] = []
    days: list[int] = []
    units: list[int] = []
    for i, (start, want) in enumerate(zip(start_day.tolist(), quantity.tolist(), strict=True)):
        if start >= horizon:
            continue
        day, need = start, want
        while True:
            while nxt[day] != day:  # find with path halving
                nxt[day] = nxt[nxt[day]]
                day = nxt[day]
            if day == horizon:
                break
            if first[i] < 0:
                first[i] = day
            left = remaining[day]
            owner.append(i)
            days.append(day)
            if need < left:  # the line ends inside this day; the rest stays for later lines
                remaining[day] = left - need
                units.append(need)
                need = 0
            else:  # the line takes the whole day and maybe continues
                remaining[day] = 0
                nxt[day] = day + 1
                units.append(left)
                need -= left
            if need == 0:
                last[i] = day
                break
            day += 1
        placed[i] = want - need
    return LineAllocation(
        np.array(first, dtype=np.int64),
        np.array(last, dtype=np.int64),
        np.array(placed, dtype=np.int64),
        np.array(owner, dtype=np.int64),
        np.array(days, dtype=np.int64),
        np.array(units, dtype=np.int64),
    )
