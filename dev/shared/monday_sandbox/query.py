"""GraphQL documents for the sandbox: parse (cached), validate against the schema slice, collect fields."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSyntaxError, parse
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListTypeNode,
    Node,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    TypeNode,
)
from graphql.utilities import value_from_ast_untyped

from .schema import ARGUMENTS, SCALARS, TYPES, applies


class QueryError(Exception):
    """A request the sandbox refuses before running it (parse, validation, variables)."""

    def __init__(self, message: str, code: str, node: Node | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code
        self.locations = _locations(node)


def _locations(node: Node | None) -> list[dict[str, int]]:
    token = node.loc.start_token if node is not None and node.loc is not None else None
    return [{"line": token.line, "column": token.column}] if token else []


@dataclass
class Document:
    """A parsed, validated document (cached by query text, shared by requests: read-only)."""

    node: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    field_names: frozenset[str]

    def operation(self, name: str | None) -> OperationDefinitionNode:
        """The operation to run (by name, or the only one)."""
        ops = [d for d in self.node.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in ops if name is None or (o.name and o.name.value == name)]
        if len(chosen) != 1:
            raise QueryError(
                f"operationName {name!r} does not pick exactly one of the {len(ops)} operations",
                "GRAPHQL_VALIDATION_FAILED",
            )
        if chosen[0].operation is not OperationType.QUERY:
            raise QueryError(
                f"{chosen[0].operation.value} operations are not served by the sandbox (reads only)",
                "GRAPHQL_VALIDATION_FAILED",
                chosen[0],
            )
        return chosen[0]


_CACHE: OrderedDict[str, Document | QueryError] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def parse_document(text: str) -> Document:
    """Parse and validate ``text`` (the last 256 documents are cached); raises QueryError."""
    with _CACHE_LOCK:
        hit = _CACHE.get(text)
        if hit is not None:
            _CACHE.move_to_end(text)
    if hit is None:
        hit = _build(text)
        with _CACHE_LOCK:
            _CACHE[text] = hit
            while len(_CACHE) > 256:
                _CACHE.popitem(last=False)
    if isinstance(hit, QueryError):
        raise hit
    return hit


def _build(text: str) -> Document | QueryError:
    try:
        node = parse(text, no_location=False)
    except GraphQLSyntaxError as exc:
        error = QueryError(exc.message, "GRAPHQL_PARSE_FAILED")
        error.locations = [{"line": loc.line, "column": loc.column} for loc in exc.locations or []]
        return error
    fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
    doc = Document(node, fragments, frozenset())
    try:
        names: set[str] = set()
        for op in (d for d in node.definitions if isinstance(d, OperationDefinitionNode)):
            root = "Query" if op.operation is OperationType.QUERY else "Mutation"
            if root in TYPES:
                _validate(op.selection_set.selections, root, doc, names, ())
    except QueryError as exc:
        return exc
    doc.field_names = frozenset(names)
    return doc


def _validate(
    selections: Sequence[SelectionNode],
    type_name: str,
    doc: Document,
    names: set[str],
    seen: tuple[str, ...],
) -> None:
    fields = TYPES[type_name]
    for sel in selections:
        if isinstance(sel, FieldNode):
            _validate_field(sel, type_name, fields, doc, names, seen)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else type_name
            if _known_condition(cond, type_name, sel):
                _validate(sel.selection_set.selections, cond, doc, names, seen)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            frag = doc.fragments.get(name)
            if frag is None:
                raise QueryError(f'Unknown fragment "{name}".', "GRAPHQL_VALIDATION_FAILED", sel)
            if name in seen:
                raise QueryError(
                    f'Cannot spread fragment "{name}" within itself.',
                    "GRAPHQL_VALIDATION_FAILED",
                    sel,
                )
            cond = frag.type_condition.name.value
            if _known_condition(cond, type_name, sel):
                _validate(frag.selection_set.selections, cond, doc, names, (*seen, name))


def _known_condition(cond: str, type_name: str, node: Node) -> bool:
    """True when the fragment's fields must be checked; unknown *Value types are skipped."""
    if applies(cond, type_name) or applies(type_name, cond):
        return True
    if type_name == "ColumnValue" and cond.endswith("Value"):
        return False  # a real column type the sandbox does not serve (EmailValue...): never matches
    raise QueryError(
        f'Fragment cannot be spread here as objects of type "{type_name}" can never be of type "{cond}".',
        "GRAPHQL_VALIDATION_FAILED",
        node,
    )


