"""``@tag(key="value")``: metadata for introspection, filters, the status table and the widget.

Tags never change a value, so they are not part of any fingerprint: editing a tag makes
nothing stale. Keys may use dots for namespaces; values are strings or lists of strings.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..graph.node import Node
from .base import DECORATE, Context, InvalidDecoratorError, Modifier

RESERVED_NAMESPACES = ("hamilton", "data_quality", "gdpr", "ccpa", "dag", "module")


def _key_ok(key: Any, bypass: bool) -> bool:
    if not isinstance(key, str) or not key:
        return False
    parts = key.split(".")
    if not bypass and parts[0] in RESERVED_NAMESPACES:
        return False
    return all(part.isidentifier() for part in parts)


def _value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
            and len(set(value)) == len(value))


class tag(Modifier):
    """Attach tags to the nodes this function produces (the final ones, or ``target_``)."""

    stage = DECORATE

    def __init__(self, *, target_: Any = None, bypass_reserved_namespaces_: bool = False,
                 **tags: str | list[str]):
        bad = [f"{k}={v!r}" for k, v in tags.items()
               if not (_key_ok(k, bypass_reserved_namespaces_) and _value_ok(v))]
        if bad:
            raise InvalidDecoratorError(
                f"@tag: invalid tags {', '.join(bad)}.\n"
                "Fix: keys are identifiers (dots allowed for namespaces, not starting with "
                f"{', '.join(RESERVED_NAMESPACES)}); values are strings or lists of distinct strings, "
                "e.g. @tag(owner=\"forecasting\", pii=\"false\").")
        self.tags = dict(tags)
        self.target = target_
        self.decorator = "@tag(" + ", ".join(f"{k}={v!r}" for k, v in tags.items()) + ")"

    def decorate(self, node: Node, ctx: Context) -> Node:
        return dataclasses.replace(node, tags={**node.tags, **self.tags})


class tag_outputs(Modifier):
    """``@tag_outputs(node_a={"k": "v"}, node_b={"k": "w"})``: different tags for each node a
    function produces (its extracted columns, parameterized outputs, …), by node name."""

    stage = DECORATE
    target = ...  # every node the function produces; those not named keep their tags

    def __init__(self, **tags_by_node: dict[str, str | list[str]]):
        bad = [f"{node}={tags!r}" for node, tags in tags_by_node.items()
               if not isinstance(tags, dict) or not all(_key_ok(k, False) and _value_ok(v) for k, v in tags.items())]
        if bad or not tags_by_node:
            raise InvalidDecoratorError(
                f"@tag_outputs: expects node_name={{tag: value, ...}} for each node; bad: "
                f"{', '.join(bad) or '(nothing given)'}.\n"
                "Fix: e.g. @tag_outputs(spend_2x={\"owner\": \"growth\"}, spend_3x={\"owner\": \"finance\"}).")
        self.tags_by_node = {node: dict(tags) for node, tags in tags_by_node.items()}
        self.decorator = f"@tag_outputs({', '.join(tags_by_node)})"

    def decorate(self, node: Node, ctx: Context) -> Node:
        extra = self.tags_by_node.get(node.name)
        return dataclasses.replace(node, tags={**node.tags, **extra}) if extra else node
