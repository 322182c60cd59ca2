"""Saving the workspace to a JSON file and reading it back, so a sandbox survives restarts.

One-time tokens (triggers, response URLs) are not kept: like Slack's, they are only
good for seconds or minutes anyway.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, fields
from pathlib import Path

from .state import Channel, Ephemeral, Message, UploadedFile, User, View, Workspace

FORMAT = 1


def dump(ws: Workspace) -> dict:
    return {
        "format": FORMAT,
        "counter": ws.peek_counter(),
        "last_ts": ws.last_ts,
        "users": [asdict(u) for u in ws.users.values()],
        "channels": [asdict(c) for c in ws.channels.values()],
        "messages": [asdict(m) for ms in ws.messages.values() for m in ms],
        "ephemerals": [asdict(e) for e in ws.ephemerals],
        "modals": {
            user or "": [asdict(v) for v in stack] for user, stack in ws.modal_stacks.items()
        },
        "homes": [asdict(v) for v in ws.homes.values()],
        "files": [_file(f) for f in ws.files.values()],
    }


def load(ws: Workspace, data: dict) -> None:
    if data.get("format") != FORMAT:
        raise ValueError("the saved sandbox is from another version; start a new one")
    ws.users = {u["id"]: _make(User, u) for u in data["users"]}
    ws.channels = {c["id"]: _make(Channel, c) for c in data["channels"]}
    ws.clear_activity()
    for raw in data["messages"]:
        message = _make(Message, raw)
        ws.messages.setdefault(message.channel, []).append(message)
    ws.ephemerals = [_make(Ephemeral, e) for e in data["ephemerals"]]
    ws.modal_stacks = {
        (user or None): [_make(View, v) for v in stack] for user, stack in data["modals"].items()
    }
    ws.homes = {v["user"]: _make(View, v) for v in data["homes"]}
    for raw in data["files"]:
        content = raw.pop("content")
        file = _make(UploadedFile, raw)
        file.content = base64.b64decode(content) if content is not None else None
        ws.files[file.id] = file
    ws.restart_counter(data["counter"])
    ws.last_ts = data.get("last_ts", 0)


def save_file(ws: Workspace, path: Path) -> None:
    """Write atomically: a crash mid-save leaves the previous state, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(dump(ws)), encoding="utf-8")
    os.replace(temporary, path)


def load_file(ws: Workspace, path: Path) -> bool:
    if not path.exists():
        return False
    load(ws, json.loads(path.read_text(encoding="utf-8")))
    return True


def _file(file: UploadedFile) -> dict:
    raw = asdict(file)
    raw["content"] = base64.b64encode(file.content).decode() if file.content is not None else None
    return raw


def _make(kind, raw: dict):
    known = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in raw.items() if k in known})