def _validate_field(
    sel: FieldNode,
    type_name: str,
    fields: Mapping[str, str],
    doc: Document,
    names: set[str],
    seen: tuple[str, ...],
) -> None:
    name = sel.name.value
    if name not in fields:
        raise QueryError(
            f'Cannot query field "{name}" on type "{type_name}".', "GRAPHQL_VALIDATION_FAILED", sel
        )
    names.add(name)
    allowed = ARGUMENTS.get((type_name, name), frozenset())
    for argument in sel.arguments or ():
        if argument.name.value not in allowed:
            raise QueryError(
                f'Unknown argument "{argument.name.value}" on field "{type_name}.{name}".',
                "GRAPHQL_VALIDATION_FAILED",
                argument,
            )
    target = fields[name]
    if target in SCALARS and sel.selection_set is not None:
        raise QueryError(
            f'Field "{name}" must not have a selection since type "{target}" has no subfields.',
            "GRAPHQL_VALIDATION_FAILED",
            sel,
        )
    if target not in SCALARS:
        if sel.selection_set is None:
            raise QueryError(
                f'Field "{name}" of type "{target}" must have a selection of subfields.',
                "GRAPHQL_VALIDATION_FAILED",
                sel,
            )
        _validate(sel.selection_set.selections, target, doc, names, seen)


def coerce_variables(
    op: OperationDefinitionNode, given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Variables with defaults applied; a missing required variable raises QueryError."""
    given = dict(given or {})
    out: dict[str, Any] = {}
    for definition in op.variable_definitions or ():
        name = definition.variable.name.value
        if given.get(name) is not None:
            out[name] = given[name]
        elif definition.default_value is not None:
            out[name] = value_from_ast_untyped(definition.default_value)
        elif isinstance(definition.type, NonNullTypeNode):
            raise QueryError(
                f'Variable "${name}" of required type "{_type_str(definition.type)}" was not provided.',
                "GRAPHQL_VALIDATION_FAILED",
                definition,
            )
        else:
            out[name] = None
    return out


def _type_str(node: TypeNode) -> str:
    if isinstance(node, NonNullTypeNode):
        return f"{_type_str(node.type)}!"
    if isinstance(node, ListTypeNode):
        return f"[{_type_str(node.type)}]"
    return str(node.name.value)  # type: ignore[attr-defined]


def arguments(node: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The field's arguments with variables substituted."""
    return {a.name.value: value_from_ast_untyped(a.value, variables) for a in node.arguments or ()}


def _included(
    node: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: dict[str, Any]
) -> bool:
    for directive in node.directives or ():
        args = {
            a.name.value: value_from_ast_untyped(a.value, variables)
            for a in directive.arguments or ()
        }
        if directive.name.value == "skip" and args.get("if"):
            return False
        if directive.name.value == "include" and not args.get("if"):
            return False
    return True


Fields = dict[str, list[FieldNode]]


def collect_fields(
    selections: Sequence[SelectionNode],
    runtime_type: str,
    doc: Document,
    variables: dict[str, Any],
    out: Fields | None = None,
) -> Fields:
    """Response key -> field nodes (merged) that apply to an object of ``runtime_type``."""
    out = {} if out is None else out
    for sel in selections:
        if not _included(sel, variables):  # type: ignore[arg-type]
            continue
        if isinstance(sel, FieldNode):
            out.setdefault(sel.alias.value if sel.alias else sel.name.value, []).append(sel)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            if applies(cond, runtime_type):
                collect_fields(sel.selection_set.selections, runtime_type, doc, variables, out)
        elif isinstance(sel, FragmentSpreadNode):
            frag = doc.fragments[sel.name.value]
            if applies(frag.type_condition.name.value, runtime_type):
                collect_fields(frag.selection_set.selections, runtime_type, doc, variables, out)
    return out


def sub_selections(nodes: Sequence[FieldNode]) -> list[SelectionNode]:
    """The merged sub-selections of fields that share a response key."""
    return [s for n in nodes if n.selection_set for s in n.selection_set.selections]


Tree = tuple[tuple[str, str, "Tree | None"], ...]


def field_tree(
    selections: Sequence[SelectionNode], type_name: str, doc: Document, variables: dict[str, Any]
) -> Tree:
    """A hashable (key, field, subtree) tree of what a query asks of an object of ``type_name``."""
    fields = collect_fields(selections, type_name, doc, variables)
    out = []
    for key, nodes in fields.items():
        name = nodes[0].name.value
        target = TYPES[type_name][name]
        sub = (
            None if target in SCALARS else field_tree(sub_selections(nodes), target, doc, variables)
        )
        out.append((key, name, sub))
    return tuple(out)


def project(obj: Any, tree: Tree | None) -> Any:
    """Keep only the fields of ``tree`` (in query order, under their response keys)."""
    if tree is None or obj is None:
        return obj
    if isinstance(obj, list):
        return [project(o, tree) for o in obj]
    return {key: project(obj[name], sub) for key, name, sub in tree}


__all__ = [
    "Document",
    "QueryError",
    "arguments",
    "coerce_variables",
    "collect_fields",
    "field_tree",
    "parse_document",
    "project",
    "sub_selections",
]
