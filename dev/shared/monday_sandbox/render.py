"""Render simple cell values into the real API's column_values shapes, one builder per column type.

A *simple value* is what a board file holds for a cell (a label, a date string, a list of ids...).
``render_cell`` turns it into the full GraphQL cell object (every field of the cell's type, with
``value`` as a string holding JSON); the executor then keeps only the fields a query asked for.
``None`` renders the type's empty cell exactly as contracts.md section 1 describes it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .model import BoardDataError, Column, People
from .schema import CELL_TYPENAMES

DEFAULT_CHANGED_AT = "2024-10-01T08:00:00.000Z"
# ASCII-only JSON text (\\u escapes) keeps every fragment a 1-byte-per-char str: joins of
# megabyte pages stay memcpy-fast and .encode() is free. Equivalent JSON for any parser.
# One encoder for every call: json.dumps(..., separators=...) builds a new one each time.
dumps: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":")).encode

COUNTRIES: Mapping[str, str] = {
    "US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France",
    "ES": "Spain", "IT": "Italy", "NL": "Netherlands", "BE": "Belgium", "PT": "Portugal",
    "IE": "Ireland", "PL": "Poland", "SE": "Sweden", "NO": "Norway", "DK": "Denmark",
    "FI": "Finland", "CH": "Switzerland", "AT": "Austria", "CA": "Canada", "MX": "Mexico",
    "BR": "Brazil", "AR": "Argentina", "JP": "Japan", "CN": "China", "IN": "India",
    "AU": "Australia", "NZ": "New Zealand", "IL": "Israel", "ZA": "South Africa",
    "SG": "Singapore", "KR": "South Korea",
}  # fmt: skip
_STATUS_COLORS = ("#fdab3d", "#00c875", "#e2445c", "#0086c0", "#a25ddc", "#c4c4c4")

Built = tuple[str | None, Any, dict[str, Any]]  # text, raw value (None = JSON null), typed fields


class RenderContext(Protocol):
    """What a builder may look up outside the cell: the people directory and item names."""

    people: People

    def item_name(self, item_id: str) -> str | None: ...


def render_cell(column: Column, value: Any, ctx: RenderContext) -> dict[str, Any]:
    """The full GraphQL cell object for ``value`` (a simple value, or None for an empty cell)."""
    text, raw, typed = _BUILDERS[column.type](column, value, ctx)
    return {
        "__typename": CELL_TYPENAMES[column.type],
        "id": column.id,
        "type": column.type,
        "text": text,
        "value": None if raw is None else dumps(raw),
        "column": column.as_object(),
        **typed,
    }


def _changed_at(value: Any) -> str:
    if isinstance(value, Mapping) and value.get("changed_at"):
        return str(value["changed_at"])
    return DEFAULT_CHANGED_AT


def _bad(column: Column, value: Any, expected: str) -> BoardDataError:
    return BoardDataError(
        f"column {column.id!r} ({column.type}): value {value!r} is not {expected}; fix the board data"
    )


def _status(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return (
            None,
            None,
            dict.fromkeys(("index", "label", "label_style", "updated_at")) | {"is_done": False},
        )
    labels = {int(k): str(v) for k, v in column.settings.get("labels", {}).items()}
    wanted = value.get("label", value.get("index")) if isinstance(value, Mapping) else value
    index = wanted if isinstance(wanted, int) else {v: k for k, v in labels.items()}.get(wanted)
    if index is None or index not in labels:
        raise _bad(column, value, f"one of the status labels {sorted(labels.values())}")
    changed = _changed_at(value)
    colors = column.settings.get("labels_colors", {}).get(str(index), {})
    color = colors.get("color", _STATUS_COLORS[index % len(_STATUS_COLORS)])
    style = {
        "__typename": "StatusLabelStyle",
        "color": color,
        "border": colors.get("border", color),
    }
    typed = {
        "index": index,
        "label": labels[index],
        "is_done": index in column.settings.get("done_colors", [1]),
        "label_style": style,
        "updated_at": changed,
    }
    return labels[index], {"index": index, "post_id": None, "changed_at": changed}, typed


def _iso_date(column: Column, value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise _bad(column, value, "a YYYY-MM-DD date") from None


def _iso_time(column: Column, value: Any) -> str:
    try:
        return dt.time.fromisoformat(str(value)).isoformat(timespec="seconds")
    except ValueError:
        raise _bad(column, value, "a HH:MM[:SS] time") from None


def _date(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return "", None, dict.fromkeys(("date", "time", "icon", "updated_at"))
    if isinstance(value, Mapping):
        day, clock = value.get("date"), value.get("time")
    elif isinstance(value, dt.datetime):
        day, clock = value.date(), value.time().isoformat(timespec="seconds")
    else:
        day, _, clock = str(value).replace("T", " ").partition(" ")
    date = _iso_date(column, day)
    time = _iso_time(column, clock.removesuffix("Z")) if clock else None
    changed = _changed_at(value)
    raw = {"date": date} | ({"time": time} if time else {}) | {"icon": None, "changed_at": changed}
    text = date if time is None else f"{date} {time[:5]}"
    return text, raw, {"date": date, "time": time, "icon": None, "updated_at": changed}


def number_text(number: float) -> str:
    """How Monday writes a number in ``text``: no trailing ``.0`` on whole numbers."""
    if isinstance(number, int) or (number.is_integer() and abs(number) < 1e15):
        return str(int(number))
    return repr(number)


def _numbers(column: Column, value: Any, _ctx: RenderContext) -> Built:
    unit = column.settings.get("unit") or {}
    typed: dict[str, Any] = {"symbol": unit.get("symbol"), "direction": unit.get("direction")}
    if value is None:
        return "", None, typed | {"number": None}
    try:
        number = value if isinstance(value, int) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool):
        raise _bad(column, value, "a number")
    text = number_text(number)
    return text, text, typed | {"number": int(number) if text.lstrip("-").isdigit() else number}


def _text(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return "", None, {}
    if isinstance(value, Mapping | Sequence) and not isinstance(value, str):
        raise _bad(column, value, "a string")
    return str(value), str(value), {}


def _long_text(_column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return "", None, {"updated_at": None}
    text = str(value.get("text", "")) if isinstance(value, Mapping) else str(value)
    changed = _changed_at(value)
    return text, {"text": text, "changed_at": changed}, {"updated_at": changed}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _people(column: Column, value: Any, ctx: RenderContext) -> Built:
    if value is None:
        return "", None, {"persons_and_teams": [], "updated_at": None}
    entries = []
    for entry in _as_list(value.get("ids", []) if isinstance(value, Mapping) else value):
        person_id = str(entry["id"] if isinstance(entry, Mapping) else entry)
        if not person_id.isdigit():
            raise _bad(column, value, "a list of numeric user/team ids")
        person = ctx.people.get(person_id)
        kind = entry.get("kind", person.kind) if isinstance(entry, Mapping) else person.kind
        entries.append((person_id, str(kind), person.name))
    changed = _changed_at(value)
    raw = {
        "changed_at": changed,
        "personsAndTeams": [{"id": int(i), "kind": k} for i, k, _ in entries],
    }
    typed = [{"__typename": "PeopleEntity", "id": i, "kind": k} for i, k, _ in entries]
    return (
        ", ".join(n for *_, n in entries),
        raw,
        {"persons_and_teams": typed, "updated_at": changed},
    )


def _dropdown(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return None, None, {"values": []}
    options = {int(o["id"]): str(o["name"]) for o in column.settings.get("labels", [])}
    by_label = {label: option_id for option_id, label in options.items()}
    chosen = []
    for entry in _as_list(value.get("labels", []) if isinstance(value, Mapping) else value):
        option_id = entry if isinstance(entry, int) else by_label.get(str(entry))
        if option_id is None or option_id not in options:
            raise _bad(column, value, f"a list of dropdown labels from {sorted(by_label)}")
        chosen.append(option_id)
    raw = {"ids": chosen, "changed_at": _changed_at(value)}
    typed = [
        {"__typename": "DropdownValueOption", "id": str(i), "label": options[i]} for i in chosen
    ]
    return ", ".join(options[i] for i in chosen), raw, {"values": typed}


def _timeline(column: Column, value: Any, _ctx: RenderContext) -> Built:
    empty = dict.fromkeys(("from", "to", "visualization_type", "updated_at"))
    if value is None:
        return "", None, empty
    if isinstance(value, Mapping):
        start, end, kind = value.get("from"), value.get("to"), value.get("visualization_type")
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        (start, end), kind = value, None
    else:
        raise _bad(column, value, "a {from, to} mapping or a [from, to] pair")
    start, end = _iso_date(column, start), _iso_date(column, end)
    changed = _changed_at(value)
    raw = {"to": end, "from": start, "changed_at": changed}
    raw |= {"visualization_type": kind} if kind else {}
    typed = {"from": start, "to": end, "visualization_type": kind, "updated_at": changed}
    return f"{start} - {end}", raw, typed


def _checkbox(column: Column, value: Any, _ctx: RenderContext) -> Built:
    checked = value.get("checked") if isinstance(value, Mapping) else value
    if checked is not None and not isinstance(checked, bool):
        raise _bad(column, value, "true or false")
    if not checked:
        return "", None, {"checked": checked, "updated_at": None}
    changed = _changed_at(value)
    return "v", {"checked": "true", "changed_at": changed}, {"checked": True, "updated_at": changed}


def _country(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return "", None, {"country": None, "updated_at": None}
    if isinstance(value, Mapping):
        code = str(value.get("countryCode", value.get("code", "")))
        name = value.get("countryName", value.get("name")) or COUNTRIES.get(code)
    else:
        code, name = str(value), COUNTRIES.get(str(value))
    if not name:
        raise _bad(column, value, f"an ISO country code from {sorted(COUNTRIES)} (or code+name)")
    changed = _changed_at(value)
    raw = {"countryCode": code, "countryName": name, "changed_at": changed}
    typed = {
        "country": {"__typename": "Country", "code": code, "name": name},
        "updated_at": changed,
    }
    return str(name), raw, typed


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


def _formula(_column: Column, value: Any, _ctx: RenderContext) -> Built:
    # Formula results are readable only through display_value (changelog 2025-01).
    return "", None, {"display_value": _display(value)}


def _mirror(_column: Column, value: Any, _ctx: RenderContext) -> Built:
    return None, None, {"display_value": _display(value)}


def _linked(value: Any) -> tuple[list[str], Any]:
    if isinstance(value, Mapping):
        return [str(i) for i in _as_list(value.get("ids", []))], value
    return [str(i) for i in _as_list(value)], {}


def _board_relation(_column: Column, value: Any, ctx: RenderContext) -> Built:
    ids, extra = _linked([] if value is None else value)
    names = extra.get("display") or ", ".join(ctx.item_name(i) or i for i in ids)
    return None, None, {"display_value": names, "linked_item_ids": ids}


def _subtasks(_column: Column, value: Any, ctx: RenderContext) -> Built:
    ids, extra = _linked([] if value is None else value)
    names = extra.get("names") or [ctx.item_name(i) or i for i in ids]
    shown = ", ".join(str(n) for n in names)
    return shown, None, {"display_value": shown, "subitems_ids": ids}


def _item_id(_column: Column, value: Any, _ctx: RenderContext) -> Built:
    return ("" if value is None else str(value)), None, {"item_id": value}


def _name(_column: Column, value: Any, _ctx: RenderContext) -> Built:
    return ("" if value is None else str(value)), None, {}


def _last_updated(column: Column, value: Any, _ctx: RenderContext) -> Built:
    if value is None:
        return "", None, {"updated_at": None}
    stamp = value.get("updated_at") if isinstance(value, Mapping) else value
    if isinstance(stamp, dt.datetime):
        stamp = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        parsed = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        raise _bad(column, value, "an ISO-8601 timestamp") from None
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC"), None, {"updated_at": str(stamp)}


_BUILDERS: Mapping[str, Callable[[Column, Any, RenderContext], Built]] = {
    "status": _status,
    "date": _date,
    "numbers": _numbers,
    "text": _text,
    "long_text": _long_text,
    "people": _people,
    "dropdown": _dropdown,
    "timeline": _timeline,
    "checkbox": _checkbox,
    "country": _country,
    "formula": _formula,
    "mirror": _mirror,
    "board_relation": _board_relation,
    "subtasks": _subtasks,
    "item_id": _item_id,
    "name": _name,
    "last_updated": _last_updated,
}
