"""The command: read the files, import, write the network file, say what was done.

    python -m bot.directory.openreferral --export EXPORT.json --mapping MAPPING.yaml \
        --network network.yaml [--out network.yaml] [--dry-run]

Only this module touches files; the rest of the import is text and data in, data out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.directory.openreferral.errors import HsdsError
from bot.directory.openreferral.feed import read_export
from bot.directory.openreferral.importer import ImportResult, Outcome, import_export
from bot.directory.openreferral.mapping import parse_mapping


def summary(result: ImportResult, *, dry_run: bool, out: str, wrote: bool = False) -> str:
    """What the import did (or would do), in lines a coordinator can read."""
    lines = [
        f"Read {result.services_read} services: {result.shape}.",
    ]

    def section(title: str, outcomes: list[Outcome], sign: str) -> None:
        if not outcomes:
            return
        lines.append(f"{title} ({len(outcomes)}):")
        for outcome in outcomes:
            head = f"  {sign} {outcome.id} ({outcome.name})"
            if outcome.reason:
                lines.append(f"{head}: {outcome.reason}")
                continue
            lines.append(head)
            lines.extend(f"      {change}" for change in outcome.changes)

    section("Added" if not dry_run else "Would add", result.added, "+")
    section("Updated" if not dry_run else "Would update", result.updated, "~")
    section("Skipped", result.skipped, "-")
    if result.unchanged:
        ids = ", ".join(o.id for o in result.unchanged)
        lines.append(f"Unchanged ({len(result.unchanged)}): {ids}")
    if result.untouched:
        lines.append(
            f"Not in the export, left as they are ({len(result.untouched)}): "
            + ", ".join(result.untouched)
        )
    if result.notes:
        lines.append(f"Notes: not used, or worth a look ({len(result.notes)}):")
        lines.extend(f"  ! {note}" for note in result.notes)
    if result.needs_channel:
        lines.append(
            f"Needs a channel ({len(result.needs_channel)}): "
            + ", ".join(result.needs_channel)
            + " (they are written with active: false; set each one's Slack channel id and "
            "remove that line, and they start taking handovers)"
        )
    if dry_run:
        would = f"would write {out}" if result.changed else "nothing would change"
        lines.append(f"Dry run: nothing written ({would}).")
    elif not result.changed:
        copy = f" (wrote it unchanged to {out})" if wrote else ""
        lines.append(f"Nothing to change: the network file is up to date{copy}.")
    else:
        lines.append(f"Wrote {out}.")
    if result.changed:
        lines.append(
            "Comments inside `providers:` are not kept; the rest of the file is as it was."
        )
    return "\n".join(lines)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one sentence, not usage text and a traceback
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot.directory.openreferral",
        description="Import providers from an Open Referral UK / HSDS export into the network "
        "file (see docs/hsds-import.md).",
    )
    parser.add_argument("--export", required=True, help="the HSDS / Open Referral UK JSON export")
    parser.add_argument(
        "--mapping", required=True, help="YAML: taxonomy terms -> the network's service keys"
    )
    parser.add_argument(
        "--network",
        default=os.environ.get("NETWORK_FILE", "network.yaml"),
        help="the network file to merge into (default $NETWORK_FILE or network.yaml)",
    )
    parser.add_argument("--out", help="where to write the result (default: --network itself)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and write nothing"
    )
    return parser


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HsdsError(f"The {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise HsdsError(f"The {what} {path} is a directory, not a file.") from None
    except UnicodeDecodeError:
        raise HsdsError(f"The {what} {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise HsdsError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}."
        )
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except OSError as exc:
        raise HsdsError(f"{path} cannot be written: {exc.strerror or exc}.") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"python -m bot.directory.openreferral: {exc} (see --help).", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    out = args.out or args.network
    try:
        export = read_export(_read(args.export, "export"), source=args.export)
        mapping = parse_mapping(_read(args.mapping, "mapping file"), source=args.mapping)
        network_text = _read(args.network, "network file")
        result = import_export(network_text, export, mapping, source=args.network)
        # --out asks for a file even when nothing changes; in place, an unchanged file stays.
        wrote = not args.dry_run and (result.changed or out != args.network)
        if wrote:
            _write(out, result.text)
    except HsdsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(summary(result, dry_run=args.dry_run, out=out, wrote=wrote))
    return 0
