"""The GOV.UK Notify templates a network creates for its residents' messages, as
docs/notify-templates.md gives them: the stand-in Notify of the tests and the sandbox is
seeded with these, under these ids, so what a resident reads there is what they would."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotifyTemplate:
    key: str  # its name in the network file's notify.templates
    id: str
    kind: str  # sms or email
    body: str
    subject: str | None = None


TEMPLATES = (
    NotifyTemplate(
        "accepted_sms",
        "6a3f1d52-7a4e-4f8e-9a57-0c2b8e6f1a01",
        "sms",
        "((worker_name)) from ((organisation)) will contact you by ((contact_by_date)) about "
        "your referral ((reference)). If nobody has by then, contact "
        "((adviser_organisation)) and quote ((reference)).",
    ),
    NotifyTemplate(
        "accepted_email",
        "6a3f1d52-7a4e-4f8e-9a57-0c2b8e6f1a02",
        "email",
        "((organisation)) has accepted your referral ((reference)).\n\n"
        "((worker_name)) from ((organisation)) will contact you by ((contact_by_date)).\n\n"
        "If nobody has been in touch by then, contact ((adviser_organisation)) and quote "
        "((reference)).",
        subject="((organisation)) will contact you by ((contact_by_date))",
    ),
    NotifyTemplate(
        "check_in_sms",
        "6a3f1d52-7a4e-4f8e-9a57-0c2b8e6f1a03",
        "sms",
        "Has ((organisation)) been in touch about your referral ((reference))? If not, "
        "contact ((adviser_organisation)) and quote ((reference)).",
    ),
    NotifyTemplate(
        "check_in_email",
        "6a3f1d52-7a4e-4f8e-9a57-0c2b8e6f1a04",
        "email",
        "Has ((organisation)) been in touch about your referral ((reference))?\n\n"
        "If not, contact ((adviser_organisation)) and quote ((reference)): they will "
        "find out what happened.",
        subject="Has ((organisation)) been in touch about ((reference))?",
    ),
    NotifyTemplate(
        "provider_email",
        "6a3f1d52-7a4e-4f8e-9a57-0c2b8e6f1a05",
        "email",
        "((body))\n\n((link))\n\nThis e-mail never holds the resident's name or contact "
        "details: they are on the handover's page, after you accept it.",
        subject="((subject))",
    ),
)


def seed(fake) -> None:
    """Create the templates in a stand-in Notify."""
    for template in TEMPLATES:
        fake.add_template(template.id, template.kind, template.body, template.subject)


def network_section() -> str:
    """The network file's notify section naming these templates."""
    lines = ["notify:", "  templates:"]
    lines += [f"    {template.key}: {template.id}" for template in TEMPLATES]
    return "\n".join(lines) + "\n"
