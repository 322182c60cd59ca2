"""The HSDS / Open Referral UK import (bot/directory/openreferral/), over the sample exports in
tests/data/hsds."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from bot.directory.network import load_network, parse_network
from bot.directory.openreferral import (
    Export,
    HsdsError,
    ImportResult,
    Slot,
    Term,
    TermMapping,
    format_hours,
    import_export,
    importer,
    main,
    parse_export,
    parse_mapping,
    read_export,
    render_network,
    slugify,
)
from bot.directory.openreferral.importer import _area_districts

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "hsds"
EXAMPLE = ROOT / "network.example.yaml"
API = DATA / "fleetbrook-oruk-api.json"
TABULAR = DATA / "fleetbrook-tabular.json"
MAPPING = DATA / "mapping.yaml"
SHAPES = pytest.mark.parametrize("export_path", [API, TABULAR], ids=["api", "tabular"])


def export_of(path: Path) -> Export:
    return read_export(path.read_text(encoding="utf-8"), source=path.name)


def mapping(text: str | None = None) -> TermMapping:
    return parse_mapping(text if text is not None else MAPPING.read_text(), source="mapping.yaml")


@cache
def run(export_path: Path = API, mapping_text: str | None = None) -> ImportResult:
    """The sample export merged into network.example.yaml (the same result for the same input:
    tests only read it)."""
    return import_export(
        EXAMPLE.read_text(), export_of(export_path), mapping(mapping_text), source="network.yaml"
    )


def providers(text: str) -> dict[str, dict]:
    return {entry["id"]: entry for entry in yaml.safe_load(text)["providers"]}


def one_sentence(message: str) -> str:
    assert "\n" not in message, message
    assert message.endswith("."), message
    assert not re.search(r"\.\s+[A-Z]", message), message
    return message


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(HsdsError) as caught:
        call(*args, **kwargs)
    return one_sentence(str(caught.value))


# -- Reading the export -----------------------------------------------------------------------


def test_both_sample_shapes_describe_the_same_directory():
    api, tabular = export_of(API), export_of(TABULAR)
    assert api.shape.startswith("Open Referral UK API")
    assert tabular.shape.startswith("HSDS tabular")
    assert len(api.services) == 13
    by_id = {s.id: s for s in tabular.services}
    for service in api.services:
        assert by_id[service.id] == service, service.name
    # The tabular export also has a service whose organisation is not in it.
    (orphan,) = [s for s in tabular.services if s.id not in {a.id for a in api.services}]
    assert orphan.organization_name is None and orphan.organization_id


def test_a_service_is_read_with_its_parts():
    services = {s.name: s for s in export_of(API).services}
    works = services["Fleetbrook Works"]
    assert works.organization_name == "London Borough of Fleetbrook"
    assert works.description.startswith("The council's employment service: one-to-one advisers")
    assert "<" not in works.description
    assert works.ages == (16, None)
    assert works.languages == ("English",)
    assert works.schedule == (Slot(days=(0, 1, 2, 3, 4), opens="09:00", closes="17:00"),)
    assert [t.name for t in works.terms][:3] == [
        "Employment support",
        "CV writing",
        "Interview skills",
    ]
    youth = services["Youth Jobs Hub"]
    assert youth.areas == ("Northside ward",)
    assert youth.ages == (16, 24)
    assert youth.eligibility == ("Young people aged 16 to 24",)
    money = services["Benefits and better-off calculations"]
    (term,) = money.terms
    assert (term.id, term.vocabulary) == ("esd:1186", "esdServiceTypes")
    assert not services["Evening CV Workshops"].active


def test_hsds3_style_services_in_a_page_are_read_too():
    page = {
        "total_items": 3,
        "total_pages": 2,
        "page_number": 1,
        "contents": [
            {
                "id": "s1",
                "name": "Job Club",
                "status": "active",
                "minimum_age": "18",
                "eligibility_description": "<p>Adults looking for work</p>",
                "organization": {"id": "o1", "name": "St Mary's Centre"},
                "service_areas": [{"name": "nw5 2ab"}, {"name": "N7, N19"}],
                "languages": [{"name": "Arabic", "code": "ar"}, {"code": "pl"}],
                "schedules": [
                    {"freq": "WEEKLY", "byday": "TU", "opens_at": "09:30:00", "closes_at": "12:00"},
                    {"freq": "MONTHLY", "byday": "1SA", "description": "First Saturday, 10am"},
                ],
                "attributes": [
                    {"link_type": "eligibility", "taxonomy_term": {"id": "t9", "name": "Adults"}},
                    {
                        "taxonomy_term_id": "t1",
                        "taxonomy_term": {"id": "t1", "code": "JOB", "name": "Job search"},
                    },
                ],
            }
        ],
    }
    export = parse_export(page)
    (service,) = export.services
    assert service.organization_name == "St Mary's Centre"
    assert service.areas == ("nw5 2ab", "N7, N19")
    assert service.ages == (18, None)
    assert service.eligibility == ("Adults looking for work",)
    assert service.languages == ("Arabic", "Polish")
    assert [t.name for t in service.terms] == ["Job search"]  # not the eligibility tag
    assert format_hours(service.schedule) == "Tue 09:30-12:00; First Saturday, 10am"
    assert any("page 1 of 2" in note for note in export.notes)

    result = import_export(
        EXAMPLE.read_text(), export, mapping("services:\n  JOB: job_matching\n"), source="n"
    )
    (added,) = result.added
    assert added.id == "st-marys-centre"
    entry = providers(result.text)["st-marys-centre"]
    assert entry["areas"] == ["NW5", "N7", "N19"]
    assert entry["ages"] == "18+"


def test_a_tabular_hsds3_document_links_attributes_and_taxonomies():
    document = {
        "organizations": [{"id": "o1", "name": "Kiln Lane Trust", "description": "A charity."}],
        "services": [{"id": "s1", "organization_id": "o1", "name": "Work Clubs"}],
        "taxonomies": [{"id": "x1", "name": "Kiln Lane taxonomy"}],
        "taxonomy_terms": [{"id": "t1", "name": "Work club", "taxonomy_id": "x1"}],
        "attributes": [
            {"id": "a1", "link_id": "s1", "link_entity": "service", "taxonomy_term_id": "t1"}
        ],
        "eligibilities": [{"service_id": "s1", "minimum_age": "", "maximum_age": "24"}],
    }
    (service,) = parse_export(document).services
    (term,) = service.terms
    assert (term.name, term.vocabulary) == ("Work club", "Kiln Lane taxonomy")
    assert service.ages == (0, 24)
    text = "vocabularies:\n  kiln lane TAXONOMY:\n    work club: [job_matching, cv]\n"
    result = import_export(EXAMPLE.read_text(), parse_export(document), mapping(text))
    entry = providers(result.text)["kiln-lane-trust"]
    assert entry["services"] == ["cv", "job_matching"]  # in the network's order
    assert entry["ages"] == "0-24"


def test_an_organisation_with_nested_services_is_read():
    organisation = {
        "id": "o1",
        "name": "Able Works",
        "services": [{"id": "s1", "name": "Supported Employment", "service_taxonomys": []}],
    }
    (service,) = parse_export(organisation).services
    assert service.organization_name == "Able Works"
    (service,) = parse_export([organisation]).services
    assert service.organization_id == "o1"


def test_export_mistakes_are_one_sentence():
    assert "line 3, column 1" in error_of(read_export, '{"content": [\n{"id": 1},\n]}', source="x")
    assert "not an HSDS export we know" in error_of(parse_export, 42)
    assert "holds no services" in error_of(parse_export, {"content": []}, source="x.json")
    assert "holds no services" in error_of(parse_export, [{"id": "s1"}], source="x.json")
    # A byte order mark (Windows exports) is not a mistake.
    assert read_export("\ufeff" + API.read_text()).services


# -- The mapping ------------------------------------------------------------------------------


def test_the_sample_mapping_reads():
    sample = mapping()
    assert sample.lookup(Term(name="cv WRITING")) == ("CV writing", ("cv",))
    assert sample.lookup(Term(name="Apprenticeships"))[1] == ("youth", "training")
    assert sample.lookup(Term(name="Mental health"))[1] == ()
    assert sample.lookup(Term(id="esd:1186", vocabulary="esdServiceTypes"))[1] == ("benefits",)
    assert sample.lookup(Term(name="Housing advice")) is None
    assert sample.channel_placeholder == "C0CHANGEME"
    assert sample.organisations == {"london borough of fleetbrook": "council-employment"}
    assert sample.areas == {"fleetbrook": ()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services: [cv\n", "is not valid YAML at line 2"),
        ("- cv\n", "must be a YAML mapping"),
        ("services:\n  CV: cv\nchannel: C1\n", "`channel` (line 3) is not a key we know"),
        ("services:\n  CV: {a: b}\n", "`services.CV` (line 2) must be a service key"),
        ("services:\n  yes: cv\n", "put the term in quotes"),
        ("services:\n  CV: cv\n  cv: esol\n", "says something else than the entry 'CV'"),
        ("services:\n  CV: cv\n  CV: cv\n", "written twice"),
        ("keep: [channel]\nservices: {CV: cv}\n", "`keep` (line 1) must be a list of provider"),
        ("services: {CV: cv}\nchannel_placeholder: general\n", "not a Slack channel id"),
        ("services: {CV: cv}\norganisations:\n  X: Not An Id\n", "must be a provider id"),
        ("services: {CV: cv}\nareas:\n  Ward 4: [NW5, London]\n", "'London', which is not a"),
        ("areas: {}\n", "`services` is required"),
    ],
)
def test_mapping_mistakes_are_one_sentence(text, expected):
    assert expected in error_of(parse_mapping, text, source="mapping.yaml")


def test_a_service_the_network_lacks_is_refused_naming_the_mapping_entry():
    text = MAPPING.read_text().replace("  CV writing: cv\n", "  CV writing: [cv, cv_clinic]\n")
    message = error_of(run, API, text)
    assert "'CV writing'" in message and "'cv_clinic'" in message
    assert "add it there first" in message


def test_a_circumstance_the_network_lacks_is_refused_naming_the_mapping_entry():
    text = MAPPING.read_text().replace(
        "  mental health condition: disability\n", "  mental health condition: wellbeing\n"
    )
    message = error_of(run, API, text)
    assert "'mental health condition'" in message and "'wellbeing'" in message
    assert "`circumstances`" in message and "add it there first" in message


# -- Providers from the sample, merged into network.example.yaml ------------------------------


@SHAPES
def test_eligibility_that_names_a_circumstance_makes_the_provider_only_for_it(export_path):
    entries = providers(run(export_path).text)
    # "Disabled residents or residents with a long-term health condition"
    assert entries["able-works"]["only_for"] == ["disability"]
    # "Adults living with a mental health condition"
    assert entries["fleetbrook-mind"]["only_for"] == ["disability"]
    # Open to everyone who is looking for work, or to young people: no circumstance.
    assert "only_for" not in entries["cv-clinic"]
    assert "only_for" not in entries["youth-futures"]
    # The merged file is one the bot loads, with the circumstance it names.
    network = parse_network(run(export_path).text, source="network.yaml")
    assert network.provider("able-works").only_for == ["disability"]


@SHAPES
def test_the_right_providers_come_out(export_path):
    result = run(export_path)
    assert [o.id for o in result.added] == [
        "get-online-fleetbrook",
        "women-mean-business",
        "fleetbrook-mind",
    ]
    assert {o.id for o in result.updated} == {
        "council-employment",
        "cv-clinic",
        "esol-hub",
        "able-works",
        "youth-futures",
        "money-advice",
        "volunteer-centre",
    }
    assert [(o.name, o.reason) for o in result.skipped] == [
        (
            "Fleetbrook Housing Advice Centre",
            "none of its taxonomy terms (Homelessness (Fleetbrook Directory), "
            "Housing advice (Fleetbrook Directory)) maps to a service",
        )
    ]
    assert result.untouched == [
        "startup-lab",
        "parents-back",
        "fresh-start",
        "new-roots",
        "fifty-plus",
        "kentish-cv",
        "community-kitchen",
    ]
    entries = providers(result.text)
    assert entries["get-online-fleetbrook"] == {
        "id": "get-online-fleetbrook",
        "name": "Get Online Fleetbrook",
        "channel": "C0CHANGEME",
        "active": False,  # no handovers until a coordinator sets its channel
        "services": ["digital"],
        "areas": ["NW6", "N19"],
        "languages": ["English", "Polish"],
        "hours": "Wed 13:00-16:00; Sat 10:00-13:00",
        "description": "One-to-one help with email, online forms, job sites and video calls. "
        "Devices available to borrow.",
    }
    women = entries["women-mean-business"]
    assert (women["services"], women["areas"], women["ages"]) == (
        ["self_employment", "training"],
        ["NW", "N"],
        "18+",
    )
    assert women["eligibility"] == "Women and non-binary residents starting or growing a business"
    mind = entries["fleetbrook-mind"]
    assert (mind["services"], mind["areas"], mind["ages"]) == (
        ["disability"],
        ["NW3", "NW6"],
        "18+",
    )


@SHAPES
def test_existing_providers_keep_id_channel_name_and_what_the_export_lacks(export_path):
    before = providers(EXAMPLE.read_text())
    after = providers(run(export_path).text)
    for provider_id, old in before.items():
        new = after[provider_id]
        assert (new["id"], new.get("channel"), new["name"]) == (
            old["id"],
            old.get("channel"),
            old["name"],
        )
    # The council is the directory's "London Borough of Fleetbrook", joined by the mapping.
    council = after["council-employment"]
    assert council["services"] == before["council-employment"]["services"]
    assert "areas" not in council  # "Fleetbrook" is mapped to anywhere
    assert (council["ages"], council["hours"]) == ("16+", "Mon-Fri 09:00-17:00")
    # What changed in the directory is updated.
    assert after["cv-clinic"]["areas"] == ["NW1", "NW5"]
    assert after["cv-clinic"]["hours"] == "Tue, Thu 10:00-16:00"
    assert after["able-works"]["ages"] == "18-64"
    assert after["able-works"]["languages"] == ["English", "British Sign Language"]
    assert after["youth-futures"]["services"] == ["youth", "cv", "training", "volunteering"]
    assert after["volunteer-centre"]["services"] == ["volunteering"]
    esol = after["esol-hub"]
    assert esol["areas"] == before["esol-hub"]["areas"]  # the same set across two services
    assert esol["ages"] == "18+"
    assert esol["hours"] == "Mon-Thu 09:30-15:00; Fri 10:00-12:00"
    assert esol["description"] == "Community English classes and digital skills for adults."
    # Areas the export cannot give as districts leave the provider's areas alone.
    assert "areas" not in after["youth-futures"]
    # Providers not in the export are exactly as they were.
    assert after["startup-lab"] == before["startup-lab"]
    assert after["parents-back"] == before["parents-back"]


def test_the_merged_file_loads_and_keeps_the_rest_of_the_file():
    original = EXAMPLE.read_text()
    result = run()
    assert result.changed
    network = parse_network(result.text, source="merged")
    assert len(network.providers) == 17
    assert list(yaml.safe_load(result.text)) == list(yaml.safe_load(original))

    def outside_providers(text: str) -> tuple[str, str]:
        head, rest = text.split("\nproviders:\n", 1)
        return head, rest[rest.index("\ncoordinators:") :]

    assert outside_providers(result.text) == outside_providers(original)
    assert result.needs_channel == [
        "get-online-fleetbrook",
        "women-mean-business",
        "fleetbrook-mind",
    ]


def test_changes_are_listed_field_by_field():
    updated = {o.id: o for o in run().updated}
    assert "areas: NW1, NW5, N7 -> NW1, NW5" in updated["cv-clinic"].changes
    assert "ages: (none) -> 18-64" in updated["able-works"].changes
    assert updated["cv-clinic"].services_from == ("CV and Application Drop-in",)


def test_unmapped_terms_unusable_areas_and_loose_ends_are_reported():
    notes = run(TABULAR).notes
    text = "\n".join(notes)
    assert "taxonomy term 'Housing advice (Fleetbrook Directory)' is not in the mapping" in text
    assert "'Mental health" not in text  # mapped to []: known, and silent
    assert "service area 'Northside ward' of 'Youth Jobs Hub' is not a postcode district" in text
    assert "service area 'Hampstead' of 'Wellbeing into Work' is not a postcode district" in text
    assert "'Evening CV Workshops' of 'Northside CV Clinic' is inactive" in text
    assert "'Job Club (Tuesday mornings)' was not imported: its organisation" in text


def test_importing_again_changes_nothing():
    first = run()
    again = import_export(first.text, export_of(API), mapping(), source="network.yaml")
    assert not again.changed and again.text == first.text
    assert not again.added and not again.updated
    assert len(again.unchanged) == 10


def test_keep_protects_hand_written_keys_and_organisations_can_be_left_out():
    text = MAPPING.read_text().replace("keep: []", "keep: [description, services]")
    text = text.replace(
        "  London Borough of Fleetbrook: council-employment\n",
        "  London Borough of Fleetbrook: council-employment\n  Fleetbrook Mind:\n",
    )
    result = run(API, text)
    before, after = providers(EXAMPLE.read_text()), providers(result.text)
    for provider_id in before:
        assert after[provider_id].get("description") == before[provider_id].get("description")
        assert after[provider_id]["services"] == before[provider_id]["services"]
    assert "fleetbrook-mind" not in after
    assert ("Fleetbrook Mind", "left out by the mapping") in [
        (o.name, o.reason) for o in result.skipped
    ]


def test_an_area_mapped_to_districts_is_used():
    text = MAPPING.read_text().replace(
        "  Fleetbrook: anywhere", "  Fleetbrook: anywhere\n  Northside ward: [NW5, N19]"
    )
    assert providers(run(API, text).text)["youth-futures"]["areas"] == ["NW5", "N19"]


def test_a_merge_that_would_not_load_is_refused(monkeypatch):
    monkeypatch.setattr(
        importer, "render_network", lambda text, entries: text.replace("C0COUNCIL1", "council")
    )
    message = error_of(run.__wrapped__)  # not the cached result: render_network is patched
    assert message.startswith("The merged network file would not load, so nothing was written:")
    assert "`providers.0.channel`" in message


def test_an_invalid_network_file_is_refused():
    broken = EXAMPLE.read_text().replace("channel: C0COUNCIL1", "channel: council")
    message = error_of(import_export, broken, export_of(API), mapping(), source="network.yaml")
    assert "The network file cannot be read" in message and "`providers.0.channel`" in message


# -- Small parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "districts"),
    [
        ("NW5", ["NW5"]),
        ("nw5", ["NW5"]),
        ("NW5 2AB", ["NW5"]),
        ("EC1A", ["EC1A"]),
        ("NW", ["NW"]),
        ("NW1, NW5 and N7", ["NW1", "NW5", "N7"]),
        ("Fleetbrook", []),  # the sample mapping says: anywhere
        ("Northside ward", None),
        ("UK", None),
        ("NW1, Camden", None),
    ],
)
def test_postcode_like_areas(text, districts):
    assert _area_districts(text, mapping()) == districts


def test_hours_in_plain_words():
    weekdays = Slot(days=(0, 1, 2, 3, 4), opens="09:00", closes="17:00")
    assert format_hours([weekdays]) == "Mon-Fri 09:00-17:00"
    assert (
        format_hours(
            [
                Slot(days=(0, 1, 2), opens="09:00", closes="12:00"),
                Slot(days=(0, 1, 2), opens="13:00", closes="17:00"),
                Slot(days=(5,), opens="10:00", closes="13:00"),
                Slot(days=(1, 3), opens="18:00", closes="20:00"),
            ]
        )
        == "Mon, Wed 09:00-12:00, 13:00-17:00; Tue 09:00-12:00, 13:00-17:00, 18:00-20:00; "
        "Thu 18:00-20:00; Sat 10:00-13:00"
    )
    assert format_hours([Slot(opens="10:00", closes="14:00"), Slot(text="By appointment")]) == (
        "10:00-14:00; By appointment"
    )
    assert format_hours([]) is None


def test_slugs():
    assert slugify("St Mary's Job Club") == "st-marys-job-club"
    assert slugify("Café & Careers (Fleetbrook)") == "cafe-and-careers-fleetbrook"


# -- The command ------------------------------------------------------------------------------


@pytest.fixture
def network_file(tmp_path) -> Path:
    path = tmp_path / "network.yaml"
    path.write_text(EXAMPLE.read_text())
    return path


def cli(*args: str) -> list[str]:
    return ["--export", str(API), "--mapping", str(MAPPING), *args]


def test_dry_run_prints_the_changes_and_writes_nothing(network_file, capsys):
    before = network_file.read_bytes()
    assert main(cli("--network", str(network_file), "--dry-run")) == 0
    assert network_file.read_bytes() == before
    assert sorted(p.name for p in network_file.parent.iterdir()) == ["network.yaml"]
    out = capsys.readouterr().out
    assert "Would add (3):" in out and "Would update (7):" in out
    assert "+ get-online-fleetbrook (Get Online Fleetbrook)" in out
    assert "- fleetbrook-housing-advice-centre (Fleetbrook Housing Advice Centre): none" in out
    assert "Needs a channel (3): get-online-fleetbrook, women-mean-business, fleetbrook-mind" in out
    assert "Dry run: nothing written" in out
    assert "Comments inside `providers:` are not kept" in out


def test_a_run_writes_a_file_the_bot_loads(network_file, tmp_path, capsys):
    out = tmp_path / "merged.yaml"
    assert main(cli("--network", str(network_file), "--out", str(out))) == 0
    assert network_file.read_text() == EXAMPLE.read_text()
    assert len(load_network(out).providers) == 17
    printed = capsys.readouterr().out
    assert f"Wrote {out}." in printed and "Added (3):" in printed

    assert main(cli("--network", str(network_file))) == 0  # in place
    assert network_file.read_text() == out.read_text()
    capsys.readouterr()
    assert main(cli("--network", str(network_file))) == 0
    assert "Nothing to change: the network file is up to date." in capsys.readouterr().out


def errors_of(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return one_sentence(captured.err.strip())


def test_the_command_errors_are_one_sentence_and_exit_2(network_file, tmp_path, capsys):
    bad_json = tmp_path / "export.json"
    bad_json.write_text('{\n  "content": [\n    {"id": "s1",}\n  ]\n}\n')
    shapeless = tmp_path / "shapeless.json"
    shapeless.write_text(json.dumps({"hello": "world"}))
    bad_mapping = tmp_path / "mapping.yaml"
    bad_mapping.write_text("services:\n  CV: cv\n  - oops\n")
    unknown_key = tmp_path / "unknown.yaml"
    unknown_key.write_text("services:\n  CV writing: curriculum_vitae\n")
    network = ["--network", str(network_file)]

    assert "required: --export, --mapping" in errors_of([], capsys)
    missing = errors_of(["--export", "nope.json", "--mapping", str(MAPPING), *network], capsys)
    assert missing == "The export nope.json does not exist."
    message = errors_of(["--export", str(bad_json), "--mapping", str(MAPPING), *network], capsys)
    assert message.startswith(f"{bad_json} is not valid JSON at line 3, column 17:")
    message = errors_of(["--export", str(shapeless), "--mapping", str(MAPPING), *network], capsys)
    assert "is not an HSDS export we know" in message
    message = errors_of(["--export", str(API), "--mapping", str(bad_mapping), *network], capsys)
    assert message.startswith(f"{bad_mapping} is not valid YAML at line")
    message = errors_of(["--export", str(API), "--mapping", str(unknown_key), *network], capsys)
    assert "'curriculum_vitae', which is not in the network file's `services`" in message
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("ages: 16-24", "ages: sixteen"))
    message = errors_of(cli("--network", str(broken)), capsys)
    assert "cannot be read, so nothing was changed" in message and "ages" in message
    assert broken.read_text() == EXAMPLE.read_text().replace("ages: 16-24", "ages: sixteen")


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--dry-run" in capsys.readouterr().out


def test_only_the_providers_block_is_rewritten():
    text = (
        "network: {name: Test}\n"
        "services:\n  cv: CV\n"
        "providers:   # who takes handovers\n"
        "  # the clinic\n"
        "  - id: a\n    name: A   # inline\n    channel: C0AAAAAA\n    services: [cv]\n"
        "\n# Who coordinates\ncoordinators:\n  channel: C0COORD001\n"
    )
    entries = [
        {"id": "a", "name": "A", "channel": "C0AAAAAA", "services": ["cv"]},
        {"id": "b", "name": "B: the second", "channel": "C0BBBBBB", "services": ["cv"]},
    ]
    rendered = render_network(text, entries)
    assert rendered == (
        "network: {name: Test}\n"
        "services:\n  cv: CV\n"
        "providers:   # who takes handovers\n"
        "  - id: a\n    name: A\n    channel: C0AAAAAA\n    services: [cv]\n"
        "\n"
        "  - id: b\n    name: 'B: the second'\n    channel: C0BBBBBB\n    services: [cv]\n"
        "\n# Who coordinates\ncoordinators:\n  channel: C0COORD001\n"
    )
    last = (
        "network: {name: T}\nservices: {cv: CV}\ncoordinators: {channel: C0C}\nproviders:\n- id: a"
    )
    assert parse_network(render_network(last + "\n  name: A\n  channel: C0A\n", entries))


def test_an_existing_provider_whose_terms_no_longer_map_is_skipped_and_left_alone():
    text = MAPPING.read_text().replace("  Volunteering: volunteering\n", "")
    result = run(API, text)
    assert ("volunteer-centre", "none of its taxonomy terms") in [
        (o.id, (o.reason or "")[:26]) for o in result.skipped
    ]
    before, after = providers(EXAMPLE.read_text()), providers(result.text)
    assert after["volunteer-centre"] == before["volunteer-centre"]
    assert "taxonomy term 'Volunteering (Fleetbrook Directory)' is not in the mapping" in "\n".join(
        result.notes
    )
