"""Work moto repeats on every request, done once: the same answers, less CPU.

Measured on a 40/s run, UpdateItem was the embedded AWS's costliest call (5 an onboarding,
3.3 ms of CPU each against 1.3 ms for a PutItem); in it moto

- parses the update expression twice per request (once in the handler to check the names
  and values it uses, once in the backend) from the same text: the parse is cached by text.
  Safe because nothing changes a parsed tree: the validator works on its own deep copy, and
  the handler only reads it (``find_clauses``);
- checks an item's 400 KB limit as it builds the item by summing the size of every
  attribute so far for each attribute it adds (quadratic in the attributes; 12 % of a
  PutItem): ``Item`` is built with one running sum and the same limit, the same error;
- lists the handler class's methods (``inspect.getmembers``) on every request of every
  service to find the action's: the list is kept per class (a class's methods do not change);
- asks each of the validator's ten tree walkers for its node-type map (a new dict of bound
  methods, then a new tuple) once per node of the tree: each walker keeps its map, made once.
  The maps are constant per walker, and a walker lives for one validation;
- tests every node of those walks, and of ``find_clauses``, with ``isinstance`` against its
  abstract node classes (abc's slow path, 2.5 million calls in 1,500 UpdateItems): the answer
  is kept per class, as the classes do not change;
- deep-copies the cached tree for each validation with ``copy.deepcopy``: a tree of plain
  nodes, lists and text is copied directly, the same copy (anything else still by deepcopy);
- parses a JSON request by trying every member of each structure on the value (ten for each
  DynamoDB attribute value, which holds one): the members the value has are looked up, in the
  shape's order;
- draws a random string (a request id: 52 characters) one ``choice`` call a character: one
  ``choices`` call, from the same alphabet and the same seeded generator.

``tests/integration/test_moto_speedups.py`` runs the same UpdateItems (every action,
conditions, nested paths, every error moto raises for a bad expression) with and without
these and compares items, replies and errors; it compares parsed requests, copied trees and
random strings the same way.

Example::

    install()   # once per process, before serving
"""

from __future__ import annotations

import copy
import functools
import string
from typing import Any

from moto.core import responses
from moto.core.parse import BaseJSONParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    Expression,
    Node,
    UpdateExpressionFunction,
)
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.moto_api._internal.moto_random import MotoRandom

PARSED_EXPRESSIONS = 4096  # distinct update expressions kept (a pipeline has a handful)
ITEM_SIZE_LIMIT = 405_000  # moto's own figure (LimitedSizeDict): between AWS's 409 and 410 KB

_MOTOS = {
    (UpdateExpressionParser, "make"): vars(UpdateExpressionParser)["make"],
    (DepthFirstTraverser, "nodes_to_be_processed"): vars(DepthFirstTraverser)[
        "nodes_to_be_processed"
    ],
    (DepthFirstTraverser, "process"): vars(DepthFirstTraverser)["process"],
    (DepthFirstTraverser, "traverse_node_recursively"): vars(DepthFirstTraverser)[
        "traverse_node_recursively"
    ],
    (Node, "find_clauses"): vars(Node)["find_clauses"],
    (validators, "deepcopy"): validators.deepcopy,
    (responses, "method_names_from_class"): responses.method_names_from_class,
    (Item, "__init__"): vars(Item)["__init__"],
    (MotoRandom, "get_random_string"): vars(MotoRandom)["get_random_string"],
    (BaseJSONParser, "_parse_structure"): vars(BaseJSONParser)["_parse_structure"],
}


def install() -> None:
    """Apply them in this process; idempotent."""
    ours = {
        "make": _parsed,
        "nodes_to_be_processed": _node_types,
        "process": _process,
        "traverse_node_recursively": _traverse,
        "find_clauses": _find_clauses,
        "deepcopy": _deepcopy,
        "method_names_from_class": _method_names,
        "__init__": _item_init,
        "get_random_string": _random_string,
        "_parse_structure": _parse_structure,
    }
    for owner, name in _MOTOS:
        setattr(owner, name, ours[name])


