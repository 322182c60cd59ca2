"""When a message may reach a resident: the network's daytime, in its own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.directory.network import parse_network
from bot.errors import ConfigError
from bot.residents.daytime import Daytime
from tests.network import NETWORK_YAML


def daytime(span: str | None = None) -> Daytime:
    extra = f'notify:\n  daytime: "{span}"\n' if span else ""
    return Daytime.of(parse_network(NETWORK_YAML + extra, source="test"))


def test_eight_to_eight_in_london_by_default_summer_time_included():
    day = daytime()
    assert day.allows(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    assert not day.allows(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    # In July London is an hour ahead: 07:30 UTC is 08:30 there.
    assert day.allows(datetime(2026, 7, 1, 7, 30, tzinfo=UTC))
    assert not day.allows(datetime(2026, 7, 1, 19, 30, tzinfo=UTC))


def test_one_due_at_night_waits_for_the_next_morning():
    day = daytime()
    evening = datetime(2026, 11, 25, 21, 15, tzinfo=UTC)
    assert day.next_allowed(evening) == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    small_hours = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert day.next_allowed(small_hours) == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert day.next_allowed(noon) == noon


def test_the_network_chooses_its_own_daytime():
    day = daytime("09:30-18:00")
    assert not day.allows(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert day.allows(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))


@pytest.mark.parametrize("span", ["20:00-08:00", "8am-8pm", "08:00"])
def test_a_daytime_that_is_not_a_span_of_the_day_is_one_sentence(span):
    with pytest.raises(ConfigError, match=r"`notify\.daytime`.*is not a span of the day"):
        daytime(span)
