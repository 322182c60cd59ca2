"""What the sandbox's page is given: emoji for every shortcode the bot writes, the network's
way of writing dates, and the people of the network in the order the persona menu shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.directory.network import load_network
from sandbox.demo import network_locale, people
from sandbox.emoji_map import TARGET, characters, shortcodes
from sandbox.run import EXAMPLE_NETWORK

ROOT = Path(__file__).resolve().parents[2]
# :name: in the bot's text; not a time (10:30:), nor a docstring's :class:`X` role.
SHORTCODE = re.compile(r"(?<![\w:]):([a-z][a-z0-9_+'-]*):(?![\w`])")


def bot_shortcodes() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(SHORTCODE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_shortcode_the_bot_writes_renders_as_an_emoji():
    table = json.loads(TARGET.read_text(encoding="utf-8"))
    used = bot_shortcodes()
    assert {"spiral_calendar_pad", "white_check_mark", "telephone_receiver"} <= used
    missing = sorted(name for name in used if name not in table)
    assert not missing, f"Slack has no emoji by these names (typos?): {missing}"
    assert table["spiral_calendar_pad"] == "\U0001f5d3\ufe0f"


def test_the_emoji_map_is_made_from_emoji_data_names():
    entries = [
        {"unified": "1F44D", "short_name": "+1", "short_names": ["+1", "thumbsup"]},
        {"unified": "1F5D3-FE0F", "short_name": "spiral_calendar_pad"},
    ]
    assert shortcodes(entries) == {"+1": "👍", "spiral_calendar_pad": "🗓️", "thumbsup": "👍"}
    assert characters("0023-FE0F-20E3") == "#️⃣"
    assert TARGET.stat().st_size < 200_000  # the page loads all of it


def test_dates_are_written_as_the_networks_country_writes_them():
    assert network_locale("Europe/London") == "en-GB"
    assert network_locale("America/New_York") == "en-US"
    assert network_locale("Europe/Dublin") == "en-IE"
    assert network_locale("UTC") == "en-GB"  # no country: the network's home


def test_people_come_by_organisation_with_their_role_in_words():
    network = load_network(EXAMPLE_NETWORK)
    personas = people(network)
    orgs = list(dict.fromkeys(p.org for p in personas))
    assert orgs == [
        "Kentish Town Job Club",
        *(p.name for p in network.providers if p.channel),
        "Council",
        "Camden Refugee Partnership",  # in its own workspace, met in a Slack Connect channel
    ]
    titles = {p.role: p.title for p in personas if p.team is None}
    assert titles == {
        "adviser": "adviser",
        "provider": "provider staff",
        "coordinator": "coordinator",
    }


def test_the_readme_lists_the_persona_menu_as_the_page_shows_it():
    """The page writes each entry as name · organisation · role (app.js personaLabel)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Trying it in the sandbox", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and " · " in line]
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    listed = [(org, entries.split("<br>")) for org, entries in cells]
    expected: dict[str, list[str]] = {}
    for p in people(load_network(EXAMPLE_NETWORK)):
        expected.setdefault(p.org, []).append(" · ".join([p.name, p.org, p.title]))
    assert listed == list(expected.items())
