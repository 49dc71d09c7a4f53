"""Small value types of the sandbox's board model: columns, groups, people."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


class BoardDataError(ValueError):
    """Board data that the sandbox cannot serve; the message names board, item, column and fix."""


@dataclass(frozen=True)
class Column:
    """One board column as ``boards { columns { id title type settings_str } }`` returns it."""

    id: str
    title: str
    type: str
    settings_str: str = "{}"

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The parsed ``settings_str``."""
        parsed = json.loads(self.settings_str or "{}")
        return parsed if isinstance(parsed, dict) else {}

    def as_object(self) -> dict[str, Any]:
        """The GraphQL ``Column`` object."""
        return {
            "__typename": "Column",
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "settings_str": self.settings_str,
        }


@dataclass(frozen=True)
class Group:
    """A board group."""

    id: str
    title: str

    def as_object(self) -> dict[str, Any]:
        """The GraphQL ``Group`` object."""
        return {"__typename": "Group", "id": self.id, "title": self.title}


@dataclass(frozen=True)
class Person:
    """A user or team of the account, as people cells name them."""

    name: str
    kind: str = "person"


@dataclass
class People:
    """The account's directory of users and teams (id -> Person)."""

    by_id: dict[str, Person] = field(default_factory=dict)

    def get(self, person_id: str) -> Person:
        """The person or team with this id; an unknown id gets a placeholder name."""
        return self.by_id.get(person_id) or Person(f"User {person_id}")
