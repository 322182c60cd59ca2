"""Importing an Open Referral UK / HSDS service directory export into the network file.

UK councils publish their service directories in the Open Referral UK data standard (the
UK profile of the Human Services Data Specification, HSDS). This package reads such an
export, turns its organisations into providers of the network file with a mapping the
coordinator edits (taxonomy terms -> our service keys), and merges them into the network file.

    python -m bot.directory.openreferral --export EXPORT.json --mapping MAPPING.yaml \
        --network network.yaml [--out network.yaml] [--dry-run]

Owns reading an export in either shape (``feed``), the editable term mapping (``mapping``),
mapping a feed onto the network's provider entries (``importer``), writing the network file
(``writer``) and the command (``cli``), with the small text helpers they share (``text``).
Everything but the command is pure (text and data in, data out) so it can be tested without
files. Every problem that stops the import is an :class:`HsdsError` holding one sentence.

May use the kernel (``bot.errors``) and the network file's reading and checking
(``bot.directory.network``, ``bot.directory.yamltext``); nothing else of the bot, and
nothing of Slack or the database.
"""

from bot.directory.openreferral.cli import main, summary
from bot.directory.openreferral.errors import HsdsError
from bot.directory.openreferral.feed import (
    Export,
    Service,
    Slot,
    Term,
    parse_export,
    read_export,
)
from bot.directory.openreferral.importer import (
    ImportResult,
    Outcome,
    format_hours,
    import_export,
)
from bot.directory.openreferral.mapping import (
    DEFAULT_PLACEHOLDER,
    IMPORTED_FIELDS,
    TermMapping,
    check_mapping,
    parse_mapping,
)
from bot.directory.openreferral.text import slugify
from bot.directory.openreferral.writer import render_network, render_providers

__all__ = [
    "DEFAULT_PLACEHOLDER",
    "IMPORTED_FIELDS",
    "Export",
    "HsdsError",
    "ImportResult",
    "Outcome",
    "Service",
    "Slot",
    "Term",
    "TermMapping",
    "check_mapping",
    "format_hours",
    "import_export",
    "main",
    "parse_export",
    "parse_mapping",
    "read_export",
    "render_network",
    "render_providers",
    "slugify",
    "summary",
]
