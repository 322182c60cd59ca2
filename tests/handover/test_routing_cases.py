"""The evaluation set: realistic referrals over the example network, each with the provider a
good adviser would pick first and those that must never be offered, run through the real
matching with the network file read as the bot reads it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bot.directory.network import load_network
from bot.handover.matching import Need, ProviderFacts, Wording, candidates, excluded
from bot.handover.routing import SUGGESTIONS

ROOT = Path(__file__).resolve().parents[2]
NETWORK = load_network(ROOT / "network.example.yaml")
CASES = yaml.safe_load((ROOT / "tests" / "data" / "routing-cases.yaml").read_text())["cases"]
WORDING = Wording(services=NETWORK.services, residents=NETWORK.residents_phrases)


def facts(state: dict) -> list[ProviderFacts]:
    """The example network's providers as matching sees them, with what the network holds."""
    capacity = state.get("capacity", {})
    loads, usual = state.get("open", {}), state.get("usual", {})
    routed = {key: datetime.fromisoformat(at) for key, at in state.get("last_routed", {}).items()}
    return [
        ProviderFacts(
            id=entry.id,
            name=entry.name,
            services=tuple(entry.services),
            areas=tuple(entry.areas) if entry.areas is not None else None,
            age_range=entry.age_range,
            active=entry.active,
            open_handovers=loads.get(entry.id, 0),
            last_routed_at=routed.get(entry.id),
            capacity=capacity.get(entry.id, "open"),
            languages=tuple(entry.languages) if entry.languages else None,
            only_for=tuple(entry.only_for or ()),
            usual=float(usual.get(entry.id, 0)),
        )
        for entry in NETWORK.providers
    ]


def judge(case: dict) -> list[str]:
    """What is wrong with the matching's answer to this case (nothing: it passes)."""
    need = Need(
        tuple(case["needs"]),
        case.get("district"),
        case.get("age_band"),
        case.get("language"),
        tuple(case.get("circumstances", ())),
    )
    state = case.get("state", {})
    providers = facts(state)
    ranked = candidates(need, providers, declined=state.get("declined", ()), wording=WORDING)
    ids = [c.provider.id for c in ranked]
    shown = ids[:SUGGESTIONS]
    problems = []
    if case["first"] and (not ids or ids[0] not in case["first"]):
        problems.append(f"first was {ids[:1]}, an adviser would pick one of {case['first']}")
    if not case["first"] and ids:
        problems.append(f"nobody fits, yet {ids} were offered")
    if offered := [p for p in case.get("never", ()) if p in ids]:
        problems.append(f"{offered} must never be offered")
    if missing := [p for p in case.get("shown", ()) if p not in shown]:
        problems.append(f"{missing} not among the {SUGGESTIONS} shown ({shown})")
    for candidate in ranked:
        if not candidate.reason or "open handover" in candidate.reason:
            problems.append(
                f"{candidate.provider.id}'s reason {candidate.reason!r} explains nothing"
            )
    for provider, reason in excluded(need, providers, wording=WORDING):
        if not reason:
            problems.append(f"{provider.id} is left out without a reason")
    return problems


def test_the_set_is_large_enough_and_names_only_providers_of_the_network():
    known = {p.id for p in NETWORK.providers}
    assert len(CASES) >= 40
    for case in CASES:
        named = set(case["first"]) | set(case.get("never", ())) | set(case.get("shown", ()))
        assert named <= known, case["name"]
        assert set(case.get("circumstances", ())) <= set(NETWORK.circumstances), case["name"]


def test_every_case_of_the_evaluation_set_passes_and_the_score_is_printed(capsys):
    failures = {case["name"]: problems for case in CASES if (problems := judge(case))}
    with capsys.disabled():
        print(f"\nRouting evaluation: {len(CASES) - len(failures)}/{len(CASES)} cases pass")
        for name, problems in failures.items():
            print(f"  FAIL {name}: {'; '.join(problems)}")
    assert not failures


@pytest.mark.parametrize("case", CASES[:1], ids=lambda case: case["name"])
def test_the_same_inputs_give_the_same_recommendation(case):
    need = Need(tuple(case["needs"]), case.get("district"), case.get("age_band"))
    first = candidates(need, facts({}), wording=WORDING)
    again = candidates(need, list(reversed(facts({}))), wording=WORDING)
    assert [(c.provider.id, c.reason) for c in first] == [(c.provider.id, c.reason) for c in again]
