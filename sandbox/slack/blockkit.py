"""Block Kit validation: Slack's documented limits as pure functions.

Each public function returns a list of problems, empty when the surface is valid. A
problem reads like Slack's own details, "must be at most 150 characters
[json-pointer:/blocks/0/text/text]", so a failing test points at the offending field.
The fake answers ``invalid_blocks`` / ``invalid_arguments`` with these as "[ERROR] ..."
response_metadata messages.
"""

from __future__ import annotations

import datetime
import re

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # modals and home tabs

BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "context",
    "actions",
    "input",
    "image",
    "rich_text",
    "file",
}
# Input blocks collect values only where there is a state to submit.
INPUT_SURFACES = {"modal", "home"}

SELECT_TYPES = {"static_select", "multi_static_select"}
CHOICE_TYPES = {"checkboxes", "radio_buttons"}
# Selects whose options come from Slack or the app's options endpoint, not the payload.
DYNAMIC_SELECT_TYPES = {
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
}
TEXT_INPUT_TYPES = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
}
PICKER_TYPES = {"datepicker", "timepicker", "datetimepicker"}
INTERACTIVE_TYPES = (
    {"button", "overflow"}
    | SELECT_TYPES
    | CHOICE_TYPES
    | DYNAMIC_SELECT_TYPES
    | TEXT_INPUT_TYPES
    | PICKER_TYPES
)
ACTIONS_ELEMENTS = INTERACTIVE_TYPES - TEXT_INPUT_TYPES
ACCESSORY_ELEMENTS = ACTIONS_ELEMENTS | {"image"}
INPUT_ELEMENTS = INTERACTIVE_TYPES - {"button", "overflow"}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate_message_blocks(blocks: object) -> list[str]:
    """Problems with the ``blocks`` of a message (chat.* or a response_url post)."""
    checker = _Checker(surface="message")
    checker.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    return checker.problems


