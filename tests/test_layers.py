"""The tree shows the architecture: imports run one way, packages say what they own, and no
module outgrows one head (docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each layer may import only the layers after it.
LAYERS = ["server", "handlers", "bot", "storage"]
ABOVE_ALL = {"app", "sandbox", "bench", "tests"}
KERNEL_MOST = 12  # modules directly in bot/ beside the packages
LONGEST = 650  # lines: "about 600", what one person can hold in their head


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in the module it does."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    forbidden = set(LAYERS[: LAYERS.index(layer)]) | ABOVE_ALL
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & forbidden)
        for path in sources(layer)
        if imported(path) & forbidden
    }
    assert not wrong, f"{layer}/ imports a layer above it: {wrong}"


def test_bot_is_packages_by_capability_around_a_small_kernel():
    kernel = [p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py"]
    assert len(kernel) <= KERNEL_MOST, f"bot/ has {len(kernel)} loose modules: {kernel}"
    packages = [p for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()]
    assert {p.name for p in packages} >= {"handover", "directory", "followup", "delivery"}
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and len(doc) > 60, f"bot/{package.name}/__init__.py does not say what it owns"


def test_no_module_outgrows_one_head():
    long = {
        str(path.relative_to(ROOT)): lines
        for layer in LAYERS
        for path in sources(layer)
        if (lines := len(path.read_text().splitlines())) > LONGEST
    }
    assert not long, f"split these by responsibility: {long}"


def test_comments_speak_of_the_product_not_the_tracker():
    tracker = re.compile(r"\bissues?[ -]#?\d+\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for layer in [*LAYERS, "sandbox", "bench", "tests"]
        for path in sources(layer)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if tracker.search(line)
    ]
    assert not found, f"tracker numbers in the code: {found}"
