"""Make sandbox/static/emoji.json: Slack's emoji shortcodes, name -> character.

Slack's shortcode names are those of iamcal's emoji-data, published on npm as
``emoji-datasource``; the page's renderer reads the map this writes. To bring it up to
date with a newer release of that package::

    npm pack emoji-datasource && tar xzf emoji-datasource-*.tgz
    python -m sandbox.emoji_map package/emoji.json

Only the names and the characters are kept (about 60 KB, all of them: a name the bot
starts using tomorrow renders without regenerating). The skin tones are in it as names
(``skin-tone-2`` … ``skin-tone-6``), so ``:wave::skin-tone-3:`` composes as in Slack.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("static") / "emoji.json"


def characters(unified: str) -> str:
    """emoji-data's "1F5D3-FE0F" as the string it stands for."""
    return "".join(chr(int(point, 16)) for point in unified.split("-"))


def shortcodes(entries: list[dict]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.get("sort_order", 0)):
        for name in entry.get("short_names") or [entry["short_name"]]:
            found.setdefault(name, characters(entry["unified"]))
    return dict(sorted(found.items()))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m sandbox.emoji_map path/to/emoji-datasource/emoji.json")
        return 2
    entries = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    table = shortcodes(entries)
    TARGET.write_text(
        json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"{TARGET}: {len(table)} shortcodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
