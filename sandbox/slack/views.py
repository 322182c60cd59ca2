"""views.* methods: modal stacks per user and one App Home per user."""

from __future__ import annotations

from . import blockkit
from .args import text_arg
from .errors import SlackError, invalid_arguments
from .state import Trigger, View, Workspace

TRIGGER_SECONDS = 3  # Slack's trigger_ids expire three seconds after the interaction
MAX_STACK = 3  # Slack's limit of stacked modals


def open_modal(ws: Workspace, args: dict) -> dict:
    trigger = _trigger(ws, args)
    spec = _view_spec(ws, args, kind="modal")
    view = _new_view(ws, trigger.user, spec, root=None, previous=None)
    # Only a successful exchange uses up the trigger, so a refused view can be fixed
    # and retried within the same three seconds.
    trigger.used = True
    # A user sees one modal stack at a time: a new modal replaces whatever was open.
    ws.modal_stacks[trigger.user] = [view]
    return {"view": view.payload}


def push(ws: Workspace, args: dict) -> dict:
    trigger = _trigger(ws, args)
    stack = ws.modal_stacks.get(trigger.user) or []
    if not stack:
        raise SlackError("not_found", ["[ERROR] no open modal to push onto"])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    spec = _view_spec(ws, args, kind="modal")
    view = _new_view(ws, trigger.user, spec, root=stack[0].id, previous=stack[-1].id)
    trigger.used = True
    stack.append(view)
    return {"view": view.payload}


def update(ws: Workspace, args: dict) -> dict:
    view_id, external_id = text_arg(args, "view_id"), text_arg(args, "external_id")
    if not view_id and not external_id:
        raise invalid_arguments("either view_id or external_id is required")
    view = ws.find_view(view_id=view_id, external_id=external_id)
    if view is None:
        raise SlackError("not_found")
    _check_hash(view, args)
    spec = _view_spec(ws, args, kind=view.payload["type"], replacing=view)
    view.payload = _payload(
        ws,
        view.id,
        spec,
        root=view.payload["root_view_id"],
        previous=view.payload["previous_view_id"],
    )
    return {"view": view.payload}


def publish(ws: Workspace, args: dict) -> dict:
    user = text_arg(args, "user_id")
    if user not in ws.users:
        raise invalid_arguments("invalid `user_id`")
    current = ws.homes.get(user)
    if current is not None:
        _check_hash(current, args)
    spec = _view_spec(ws, args, kind="home", replacing=current)
    # A user's Home keeps one view id across publishes, as in Slack.
    view_id = current.id if current else ws.new_id("V")
    ws.homes[user] = View(id=view_id, user=user, payload=_payload(ws, view_id, spec))
    return {"view": ws.homes[user].payload}


METHODS = {
    "views.open": open_modal,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}


def _trigger(ws: Workspace, args: dict) -> Trigger:
    trigger_id = text_arg(args, "trigger_id")
    if not trigger_id:
        raise invalid_arguments("missing required field: trigger_id")
    trigger = ws.triggers.get(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ws.clock() - trigger.issued_at > TRIGGER_SECONDS:
        raise SlackError("expired_trigger_id")
    return trigger


def _check_hash(view: View, args: dict) -> None:
    # The hash guards against two updates racing: a stale one is refused.
    given = text_arg(args, "hash")
    if given and given != view.hash:
        raise SlackError("hash_conflict")


def _view_spec(ws: Workspace, args: dict, *, kind: str, replacing: View | None = None) -> dict:
    """The ``view`` argument, validated as a view of ``kind``."""
    spec = args.get("view")
    if not isinstance(spec, dict):
        raise invalid_arguments("failed to parse `view` as a JSON object")
    if spec.get("type") != kind:
        raise invalid_arguments(f"view type must be {kind} [json-pointer:/view/type]")
    problems = blockkit.validate_view(spec)
    if problems:
        raise invalid_arguments(*problems)
    external_id = spec.get("external_id") or ""
    holder = ws.find_view(external_id=external_id) if external_id else None
    if holder is not None and holder is not replacing:
        raise SlackError("duplicate_external_id")
    return spec


def _new_view(ws: Workspace, user: str | None, spec: dict, *, root, previous) -> View:
    view_id = ws.new_id("V")
    return View(id=view_id, user=user, payload=_payload(ws, view_id, spec, root, previous))


def _payload(ws: Workspace, view_id: str, spec: dict, root=None, previous=None) -> dict:
    """The full view object the Web API answers, with Slack's defaults filled in."""
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "type": spec["type"],
        "title": spec.get("title"),
        "submit": spec.get("submit"),
        "close": spec.get("close"),
        "blocks": spec.get("blocks", []),
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "external_id": spec.get("external_id", ""),
        "state": {"values": {}},
        "hash": ws.new_hash(),
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "root_view_id": root or view_id,
        "previous_view_id": previous,
        "app_id": ws.app_id,
        "bot_id": ws.bot_id,
    }


def answer_submission(ws: Workspace, user: str | None, ack: dict) -> None:
    """What Slack does with the app's acknowledgement of a view_submission.

    Raises ValueError where Slack would show the user "We had some trouble connecting":
    an unknown response_action, an invalid view, or errors for blocks that are not inputs.
    """
    stack = ws.modal_stacks.get(user) or []
    if not stack:
        raise ValueError(f"{user} has no open modal to submit")
    action = ack.get("response_action") or ""
    if action == "":
        stack.pop()
    elif action == "clear":
        stack.clear()
    elif action == "errors":
        _check_submission_errors(stack[-1], ack.get("errors"))
    elif action == "update":
        top = stack[-1]
        spec = _ack_view(ws, ack, replacing=top)
        root, previous = top.payload["root_view_id"], top.payload["previous_view_id"]
        top.payload = _payload(ws, top.id, spec, root, previous)
    elif action == "push":
        if len(stack) >= MAX_STACK:
            raise ValueError("push_limit_reached")
        spec = _ack_view(ws, ack)
        stack.append(_new_view(ws, user, spec, root=stack[0].id, previous=stack[-1].id))
    else:
        raise ValueError(f"unknown response_action {action!r}")


def _ack_view(ws: Workspace, ack: dict, replacing: View | None = None) -> dict:
    try:
        return _view_spec(ws, ack, kind="modal", replacing=replacing)
    except SlackError as refusal:
        raise ValueError(f"{refusal.error}: {refusal.messages}") from None


def _check_submission_errors(view: View, errors: object) -> None:
    if not isinstance(errors, dict) or not errors:
        raise ValueError("response_action errors needs a non-empty errors object")
    inputs = {b.get("block_id") for b in view.payload["blocks"] if b.get("type") == "input"}
    unknown = set(errors) - inputs
    if unknown:
        raise ValueError(f"errors name blocks that are not inputs of the view: {sorted(unknown)}")
