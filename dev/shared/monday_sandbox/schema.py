"""The slice of Monday's GraphQL schema the sandbox serves: object types, their fields, interfaces."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_COLUMN_VALUE: Final = {
    "id": "ID",
    "type": "String",
    "text": "String",
    "value": "JSON",
    "column": "Column",
}


def _cell(**extra: str) -> dict[str, str]:
    return {**_COLUMN_VALUE, **extra}


_TYPES: dict[str, dict[str, str]] = {
    "Query": {
        "boards": "Board",
        "next_items_page": "ItemsResponse",
        "items": "Item",
        "complexity": "Complexity",
    },
    "Complexity": {"before": "Int", "after": "Int", "query": "Int", "reset_in_x_seconds": "Int"},
    "Board": {
        "id": "ID",
        "name": "String",
        "state": "String",
        "board_kind": "String",
        "description": "String",
        "items_count": "Int",
        "columns": "Column",
        "groups": "Group",
        "items_page": "ItemsResponse",
    },
    "Column": {"id": "ID", "title": "String", "type": "String", "settings_str": "String"},
    "Group": {"id": "ID", "title": "String"},
    "ItemsResponse": {"cursor": "String", "items": "Item"},
    "Item": {
        "id": "ID",
        "name": "String",
        "state": "String",
        "created_at": "String",
        "updated_at": "String",
        "creator_id": "String",
        "url": "String",
        "group": "Group",
        "board": "Board",
        "parent_item": "Item",
        "subitems": "Item",
        "column_values": "ColumnValue",
    },
    "ColumnValue": _cell(),
    "StatusValue": _cell(
        index="Int",
        label="String",
        is_done="Boolean",
        label_style="StatusLabelStyle",
        updated_at="String",
    ),
    "StatusLabelStyle": {"color": "String", "border": "String"},
    "DateValue": _cell(date="String", time="String", icon="String", updated_at="String"),
    "NumbersValue": _cell(number="Float", symbol="String", direction="String"),
    "TextValue": _cell(),
    "LongTextValue": _cell(updated_at="String"),
    "PeopleValue": _cell(persons_and_teams="PeopleEntity", updated_at="String"),
    "PeopleEntity": {"id": "ID", "kind": "String"},
    "DropdownValue": _cell(values="DropdownValueOption"),
    "DropdownValueOption": {"id": "ID", "label": "String"},
    "TimelineValue": _cell(
        **{"from": "String", "to": "String", "visualization_type": "String", "updated_at": "String"}
    ),
    "CheckboxValue": _cell(checked="Boolean", updated_at="String"),
    "CountryValue": _cell(country="Country", updated_at="String"),
    "Country": {"code": "String", "name": "String"},
    "FormulaValue": _cell(display_value="String"),
    "MirrorValue": _cell(display_value="String"),
    "BoardRelationValue": _cell(display_value="String", linked_item_ids="ID"),
    "ItemIdValue": _cell(item_id="ID"),
    "LastUpdatedValue": _cell(updated_at="String"),
    "SubtasksValue": _cell(display_value="String", subitems_ids="ID"),
}
for _fields in _TYPES.values():
    _fields["__typename"] = "String"

#: type name -> field name -> the field's type name (a scalar or another entry here)
TYPES: Final = MappingProxyType(_TYPES)
SCALARS: Final = frozenset({"ID", "String", "Int", "Float", "Boolean", "JSON"})
#: interface -> the object types that implement it
INTERFACES: Final = MappingProxyType(
    {"ColumnValue": frozenset(t for t in _TYPES if t.endswith("Value") and t != "ColumnValue")}
)
#: column type -> the ColumnValue implementation its cells are
CELL_TYPENAMES: Final = MappingProxyType(
    {
        "status": "StatusValue",
        "date": "DateValue",
        "numbers": "NumbersValue",
        "text": "TextValue",
        "long_text": "LongTextValue",
        "people": "PeopleValue",
        "dropdown": "DropdownValue",
        "timeline": "TimelineValue",
        "checkbox": "CheckboxValue",
        "country": "CountryValue",
        "formula": "FormulaValue",
        "mirror": "MirrorValue",
        "board_relation": "BoardRelationValue",
        "subtasks": "SubtasksValue",
        "item_id": "ItemIdValue",
        "last_updated": "LastUpdatedValue",
        # The real API has no cell type for the name column; its cells look like text cells.
        "name": "TextValue",
    }
)
COLUMN_TYPES: Final = tuple(CELL_TYPENAMES)


def applies(type_condition: str | None, runtime_type: str) -> bool:
    """Whether a fragment on ``type_condition`` applies to an object of ``runtime_type``."""
    if type_condition is None or type_condition == runtime_type:
        return True
    return runtime_type in INTERFACES.get(type_condition, frozenset())


#: (type, field) -> the arguments it accepts; fields not listed take none
ARGUMENTS: Final = MappingProxyType(
    {
        ("Query", "boards"): frozenset(
            {"ids", "state", "limit", "page", "board_kind", "order_by", "workspace_ids"}
        ),
        ("Query", "next_items_page"): frozenset({"cursor", "limit"}),
        ("Query", "items"): frozenset(
            {"ids", "limit", "page", "exclude_nonactive", "newest_first"}
        ),
        # `state` is a sandbox extension: the real items_page returns active items only.
        ("Board", "items_page"): frozenset({"limit", "cursor", "query_params", "state"}),
        ("Board", "columns"): frozenset({"ids", "types"}),
        ("Board", "groups"): frozenset({"ids"}),
        ("Item", "column_values"): frozenset({"ids", "types", "capabilities"}),
    }
)
