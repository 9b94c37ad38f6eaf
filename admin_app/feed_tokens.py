"""Secret calendar feed tokens: issue, regenerate, revoke, and find a feed's owner.

A feed URL is a credential (calendar apps cannot sign in), so each venue and band has at
most one token, 256 random bits, shown once when issued. Only its SHA-256 is stored: a
leaked database or backup does not yield working URLs, and because the lookup is by digest
through a unique index, there is no secret comparison to time. Issuing a new token
replaces the digest, which is what makes "regenerate link" revoke the old one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.audit import Actor, record
from admin_app.scoping import Scope, ScopeError, can
from models import Band, Venue

TOKEN_BYTES = 32
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet. Anything else is
# answered without touching the database.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")

FeedOwner = Venue | Band


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256, as 64 hex digits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def fingerprint(owner: FeedOwner) -> str:
    """Which URL ``owner`` has now, as a form can carry it: a short piece of the stored hash.

    A regenerate form sends the fingerprint it was drawn with; a browser's resubmit (reload)
    sends the old one, which no longer matches, so it never issues another URL.
    """
    return owner.feed_token_hash[:16] if owner.feed_token_hash else "none"


def _audit(
    session: Session, owner: FeedOwner, action: str, actor: Scope | None, remote_addr: str | None
) -> None:
    if actor is None:
        return  # the CLI and the tests' setup: nobody to name
    # Neither the token nor its digest goes into the log: only that it changed, and when.
    created = owner.feed_token_created_at
    changes = {"feed_token_created_at": [None, created.isoformat() if created else None]}
    record(session, Actor.of(actor, remote_addr), action, owner, changes=changes)


def _check(actor: Scope | None, owner: FeedOwner) -> None:
    if actor is not None and not can(actor, "edit", type(owner), owner):
        raise ScopeError(f"You cannot change the calendar feed of {owner}.")


def issue_token(
    session: Session,
    owner: FeedOwner,
    *,
    actor: Scope | None = None,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new feed token for ``owner``; any previous one stops working. Flushes, no commit.

    The token is returned once and never stored. With ``actor`` the change is checked
    against the scoping rules (editing the owner) and audited.
    """
    _check(actor, owner)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    owner.feed_token_hash = token_digest(token)
    owner.feed_token_created_at = now or datetime.now(UTC)
    session.flush()
    _audit(session, owner, "issue_feed_token", actor, remote_addr)
    return token


def revoke_token(
    session: Session,
    owner: FeedOwner,
    *,
    actor: Scope | None = None,
    remote_addr: str | None = None,
) -> None:
    """Switch ``owner``'s feed off: its current URL stops working. Flushes, no commit."""
    _check(actor, owner)
    owner.feed_token_hash = None
    owner.feed_token_created_at = None
    session.flush()
    _audit(session, owner, "revoke_feed_token", actor, remote_addr)


def _well_formed(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


def venue_for_token(session: Session, token: str) -> Venue | None:
    """The venue whose feed ``token`` opens; None for an unknown or replaced token."""
    if not _well_formed(token):
        return None
    return session.scalar(select(Venue).where(Venue.feed_token_hash == token_digest(token)))


def band_for_token(session: Session, token: str) -> Band | None:
    """The band whose feed ``token`` opens; None for an unknown or replaced token."""
    if not _well_formed(token):
        return None
    return session.scalar(select(Band).where(Band.feed_token_hash == token_digest(token)))