def uninstall() -> None:
    """moto as it ships (for the comparison test)."""
    for (owner, name), original in _MOTOS.items():
        setattr(owner, name, original)


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS)
def _parse_once(expression: str) -> Any:
    make = _MOTOS[(UpdateExpressionParser, "make")].__get__(None, UpdateExpressionParser)
    return make(expression)


@classmethod  # type: ignore[misc]
def _parsed(cls: type, expression: str) -> Any:
    """moto's parse of ``expression`` (a syntax error is raised again on every call)."""
    return _parse_once(expression)


def _item_init(
    self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]
) -> None:
    """moto's ``Item.__init__``, its size check summed as it goes (the keys are distinct, so
    the running sum is the sum moto recomputes for each attribute)."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        added = bytesize(key) + typed.size()
        if size + added > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, typed)
        size += added


def _random_string(
    self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False
) -> str:
    """moto's random string (letters, digits unless told not, lower-cased if asked), drawn in
    one ``choices`` call where moto calls ``choice`` once a character."""
    pool = string.ascii_letters + (string.digits if include_digits else "")
    text = "".join(self.choices(pool, k=length))
    return text.lower() if lower_case else text


def _parse_structure(self: BaseJSONParser, shape: Any, value: Any) -> Any:
    """moto's JSON parse of a structure, looking up the members the value has, in the shape's
    order (moto tries each of the shape's members on the value: ten for each DynamoDB
    attribute value, which has one)."""
    members = _members_by_wire_name(shape)
    if members is None or type(value) is not dict or shape.is_document_type:
        return _MOTOS[(BaseJSONParser, "_parse_structure")](self, shape, value)
    found = sorted(members[name] for name in value if name in members and value[name] is not None)
    parsed = self.MAP_TYPE()
    for _, wire_name, member_name, member_shape in found:
        parsed[member_name] = self._parse_shape(member_shape, value[wire_name])
    return parsed


def _members_by_wire_name(shape: Any) -> dict[str, tuple[int, str, str, Any]] | None:
    """``{name on the wire: (position, that name, member name, member shape)}``, kept on the
    shape; None when two members share a wire name (moto's walk then parses both)."""
    cached = shape.__dict__.get("_onramp_members", False)
    if cached is False:
        members = {}
        for position, (name, member) in enumerate(shape.members.items()):
            wire_name = member.serialization.get("name", name)
            members[wire_name] = (position, wire_name, name, member)
        unique = len(members) == len(shape.members)
        cached = shape.__dict__["_onramp_members"] = members if unique else None
    return cached  # type: ignore[no-any-return]


@functools.cache
def _method_names(handler_class: type) -> list[str]:
    names = _MOTOS[(responses, "method_names_from_class")](handler_class)
    return names  # type: ignore[no-any-return]


def _processing_map(walker: DepthFirstTraverser) -> dict[type, Any]:
    cached = walker.__dict__.get("_onramp_processing_map")
    if cached is None:
        cached = walker.__dict__["_onramp_processing_map"] = walker._processing_map()
    return cached  # type: ignore[no-any-return]


def _node_types(self: DepthFirstTraverser) -> tuple[type, ...]:
    cached = self.__dict__.get("_onramp_node_types")
    if cached is None:
        cached = self.__dict__["_onramp_node_types"] = tuple(_processing_map(self))
    return cached  # type: ignore[no-any-return]


def _process(self: DepthFirstTraverser, node: Any) -> Any:
    for node_type, processor in _processing_map(self).items():
        if isinstance(node, node_type):
            return processor(node)
    return None


def _traverse(self: DepthFirstTraverser, node: Any, child_id: int = -1) -> Any:
    """moto's depth-first walk, each node's processor looked up by its class once per walker
    class (moto asks ``isinstance`` of abstract classes for every node, walker and processor)."""
    kind = type(node)
    is_node = _IS_NODE.get(kind)
    if is_node is None:
        is_node = _IS_NODE[kind] = issubclass(kind, Node)
    if not is_node:
        return node  # a leaf's text, a value
    parent_node = node.parent
    if node.children is not None:
        for index, child_node in enumerate(node.children):
            self.pre_processing_of_child(node, index)
            self.traverse_node_recursively(child_node, index)
    processed_as = _processed_as(self, kind)
    if processed_as is not None:
        node = _processing_map(self)[processed_as](node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


def _find_clauses(self: Node, clause_types: Any) -> list[Any]:
    """moto's search for clauses of ``clause_types`` under a node, its subclass tests cached."""
    clauses: list[Any] = []
    for child in self.children or []:
        kind = type(child)
        if kind in clause_types:
            clauses.append(child)
            continue
        descends = _HOLDS_CLAUSES.get(kind)
        if descends is None:
            descends = _HOLDS_CLAUSES[kind] = issubclass(kind, _CLAUSE_HOLDERS)
        if descends:
            clauses.extend(child.find_clauses(clause_types))
    return clauses


_IS_NODE: dict[type, bool] = {}
"""Whether a class is a parse-tree node (moto's node classes are abstract: ``isinstance``
takes abc's slow path every time)."""
_CLAUSE_HOLDERS = (Expression, UpdateExpressionFunction)
_HOLDS_CLAUSES: dict[type, bool] = {}
"""Whether ``find_clauses`` looks into a child of the class (moto: an ``Expression`` or an
``UpdateExpressionFunction``)."""
_PROCESSED_AS: dict[tuple[type, type], type | None] = {}
"""(walker class, node class) -> the first class of the walker's map the node is one of
(moto's ``process`` order), or None. The maps' classes are constant per walker class."""


def _processed_as(walker: DepthFirstTraverser, kind: type) -> type | None:
    key = (type(walker), kind)
    if key not in _PROCESSED_AS:
        classes = _processing_map(walker)
        _PROCESSED_AS[key] = next((c for c in classes if issubclass(kind, c)), None)
    return _PROCESSED_AS[key]


class _NotPlain(Exception):
    """A value ``_copied`` does not copy as ``copy.deepcopy`` would: deepcopy copies it all."""


_ATOMS = (str, int, float, bool, type(None))


def _deepcopy(tree: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for the validators (moto copies each update expression's tree before
    validating it): a tree of plain nodes, lists and text copied directly, anything else by
    deepcopy itself."""
    if memo is None:
        try:
            return _copied(tree, {})
        except _NotPlain:
            pass
    return copy.deepcopy(tree, memo)


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    """What deepcopy makes of a plain object (no copy hooks, no slots: a new instance, its
    ``__dict__`` copied), a list or an immutable atom, each object copied once (``memo``)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if id(value) in memo:
        return memo[id(value)]
    if kind is list:
        new_list: list[Any] = []
        memo[id(value)] = new_list
        new_list.extend(_copied(item, memo) for item in value)
        return new_list
    if not _is_plain(kind):
        raise _NotPlain(kind)
    new = object.__new__(kind)
    memo[id(value)] = new
    new.__dict__.update({name: _copied(item, memo) for name, item in vars(value).items()})
    return new


_PLAIN: dict[type, bool] = {}


def _is_plain(kind: type) -> bool:
    """A parse-tree node class deepcopy copies by its ``__dict__`` alone."""
    if kind not in _PLAIN:
        hooks = ("__deepcopy__", "__reduce__", "__setstate__", "__slots__", "__copy__")
        own_hooks = any(hook in vars(klass) for klass in kind.__mro__[:-1] for hook in hooks)
        default_state = kind.__reduce_ex__ is object.__reduce_ex__
        default_state = default_state and kind.__getstate__ is object.__getstate__  # type: ignore[comparison-overlap]
        _PLAIN[kind] = issubclass(kind, Node) and not own_hooks and default_state
    return _PLAIN[kind]