def validate_view(view: object) -> list[str]:
    """Problems with a modal or home tab view object."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in INPUT_SURFACES:
        return ["must be one of modal, home [json-pointer:/view/type]"]
    checker = _Checker(surface=kind)
    if "blocks" not in view:
        checker.fail("/view/blocks", "missing required field")
    checker.blocks(view.get("blocks"), "/view/blocks", MAX_VIEW_BLOCKS)
    checker.view_fields(view)
    return checker.problems


class _Checker:
    """Walks one surface, collecting problems.

    block_ids must be unique across the surface; action_ids only within their block, as
    Slack documents, so modals may reuse one action_id in every input block.
    """

    def __init__(self, surface: str):
        self.surface = surface
        self.problems: list[str] = []
        self._block_ids: set[str] = set()
        self._action_ids: set[str] = set()  # of the block being checked

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{message} [json-pointer:{path}]")

    # generic field rules

    def max_len(self, value: object, limit: int, path: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(path, f"must be at most {limit} characters")

    def required(self, obj: dict, key: str, path: str) -> bool:
        if obj.get(key) in (None, "", []):
            self.fail(f"{path}/{key}", "missing required field")
            return False
        return True

    def items(self, obj: dict, key: str, path: str, *, limit: int, required=True) -> list:
        """The list at obj[key], reporting a missing, non-list or over-long one."""
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{path}/{key}", "missing required field")
            return []
        if not isinstance(value, list):
            self.fail(f"{path}/{key}", "must be an array")
            return []
        if not value and required:
            self.fail(f"{path}/{key}", "must contain at least 1 item")
        if len(value) > limit:
            self.fail(f"{path}/{key}", f"must be no more than {limit} items")
        return value

    def text(self, obj: dict, key: str, path: str, *, limit: int, plain=False, required=True):
        """The text object at obj[key]."""
        self.text_value(obj.get(key), f"{path}/{key}", limit=limit, plain=plain, required=required)

    def text_value(self, value: object, path: str, *, limit: int, plain=False, required=True):
        """A text object: plain_text or mrkdwn, non-empty, within ``limit`` characters."""
        if value is None:
            if required:
                self.fail(path, "missing required field")
            return
        if not isinstance(value, dict):
            self.fail(path, "must be a text object")
            return
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if value.get("type") not in allowed:
            self.fail(f"{path}/type", f"must be one of {', '.join(allowed)}")
        content = value.get("text")
        if not isinstance(content, str) or not content:
            self.fail(f"{path}/text", "must be a non-empty string")
        else:
            self.max_len(content, limit, f"{path}/text")

    # surfaces and blocks

    def view_fields(self, view: dict) -> None:
        self.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
        self.max_len(view.get("callback_id"), 255, "/view/callback_id")
        self.max_len(view.get("external_id"), 255, "/view/external_id")
        if self.surface != "modal":
            return
        self.text(view, "title", "/view", limit=24, plain=True)
        self.text(view, "submit", "/view", limit=24, plain=True, required=False)
        self.text(view, "close", "/view", limit=24, plain=True, required=False)
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            # Slack refuses such a modal: its input values could never be submitted.
            self.fail("/view/submit", "must be provided when the view has input blocks")

    def blocks(self, blocks: object, path: str, limit: int) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.fail(path, "must be an array")
            return
        if len(blocks) > limit:
            self.fail(path, f"must be no more than {limit} items")
        for index, block in enumerate(blocks):
            self.block(block, f"{path}/{index}")

    def block(self, block: object, path: str) -> None:
        if not isinstance(block, dict):
            self.fail(path, "must be an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"{path}/type", f"unknown block type {kind!r}")
            return
        self.unique_id(block, "block_id", self._block_ids, path)
        self._action_ids = set()
        getattr(self, f"_{kind}")(block, path)

    def unique_id(self, obj: dict, key: str, seen: set[str], path: str) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str) or not value:
            self.fail(f"{path}/{key}", "must be a non-empty string")
            return
        self.max_len(value, 255, f"{path}/{key}")
        if value in seen:
            self.fail(f"{path}/{key}", f"{key} {value!r} is already used")
        seen.add(value)

    def _section(self, block: dict, path: str) -> None:
        if block.get("text") is None and block.get("fields") is None:
            self.fail(path, "must have text or fields")
        self.text(block, "text", path, limit=3000, required=False)
        for index, field in enumerate(self.items(block, "fields", path, limit=10, required=False)):
            self.text_value(field, f"{path}/fields/{index}", limit=2000)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENTS)

    def _header(self, block: dict, path: str) -> None:
        self.text(block, "text", path, limit=150, plain=True)

    def _divider(self, block: dict, path: str) -> None:
        pass

    def _context(self, block: dict, path: str) -> None:
        for index, element in enumerate(self.items(block, "elements", path, limit=10)):
            element_path = f"{path}/elements/{index}"
            if isinstance(element, dict) and element.get("type") == "image":
                self._image_element(element, element_path)
            else:
                self.text_value(element, element_path, limit=3000)

    def _actions(self, block: dict, path: str) -> None:
        for index, element in enumerate(self.items(block, "elements", path, limit=25)):
            self.element(element, f"{path}/elements/{index}", ACTIONS_ELEMENTS)

    def _input(self, block: dict, path: str) -> None:
        if self.surface not in INPUT_SURFACES:
            self.fail(f"{path}/type", "input blocks are only allowed in modals and home tabs")
        self.text(block, "label", path, limit=2000, plain=True)
        self.text(block, "hint", path, limit=2000, plain=True, required=False)
        if self.required(block, "element", path):
            self.element(block["element"], f"{path}/element", INPUT_ELEMENTS)

    def _image(self, block: dict, path: str) -> None:
        self._image_element(block, path)
        self.text(block, "title", path, limit=2000, plain=True, required=False)

    def _rich_text(self, block: dict, path: str) -> None:
        self.items(block, "elements", path, limit=1000)

    def _file(self, block: dict, path: str) -> None:
        self.required(block, "external_id", path)
        self.required(block, "source", path)

    # elements

    def element(self, element: object, path: str, allowed: set[str]) -> None:
        if not isinstance(element, dict):
            self.fail(path, "must be an object")
            return
        kind = element.get("type")
        if kind not in allowed:
            self.fail(f"{path}/type", f"element type {kind!r} is not allowed here")
            return
        if kind == "image":
            self._image_element(element, path)
            return
        self.unique_id(element, "action_id", self._action_ids, path)
        self.text(element, "placeholder", path, limit=150, plain=True, required=False)
        self.confirm(element, path)
        if kind == "button":
            self._button(element, path)
        elif kind in SELECT_TYPES:
            self._select(element, path)
        elif kind in CHOICE_TYPES:
            self._choices(element, path)
        elif kind == "overflow":
            self.options(element, "options", path, limit=5)
        elif kind == "datepicker":
            self._datepicker(element, path)
        elif kind == "timepicker":
            self._timepicker(element, path)
        elif kind == "plain_text_input":
            self._plain_text_input(element, path)

    def _image_element(self, element: dict, path: str) -> None:
        if not element.get("image_url") and not element.get("slack_file"):
            self.fail(f"{path}/image_url", "missing required field")
        self.max_len(element.get("image_url"), 3000, f"{path}/image_url")
        if self.required(element, "alt_text", path):
            self.max_len(element["alt_text"], 2000, f"{path}/alt_text")

    def _button(self, element: dict, path: str) -> None:
        self.text(element, "text", path, limit=75, plain=True)
        self.max_len(element.get("value"), 2000, f"{path}/value")
        self.max_len(element.get("url"), 3000, f"{path}/url")
        if element.get("style") not in (None, "primary", "danger"):
            self.fail(f"{path}/style", "must be one of primary, danger")

    def confirm(self, element: dict, path: str) -> None:
        confirm = element.get("confirm")
        if confirm is None:
            return
        path = f"{path}/confirm"
        if not isinstance(confirm, dict):
            self.fail(path, "must be an object")
            return
        self.text(confirm, "title", path, limit=100, plain=True)
        self.text(confirm, "text", path, limit=300)
        self.text(confirm, "confirm", path, limit=30, plain=True)
        self.text(confirm, "deny", path, limit=30, plain=True)
        if confirm.get("style") not in (None, "primary", "danger"):
            self.fail(f"{path}/style", "must be one of primary, danger")

    def _select(self, element: dict, path: str) -> None:
        if element.get("options") is None and element.get("option_groups") is None:
            self.fail(path, "must have options or option_groups")
            return
        if element.get("options") is not None and element.get("option_groups") is not None:
            self.fail(path, "must not have both options and option_groups")
        options = self.options(element, "options", path, limit=100, required=False)
        groups = self.items(element, "option_groups", path, limit=100, required=False)
        for index, group in enumerate(groups):
            group_path = f"{path}/option_groups/{index}"
            if isinstance(group, dict):
                self.text(group, "label", group_path, limit=75, plain=True)
                options += self.options(group, "options", group_path, limit=100)
        self.initial_options(element, options, path)

    def _choices(self, element: dict, path: str) -> None:
        options = self.options(element, "options", path, limit=10, plain=False)
        self.initial_options(element, options, path)

    def options(self, obj: dict, key: str, path: str, *, limit: int, plain=True, required=True):
        options = self.items(obj, key, path, limit=limit, required=required)
        for index, option in enumerate(options):
            option_path = f"{path}/{key}/{index}"
            if not isinstance(option, dict):
                self.fail(option_path, "must be an object")
                continue
            self.text(option, "text", option_path, limit=75, plain=plain)
            self.text(option, "description", option_path, limit=75, required=False)
            if self.required(option, "value", option_path):
                self.max_len(option["value"], 150, f"{option_path}/value")
        return [option for option in options if isinstance(option, dict)]

    def initial_options(self, element: dict, options: list[dict], path: str) -> None:
        """Slack refuses an initial option that is not exactly one of the options."""
        offered = {_option_key(option) for option in options}
        initial = element.get("initial_options") or []
        if element.get("initial_option") is not None:
            initial = [element["initial_option"]]
        for option in initial:
            if not isinstance(option, dict) or _option_key(option) not in offered:
                self.fail(f"{path}/initial_option", "must match one of the provided options")

    def _datepicker(self, element: dict, path: str) -> None:
        initial = element.get("initial_date")
        if initial is not None and not _is_date(initial):
            self.fail(f"{path}/initial_date", "must be a date in the format YYYY-MM-DD")

    def _timepicker(self, element: dict, path: str) -> None:
        initial = element.get("initial_time")
        if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
            self.fail(f"{path}/initial_time", "must be a time in the format HH:mm")

    def _plain_text_input(self, element: dict, path: str) -> None:
        max_length = element.get("max_length")
        min_length = element.get("min_length")
        if max_length is not None and not 1 <= _as_int(max_length) <= 3000:
            self.fail(f"{path}/max_length", "must be between 1 and 3000")
        if min_length is not None and not 0 <= _as_int(min_length) <= 3000:
            self.fail(f"{path}/min_length", "must be between 0 and 3000")
        if (
            max_length is not None
            and min_length is not None
            and _as_int(min_length) > _as_int(max_length)
        ):
            self.fail(f"{path}/min_length", "must not be greater than max_length")


def _option_key(option: dict) -> tuple:
    text = option.get("text")
    return (text.get("text") if isinstance(text, dict) else None, option.get("value"))


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _as_int(value: object) -> int:
    """An int, or -1 (always out of range) for anything that is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
