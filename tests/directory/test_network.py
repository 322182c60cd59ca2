"""The network file: a coordinator's mistake is one sentence with its key and line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.directory.network import load_network, parse_ages, parse_duration, parse_network
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "network.example.yaml"

GOOD = """\
network:
  name: Good Work Network
  timezone: Europe/London
services:
  cv: CV and job applications
  esol: English language (ESOL)
providers:
  - id: cv-clinic
    name: Northside CV Clinic
    channel: C0CVCLINIC
    services: [cv]
    areas: [NW1, NW5]
  - id: esol-hub
    name: Riverside ESOL Hub
    channel: C0ESOLHUB1
    services:
      - esol
      - cv
    ages: 18+
coordinators:
  channel: C0COORD001
  users: [U0COORD001, U0COORD002]
reminders:
  accept_within: 1d
  escalate_after: 2d
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line holding the ``occurrence``-th line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def mistake(text: str) -> str:
    """The sentence the coordinator sees for this file."""
    with pytest.raises(ConfigError) as caught:
        parse_network(text, source="network.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(".")
    # One sentence: no full stop followed by another sentence.
    assert not re.search(r"\.\s+[A-Z]", message), message
    return message


def test_the_example_network_file_loads():
    network = load_network(EXAMPLE)
    assert network.network.name == "Good Work Network"
    assert len(network.providers) == 14
    kitchen = network.provider("community-kitchen")  # a provider without Slack
    assert kitchen.channel is None and kitchen.email == "jobs@community-kitchen.example.org"
    assert network.provider("able-works").only_for == ["disability"]
    assert network.circumstance_label("care_leaver") == "Care leaver"
    assert network.residents_phrase("disability") == "disabled residents"
    assert network.service_label("esol") == "English language (ESOL)"
    assert network.provider("startup-lab").areas == ["NW", "N"]
    assert network.provider("esol-hub").age_range == (18, 150)
    assert network.provider("youth-futures").age_range == (16, 24)
    assert network.provider("council-employment").areas is None
    assert network.is_coordinator("U0COORD001")
    assert not network.is_coordinator("U0SOMEONE")
    assert network.reminders.duration("outcome_after") == timedelta(days=14)


def test_a_small_network_parses_with_defaults_for_what_is_left_out():
    network = parse_network(GOOD)
    assert [p.id for p in network.providers] == ["cv-clinic", "esol-hub"]
    assert network.network.working_hours == "Mon-Fri 09:00-17:00"
    assert network.reminders.duration("accept_within") == timedelta(days=1)
    assert network.reminders.duration("contact_within") == timedelta(days=2)
    assert network.reminders.duration("outcome_after") == timedelta(days=14)
    assert network.provider("nobody") is None
    assert network.service_label("forklift") == "forklift"
    assert network.retention.period == timedelta(days=90)


def test_the_retention_period_is_calendar_days_and_checked_like_other_durations():
    network = parse_network(GOOD + "retention:\n  erase_after: 30d\n")
    assert network.retention.period == timedelta(days=30)
    message = mistake(GOOD + "retention:\n  erase_after: three months\n")
    assert "`retention.erase_after`" in message and "like 90s, 30m, 4h or 2d" in message


def test_areas_are_tidied_to_upper_case_without_spaces():
    network = parse_network(GOOD.replace("areas: [NW1, NW5]", "areas: [nw1, ' n 7', NW]"))
    assert network.provider("cv-clinic").areas == ["NW1", "N7", "NW"]


# -- mistakes -------------------------------------------------------------------------------


def test_a_missing_key_names_its_path_and_the_line_of_the_entry_it_belongs_to():
    text = GOOD.replace("    name: Riverside ESOL Hub\n", "")
    message = mistake(text)
    assert "`providers.1.name`" in message
    assert f"(line {line_of(text, '- id: esol-hub')})" in message
    assert "is required but missing" in message


def test_a_missing_top_level_section_is_named():
    text = GOOD.split("coordinators:")[0]
    message = mistake(text)
    assert message.startswith("network.yaml: `coordinators`")
    assert "is required but missing" in message


def test_an_unknown_key_is_named_at_its_own_line():
    text = GOOD.replace("    ages: 18+\n", "    ages: 18+\n    serivces: [cv]\n")
    message = mistake(text)
    assert "`providers.1.serivces`" in message
    assert f"(line {line_of(text, 'serivces')})" in message
    assert "not a key we know" in message


def test_an_unknown_top_level_key_is_named_at_its_line():
    text = GOOD + "notes: remember to update\n"
    message = mistake(text)
    assert f"`notes` (line {line_of(text, 'notes:')})" in message


def test_a_providers_channel_may_be_in_a_partners_workspace_named_by_its_team_id():
    network = parse_network(GOOD.replace("C0ESOLHUB1", "C0ESOLHUB1\n    team: T0PARTNER1"))
    assert network.team_of("C0ESOLHUB1") == "T0PARTNER1"
    assert network.team_of(network.providers[0].channel) is None
    text = GOOD.replace("C0ESOLHUB1", "C0ESOLHUB1\n    team: riverside")
    message = mistake(text)
    assert f"`providers.1.team` (line {line_of(text, 'riverside')})" in message
    assert "'riverside' is not a Slack workspace id (like T0PARTNER1)" in message


def test_a_bad_provider_channel_id_is_named_with_an_example():
    text = GOOD.replace("C0ESOLHUB1", "esol-hub-handovers")
    message = mistake(text)
    assert f"`providers.1.channel` (line {line_of(text, 'esol-hub-handovers')})" in message
    assert "'esol-hub-handovers' is not a Slack channel id" in message


def test_a_bad_coordinators_channel_id_is_named():
    text = GOOD.replace("C0COORD001", "coordinators")
    message = mistake(text)
    assert f"`coordinators.channel` (line {line_of(text, 'channel: coordinators')})" in message


def test_a_bad_coordinator_user_id_is_named():
    text = GOOD.replace("U0COORD002", "cora.coordinator")
    message = mistake(text)
    assert f"`coordinators.users` (line {line_of(text, 'cora.coordinator')})" in message
    assert "'cora.coordinator' is not a Slack user id" in message


def test_a_provider_offering_a_service_not_in_services_points_at_that_service():
    text = GOOD.replace("      - cv\n", "      - cv\n      - forklift\n")
    message = mistake(text)
    assert f"`providers.1.services.2` (line {line_of(text, '- forklift')})" in message
    assert "service 'forklift' of provider 'esol-hub' is not in `services`" in message


def test_a_provider_id_used_twice_points_at_the_second_one():
    text = GOOD.replace("id: esol-hub", "id: cv-clinic")
    message = mistake(text)
    assert f"`providers.1.id` (line {line_of(text, 'id: cv-clinic', 2)})" in message
    assert "provider id 'cv-clinic' is used twice" in message


@pytest.mark.parametrize("duration", ["1 week", "0.5d", "2w", "soon", "-1d"])
def test_a_bad_reminder_duration_is_named_with_the_forms_allowed(duration):
    text = GOOD.replace("escalate_after: 2d", f"escalate_after: {duration}")
    message = mistake(text)
    assert f"`reminders.escalate_after` (line {line_of(text, 'escalate_after')})" in message
    assert "90s, 30m, 4h or 2d" in message


@pytest.mark.parametrize(
    ("ages", "words"),
    [("24-16", "ends before it starts"), ("young people", "is not an age range like 16-24")],
)
def test_bad_ages_are_named(ages, words):
    text = GOOD.replace("ages: 18+", f"ages: {ages}")
    message = mistake(text)
    assert f"`providers.1.ages` (line {line_of(text, 'ages:')})" in message
    assert words in message


def test_a_bad_area_is_named():
    text = GOOD.replace("areas: [NW1, NW5]", "areas: [NW1, Kentish Town]")
    message = mistake(text)
    assert f"`providers.0.areas` (line {line_of(text, 'areas:')})" in message
    assert "is not a postcode district" in message


def test_a_provider_id_with_capitals_or_spaces_is_refused():
    text = GOOD.replace("id: esol-hub", "id: ESOL Hub")
    message = mistake(text)
    assert f"`providers.1.id` (line {line_of(text, 'id: ESOL Hub')})" in message


def test_a_provider_offering_nothing_is_refused():
    text = GOOD.replace("services: [cv]", "services: []")
    assert "`providers.0.services`" in mistake(text)


def test_an_empty_section_is_called_out_as_empty_or_mis_indented():
    text = GOOD.replace(
        "coordinators:\n  channel: C0COORD001\n  users: [U0COORD001, U0COORD002]\n", ""
    )
    text = text.replace("reminders:", "coordinators:\nreminders:")
    message = mistake(text)
    assert f"`coordinators` (line {line_of(text, 'coordinators:')})" in message
    assert "mis-indented" in message


def test_invalid_yaml_names_the_line():
    text = GOOD.replace("  timezone: Europe/London", " timezone: Europe/London")
    message = mistake(text)
    assert message.startswith("network.yaml is not valid YAML at line ")
    assert f"at line {line_of(text, ' timezone:')}:" in message


def test_a_tab_used_for_indenting_names_its_line():
    text = GOOD.replace("  timezone: Europe/London", "\ttimezone: Europe/London")
    message = mistake(text)
    assert f"not valid YAML at line {line_of(text, 'timezone')}" in message


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "- a list\n- of things\n"])
def test_an_empty_or_non_mapping_file_says_what_it_should_hold(text):
    message = mistake(text)
    assert message == "network.yaml must be a YAML mapping with network, services and providers."


