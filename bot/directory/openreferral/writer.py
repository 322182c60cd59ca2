"""Writing the network file: the ``providers:`` block anew, every other line as it was."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

# libyaml's parser when PyYAML has it (much faster); the pure-Python one otherwise.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """Lists of plain values on one line (``services: [cv, esol]``), as people write them."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88, indent=2)


def render_providers(providers: Sequence[dict]) -> str:
    """The ``providers:`` block, one blank line between providers."""
    blocks = []
    for entry in providers:
        lines = _dump(entry).rstrip("\n").split("\n")
        blocks.append("\n".join(["  - " + lines[0], *("    " + line for line in lines[1:])]))
    return "providers:\n" + "\n\n".join(blocks) + "\n"


def render_network(text: str, providers: Sequence[dict]) -> str:
    """The network file with its ``providers`` replaced and everything else as it was.

    Only the ``providers:`` block is written anew (its comments are lost); other lines are
    kept byte for byte. A file whose top level is not a plain block mapping is written whole.
    """
    root = yaml.compose(text, Loader=_SafeLoader)
    for key_node, value_node in root.value:
        if key_node.value != "providers":
            continue
        if root.flow_style or key_node.start_mark.column != 0:
            break
        lines = text.splitlines(keepends=True)
        start = key_node.start_mark.line
        end = value_node.end_mark.line + (1 if value_node.end_mark.column else 0)
        end = min(end, len(lines))
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1  # blank lines and comments before the next section stay with it
        head = lines[start]
        block = render_providers(providers)
        if value_node.start_mark.line > start and re.match(r"^providers:\s*(#.*)?$", head):
            block = head.rstrip("\r\n") + "\n" + block.split("\n", 1)[1]  # keep its comment
        before = "".join(lines[:start])
        after = "".join(lines[end:])
        if after and not after.startswith(("\n", "\r\n")):
            block += "\n"
        return before + block + after
    data = yaml.load(text, Loader=_SafeLoader)
    data["providers"] = list(providers)
    return _dump(data)
