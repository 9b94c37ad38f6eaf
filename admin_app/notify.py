"""Where decisions would queue their messages: the seam the notification outbox fills.

Nothing is sent yet. Issue 15 adds an outbox table written in the same transaction as
the decision and a worker that delivers it; until then each hook here does nothing and
says so by returning False, and the pages that call one tell the user to pass the
message on themselves (the invite page: "send this link yourself").
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from models import StaffInvite

# Makes the absolute URL of a set-password link from its token (the page knows the host).
LinkFor = Callable[[str], str]


def queue_invite_email(session: Session, invite: StaffInvite, link: str) -> bool:
    """Queue the invite's email (to the invited person, with ``link``) in ``session``'s
    transaction; True when queued.

    A no-op for now, returning False: there is no outbox yet (issue 15 replaces this body
    with a write to it). The link must therefore be sent by hand, and the invite page
    says so; nothing claims an email was sent.
    """
    return False