def test_a_section_written_twice_is_a_mistake_not_a_silent_replacement():
    extra = "providers:\n  - id: extra\n    name: Extra\n    channel: C0EXTRA01\n"
    text = GOOD + extra + "    services: [cv]\n"
    message = mistake(text)
    assert f"at line {line_of(text, 'providers:', 2)}" in message
    assert "'providers' is written twice" in message


def test_a_provider_key_written_twice_is_a_mistake():
    text = GOOD.replace("    ages: 18+\n", "    ages: 18+\n    name: Riverside Hub\n")
    message = mistake(text)
    assert f"at line {line_of(text, 'name: Riverside Hub')}" in message
    assert "'name' is written twice" in message


def test_the_source_named_is_the_file_that_was_loaded(tmp_path):
    path = tmp_path / "network.yaml"
    path.write_text(GOOD.replace("C0CVCLINIC", "cv-clinic"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_network(path)
    assert str(caught.value).startswith(f"{path}: `providers.0.channel` (line 10)")


def test_a_missing_network_file_says_to_copy_the_example(tmp_path):
    path = tmp_path / "network.yaml"
    with pytest.raises(ConfigError) as caught:
        load_network(path)
    message = str(caught.value)
    assert str(path) in message
    assert "copy network.example.yaml" in message
    assert "NETWORK_FILE" in message


# -- durations and ages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        (" 14 d ", timedelta(days=14)),
    ],
)
def test_parse_duration_reads_seconds_minutes_hours_and_days(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "d", "2w", "1.5h", "-1d", "2 days", "1d2h"])
def test_parse_duration_refuses_anything_else(text):
    with pytest.raises(ValueError, match="is not a duration like 90s, 30m, 4h or 2d"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("16-24", (16, 24)), ("18 - 24", (18, 24)), ("50+", (50, 150)), ("16-16", (16, 16))],
)
def test_parse_ages_reads_a_range_or_an_open_ended_age(text, expected):
    assert parse_ages(text) == expected


