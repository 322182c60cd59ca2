"""Reading YAML that people edit: a key written twice is an error, and every problem can
be pointed at by its line."""

from __future__ import annotations

from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(ValueError):
    """One sentence saying what is wrong with the text, and where."""


class UniqueKeyLoader(yaml.SafeLoader):
    """A key written twice is a mistake to point at, not a silent replacement."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str, *, source: str) -> tuple[Any, Any]:
    """The node tree (for line numbers) and the data; YamlProblem for invalid YAML."""
    try:
        return yaml.compose(text, Loader=UniqueKeyLoader), yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(f"{source} is not valid YAML{where}: {problem}.") from None


def line_of(node: Any, location: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node along ``location`` that exists in the YAML."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value).strip() == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
