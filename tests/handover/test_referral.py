"""The referral form's checks (bot/handover/referral.py): what the adviser sees under each field."""

from __future__ import annotations

import pytest

from bot.directory.network import parse_network
from bot.errors import InvalidInput
from bot.handover.referral import CONTEXT_LIMIT, Referral, ReferralForm, check_referral
from bot.ids import Block
from storage.models import Urgency

NETWORK = parse_network(
    """
network:
  name: Test Network
services:
  cv: CV and job applications
  interview: Interview practice
  esol: English language (ESOL)
providers:
  - id: cv-clinic
    name: Northside CV Clinic
    channel: C0CVCLINIC
    services: [cv, interview]
coordinators:
  channel: C0COORD001
  users: [U0COORD001]
""",
    source="test network",
)


def form(**fields) -> ReferralForm:
    """A form that passes, with the given fields changed."""
    values = {"needs": ["cv"], "name": "Amina Yusuf", "phone": "07911 123456", "consent": True}
    values.update(fields)
    return ReferralForm(**values)


def refuse(**fields) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check_referral(form(**fields), NETWORK)
    return caught.value.errors


def accept(**fields) -> Referral:
    return check_referral(form(**fields), NETWORK)


def test_a_complete_referral_is_accepted_and_normalised():
    referral = accept(
        needs=["cv", "interview"],
        name="  Amina   Yusuf ",
        phone="+44 7911 123456",
        email="Amina.Yusuf@Example.ORG",
        district="nw1 0ne",
        age_band="25-29",
        language=" Somali ",
        access_needs=" Step-free access please ",
        urgency="soon",
        context="  Looking for warehouse work, has a CSCS card.  ",
        organisation=" Kentish  Town   Job Club ",
    )
    assert referral == Referral(
        needs=("cv", "interview"),
        name="Amina Yusuf",
        phone="07911 123456",
        email="Amina.Yusuf@example.org",
        district="NW1",
        age_band="25-29",
        language="Somali",
        access_needs="Step-free access please",
        urgency=Urgency.SOON,
        context="Looking for warehouse work, has a CSCS card.",
        organisation="Kentish Town Job Club",
        consent=True,
    )


def test_optional_fields_left_empty_are_stored_as_nothing():
    referral = accept(language="  ", access_needs="", district="", age_band="", urgency="")
    assert referral.language is None
    assert referral.access_needs is None
    assert referral.district is None
    assert referral.age_band is None
    assert referral.urgency is Urgency.ROUTINE
    assert referral.email is None


def test_every_problem_is_reported_at_once_each_under_its_own_field():
    errors = refuse(
        needs=[],
        name="   ",
        phone="",
        email="",
        district="??",
        age_band="10-12",
        urgency="whenever",
        context="x" * (CONTEXT_LIMIT + 1),
        consent=False,
    )
    assert set(errors) == {
        Block.NEEDS,
        Block.NAME,
        Block.PHONE,
        Block.DISTRICT,
        Block.AGE_BAND,
        Block.URGENCY,
        Block.CONTEXT,
        Block.CONSENT,
    }
    assert all(message.strip() for message in errors.values())


def test_errors_are_keyed_by_the_block_ids_of_the_modal_inputs():
    errors = refuse(phone="12345", email="not-an-address", consent=False)
    assert {str(key) for key in errors} == {"phone", "email", "consent"}


def test_the_first_error_is_also_the_exceptions_message_and_field():
    with pytest.raises(InvalidInput) as caught:
        check_referral(form(name="", consent=False), NETWORK)
    assert caught.value.field == Block.NAME
    assert caught.value.message == caught.value.errors[Block.NAME]


# -- needs ----------------------------------------------------------------------------------


def test_at_least_one_need_is_required():
    assert refuse(needs=[])[Block.NEEDS] == "Choose at least one need."
    assert Block.NEEDS in refuse(needs=["", ""])


def test_a_need_the_network_does_not_offer_is_refused():
    errors = refuse(needs=["cv", "forklift"])
    assert "Choose needs from the list" in errors[Block.NEEDS]


def test_repeated_needs_are_kept_once_in_the_order_chosen():
    assert accept(needs=["interview", "cv", "interview", "", "cv"]).needs == ("interview", "cv")


# -- name -----------------------------------------------------------------------------------


def test_the_residents_name_is_required():
    assert "name" in refuse(name=" \t\n ")[Block.NAME]


def test_whitespace_inside_a_name_is_collapsed():
    assert accept(name="\tMary \n  Jane   O'Neill  ").name == "Mary Jane O'Neill"


