"""The page's HTML: pure functions from what the page shows to a document.

Written to WCAG 2.2 AA: one ``h1``, a label for every field, an error summary at the top
whose links go to the fields, each error tied to its field (``aria-describedby``), visible
focus, text and controls at 4.5:1 contrast or more, nothing that needs JavaScript, and one
column that reads on a phone (320 CSS pixels and up).
"""

from __future__ import annotations

from datetime import date
from html import escape

from bot.byemail.pages import CODE, WORKER_NAME, Page
from bot.ids import Block
from bot.text import DECLINE_REASONS, OUTCOMES, STATES, URGENCIES, day, label
from storage.models import State

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:1.125rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#0b0c0c;background:#fff}
header{background:#0b0c0c;color:#fff;padding:.75rem 1rem}
header p{margin:0;font-weight:700}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0 1rem}
h2{font-size:1.375rem;margin:1.5rem 0 .5rem}
dl{display:grid;grid-template-columns:minmax(7rem,auto) 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dt{font-weight:700}dd{margin:0;overflow-wrap:anywhere}
.status{border-left:.3rem solid #1d70b8;padding:.5rem 1rem;background:#f3f2f1}
.said{border:.2rem solid #00703c;padding:.75rem 1rem;margin:1rem 0}
.problem{border:.25rem solid #d4351c;padding:.75rem 1rem;margin:1rem 0}
.problem h2{margin-top:0}.problem a{color:#d4351c;font-weight:700}
.error{color:#d4351c;font-weight:700;margin:.25rem 0}
form{margin:1rem 0 1.5rem}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:700;font-size:1.25rem;margin-bottom:.5rem}
label{display:block;font-weight:700;margin:.75rem 0 .25rem}
.choice label{display:inline;font-weight:400;margin:0 0 0 .5rem}
.choice{margin:.5rem 0;display:flex;align-items:center}
.choice input{width:1.5rem;height:1.5rem;margin:0}
input[type=text],input[type=date],textarea{width:100%;font:inherit;padding:.4rem;
border:.125rem solid #0b0c0c;border-radius:0}
input[aria-invalid=true],textarea[aria-invalid=true]{border-color:#d4351c;border-width:.2rem}
button{font:inherit;font-weight:700;padding:.6rem 1.2rem;min-height:2.75rem;border:0;
border-bottom:.15rem solid #002d18;background:#00703c;color:#fff;cursor:pointer}
button.secondary{background:#f3f2f1;color:#0b0c0c;border-bottom-color:#929191}
button.warning{background:#d4351c;border-bottom-color:#55150b}
:focus{outline:.2rem solid #fd0;outline-offset:0;box-shadow:0 0 0 .35rem #0b0c0c}
a{color:#1d70b8}
.hint{color:#484949;margin:.25rem 0}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:0;padding:0;
overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
"""


def document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><p>Warm handover</p></header><main id="main">{body}</main></body></html>'
    )


def no_longer_valid(gone: bool) -> str:
    """The plain page for a link that is not (or no longer) one of the bot's."""
    why = (
        "This handover is no longer with your organisation: it was declined, moved to "
        "another provider or withdrawn, so there is nothing more to do here."
        if gone
        else "This link is not one the network sent, or it was copied wrongly."
    )
    return document(
        "This link is no longer valid",
        f"<h1>This link is no longer valid</h1><p>{why}</p>"
        "<p>If you think this is a mistake, ask the network's coordinators.</p>",
    )


def plain_problem(title: str, text: str) -> str:
    return document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")


# -- the handover's page ----------------------------------------------------------------------


def page(view: Page, *, csrf: str, network, today: date, contact_by: date) -> str:
    handover, provider = view.handover, view.provider
    needs = ", ".join(network.service_label(need) for need in handover.needs)
    parts = [f"<h1>{escape(handover.ref)}: {escape(needs)}</h1>"]
    parts.append(_problems(view.errors))
    if view.said:
        role = "alert" if view.refused else "status"
        parts.append(f'<div class="said" role="{role}"><p>{escape(view.said)}</p></div>')
    parts.append(f'<p class="status">{escape(_status(view))}</p>')
    parts.append(_facts(view, needs))
    if view.resident is not None:
        parts.append(_details(view))
    parts.append(_actions(view, csrf=csrf, today=today, contact_by=contact_by))
    parts.append(
        f'<p class="hint">For {escape(provider.name)}, from {escape(network.network.name)}. '
        "Keep this e-mail's link to yourselves: anyone with it can act on the handover.</p>"
    )
    return document(f"{handover.ref} · {provider.name}", "".join(parts))


def _is_refusal(view: Page) -> bool:
    return view.said is not None and not view.said.startswith(
        ("You ", "First ", "Outcome", "A code", "Here")
    )


def _status(view: Page) -> str:
    handover = view.handover
    who = handover.worker_name or "a colleague"
    match handover.state:
        case State.PENDING:
            return "Waiting for someone at your organisation to accept or decline it."
        case State.ACCEPTED:
            return (
                f"Accepted by {who}; first contact with the resident by "
                f"{day(handover.promised_contact_by)}."
            )
        case State.CONTACTED:
            return f"First contact made by {who}. Record the outcome when you know it."
        case State.CLOSED:
            return f"Closed: {label(OUTCOMES, handover.outcome)}. Nothing more to do."
    return label(STATES, handover.state) + "."


def _facts(view: Page, needs: str) -> str:
    handover = view.handover
    rows = [
        ("Reference", handover.ref),
        ("Needs", needs),
        ("Area", handover.postcode_district or "Not given"),
        ("Urgency", label(URGENCIES, handover.urgency)),
        ("Language", handover.language or "Not given"),
        (
            "Referred by",
            f"an adviser at {handover.adviser_org}" if handover.adviser_org else "an adviser",
        ),
    ]
    if handover.context:
        rows.append(("Context", handover.context))
    if handover.match_reason:
        rows.append(("Why you", handover.match_reason))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f"<h2>The handover</h2><dl>{items}</dl>"


def _details(view: Page) -> str:
    resident = view.resident
    if resident.erased_at is not None:
        return "<h2>The resident</h2><p>The resident's details were erased.</p>"
    rows = [
        ("Name", resident.name),
        ("Phone", resident.phone or "—"),
        ("E-mail", resident.email or "—"),
    ]
    if resident.access_needs:
        rows.append(("Access needs", resident.access_needs))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v or '—')}</dd>" for k, v in rows)
    consent = escape(view.handover.consent_text)
    return (
        '<section aria-labelledby="resident"><h2 id="resident">The resident</h2>'
        f'<dl>{items}</dl><p class="hint">They agreed: {consent}</p></section>'
    )


# -- forms ------------------------------------------------------------------------------------


def _problems(errors: dict[str, str]) -> str:
    if not errors:
        return ""
    items = "".join(
        f'<li><a href="#{escape(field)}">{escape(text)}</a></li>' for field, text in errors.items()
    )
    return (
        '<div class="problem" role="alert" aria-labelledby="problem-title" tabindex="-1" '
        "autofocus>"
        f'<h2 id="problem-title">There is a problem</h2><ul>{items}</ul></div>'
    )


def _form(action: str, csrf: str, inner: str, *, label_id: str) -> str:
    return (
        f'<form method="post" aria-labelledby="{label_id}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="do" value="{action}">{inner}</form>'
    )


def _field_error(errors: dict[str, str], name: str) -> tuple[str, str]:
    """The error paragraph of a field, and the attributes that tie it to the field."""
    if name not in errors:
        return "", ""
    return (
        f'<p class="error" id="{name}-error"><span class="visually-hidden">Error: </span>'
        f"{escape(errors[name])}</p>",
        f' aria-invalid="true" aria-describedby="{name}-error"',
    )


def _text(
    name: str,
    title: str,
    errors,
    *,
    value: str = "",
    kind: str = "text",
    extra: str = "",
    hint: str = "",
) -> str:
    error, tie = _field_error(errors, name)
    hint_html = f'<p class="hint" id="{name}-hint">{escape(hint)}</p>' if hint else ""
    if hint and not tie:
        tie = f' aria-describedby="{name}-hint"'
    return (
        f'<label for="{name}">{escape(title)}</label>{hint_html}{error}'
        f'<input type="{kind}" id="{name}" name="{name}" value="{escape(value)}"{tie}{extra}>'
    )


def _choices(name: str, legend: str, options: dict, errors) -> str:
    error, tie = _field_error(errors, name)
    tie = tie.replace(' aria-invalid="true"', "")  # a group is described, its radios invalid
    radios = "".join(
        f'<div class="choice"><input type="radio" name="{name}" '
        f'id="{name if i == 0 else f"{name}-{value}"}" value="{escape(str(value))}">'
        f'<label for="{name if i == 0 else f"{name}-{value}"}">{escape(text)}</label></div>'
        for i, (value, text) in enumerate(options.items())
    )
    return (
        f'<fieldset{tie}><legend id="{name}-legend">{escape(legend)}</legend>{error}'
        f"{radios}</fieldset>"
    )


def _note(name: str, title: str, errors, hint: str) -> str:
    error, tie = _field_error(errors, name)
    if not tie:
        tie = f' aria-describedby="{name}-hint"'
    return (
        f'<label for="{name}">{escape(title)}</label>'
        f'<p class="hint" id="{name}-hint">{escape(hint)}</p>{error}'
        f'<textarea id="{name}" name="{name}" rows="3" maxlength="600"{tie}></textarea>'
    )


def _actions(view: Page, *, csrf: str, today: date, contact_by: date) -> str:
    handover, errors = view.handover, view.errors
    parts = []
    if handover.state == State.PENDING:
        accept = (
            '<h2 id="accept-title">Accept it</h2>'
            "<p>You become the named worker: you contact the resident by the date you give.</p>"
            + _text(
                WORKER_NAME,
                "Your name",
                errors,
                extra=' autocomplete="name" maxlength="64"',
                hint="The resident is told your first name.",
            )
            + _text(
                Block.CONTACT_BY,
                "First contact by",
                errors,
                kind="date",
                value=contact_by.isoformat(),
                extra=f' min="{today.isoformat()}"',
            )
            + "<p><button>Accept</button></p>"
        )
        parts.append(_form("accept", csrf, accept, label_id="accept-title"))
        decline = (
            '<h2 id="decline-title">Or decline it</h2>'
            "<p>It goes straight on to the next provider that fits.</p>"
            + _choices(Block.REASON, "Why are you declining it?", DECLINE_REASONS, errors)
            + _note(
                Block.REASON_NOTE,
                "More about why",
                errors,
                "Needed for Other: it helps the adviser find the right place.",
            )
            + '<p><button class="warning">Decline</button></p>'
        )
        parts.append(_form("decline", csrf, decline, label_id="decline-title"))
    if handover.state == State.ACCEPTED:
        contact = (
            '<h2 id="contact-title">Made contact?</h2>'
            "<p>Once you have spoken to the resident, say so: the adviser is told.</p>"
            "<p><button>Made contact</button></p>"
        )
        parts.append(_form("contact", csrf, contact, label_id="contact-title"))
    if handover.state in (State.ACCEPTED, State.CONTACTED):
        outcome = (
            '<h2 id="outcome-title">Record the outcome</h2>'
            + _choices(Block.OUTCOME, "What came of it?", OUTCOMES, errors)
            + _note(Block.OUTCOME_NOTE, "A note", errors, "Needed for Other.")
            + '<p><button class="secondary">Record outcome</button></p>'
        )
        parts.append(_form("outcome", csrf, outcome, label_id="outcome-title"))
        if view.resident is None:
            parts.append(_again(view, csrf))
    return "".join(parts)


def _again(view: Page, csrf: str) -> str:
    """The resident's details again: a one-time code to the provider's address first."""
    ask = (
        '<h2 id="code-title">See the resident\'s details again</h2>'
        "<p>We e-mail a one-time code to your organisation's address.</p>"
        '<p><button class="secondary">E-mail me a code</button></p>'
    )
    parts = [_form("code", csrf, ask, label_id="code-title")]
    if view.code_sent or CODE in view.errors:
        enter = (
            '<h2 id="details-title">Enter the code</h2>'
            + _text(
                CODE,
                "Code from the e-mail",
                view.errors,
                extra=' inputmode="numeric" autocomplete="one-time-code" maxlength="8"',
                hint="6 digits. It works once, for 10 minutes.",
            )
            + "<p><button>Show the details</button></p>"
        )
        parts.append(_form("details", csrf, enter, label_id="details-title"))
    return "".join(parts)
