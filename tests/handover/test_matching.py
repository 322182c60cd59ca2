"""Matching: who is a candidate for a handover, in what order, and why."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.handover.matching import (
    AGE_BANDS,
    USUAL_PERIOD,
    Candidate,
    Need,
    ProviderFacts,
    Wording,
    candidates,
    covers_area,
    excluded,
    locality,
    relative_load,
    routed_once_more,
    serves_age,
    usual_volume,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

LABELS = {
    "cv": "CV and job applications",
    "interview": "Interview practice",
    "esol": "English language (ESOL)",
    "digital": "Digital skills",
}


def provider(pid: str, services=("cv",), **facts) -> ProviderFacts:
    return ProviderFacts(id=pid, name=pid.replace("-", " ").title(), services=services, **facts)


def ids(found: list[Candidate]) -> list[str]:
    return [c.provider.id for c in found]


# -- a realistic directory ----------------------------------------------------------------

SERVICES = ["cv", "interview", "esol", "digital", "benefits", "youth", "training", "childcare"]
DISTRICTS = ["NW1", "NW3", "NW5", "NW6", "N1", "N7", "N19", "WC1", "NW10", "E1"]
AREA_CHOICES = [None, None, None, ["NW"], ["N"], ["NW1", "NW5"], ["N7", "N19"], ["NW1"], ["WC1"]]
AGE_CHOICES = [None, None, None, (16, 24), (18, 150), (25, 64), (50, 150), (16, 17)]


def directory(size: int = 48, seed: int = 7) -> list[ProviderFacts]:
    """Several dozen providers with overlapping services, areas and ages, a few inactive."""
    rng = random.Random(seed)
    found = []
    for number in range(size):
        areas = rng.choice(AREA_CHOICES)
        found.append(
            ProviderFacts(
                id=f"provider-{number:02d}",
                name=f"Provider {number}",
                services=tuple(rng.sample(SERVICES, rng.randint(1, 4))),
                areas=tuple(areas) if areas is not None else None,
                age_range=rng.choice(AGE_CHOICES),
                active=rng.random() > 0.1,
                open_handovers=rng.randint(0, 5),
                last_routed_at=rng.choice(
                    [None, T0 - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))]
                ),
            )
        )
    return found


# -- areas ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "district"),
    [
        (["NW1"], "NW1"),  # the district itself
        (["NW1", "NW5"], "NW5"),
        (["NW"], "NW1"),  # a postcode area covers its districts
        (["NW"], "NW10"),
        (["N"], "N1"),
        (["N"], "N19"),
        (["WC"], "WC1"),
        (None, "NW1"),  # no areas listed: works anywhere
        (["NW1"], None),  # the adviser gave no district: not a reason to exclude
    ],
)
def test_a_provider_covers_the_district(areas, district):
    assert covers_area(areas, district)


@pytest.mark.parametrize(
    ("areas", "district"),
    [
        (["N"], "NW1"),  # N (north London) is not NW
        (["N"], "NW10"),
        (["W"], "WC1"),
        (["E"], "EC1A"),
        (["NW1"], "NW10"),  # a district is not a prefix of another district
        (["NW1"], "NW5"),
        (["NW1", "NW5"], "N7"),
        (["NW"], "N1"),
    ],
)
def test_a_provider_does_not_cover_the_district(areas, district):
    assert not covers_area(areas, district)


@pytest.mark.parametrize(
    ("areas", "district"),
    [
        (["EC1"], "EC1A"),  # central London districts split by a final letter
        (["W1"], "W1A"),
        (["SW1"], "SW1A"),
        (["N1"], "N1C"),  # King's Cross, carved out of N1
        (["NW1"], "NW1W"),
        (["E1"], "E1W"),
    ],
)
def test_a_district_listed_without_its_letter_covers_its_sub_districts(areas, district):
    assert covers_area(areas, district)


@pytest.mark.parametrize(
    ("areas", "district"),
    [(["W1"], "W10"), (["E1"], "E14"), (["EC1A"], "EC1M"), (["N1C"], "N1")],
)
def test_a_sub_district_rule_does_not_spill_into_neighbouring_districts(areas, district):
    assert not covers_area(areas, district)


# -- ages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_range", "band", "eligible"),
    [
        ((16, 24), "16-17", True),
        ((16, 24), "18-24", True),
        ((16, 24), "25-29", False),
        ((18, 150), "16-17", False),
        ((18, 150), "65+", True),
        ((24, 30), "18-24", True),  # overlap at 24 is enough: the adviser knows the age
        ((50, 64), "65+", False),
        ((60, 150), "65+", True),
        ((25, 49), "18-24", False),
        (None, "16-17", True),  # no ages listed: any age
        ((16, 24), None, True),  # the adviser gave no age band
    ],
)
def test_a_provider_serves_the_age_band_when_its_ages_overlap(age_range, band, eligible):
    assert serves_age(age_range, band) is eligible


def test_every_age_band_the_modal_offers_can_be_matched():
    for band in AGE_BANDS:
        assert serves_age((0, 150), band)


# -- who is a candidate -------------------------------------------------------------------


def test_a_provider_must_offer_at_least_one_of_the_needs():
    providers = [provider("cv-clinic", ("cv",)), provider("esol-hub", ("esol",))]
    assert ids(candidates(Need(("cv", "interview")), providers)) == ["cv-clinic"]


def test_a_provider_outside_the_residents_district_is_not_a_candidate():
    providers = [
        provider("north", areas=("N",)),
        provider("camden-town", areas=("NW1",)),
        provider("anywhere"),
    ]
    found = candidates(Need(("cv",), district="NW1"), providers)
    assert set(ids(found)) == {"camden-town", "anywhere"}


def test_a_provider_whose_ages_miss_the_band_is_not_a_candidate():
    providers = [provider("youth", age_range=(16, 24)), provider("over-50s", age_range=(50, 150))]
    assert ids(candidates(Need(("cv",), age_band="18-24"), providers)) == ["youth"]
    assert ids(candidates(Need(("cv",), age_band="65+"), providers)) == ["over-50s"]


def test_a_provider_removed_from_the_network_is_not_a_candidate():
    providers = [provider("gone", active=False), provider("here")]
    assert ids(candidates(Need(("cv",)), providers)) == ["here"]


def test_a_provider_that_already_declined_this_handover_is_not_offered_it_again():
    providers = [provider("first"), provider("second"), provider("third")]
    found = candidates(Need(("cv",)), providers, declined=["first", "third"])
    assert ids(found) == ["second"]


def test_no_candidates_when_nobody_fits_so_it_goes_to_the_coordinators():
    providers = [provider("esol-hub", ("esol",)), provider("declined")]
    assert candidates(Need(("cv",)), providers, declined={"declined"}) == []


def test_candidate_records_only_the_needs_it_covers_in_the_advisers_order():
    providers = [provider("clinic", ("interview", "cv", "digital"))]
    [found] = candidates(Need(("esol", "cv", "interview")), providers)
    assert found.covered == ("cv", "interview")


# -- ranking --------------------------------------------------------------------------------


def test_covering_more_of_the_needs_beats_being_less_busy():
    providers = [
        provider("cv-only", ("cv",), open_handovers=0),
        provider("both", ("cv", "interview"), open_handovers=9),
    ]
    assert ids(candidates(Need(("cv", "interview")), providers)) == ["both", "cv-only"]


def test_among_equals_the_provider_with_fewer_open_handovers_goes_first():
    providers = [
        provider("busy", open_handovers=4, last_routed_at=T0 - timedelta(days=30)),
        provider("quiet", open_handovers=1, last_routed_at=T0),
        provider("middling", open_handovers=2, last_routed_at=None),
    ]
    assert ids(candidates(Need(("cv",)), providers)) == ["quiet", "middling", "busy"]


def test_among_equally_loaded_a_provider_never_routed_to_goes_first():
    providers = [
        provider("long-ago", last_routed_at=T0 - timedelta(days=365)),
        provider("never"),
    ]
    assert ids(candidates(Need(("cv",)), providers)) == ["never", "long-ago"]


def test_among_equally_loaded_whoever_waited_longest_goes_first():
    providers = [
        provider("yesterday", last_routed_at=T0 - timedelta(days=1)),
        provider("last-week", last_routed_at=T0 - timedelta(days=7)),
        provider("an-hour-ago", last_routed_at=T0 - timedelta(hours=1)),
    ]
    found = candidates(Need(("cv",)), providers)
    assert ids(found) == ["last-week", "yesterday", "an-hour-ago"]


def test_the_directory_is_ranked_best_first():
    providers = directory()
    found = candidates(Need(("cv", "interview"), district="NW1", age_band="18-24"), providers)
    assert len(found) >= 5, "the generated directory should give a real choice"
    keys = [
        (
            -len(c.covered),
            locality(c.provider.areas, "NW1"),
            c.provider.capacity == "limited",
            relative_load(c.provider),
        )
        for c in found
    ]
    assert keys == sorted(keys)
    for candidate in found:
        facts = candidate.provider
        assert facts.active
        assert set(candidate.covered) <= set(facts.services) & {"cv", "interview"}
        assert covers_area(facts.areas, "NW1")
        assert serves_age(facts.age_range, "18-24")


def test_the_directory_gives_every_active_eligible_provider_a_place():
    providers = directory()
    need = Need(("esol",), district="N7", age_band="30-49")
    found = set(ids(candidates(need, providers)))
    assert 0 < len(found) < len(providers)
    for facts in providers:
        expected = (
            facts.active
            and "esol" in facts.services
            and (facts.areas is None or "N7" in facts.areas or "N" in facts.areas)
            and (facts.age_range is None or (facts.age_range[0] <= 49 and facts.age_range[1] >= 30))
        )
        assert (facts.id in found) is expected, facts


@pytest.mark.parametrize(
    ("need", "seed"),
    [
        (Need(("cv",), district="E1", age_band="25-29"), 3),
        (Need(("cv",)), 11),
        (Need(("esol",), district="N19", age_band="30-49"), 3),
        (Need(("digital",), age_band="18-24"), 21),
    ],
)
def test_round_robin_shares_300_handovers_fairly_between_equally_suitable_providers(need, seed):
    # Equal load throughout (nobody's queue grows), so only the round robin decides.
    providers = {p.id: replace(p, open_handovers=2) for p in directory(seed=seed)}
    # The equally suitable: as good as the best on every rule before the turn.
    ranked = candidates(need, providers.values())
    best = ranked[0]
    eligible = {
        c.provider.id
        for c in ranked
        if len(c.covered) == len(best.covered)
        and locality(c.provider.areas, need.district)
        == locality(best.provider.areas, need.district)
    }
    assert len(eligible) >= 4, "the generated directory should give a real choice"

    chosen = Counter()
    for number in range(300):
        best = candidates(need, providers.values())[0]
        chosen[best.provider.id] += 1
        routed_at = T0 + timedelta(minutes=10 * number)
        providers[best.provider.id] = replace(best.provider, last_routed_at=routed_at)

    assert set(chosen) == eligible
    assert max(chosen.values()) - min(chosen.values()) <= 1, chosen


def test_round_robin_sends_the_next_handover_to_someone_else():
    providers = {p.id: p for p in (provider("a"), provider("b"), provider("c"))}
    order = []
    for number in range(6):
        best = candidates(Need(("cv",)), providers.values())[0].provider
        order.append(best.id)
        providers[best.id] = replace(best, last_routed_at=T0 + timedelta(minutes=number))
    assert order == ["a", "b", "c", "a", "b", "c"]


# -- the order of the best fits ----------------------------------------------------------

WORDING = Wording(
    services=LABELS, residents={"disability": "disabled residents", "care_leaver": "care leavers"}
)


def test_one_that_covers_every_need_comes_before_one_that_covers_some():
    some = provider("a-local", ("cv",), areas=("NW5",))
    every = provider("b-anywhere", ("cv", "interview"))
    found = candidates(Need(("cv", "interview"), district="NW5"), [some, every], wording=WORDING)
    assert ids(found) == ["b-anywhere", "a-local"]
    assert found[0].reason == "covers every need asked for"
    assert found[1].reason == "covers only CV and job applications"


def test_a_specialist_the_resident_is_eligible_for_comes_before_a_local_generalist():
    local = provider("a-clinic", areas=("NW5",))
    specialist = provider("b-able", only_for=("disability",))
    need = Need(("cv",), district="NW5", circumstances=("disability",))
    found = candidates(need, [local, specialist], wording=WORDING)
    assert ids(found) == ["b-able", "a-clinic"]
    assert found[0].reason == "specialist for disabled residents"


def test_a_specialist_takes_only_residents_with_one_of_its_circumstances():
    specialist = provider("able", only_for=("disability", "care_leaver"))
    need = Need(("cv",), district="NW5")
    assert candidates(need, [specialist]) == []
    assert excluded(need, [specialist], wording=WORDING) == [
        (specialist, "only for disabled residents or care leavers")
    ]
    assert ids(candidates(replace(need, circumstances=("care_leaver",)), [specialist])) == ["able"]


def test_the_district_named_comes_before_the_postcode_area_before_anywhere():
    anywhere = provider("a", open_handovers=0)
    area = provider("b", areas=("NW",), open_handovers=0)
    district = provider("c", areas=("NW5", "N7"), open_handovers=3)
    found = candidates(Need(("cv",), district="NW5"), [anywhere, area, district], wording=WORDING)
    assert ids(found) == ["c", "b", "a"]
    assert found[0].reason == "local CV specialist for NW5"
    assert found[2].reason == "works in any area"


def test_the_less_loaded_for_its_usual_volume_comes_first():
    big = provider("a-big", open_handovers=6, usual=30.0)  # a fifth of a usual four weeks
    small = provider("b-small", open_handovers=2, usual=3.0)  # two thirds
    found = candidates(Need(("cv",)), [small, big], wording=WORDING)
    assert ids(found) == ["a-big", "b-small"]
    assert found[0].reason == "less busy for its usual volume"
    assert found[1].reason == "busier for its usual volume"


def test_a_quiet_provider_is_judged_by_its_open_handovers():
    assert relative_load(provider("new", open_handovers=2, usual=0.0)) == 2.0
    assert relative_load(provider("new", open_handovers=2, usual=0.5)) == 2.0


def test_equal_fits_take_turns_and_say_so():
    three = [provider(pid, areas=("NW5",)) for pid in ("c", "a", "b")]
    found = candidates(Need(("cv",), district="NW5"), three, wording=WORDING)
    # Never routed, all of them: by id, whatever order they came in.
    assert ids(found) == ["a", "b", "c"]
    assert found[0].reason == "local CV specialist for NW5, next in turn among three equal fits"
    assert found[1].reason == "local CV specialist for NW5, an equal fit, later in the turn"


def test_the_same_state_gives_the_same_recommendation_in_any_input_order():
    providers = directory(seed=5)
    need = Need(("cv",), district="NW5", age_band="18-24")
    first = candidates(need, providers, wording=WORDING)
    for seed in range(5):
        shuffled = providers[:]
        random.Random(seed).shuffle(shuffled)
        again = candidates(need, shuffled, wording=WORDING)
        assert [(c.provider.id, c.reason) for c in again] == [
            (c.provider.id, c.reason) for c in first
        ]


def test_every_reason_is_words_that_fit_the_line_under_a_suggestion():
    for seed in range(6):
        for need in (Need(("cv", "interview"), district="NW1"), Need(("esol",), district="N7")):
            for found in candidates(need, directory(seed=seed), wording=WORDING):
                assert found.reason and len(found.reason) <= 75
                assert "open handover" not in found.reason
                assert not found.reason.endswith("…")


def test_the_card_names_only_the_providers_own_criteria_the_resident_meets():
    able = provider("able", only_for=("disability",), open_handovers=1)
    other = provider("other", only_for=("disability",))
    need = Need(("cv",), circumstances=("disability", "care_leaver"))
    found = {c.provider.id: c for c in candidates(need, [able, other], wording=WORDING)}
    said = found["able"].why(WORDING)
    assert "specialist for disabled residents" in said
    assert "care leaver" not in said
    assert found["able"].meets == ("disability",)


def test_the_usual_volume_fades_over_four_weeks_and_grows_by_one_per_handover():
    assert usual_volume(10.0, T0, T0) == 10.0
    assert usual_volume(10.0, T0, T0 + USUAL_PERIOD) == pytest.approx(3.679, abs=0.001)
    assert usual_volume(0.0, None, T0) == 0.0
    assert routed_once_more(10.0, T0, T0) == 11.0
    # At a steady two handovers a week it settles near the last four weeks' eight.
    volume, at = 0.0, None
    for week in range(52):
        for _ in range(2):
            now = T0 + timedelta(weeks=week)
            volume, at = routed_once_more(volume, at, now), now
    assert 7.5 < volume < 9.5


# -- capacity and language -------------------------------------------------------------


def test_a_paused_provider_is_never_a_candidate():
    from bot.handover.matching import Need, candidates

    found = candidates(Need(("cv",)), [provider("a", capacity="paused"), provider("b")])
    assert [c.provider.id for c in found] == ["b"]


def test_limited_providers_come_after_open_ones_even_when_less_loaded():
    from bot.handover.matching import Need, candidates

    busy_open = provider("a", open_handovers=9)
    idle_limited = provider("b", capacity="limited", open_handovers=0)
    found = candidates(Need(("cv",)), [idle_limited, busy_open])
    assert [c.provider.id for c in found] == ["a", "b"]
    assert found[1].reason == "limited capacity at the moment"


def test_a_provider_that_lists_languages_serves_residents_needing_one_of_them():
    from bot.handover.matching import Need, candidates

    bengali = provider("a", languages=("Bengali", "Sylheti"))
    anyone = provider("b")
    assert [
        c.provider.id for c in candidates(Need(("cv",), language="somali"), [bengali, anyone])
    ] == ["b"]
    both = candidates(Need(("cv",), language="bengali"), [bengali, anyone])
    assert {c.provider.id for c in both} == {"a", "b"}
    # English is assumed to be available everywhere.
    assert len(candidates(Need(("cv",), language="English"), [bengali])) == 1


def test_a_dated_pause_lifts_on_its_date():
    from datetime import date

    from bot.handover.matching import effective_capacity

    assert effective_capacity("paused", date(2026, 12, 7), date(2026, 12, 6)) == "paused"
    assert effective_capacity("paused", date(2026, 12, 7), date(2026, 12, 7)) == "open"
    assert effective_capacity("paused", None, date(2030, 1, 1)) == "paused"
    assert effective_capacity("limited", None, date(2030, 1, 1)) == "limited"
