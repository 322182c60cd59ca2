"""Notify's v2 API paths, answered from the fake's state; and the sandbox's read-only view.

Every ``/v2/`` request is authenticated first, then (for sends) meets any injected fault,
then Notify's checks; each is recorded with how it was answered. ``/_sandbox/messages``
is apart from the API: no token, for the sandbox's page on localhost only.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .auth import authenticate
from .errors import NotifyError, bad_request, not_found, unexpected_properties, validation_errors
from .records import FAILED_STATUSES, FILTER_STATUSES, NOTIFICATION_TYPES, ApiRequest, Notification
from .sending import judge, parse_json
from .server import DROP, Reply, Request

if TYPE_CHECKING:
    from .fake import FakeNotify

SANDBOX_MESSAGES_PATH = "/_sandbox/messages"
# Notify answers at most this many notifications a page.
PAGE_SIZE = 250
_NOT_FOUND = {
    "result": "error",
    "message": "The requested URL was not found on the server. If you entered the URL "
    "manually please check your spelling and try again.",
}
_NOT_ALLOWED = {"result": "error", "message": "The method is not allowed for the requested URL."}
_SEND = re.compile(r"^/v2/notifications/(sms|email|letter)$")
_NOTIFICATION = re.compile(r"^/v2/notifications/([^/]+)$")
_TEMPLATE = re.compile(r"^/v2/template/([^/]+)(?:/version/(\d+))?$")
_PREVIEW = re.compile(r"^/v2/template/([^/]+)/preview$")
_LIST_PARAMETERS = ("reference", "status", "template_type", "include_jobs", "older_than")


def handle(fake: FakeNotify, request: Request):
    if request.path == SANDBOX_MESSAGES_PATH and request.method == "GET":
        return Reply(200, sandbox_messages(fake))
    if not request.path.startswith("/v2/"):
        return Reply(404, _NOT_FOUND)
    send = _SEND.match(request.path) if request.method == "POST" else None
    kind = send.group(1) if send and send.group(1) != "letter" else None
    at = fake.clock()
    if fake.unreachable:
        fake.record_request(_record(request, kind, at, None))
        return DROP
    delay = 0.0
    try:
        authenticate(request.header("Authorization"), fake.service_id, fake.keys(), at)
        if kind:
            fault = fake.take_fault(kind)
            if fault is not None and fault.error is not None:
                raise fault.error
            delay = fault.delay if fault is not None else 0.0
        reply = _route(fake, request, kind)
    except NotifyError as refusal:
        reply = Reply(refusal.status, refusal.body())
    fake.record_request(_record(request, kind, at, reply))
    if delay:
        fake.pause(delay)
    return reply


def _record(request: Request, kind: str | None, at: float, reply: Reply | None) -> ApiRequest:
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        body = None
    error = message = None
    if reply is not None and reply.status >= 400 and isinstance(reply.body, dict):
        first = (reply.body.get("errors") or [{}])[0]
        error = first.get("error")
        message = first.get("message", reply.body.get("message"))
    return ApiRequest(
        method=request.method,
        path=request.path,
        query={
            name: values[0] if len(values) == 1 else values
            for name, values in request.query.items()
        },
        body=body if isinstance(body, dict) else None,
        status=reply.status if reply is not None else None,
        error=error,
        message=message,
        kind=kind,
        at=at,
    )


def _route(fake: FakeNotify, request: Request, kind: str | None) -> Reply:
    path, method = request.path, request.method
    if kind:
        return _send(fake, kind, request)
    if method == "POST" and path == "/v2/notifications/letter":
        raise bad_request("Service is not allowed to send letters")
    if path == "/v2/notifications":
        return _list(fake, request) if method == "GET" else Reply(405, _NOT_ALLOWED)
    if (preview := _PREVIEW.match(path)) and method == "POST":
        return _preview(fake, preview.group(1), request)
    if (one := _NOTIFICATION.match(path)) and method == "GET":
        return Reply(200, _one(fake, one.group(1)))
    if (template := _TEMPLATE.match(path)) and method == "GET":
        return Reply(200, _template(fake, template.group(1), template.group(2)))
    if path == "/v2/templates" and method == "GET":
        return _templates(fake, request)
    return Reply(404, _NOT_FOUND)


def _send(fake: FakeNotify, kind: str, request: Request) -> Reply:
    data = parse_json(request.body)
    draft = judge(kind, data, fake.service)
    notification = fake.accept(draft)
    root = f"{fake.base_url}/"
    if kind == "sms":
        content = {"from_number": notification.sender, "body": notification.body}
    else:
        content = {
            "from_email": notification.sender,
            "body": notification.body,
            "subject": notification.subject,
            "one_click_unsubscribe_url": data.get("one_click_unsubscribe_url"),
        }
    return Reply(
        201,
        {
            "id": notification.id,
            "reference": notification.reference,
            "uri": f"{root}v2/notifications/{notification.id}",
            "template": {
                "id": notification.template_id,
                "version": notification.template_version,
                "uri": _template_uri(fake, notification.template_id),
            },
            "scheduled_for": None,
            "content": content,
        },
    )


def _template_uri(fake: FakeNotify, template_id: str) -> str:
    return f"{fake.base_url}/services/{fake.service_id}/templates/{template_id}"


def _serialise(fake: FakeNotify, notification: Notification) -> dict:
    return notification.serialise(_template_uri(fake, notification.template_id))


def _one(fake: FakeNotify, notification_id: str) -> dict:
    if not _is_uuid(notification_id):
        raise validation_errors(["notification_id is not a valid UUID"])
    try:
        return _serialise(fake, fake.notification(str(uuid.UUID(notification_id))))
    except KeyError:
        raise not_found() from None


def _list(fake: FakeNotify, request: Request) -> Reply:
    query = request.query
    statuses = query.get("status", [])
    types = query.get("template_type", [])
    reference = query.get("reference", [None])[0]
    older_than = query.get("older_than", [None])[0]
    include_jobs = query.get("include_jobs", [None])[0]
    problems = [
        f"status {s} is not one of [{', '.join(FILTER_STATUSES)}]"
        for s in statuses
        if s not in FILTER_STATUSES
    ]
    problems += [
        f"template_type {t} is not one of [{', '.join(NOTIFICATION_TYPES)}]"
        for t in types
        if t not in NOTIFICATION_TYPES
    ]
    if include_jobs is not None and include_jobs not in ("true", "True"):
        problems.append(f"include_jobs {include_jobs} is not one of [true, True]")
    if older_than is not None and not _is_uuid(older_than):
        problems.append("older_than is not a valid UUID")
    unexpected = [name for name in query if name not in _LIST_PARAMETERS]
    if unexpected:
        problems.append(unexpected_properties(unexpected))
    if problems:
        raise validation_errors(problems)

    wanted = {s for s in statuses if s != "failed"} | (
        set(FAILED_STATUSES) if "failed" in statuses else set()
    )
    found = sorted(fake.notifications(), key=lambda n: n.seq, reverse=True)  # newest first
    if older_than is not None:
        marker = next((n for n in found if n.id == str(uuid.UUID(older_than))), None)
        found = [n for n in found if marker is not None and n.seq < marker.seq]
    found = [
        n
        for n in found
        if (not wanted or n.status in wanted)
        and (not types or n.type in types)
        and (reference is None or n.reference == reference)
    ][:PAGE_SIZE]

    asked = {name: values for name, values in query.items()}
    links = {"current": f"{fake.base_url}/v2/notifications?{urlencode(asked, doseq=True)}"}
    if found:
        onward = {**asked, "older_than": [found[-1].id]}
        links["next"] = f"{fake.base_url}/v2/notifications?{urlencode(onward, doseq=True)}"
    return Reply(200, {"notifications": [_serialise(fake, n) for n in found], "links": links})


def _template(fake: FakeNotify, template_id: str, version: str | None) -> dict:
    if not _is_uuid(template_id):
        raise validation_errors(["id is not a valid UUID"])
    template = fake.service.templates.get(str(uuid.UUID(template_id)))
    # Only a template's latest version is kept here.
    if template is None or (version is not None and int(version) != template.version):
        raise not_found()
    return template.serialise(created_by="sandbox@notifications.service.gov.uk")


def _templates(fake: FakeNotify, request: Request) -> Reply:
    kind = request.query.get("type", [None])[0]
    templates = [
        t.serialise(created_by="sandbox@notifications.service.gov.uk")
        for t in fake.service.templates.values()
        if kind in (None, t.kind)
    ]
    return Reply(200, {"templates": templates})


def _preview(fake: FakeNotify, template_id: str, request: Request) -> Reply:
    template_data = _template(fake, template_id, None)
    template = fake.service.templates[template_data["id"]]
    data = parse_json(request.body)
    personalisation = (data.get("personalisation") or {}) if isinstance(data, dict) else {}
    missing = template.missing(personalisation)
    if missing:
        raise bad_request(f"Missing personalisation: {', '.join(missing)}")
    body, subject = template.render(personalisation)
    return Reply(
        200,
        {
            "id": template.id,
            "type": template.kind,
            "version": template.version,
            "body": body,
            "subject": subject,
            "postage": None,
            "html": None,
        },
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def sandbox_messages(fake: FakeNotify, *, templates=None, leave_out=()) -> dict:
    """Messages grouped by recipient, each group and each message newest last: those of
    ``templates`` only, if given, and none of ``leave_out``."""
    groups: dict[tuple[str, str], dict] = {}
    latest: dict[tuple[str, str], int] = {}
    for n in fake.notifications():  # oldest first
        if (templates is not None and n.template_id not in templates) or (
            n.template_id in leave_out
        ):
            continue
        key = (n.type, n.normalised_to)
        group = groups.setdefault(key, {"to": n.to, "kind": n.type, "messages": []})
        group["messages"].append(
            {
                "id": n.id,
                "kind": n.type,
                "to": n.to,
                "body": n.body,
                "subject": n.subject,
                "status": n.status,
                "reference": n.reference,
                "created_at": n.created_at,
            }
        )
        latest[key] = n.seq
    ordered = sorted(groups, key=latest.__getitem__)
    return {"version": fake.version, "recipients": [groups[key] for key in ordered]}
