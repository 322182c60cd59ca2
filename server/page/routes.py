"""``GET /p/<token>`` and ``POST /p/<token>``: the page of one handover, for a provider
without Slack. Every answer is a whole HTML page; nothing needs JavaScript.

A token that is not the bot's is a 404, one whose handover has left the provider a 410;
a form without its CSRF token a 403; a body too big a 413, one that is not a form a 400.
None of them changes anything. Pages are never cached (the resident's details may be on
one), never sent as a referrer (the link is a secret), and never framed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from bot.byemail.links import PATH
from bot.byemail.pages import CODE, WORKER_NAME, BadLink, Page, ProviderPages
from bot.ids import Block
from server.page import html
from server.page.csrf import COOKIE, FIELD, Forms, new_browser

log = logging.getLogger(__name__)

MAX_FORM = 16 * 1024  # bytes: the biggest form is two notes of 600 characters
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
]
STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    410: "410 Gone",
    413: "413 Content Too Large",
}


def is_page(path: str) -> bool:
    return path.startswith(PATH)


def parse_day(text: str) -> date | None:
    """The date field: ISO from a date input (2026-12-14), or typed day first (14/12/2026)."""
    text = text.strip()
    for shape in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, shape).date()
        except ValueError:
            continue
    return None


class PageRoutes:
    def __init__(self, pages: ProviderPages, *, data_keys: list[str], clock, secure: bool):
        self.pages = pages
        self.forms = Forms(data_keys, clock=clock)
        self.clock = clock
        self.secure = secure

    def __call__(self, environ, start_response):
        token = environ.get("PATH_INFO", "")[len(PATH) :].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        browser = _cookie(environ)
        fresh = browser is None
        browser = browser or new_browser()
        try:
            if method in ("GET", "HEAD"):
                status, body = 200, self._show(self.pages.open(token), browser)
            elif method == "POST":
                status, body = self._post(environ, token, browser)
            else:
                status, body = 405, html.plain_problem("Not allowed", "Open the link instead.")
        except BadLink as bad:
            status, body = (410 if bad.gone else 404), html.no_longer_valid(bad.gone)
        headers = list(HEADERS)
        if method == "GET" and not token:
            status, body = 404, html.no_longer_valid(False)
        if fresh:
            headers.append(("Set-Cookie", self._cookie_header(browser)))
        if status == 405:
            headers.append(("Allow", "GET, POST"))
        start_response(STATUS[status], headers)
        return [] if method == "HEAD" else [body.encode()]

    def _cookie_header(self, browser: str) -> str:
        secure = "; Secure" if self.secure else ""
        return f"{COOKIE}={browser}; Path={PATH}; HttpOnly; SameSite=Lax{secure}"

    def _show(self, view: Page, browser: str) -> str:
        today = self.pages.today()
        contact_by = max(self.pages.default_contact_by(), today)
        return html.page(
            view,
            csrf=self.forms.token(browser, view.token),
            network=self.pages.network,
            today=today,
            contact_by=contact_by,
        )

    def _post(self, environ, token: str, browser: str) -> tuple[int, str]:
        form = _form(environ)
        if form is None:
            return 400, html.plain_problem(
                "That was not a form", "Open the link in your e-mail and use its buttons."
            )
        if form == "too big":
            return 413, html.plain_problem("That was too long", "Shorten the notes and send again.")
        if not self.forms.valid(form.get(FIELD), _cookie(environ), token):
            self.pages.check(token)  # a dead link says so before a stale form does
            return 403, html.plain_problem(
                "This form has expired",
                "It was open too long, or it was not sent from the handover's page. Nothing "
                "was changed: open the link in your e-mail again.",
            )
        action = form.get("do", "")
        pages = self.pages
        match action:
            case "accept":
                view = pages.accept(
                    token,
                    contact_by=parse_day(form.get(Block.CONTACT_BY, "")),
                    worker_name=form.get(WORKER_NAME, ""),
                )
            case "decline":
                view = pages.decline(
                    token, reason=form.get(Block.REASON, ""), note=form.get(Block.REASON_NOTE, "")
                )
                if not view.refused:  # it has left: this page has nothing more to offer
                    return 200, html.document(
                        f"{view.handover.ref} declined",
                        f'<h1>{view.handover.ref} declined</h1><p role="status">'
                        f"{html.escape(view.said)}</p>",
                    )
            case "contact":
                view = pages.contact(token)
            case "outcome":
                view = pages.outcome(
                    token,
                    outcome=form.get(Block.OUTCOME, ""),
                    note=form.get(Block.OUTCOME_NOTE, ""),
                )
            case "code":
                view = pages.send_code(token)
            case "details":
                view = pages.with_code(token, form.get(CODE, ""))
            case _:
                return 400, html.plain_problem(
                    "That was not a form", "Open the link in your e-mail and use its buttons."
                )
        return 200, self._show(view, browser)


def _cookie(environ) -> str | None:
    try:
        jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _form(environ) -> dict[str, str] | str | None:
    """The posted form's fields (the first of each), "too big", or None if not a form."""
    kind = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > MAX_FORM:
        return "too big"
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        text = raw.decode("utf-8")
        fields = parse_qs(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in fields.items()}
