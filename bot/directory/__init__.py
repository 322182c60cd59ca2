"""The network's directory of providers."""

# Until the directory module (bot/directory.py) moves into this package, the package hides
# it from `import bot.directory`: its code runs here, so the names it defines are where they
# always were.
from pathlib import Path as _Path

_MODULE = _Path(__file__).resolve().parent.parent / "directory.py"
exec(compile(_MODULE.read_text(encoding="utf-8"), str(_MODULE), "exec"))
del _Path, _MODULE
