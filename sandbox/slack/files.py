"""Slack's current upload flow: files.getUploadURLExternal, a POST of the bytes, then
files.completeUploadExternal to share them (files.upload is retired)."""

from __future__ import annotations

import json

from .args import int_arg, text_arg
from .chat import postable_channel, thread_parent
from .errors import SlackError, invalid_arguments
from .state import UploadedFile, Workspace

MAX_BYTES = 1024 * 1024 * 1024  # Slack's 1 GB


def get_upload_url(ws: Workspace, args: dict) -> dict:
    length = int_arg(args, "length", default=0, error="invalid_arguments")
    if length <= 0 or length > MAX_BYTES:
        raise invalid_arguments("length must be the file's size in bytes")
    name = text_arg(args, "filename")
    file = UploadedFile(
        id=ws.new_id("F"),
        name=name,
        title=name,
        length=length,
        alt_text=text_arg(args, "alt_txt") or None,
    )
    ws.files[file.id] = file
    return {"upload_url": f"{ws.base_url}/upload/{file.id}", "file_id": file.id}


def receive_upload(ws: Workspace, file_id: str, content: bytes, content_type: str) -> bool:
    """The bytes POSTed to an upload_url; refused when unknown, complete, or the wrong size."""
    file = ws.files.get(file_id)
    if file is None or file.completed or len(content) != file.length:
        return False
    file.content = content
    file.mimetype = _mimetype(file.name, content_type)
    return True


def complete_upload(ws: Workspace, args: dict) -> dict:
    entries = args.get("files")
    if isinstance(entries, str):
        try:
            entries = json.loads(entries)
        except ValueError:
            raise invalid_arguments("files must be a JSON list") from None
    if not isinstance(entries, list) or not entries:
        raise invalid_arguments("files must be a non-empty list of {id, title}")
    files = []
    for entry in entries:
        file = ws.files.get(entry.get("id", "")) if isinstance(entry, dict) else None
        if file is None or file.content is None or file.completed:
            raise SlackError("file_not_found")
        file.title = entry.get("title") or file.title
        files.append(file)
    channel_id = text_arg(args, "channel_id")
    if channel_id:
        channel = postable_channel(ws, {"channel": channel_id})
        thread_ts = thread_parent(ws, channel, args)
        ws.post(
            channel.id,
            user=ws.bot_user_id,
            text=text_arg(args, "initial_comment"),
            blocks=[],
            thread_ts=thread_ts,
            files=[file.id for file in files],
        )
    for file in files:
        file.completed = True
    return {"files": [file.summary(ws.base_url) for file in files]}


def _mimetype(name: str, content_type: str) -> str:
    lowered = name.lower()
    for suffix, kind in ((".png", "image/png"), (".csv", "text/csv"), (".jpg", "image/jpeg")):
        if lowered.endswith(suffix):
            return kind
    return content_type or "application/octet-stream"


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