@pytest.mark.parametrize("text", ["18", "adults", "16 to 24", "-24", "1000-2000", ""])
def test_parse_ages_refuses_what_is_not_an_age_range(text):
    with pytest.raises(ValueError, match="is not an age range like 16-24 or 50\\+"):
        parse_ages(text)


def test_parse_ages_refuses_a_range_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_ages("24-16")


def test_an_empty_areas_list_is_refused_rather_than_matching_nobody():
    text = GOOD.replace("areas: [NW1, NW5]", "areas: []")
    message = mistake(text)
    assert "`providers.0.areas`" in message and "leave `areas` out" in message


def test_a_reminder_of_no_time_at_all_is_refused():
    message = mistake(GOOD.replace("accept_within: 1d", "accept_within: 0d"))
    assert "`reminders.accept_within`" in message and "no time at all" in message


def _with_circumstances(only_for: str, circumstances: str = "  disability: Disabled\n") -> str:
    return f"""
network:
  name: N
services:
  cv: CV
circumstances:
{circumstances}providers:
  - id: able
    name: Able
    channel: C0ABLE001
    services: [cv]
    only_for: {only_for}
coordinators:
  channel: C0COORD1
"""


def test_a_circumstance_the_network_does_not_list_stops_start_up_naming_it_and_its_line():
    with pytest.raises(ConfigError) as caught:
        parse_network(_with_circumstances("[disability, carer]"), source="network.yaml")
    message = str(caught.value)
    assert message == (
        "network.yaml: `providers.0.only_for.1` (line 13) circumstance 'carer' of "
        "provider 'able' is not in `circumstances`."
    )


def test_a_circumstance_written_twice_in_only_for_stops_start_up():
    with pytest.raises(ConfigError) as caught:
        parse_network(_with_circumstances("[disability, disability]"), source="network.yaml")
    assert "circumstance 'disability' of provider 'able' is written twice" in str(caught.value)
    assert "(line 13)" in str(caught.value)


def test_a_circumstance_key_written_twice_in_the_shared_list_stops_start_up():
    twice = "  disability: Disabled\n  disability: Disabled again\n"
    with pytest.raises(ConfigError) as caught:
        parse_network(_with_circumstances("[disability]", twice), source="network.yaml")
    assert "line 8" in str(caught.value) and "'disability' is written twice" in str(caught.value)


def test_circumstances_are_optional_and_a_label_may_say_how_a_specialist_reads():
    network = parse_network(
        _with_circumstances(
            "[disability]",
            "  disability:\n    label: Disabled\n    residents: disabled residents\n",
        )
    )
    assert network.circumstance_labels == {"disability": "Disabled"}
    assert network.residents_phrase("disability") == "disabled residents"