# -- phone and e-mail -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07911 123456", "07911 123456"),
        ("07911123456", "07911 123456"),
        ("+44 7911 123456", "07911 123456"),
        ("+447911123456", "07911 123456"),
        ("0044 7911 123456", "07911 123456"),
        ("020 7946 0958", "020 7946 0958"),
        ("+44 (0)20 7946 0958", "020 7946 0958"),
        ("02079460958", "020 7946 0958"),
        ("  0161 496 0000 ", "0161 496 0000"),
    ],
)
def test_uk_phone_numbers_in_their_usual_forms_are_accepted_and_normalised(typed, stored):
    assert accept(phone=typed).phone == stored


@pytest.mark.parametrize(
    "typed",
    [
        "+1 202 555 0123",  # United States
        "+353 85 123 4567",  # Ireland
        "+33 6 12 34 56 78",  # France
        "12345",
        "07911 12345",  # one digit short
        "07911 1234567",  # one digit too many
        "call after 5",
        "n/a",
    ],
)
def test_non_uk_or_nonsense_phone_numbers_are_refused(typed):
    assert "UK phone number" in refuse(phone=typed)[Block.PHONE]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("amina@example.org", "amina@example.org"),
        ("  amina@example.org ", "amina@example.org"),
        ("Amina.Yusuf@EXAMPLE.org", "Amina.Yusuf@example.org"),
        ("a.b+jobs@mail.example.co.uk", "a.b+jobs@mail.example.co.uk"),
    ],
)
def test_email_addresses_are_accepted_and_their_domain_normalised(typed, stored):
    assert accept(phone="", email=typed).email == stored


@pytest.mark.parametrize(
    "typed", ["amina", "amina@", "@example.org", "amina@example", "am ina@example.org", "a@@b.org"]
)
def test_malformed_email_addresses_are_refused(typed):
    assert "e-mail address" in refuse(phone="", email=typed)[Block.EMAIL]


def test_an_email_at_a_domain_that_does_not_exist_is_accepted_without_a_dns_lookup():
    # No network access: deliverability is not checked, only the form of the address.
    assert accept(phone="", email="someone@no-such-domain-for-tests.co.uk").email


def test_a_phone_number_or_an_email_is_required():
    errors = refuse(phone="", email="")
    assert errors == {Block.PHONE: "Give a phone number or an e-mail address (at least one)."}


def test_an_email_alone_is_enough():
    referral = accept(phone="", email="amina@example.org")
    assert referral.phone is None
    assert referral.email == "amina@example.org"


def test_a_bad_phone_is_reported_on_the_phone_even_when_the_email_is_good():
    errors = refuse(phone="not a number", email="amina@example.org")
    assert set(errors) == {Block.PHONE}


def test_a_bad_email_is_reported_without_the_at_least_one_message():
    errors = refuse(phone="", email="amina")
    assert set(errors) == {Block.EMAIL}


# -- district -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "district"),
    [
        ("NW1", "NW1"),
        ("nw1", "NW1"),
        (" NW5 ", "NW5"),
        ("NW1 0NE", "NW1"),  # a full postcode is cut to its district
        ("nw10ne", "NW1"),
        ("NW10 1AA", "NW10"),
        ("NW10", "NW10"),
        ("N7 6JX", "N7"),
        ("EC1A 1BB", "EC1A"),
        ("W1A 0AX", "W1A"),
        ("SW1A1AA", "SW1A"),
    ],
)
def test_the_postcode_is_cut_to_its_district(typed, district):
    assert accept(district=typed).district == district


@pytest.mark.parametrize("typed", ["Camden", "123", "NW", "NW1 0NE 1", "N1!", "ZZZ 9ZZ"])
def test_something_that_is_not_a_postcode_district_is_refused(typed):
    assert "postcode district" in refuse(district=typed)[Block.DISTRICT]


# -- age band, urgency, context, consent ----------------------------------------------------


def test_an_age_band_not_in_the_list_is_refused():
    assert Block.AGE_BAND in refuse(age_band="18-25")


def test_an_unknown_urgency_is_refused():
    assert Block.URGENCY in refuse(urgency="yesterday")


def test_context_up_to_the_limit_is_kept_and_one_character_more_is_refused():
    assert len(accept(context="x" * CONTEXT_LIMIT).context) == CONTEXT_LIMIT
    message = refuse(context="x" * (CONTEXT_LIMIT + 1))[Block.CONTEXT]
    assert str(CONTEXT_LIMIT) in message


def test_surrounding_whitespace_does_not_count_towards_the_context_limit():
    padded = "  " + "x" * CONTEXT_LIMIT + "\n\n"
    assert accept(context=padded).context == "x" * CONTEXT_LIMIT


def test_consent_is_required_before_anything_is_shared():
    errors = refuse(consent=False)
    assert set(errors) == {Block.CONSENT}
    assert "consent" in errors[Block.CONSENT]
