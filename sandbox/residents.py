"""Made-up residents for the demo's history: plausible, and obviously nobody real.

Names are common first names and surnames drawn at random; phone numbers are from
Ofcom's range kept for drama (07700 900000 to 07700 900999), which reaches no one;
e-mail addresses are at example.org. What an adviser writes as the context says what
the resident wants and never who they are.

The referral is made as the checked ``Referral`` the form's checks return, not through
``check_referral``: its phone check rightly refuses the drama range, which no phone has.
"""

from __future__ import annotations

import random

from bot.handover.referral import Referral
from storage.models import Urgency

FIRST_NAMES = [
    "Amina", "Tomasz", "Grace", "Mohammed", "Chloe", "Kofi", "Fatima", "Liam", "Shirin",
    "Daniel", "Halima", "Jack", "Nadia", "Samuel", "Rukhsana", "Oliver", "Agnieszka", "Tyrone",
    "Leila", "Connor", "Abdi", "Sophie", "Rahel", "Marcus", "Joy", "Ahmed", "Eilidh", "Precious",
    "Kamal", "Megan", "Yasmin", "Patrick", "Hodan", "Ewa", "Jamal", "Bethany",
]  # fmt: skip
SURNAMES = [
    "Begum", "Kowalski", "Mensah", "Hassan", "Taylor", "Osei", "Rahman", "Murphy", "Ahmadi",
    "Green", "Warsame", "Evans", "Nowak", "Campbell", "Uddin", "Roberts", "Okonkwo", "Ali",
    "Brennan", "Haile", "Wilson", "Yusuf", "Clarke", "Abebe", "Jones", "Chowdhury", "Walker",
]  # fmt: skip

# What the adviser writes for each need: what the resident wants, nothing identifying.
CONTEXTS = {
    "cv": [
        "Has worked in retail for years but has no CV. Wants help putting one together.",
        "Applying for warehouse jobs and hearing nothing back; wants the CV looked at.",
        "Back in work after a long gap; needs help explaining the gap in applications.",
    ],
    "interview": [
        "Has an interview coming up for a care assistant role and is nervous.",
        "Gets interviews but no offers; would like practice and feedback.",
    ],
    "esol": [
        "Speaks some English, wants a course to get to Entry 3 for work.",
        "Would like ESOL classes that fit around school pick-up times.",
    ],
    "digital": [
        "Cannot apply online without help; wants to learn e-mail and job sites.",
        "Needs help setting up a Universal Credit journal and a job-search account.",
    ],
    "disability": [
        "Has a long-term health condition and wants part-time work with the right support.",
        "Wants to get back to work after a period of ill health, at their own pace.",
    ],
    "youth": [
        "Left college this summer and is not sure what to do next; interested in apprenticeships.",
        "Looking for a first job and would like someone to talk options through with.",
    ],
    "self_employment": [
        "Has been doing some cake orders for friends and wants to make it a business.",
        "Thinking of going self-employed as a decorator; wants advice on starting up.",
    ],
    "benefits": [
        "Worried about losing benefits if they take a job; wants a better-off calculation.",
        "Offered 16 hours a week and unsure how it affects Universal Credit.",
    ],
    "training": [
        "Wants a short course to get a CSCS card for construction work.",
        "Interested in a food hygiene certificate to work in a kitchen.",
    ],
    "volunteering": [
        "Would like some volunteering to build confidence and get a recent reference.",
        "Wants work experience in an office setting before applying for jobs.",
    ],
    "job_matching": [
        "Ready to work now, any shift pattern; wants to hear about local vacancies.",
        "Has a forklift licence and is looking for warehouse or delivery work.",
    ],
    "childcare": [
        "Wants to go back to work now the youngest has started nursery.",
        "Needs advice on childcare costs before accepting a job offer.",
    ],
}
ACCESS_NEEDS = [
    "Prefers a phone call to a letter.",
    "Would like appointments in the afternoon.",
    "Needs step-free access.",
    "Would like someone to explain things slowly; some reading difficulties.",
]
LANGUAGES = ["Bengali", "Somali", "Arabic", "Polish"]


def resident_referral(
    rng: random.Random,
    number: int,
    *,
    needs: tuple[str, ...],
    district: str | None,
    age_band: str | None,
    language: str | None,
    organisation: str,
) -> Referral:
    """A referral for a made-up resident; ``number`` keeps their phone number their own."""
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    phone = f"07700 900{number % 1000:03d}"
    email = None
    if rng.random() < 0.3:
        email = f"{name.split()[0].lower()}.{number}@example.org"
    context = rng.choice(CONTEXTS.get(needs[0], ["Would like some help finding work."]))
    urgency = rng.choices([Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT], weights=[7, 2, 1], k=1)[
        0
    ]
    return Referral(
        needs=needs,
        name=name,
        phone=phone,
        email=email,
        district=district,
        age_band=age_band,
        language=language,
        access_needs=rng.choice(ACCESS_NEEDS) if rng.random() < 0.2 else None,
        urgency=urgency,
        context=context,
        organisation=organisation,
        consent=True,
    )
