"""Every callback_id, action_id and block_id, in one place.

Block ids of the referral modal are also the names of the form's fields, so a
validation error for ``phone`` lands under the phone input.
"""

from enum import StrEnum

COMMAND = "/handover"


class Callback(StrEnum):
    NEW_HANDOVER = "handover.new"
    CHOOSE = "handover.choose"
    ACCEPT = "handover.accept"
    DECLINE = "handover.decline"
    OUTCOME = "handover.outcome"
    DONE = "handover.done"
    CAPACITY = "directory.capacity"
    REFER_BUTTON = "handover.refer_button"


class Act(StrEnum):
    """action_ids of buttons and selects."""

    ACCEPT = "handover.accept"
    DECLINE = "handover.decline"
    CONTACT = "handover.contact"
    OUTCOME = "handover.outcome"
    WITHDRAW = "handover.withdraw"
    ROUTE = "handover.route"
    OPEN_NEW = "handover.open_new"
    POST_REFER_BUTTON = "handover.post_refer_button"
    EDIT_REFERRAL = "handover.edit_referral"
    REOPEN = "handover.reopen"
    SNOOZE = "handover.snooze"
    CHASE = "handover.chase"
    SET_CAPACITY = "directory.set_capacity"
    CONFIRM_DETAILS = "directory.confirm_details"
    RETRY_DELIVERY = "outbox.retry"
    # The input elements of modals (values read from view.state).
    INPUT = "value"


class Block(StrEnum):
    # referral modal
    NEEDS = "needs"
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    DISTRICT = "district"
    AGE_BAND = "age_band"
    LANGUAGE = "language"
    ACCESS_NEEDS = "access_needs"
    CIRCUMSTANCES = "circumstances"
    URGENCY = "urgency"
    CONTEXT = "context"
    ORGANISATION = "organisation"
    CONSENT = "consent"
    HEAR_BY = "hear_by"  # how the resident hears from the network
    REFER_CHANNEL = "refer_channel"  # where a Refer a resident button goes
    # the second step: where it goes
    DESTINATION = "destination"
    DUPLICATE = "duplicate"  # the same resident already has an open handover: send or stop
    # accept, decline, outcome modals
    CONTACT_BY = "contact_by"
    REASON = "reason"
    REASON_NOTE = "reason_note"
    OUTCOME = "outcome"
    OUTCOME_NOTE = "outcome_note"
    # capacity modal
    PROVIDER = "provider"
    CAPACITY = "capacity"
    PAUSED_UNTIL = "paused_until"
    CAPACITY_REASON = "capacity_reason"
    # cards
    CARD_ACTIONS = "card_actions"


# Who acts from a handover's page, for a provider without Slack: the provider itself, as
# whoever holds its e-mail's link (bot/byemail). Never the shape of a Slack user id.
PAGE_ACTOR = "mail:"
