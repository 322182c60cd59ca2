"""The sandbox's own routes: the page, and the JSON the page reads and posts.

Everything a persona does becomes the request Slack would send, signed with the
bot's signing secret and posted to the bot's real HTTP endpoint; what the bot
does comes back through the stand-in Web API into the workspace the page shows.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from bot.text import escape
from sandbox import requests
from sandbox.demo import Persona, network_locale
from sandbox.slack import FakeSlack
from sandbox.slack.server import Reply, Request

STATIC = Path(__file__).with_name("static")
log = logging.getLogger(__name__)


class Refusal(Exception):
    """Something to tell the person at the page, in a sentence."""


class SandboxUI:
    def __init__(
        self,
        fake: FakeSlack,
        personas: list[Persona],
        *,
        signing_secret: str,
        bot_url: Callable[[], str],
        reset: Callable[[], None],
        timezone: str = "Europe/London",
        phone: Callable[[], dict] | None = None,
        inbox: Callable[[], dict] | None = None,
    ):
        self.fake = fake
        # The residents' texts and e-mails, from the stand-in GOV.UK Notify.
        self.phone = phone
        self.inbox = inbox
        # Dates and times on the page are the network's, whatever the browser's own
        # settings: a UK network reads 05/03/2025, not 03/05/2025.
        self.dates = {"locale": network_locale(timezone), "timezone": timezone}
        self.personas = {p.id: p for p in personas}
        self.order = [p.id for p in personas]
        self.secret = signing_secret
        self.bot_url = bot_url
        self._reset = reset
        # Inline errors the app returned for a modal, by view id, until it changes.
        self.errors: dict[str, dict[str, str]] = {}

    # -- routing -----------------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        try:
            if request.method == "GET" and request.path in ("/", "/index.html"):
                return _static("index.html")
            if request.method == "GET" and request.path.startswith("/static/"):
                return _static(request.path.removeprefix("/static/"))
            if request.method == "GET" and request.path == "/sandbox/phone":
                return Reply(200, self.phone() if self.phone else {"recipients": []})
            if request.method == "GET" and request.path == "/sandbox/inbox":
                return Reply(200, self.inbox() if self.inbox else {"recipients": []})
            if request.method == "GET" and request.path == "/sandbox/state":
                query = {k: v[-1] for k, v in parse_qs(request.query).items()}
                return Reply(200, self.state(**_only(query, "as", "conv", "thread")))
            if request.method == "POST" and request.path.startswith("/sandbox/"):
                verb = request.path.removeprefix("/sandbox/")
                handler = self.VERBS.get(verb)
                if handler is None:
                    return Reply(404, {"ok": False, "error": f"No such sandbox action: {verb}."})
                body = json.loads(request.body or b"{}")
                return Reply(200, {"ok": True, **(handler(self, body) or {})})
            return Reply(404, "not_found")
        except Refusal as refusal:
            return Reply(200, {"ok": False, "error": str(refusal)})
        except (ValueError, KeyError, TypeError) as error:
            log.warning("sandbox request refused: %s", error)
            return Reply(400, {"ok": False, "error": f"That request was not understood ({error})."})

    # -- what the page shows ----------------------------------------------------------

    def state(self, *, as_: str = "", conv: str = "", thread: str = "") -> dict:
        # Read before what it describes: a change made while this state is being put
        # together bumps the version again, so the page's next poll redraws with it.
        version = self.fake.version
        me = self.personas.get(as_) or self.personas[self.order[0]]
        users = {u["id"]: u["real_name"] for u in self.fake.users()}
        users[self.fake.bot_user_id] = APP_NAME
        channels = self.fake.channels()
        names = {c["id"]: c["name"] for c in channels if c["name"]}
        mine = [
            {"id": c["id"], "name": c["name"]}
            for c in sorted(channels, key=lambda c: c["name"] or "")
            if not c["is_im"] and me.id in c["members"]
        ]
        dm = self.fake.dm_channel(me.id)
        conversation = self._conversation(me, conv or (mine[0]["id"] if mine else "home"), users)
        modal = self._modal(me)
        return {
            "version": version,
            "team": {"name": self.fake.team_name},
            "dates": self.dates,
            "me": vars(me),
            "personas": [vars(self.personas[p]) for p in self.order],
            "users": users,
            "channels": names,
            "sidebar": {"channels": mine, "app": {"name": APP_NAME, "dm": dm}},
            "conversation": conversation,
            "thread": self._thread(me, conversation, thread, users) if thread else None,
            "modal": modal,
        }

    def _conversation(self, me: Persona, conv: str, users: dict) -> dict:
        if conv == "home":
            return {"id": "home", "name": "Home", "kind": "home", "messages": [],
                    "home": self.fake.home(me.id)}  # fmt: skip
        channel = self._channel_for(me, conv)
        messages = self.fake.dms(me.id) if channel["is_im"] else self.fake.messages(channel["id"])
        shown = [self._message(m, channel["id"], users) for m in messages]
        for ephemeral in self.fake.ephemerals(me.id):
            if ephemeral["channel"] == channel["id"] and not ephemeral.get("thread_ts"):
                shown.append({**self._message(ephemeral, channel["id"], users), "ephemeral": True})
        shown.sort(key=lambda m: float(m["ts"]))
        kind = "dm" if channel["is_im"] else "channel"
        name = APP_NAME if channel["is_im"] else channel["name"]
        return {"id": channel["id"], "name": name, "kind": kind, "messages": shown}

    def _channel_for(self, me: Persona, conv: str) -> dict:
        if conv == self.fake.dm_channel(me.id):
            self.fake.dms(me.id)  # makes sure the DM exists
        for channel in self.fake.channels():
            if channel["id"] == conv:
                if me.id not in channel["members"]:
                    raise Refusal(f"{me.name} is not in that channel.")
                return channel
        if conv == self.fake.dm_channel(me.id):
            return {"id": conv, "name": None, "is_im": True, "members": [me.id]}
        raise Refusal("That conversation does not exist.")

    def _message(self, message: dict, channel: str, users: dict) -> dict:
        replies = [] if message.get("thread_ts") else self._replies(channel, message["ts"])
        return {
            "ts": message["ts"],
            "user": message["user"],
            "user_name": users.get(message["user"], message["user"]),
            "text": message.get("text", ""),
            "blocks": message.get("blocks") or [],
            "files": [self._file(f) for f in message.get("files", [])],
            "reply_count": len(replies),
            "ephemeral": False,
            "edited": bool(message.get("edited")),
        }

    def _replies(self, channel: str, ts: str) -> list[dict]:
        try:
            return self.fake.thread(channel, ts)
        except KeyError:
            return []

    def _file(self, file_id: str) -> dict:
        file = self.fake.file(file_id) or {"id": file_id, "title": "missing", "mimetype": ""}
        return {
            "id": file_id,
            "title": file.get("title"),
            "mimetype": file.get("mimetype"),
            "url": f"/files/{file_id}",
        }

    def _thread(self, me: Persona, conversation: dict, ts: str, users: dict) -> dict | None:
        channel = conversation["id"]
        if conversation["kind"] == "home":
            return None
        root = next((m for m in conversation["messages"] if m["ts"] == ts), None)
        if root is None:
            return None
        replies = [self._message(r, channel, users) for r in self._replies(channel, ts)]
        for ephemeral in self.fake.ephemerals(me.id):
            if ephemeral["channel"] == channel and ephemeral.get("thread_ts") == ts:
                replies.append({**self._message(ephemeral, channel, users), "ephemeral": True})
        replies.sort(key=lambda m: float(m["ts"]))
        return {"ts": ts, "root": root, "replies": replies}

    def _modal(self, me: Persona) -> dict | None:
        stack = self.fake.open_views(me.id)
        if not stack:
            return None
        view = stack[-1]
        return {"id": view["id"], "view": view, "errors": self.errors.get(view["id"], {})}

    # -- what a persona does ----------------------------------------------------------

    def command(self, body: dict) -> dict:
        me, conv = self._persona(body), body.get("conv") or ""
        channel = self._postable(me, conv)
        text = str(body.get("text", "")).strip()
        command, _, rest = text.partition(" ")
        if command == "/handover" and me.team is not None:
            # As in Slack Connect: the app is not installed in the partner's own workspace.
            raise Refusal(
                f"/handover is not a valid command in {me.org}'s workspace: use the Refer a "
                "resident button the coordinators posted in #partners-shared."
            )
        if command != "/handover":
            raise Refusal(f"{command} is not a command here: try /handover.")
        fields = requests.slash_command(
            team=self.fake.team_id,
            user=me.id,
            channel=channel,
            text=rest.strip(),
            response_url=self.fake.response_url(me.id, channel),
            trigger_id=self.fake.issue_trigger_id(me.id),
        )
        answer = self._send(requests.form(fields))
        if answer.get("text") or answer.get("blocks"):
            # Slack shows a command's immediate answer to its sender only.
            text = answer.get("text") or "(no text)"
            self.fake.add_ephemeral(me.id, channel, text, answer.get("blocks"), source="command")
        return {}

    def message(self, body: dict) -> dict:
        me = self._persona(body)
        channel = self._postable(me, body.get("conv") or "")
        text = str(body.get("text", "")).strip()
        if not text:
            raise Refusal("Type a message first.")
        thread = body.get("thread_ts") or None
        # Slack escapes what a person types before anyone reads it.
        self.fake.add_message(channel, escape(text), user=me.id, thread_ts=thread)
        return {}

    def action(self, body: dict) -> dict:
        me = self._persona(body)
        action = dict(body["action"])
        surface = body.get("surface", "message")
        trigger = self.fake.issue_trigger_id(me.id)
        if surface == "home":
            view = self.fake.home(me.id)
            if view is None:
                raise Refusal("App Home has not loaded yet.")
            payload = requests.block_actions(
                team=self.fake.team_id, user=me.id, trigger_id=trigger, action=action, view=view
            )
        elif surface == "modal":
            view = self._open_view(me, body.get("view_id"))
            payload = requests.block_actions(
                team=self.fake.team_id, user=me.id, trigger_id=trigger, action=action, view=view
            )
        else:
            channel = self._channel_for(me, body.get("conv") or "")["id"]
            message = self._find_message(me, channel, body.get("message_ts") or "")
            payload = requests.block_actions(
                team=self.fake.team_id,
                user=me.id,
                trigger_id=trigger,
                action=action,
                channel=channel,
                message=message,
                response_url=self.fake.response_url(me.id, channel, message["ts"]),
            )
        self._send(requests.interaction(_as_member(me, payload)))
        return {}

    def submit(self, body: dict) -> dict:
        me = self._persona(body)
        view = self._open_view(me, body.get("view_id"))
        payload = requests.view_submission(
            team=self.fake.team_id,
            user=me.id,
            trigger_id=self.fake.issue_trigger_id(me.id),
            view=view,
            values=body.get("values") or {},
        )
        answer = self._send(requests.interaction(_as_member(me, payload)))
        try:
            self.fake.answer_view_submission(me.id, answer)
        except ValueError as error:
            raise Refusal(f"Slack would not show the app's answer: {error}") from None
        if answer.get("response_action") == "errors":
            self.errors[view["id"]] = answer.get("errors") or {}
            return {"errors": self.errors[view["id"]]}
        self.errors.pop(view["id"], None)
        return {}

    def close(self, body: dict) -> dict:
        me = self._persona(body)
        view = self._open_view(me, body.get("view_id"))
        self.errors.pop(view["id"], None)
        self._closed(me.id, [self.fake.close_modal(me.id)], is_cleared=False)
        return {}

    def reload(self, body: dict) -> dict:
        """The page was opened or reloaded: it is every persona's Slack client, and a
        reloaded Slack client closes the modals that were open in it."""
        for user, views in self.fake.close_all_modals().items():
            for view in views:
                self.errors.pop(view["id"], None)
            self._closed(user, views, is_cleared=True)
        return {}

    def home(self, body: dict) -> dict:
        me = self._persona(body)
        payload = requests.app_home_opened(
            team=self.fake.team_id, user=me.id, dm_channel=self.fake.dm_channel(me.id)
        )
        self._send(requests.event(payload))
        return {}

    def reset(self, body: dict) -> dict:
        self.errors.clear()
        self._reset()
        return {}

    VERBS = {
        "command": command,
        "message": message,
        "action": action,
        "submit": submit,
        "close": close,
        "reload": reload,
        "home": home,
        "reset": reset,
    }

    # -- shared steps ------------------------------------------------------------------

    def _persona(self, body: dict) -> Persona:
        persona = self.personas.get(body.get("as") or "")
        if persona is None:
            raise Refusal("Choose who you are in the persona menu first.")
        return persona

    def _postable(self, me: Persona, conv: str) -> str:
        if conv == "home":
            raise Refusal("Type commands in a channel or in the app's Messages tab.")
        return self._channel_for(me, conv)["id"]

    def _open_view(self, me: Persona, view_id: str | None) -> dict:
        stack = self.fake.open_views(me.id)
        view = next((v for v in stack if v["id"] == view_id), None)
        if view is None:
            raise Refusal("That form is no longer open.")
        return view

    def _find_message(self, me: Persona, channel: str, ts: str) -> dict:
        candidates = (
            self.fake.dms(me.id) if channel.startswith("D") else self.fake.messages(channel)
        )
        for message in candidates:
            if message["ts"] == ts:
                return message
            for reply in self._replies(channel, message["ts"]):
                if reply["ts"] == ts:
                    return reply
        for ephemeral in self.fake.ephemerals(me.id):  # buttons in "only visible to you" replies
            if ephemeral["channel"] == channel and ephemeral["ts"] == ts:
                return {**ephemeral, "is_ephemeral": True}
        raise Refusal("That message is gone.")

    def _closed(self, user: str | None, views: list[dict], *, is_cleared: bool) -> None:
        """Tell the bot of closed views that asked to know; Slack shows the person nothing
        whatever the bot answers, so neither does the page."""
        for view in views:
            if not view.get("notify_on_close") or user is None:
                continue
            payload = requests.view_closed(
                team=self.fake.team_id, user=user, view=view, is_cleared=is_cleared
            )
            try:
                self._send(requests.interaction(payload))
            except Refusal as refusal:
                log.warning("view_closed for %s was not taken: %s", view["id"], refusal)

    def _send(self, encoded: tuple[str, str]) -> dict:
        """POST to the bot's endpoint as Slack does, and return its acknowledgement."""
        body, content_type = encoded
        headers = {**requests.sign(body, secret=self.secret), "Content-Type": content_type}
        request = urllib.request.Request(self.bot_url(), data=body.encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read().decode()
        except urllib.error.HTTPError as error:
            raise Refusal(f"The bot answered {error.code}: Slack would show an error.") from None
        except OSError as error:
            raise Refusal(f"The bot did not answer ({error}).") from None
        if not raw.strip():
            return {}
        try:
            answer = json.loads(raw)
        except ValueError:
            return {"text": raw}
        return answer if isinstance(answer, dict) else {}


def _as_member(me: Persona, payload: dict) -> dict:
    """What Slack sends for someone from another organisation's workspace in a Slack
    Connect channel: their own team, and a shared channel."""
    if me.team is None:
        return payload
    payload["team"] = {"id": me.team}
    payload["user"] = {**payload["user"], "team_id": me.team}
    payload["is_ext_shared_channel"] = True
    return payload


APP_NAME = "Warm Handover"


def _static(name: str) -> Reply:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return Reply(404, "not_found")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    return Reply(200, path.read_bytes(), headers={"Cache-Control": "no-cache"}, content_type=kind)


def _only(query: dict, *names: str) -> dict:
    return {("as_" if k == "as" else k): query[k] for k in names if k in query}
