"""FakeSlack: the object tests hold. Seeds the workspace, records calls, injects failures."""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import chat, files, methods, persist
from .errors import SlackError
from .oauth import Installs, OAuthApp, Team, with_client_credentials
from .server import RESPONSE_URL_PREFIX, OtherHandler, Reply, Request, Server
from .socket import SocketMode
from .state import Channel, Ephemeral, User, Workspace
from .views import answer_submission

# Socket Mode's one Web API method. Not in methods.json (the reference it is extracted
# from has no apps.* methods); it takes no arguments beyond the app-level token.
CONNECTIONS_OPEN = "apps.connections.open"


@dataclass(frozen=True)
class Call:
    """One request the app made, whether Slack would have accepted it or not."""

    method: str
    args: dict  # without the token
    ok: bool
    error: str | None = None
    at: float = 0.0  # when it arrived (the fake's clock): pacing is checked with it
    team: str | None = None  # the team the call's token speaks for (None: no valid token)
    token: str = ""  # the token it came with (a stand-in's, no secret)


@dataclass(frozen=True)
class _Failure:
    error: str
    status: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        # Slack sends Retry-After only with 429; slack_sdk's retry handler sleeps on it.
        return {"Retry-After": str(self.retry_after)} if self.status == 429 else {}


class FakeSlack:
    """A fake Slack Web API on 127.0.0.1 for a real ``slack_sdk.WebClient``.

    Use as ``with FakeSlack() as fake: WebClient(token=..., base_url=fake.api_url)``.
    All state is guarded by one lock: the server answers from several threads.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        *,
        team_name: str = "Fake Workspace",
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
        routes: OtherHandler | None = None,
        store: Path | None = None,
        wall_clock: Callable[[], float] | None = None,
        app_token: str = "xapp-1-A0SANDBOX-test",
    ):
        self.bot_token = bot_token
        # The app-level token: apps.connections.open takes it, and nothing else does.
        self.app_token = app_token
        # Socket Mode's WebSocket server, started the first time a connection is asked for.
        self._socket = SocketMode(clock=clock)
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.team_name = team_name
        self._lock = threading.RLock()
        self._ws = Workspace(
            team_id=team_id, team_name=team_name, bot_user_id=bot_user_id, clock=clock
        )
        self._ws.wall_clock = wall_clock
        # Other teams, and the app installed in them (sandbox/slack/oauth.py).
        self._installs = Installs(Team(team_id, team_name, bot_user_id), bot_token)
        self._ws.installs = self._installs
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._slow: dict[str, deque[float]] = defaultdict(deque)
        self._server: Server | None = None
        self._port = port
        # Other paths (the sandbox's pages) are handed to ``routes``.
        self.routes = routes
        # Where the workspace is saved after every change (the sandbox); None: memory only.
        self._store = store
        self._saving_deferred = False
        # Bumped on every change, so a page can tell when to redraw.
        self.version = 0
        if store is None or not persist.load_file(self._ws, store):
            self.add_user(bot_user_id, name="bot", real_name="Warm handover bot", is_bot=True)

    # lifecycle

    def start(self) -> FakeSlack:
        self._server = Server(self._on_api, self._on_response_url, self._on_other, self._port)
        self._ws.base_url = self._server.base_url
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._socket.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return self._server.base_url

    @property
    def socket_mode(self) -> SocketMode:
        """The stand-in Socket Mode: envelopes go to the app over it, acks come back."""
        with self._lock:
            if not self._socket.started:
                self._socket.start()
        return self._socket

    @property
    def api_url(self) -> str:
        """For ``WebClient(base_url=...)``, which expects the trailing slash."""
        return f"{self.base_url}/api/"

    # seeding the workspace

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        is_bot: bool = False,
        *,
        display_name: str | None = None,
        tz: str = "Europe/London",
        email: str | None = None,
    ) -> None:
        user = User(
            id=user_id,
            name=name,
            real_name=real_name or name,
            display_name=display_name if display_name is not None else name,
            is_bot=is_bot,
            tz=tz,
            email=email,
        )
        with self._lock:
            self._ws.users[user_id] = user
            self._changed()

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str] | tuple[str, ...] = (),
        is_private: bool = False,
        bot_is_member: bool = True,
        *,
        team: str | None = None,
    ) -> None:
        """A channel; when ``bot_is_member`` the bot is listed last among its members.
        ``team``: it is in that other team (``add_team``), for its tokens only."""
        member_ids = [m for m in members if m != self.bot_user_id]
        if bot_is_member:
            member_ids.append(self.bot_user_id)
        with self._lock:
            self._ws.channels[channel_id] = Channel(
                id=channel_id,
                name=name,
                members=member_ids,
                is_private=is_private,
                team=team if team != self.team_id else None,
            )
            self._changed()

    # other teams, and installing the app in them

    def add_team(self, team_id: str, name: str, *, bot_user_id: str | None = None) -> None:
        """Another Slack team (a partner's workspace), where the app may be installed."""
        with self._lock:
            bot = bot_user_id or f"UBOT{team_id.removeprefix('T')}"
            self._installs.teams[team_id] = Team(team_id, name, bot)

    def add_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        scope: str = "commands,chat:write",
        rotation: bool = False,
        expires_in: int = 43200,
    ) -> None:
        """The app's credentials (distributable): ``oauth.v2.access`` takes these."""
        with self._lock:
            self._installs.apps[client_id] = OAuthApp(
                app_id=self._ws.app_id,
                client_id=client_id,
                client_secret=client_secret,
                scope=scope,
                rotation=rotation,
                expires_in=expires_in,
            )

    def grant(self, client_id: str, team: str, user: str, redirect_uri: str | None = None) -> str:
        """An admin of ``team`` approved the install at slack.com: the one-time code Slack
        puts in the redirect back to the app."""
        with self._lock:
            if team not in self._installs.teams:
                raise KeyError(f"no team {team!r} in the fake (add_team first)")
            return self._installs.grant(client_id, team, user, redirect_uri)

    def uninstall(self, team: str) -> None:
        """The team removed the app: its tokens stop working (the app hears by event)."""
        with self._lock:
            self._installs.revoke(team)

    def expire_tokens(self, team: str) -> None:
        """The team's rotating tokens have expired, as 12 hours on."""
        with self._lock:
            self._installs.expire(team)

    def tokens_of(self, team: str) -> list[str]:
        """The tokens that speak for ``team`` now, oldest first."""
        with self._lock:
            return [t for t, owner in self._installs.tokens.items() if owner == team]

    def add_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None
    ) -> str:
        """A message someone else posted (e.g. a thread to reply in); returns its ts."""
        with self._lock:
            posted = self._ws.post(
                self._channel_id(channel), user=user, text=text, blocks=[], thread_ts=thread_ts
            )
            self._changed()
            return posted.ts

    # tokens that Slack hands the app inside interaction payloads

    def issue_trigger_id(self, user: str | None = None) -> str:
        """A trigger_id good for one views.open/views.push within 3 s (of the fake's clock).

        Modals opened with it belong to ``user`` (see ``open_views``).
        """
        with self._lock:
            return self._ws.issue_trigger(user).id

    def response_url(self, user: str, channel: str, message_ts: str | None = None) -> str:
        """A response_url for an interaction by ``user`` in ``channel``.

        ``message_ts`` names the message the interaction came from (in the channel, or an
        ephemeral one shown to ``user``), which ``replace_original`` / ``delete_original``
        act on. Without it (a slash command's URL) there is no original: as in Slack,
        ``replace_original`` is ignored and ``delete_original`` finds nothing.
        """
        with self._lock:
            url = self._ws.issue_response_url(user, self._channel_id(channel), message_ts)
        return f"{self.base_url}{RESPONSE_URL_PREFIX}{url.token}"

    def answer_view_submission(self, user: str | None, ack: dict | None = None) -> None:
        """Apply the app's ack of a view_submission to the user's modal stack, as Slack does.

        ``{}`` closes the top modal, ``response_action`` "clear" closes them all, "update"
        and "push" show ``ack["view"]``, "errors" keeps the modal. Raises ValueError where
        Slack would show the user an error instead.
        """
        with self._lock:
            try:
                answer_submission(self._ws, user, ack or {})
            finally:
                self._changed()

    # failure injection and reset

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail before anything else is checked.

        ``status`` defaults to 429 (with a Retry-After header) for "ratelimited" and to
        200 otherwise, which is how Slack reports ordinary errors.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        with self._lock:
            self._failures[method].extend([_Failure(error, status, retry_after)] * times)

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` do their work, then answer only after
        ``seconds``: a client that gives up first cannot tell whether the call happened."""
        with self._lock:
            self._slow[method].extend([seconds] * times)

    def reset(self) -> None:
        """Forget calls, messages, views, tokens and pending failures; keep users/channels."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._slow.clear()
            self._ws.clear_activity()
            self._installs.clear()
            self._socket.reset()
            # Timestamps may start again from any time (the demo's history is in the past).
            self._ws.last_ts = 0
            self._changed()

    def add_ephemeral(
        self, user: str, channel: str, text: str, blocks: list | None = None, *, source: str
    ) -> None:
        """An ephemeral message shown to ``user`` only, e.g. a slash command's acknowledgement."""
        with self._lock:
            self._ws.ephemerals.append(
                Ephemeral(
                    ts=self._ws.next_ts(),
                    channel=self._channel_id(channel),
                    user=user,
                    text=text,
                    blocks=blocks or [],
                    source=source,
                )
            )
            self._changed()

    def close_modal(self, user: str) -> dict:
        """The person closed their top modal (Cancel), as Slack does without asking the app.

        Returns the view that closed, for a ``view_closed`` if it asked ``notify_on_close``.
        """
        with self._lock:
            stack = self._ws.modal_stacks.get(user) or []
            if not stack:
                raise ValueError(f"{user} has no open modal to close")
            closed = stack.pop()
            self._changed()
            return copy.deepcopy(closed.payload)

    def close_all_modals(self) -> dict[str | None, list[dict]]:
        """Every open modal closes, as when the Slack client they were open in reloads.

        Returns the closed views by user, top of each stack first.
        """
        with self._lock:
            closed = {
                user: [copy.deepcopy(view.payload) for view in reversed(stack)]
                for user, stack in self._ws.modal_stacks.items()
                if stack
            }
            self._ws.modal_stacks.clear()
            self._changed()
            return closed

    def users(self) -> list[dict]:
        with self._lock:
            return [dict(vars(user)) for user in self._ws.users.values()]

    def channels(self) -> list[dict]:
        """Every channel and DM: {id, name, members, is_private, is_im, im_user}."""
        with self._lock:
            return [
                {**vars(channel), "members": list(channel.members), "is_im": channel.is_im}
                for channel in self._ws.channels.values()
            ]

    def file(self, file_id: str) -> dict | None:
        """An uploaded file's summary and bytes."""
        with self._lock:
            file = self._ws.files.get(file_id)
            if file is None:
                return None
            return {**file.summary(self.base_url), "content": file.content}

    # what the app did

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str) -> list[dict]:
        """Top-level messages now in ``channel`` (a channel id, DM id or user id).

        Raises KeyError for a channel the fake does not know, to catch typos in tests.
        """
        with self._lock:
            return self._summaries(self._ws.top_level(self._channel_id(channel)))

    def thread(self, channel: str, ts: str) -> list[dict]:
        """Replies to the message ``ts`` in ``channel``, oldest first."""
        with self._lock:
            return self._summaries(self._ws.replies(self._channel_id(channel), ts))

    def dm_channel(self, user: str) -> str:
        return self._ws.dm_channel_id(user)

    def dms(self, user: str) -> list[dict]:
        return self.messages(self.dm_channel(user))

    def ephemerals(self, user: str) -> list[dict]:
        with self._lock:
            return self._summaries(e for e in self._ws.ephemerals if e.user == user)

    @property
    def views(self) -> dict[str, dict]:
        """Open modals by view id: {"id", "user", "view", "hash", "external_id", "stack"}."""
        with self._lock:
            return {
                view.id: {
                    "id": view.id,
                    "user": view.user,
                    "view": copy.deepcopy(view.payload),
                    "hash": view.hash,
                    "external_id": view.external_id,
                    "stack": [v.id for v in stack],
                }
                for stack in self._ws.modal_stacks.values()
                for view in stack
            }

    def open_views(self, user: str | None) -> list[dict]:
        """The user's modal stack, root first, top (the visible one) last."""
        with self._lock:
            stack = self._ws.modal_stacks.get(user, [])
            return [copy.deepcopy(view.payload) for view in stack]

    def home(self, user: str) -> dict | None:
        """The view last published to the user's App Home."""
        with self._lock:
            view = self._ws.homes.get(user)
            return copy.deepcopy(view.payload) if view else None

    # request handling (called from server threads)

    def _on_api(self, method: str, args: dict, authorization: str) -> Reply:
        with self._lock:
            reply = self._answer_api(method, args, authorization)
            token = _token(args, authorization)
            self._record(method, args, reply, team=self._installs.team_of(token), token=token)
            self._changed()
            pending = self._slow.get(method)
            delay = pending.popleft() if pending else 0.0
        if delay:
            time.sleep(delay)  # done, but the answer is late (outside the lock)
        return reply

    def _on_other(self, request: Request) -> Reply:
        """Uploads and files here; anything else to the sandbox's routes, if any."""
        kind, _, file_id = request.path.strip("/").partition("/")
        if kind == "upload" and request.method == "POST":
            with self._lock:
                content_type = request.headers.get("Content-Type", "")
                ok = files.receive_upload(self._ws, file_id, request.body, content_type)
                self._changed()
            return Reply(200, "OK - uploaded") if ok else Reply(404, "upload_not_found")
        if kind == "files" and request.method == "GET":
            with self._lock:
                file = self._ws.files.get(file_id)
                if file is None or file.content is None:
                    return Reply(404, "file_not_found")
                return Reply(200, file.content, content_type=file.mimetype)
        if self.routes is not None:
            return self.routes(request)
        return Reply(404, "not_found")

    @contextmanager
    def saving_once(self) -> Iterator[FakeSlack]:
        """Save the workspace once at the end instead of after every change: for many
        messages at once (the demo's history), where saving each time would be slow."""
        with self._lock:
            self._saving_deferred = True
        try:
            yield self
        finally:
            with self._lock:
                self._saving_deferred = False
                self._changed()

    def _changed(self) -> None:
        """Called, holding the lock, after anything that may have changed the workspace."""
        self.version += 1
        if self._store is not None and not self._saving_deferred:
            persist.save_file(self._ws, self._store)

    def _answer_api(self, method: str, args: dict, authorization: str) -> Reply:
        failure = self._take_failure(method)
        if failure is not None:
            return Reply(failure.status, {"ok": False, "error": failure.error}, failure.headers())
        try:
            if method == CONNECTIONS_OPEN:
                self._authenticate(args, authorization, app_level=True)
                return Reply(200, {"ok": True, "url": self.socket_mode.open_url()})
            if not methods.is_known(method):
                raise SlackError("unknown_method")
            if method == "oauth.v2.access":  # the app's credentials instead of a token
                args = with_client_credentials(args, authorization)
                return Reply(200, methods.dispatch(self._ws, method, args))
            team = self._authenticate(args, authorization)
            self._check_team(team, args)
            if method == "auth.test" and team != self.team_id:
                return Reply(200, {"ok": True, **self._installs.auth_test(team)})
            return Reply(200, methods.dispatch(self._ws, method, args))
        except SlackError as refusal:
            return Reply(200, refusal.body())

    def _authenticate(self, args: dict, authorization: str, *, app_level: bool = False) -> str:
        """The team the call's token speaks for: a bot token for the Web API's methods, the
        app-level token for Socket Mode's apps.connections.open; either one for the other is
        refused as Slack does."""
        token = _token(args, authorization)
        if not token:
            raise SlackError("not_authed")
        if token.startswith("xapp-") != app_level:
            raise SlackError("not_allowed_token_type")
        if app_level:
            if token != self.app_token:
                raise SlackError("invalid_auth")
            return self.team_id
        return self._installs.check(token)

    def _check_team(self, team: str, args: dict) -> None:
        """Another team's token sees only that team's channels, as in Slack."""
        channel = args.get("channel")
        if isinstance(channel, str) and channel:
            found = self._ws.resolve_channel(channel)
            if found is not None and not found.is_im and (found.team or self.team_id) != team:
                raise SlackError("channel_not_found")

    def _on_response_url(self, token: str, payload: dict) -> Reply:
        with self._lock:
            url = self._ws.response_urls.get(token)
            where = {"user": url.user, "channel": url.channel} if url else {}
            failure = self._take_failure("response_url")
            if failure is not None:
                reply = Reply(failure.status, failure.error, failure.headers())
            else:
                reply = self._answer_response_url(token, payload)
            self._record("response_url", {**payload, **where}, reply)
            self._changed()  # a reply shown, replaced or deleted: the page redraws
            return reply

    def _answer_response_url(self, token: str, payload: dict) -> Reply:
        try:
            chat.respond(self._ws, chat.use_response_url(self._ws, token), payload)
        except SlackError as refusal:
            return Reply(refusal.status, refusal.error)
        return Reply(200, "ok")

    def _take_failure(self, method: str) -> _Failure | None:
        pending = self._failures.get(method)
        return pending.popleft() if pending else None

    def _record(
        self, method: str, args: dict, reply: Reply, *, team: str | None = None, token: str = ""
    ) -> None:
        if isinstance(reply.body, dict):
            ok, error = bool(reply.body.get("ok")), reply.body.get("error")
        else:  # response_url answers are plain text: "ok" or the error name
            ok = reply.status == 200
            error = None if ok else reply.body
        recorded = {k: v for k, v in copy.deepcopy(args).items() if k != "token"}
        recorded.pop("client_secret", None)
        self._calls.append(
            Call(method, recorded, ok, error, at=self._ws.clock(), team=team, token=token)
        )

    # helpers

    def _channel_id(self, channel: str) -> str:
        found = self._ws.resolve_channel(channel)
        if found is None:
            raise KeyError(f"no channel {channel!r} in the fake workspace")
        return found.id

    @staticmethod
    def _summaries(items) -> list[dict]:
        return [copy.deepcopy(item.summary()) for item in items]


def _token(args: dict, authorization: str) -> str:
    if authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    token = args.get("token")
    return token if isinstance(token, str) else ""
