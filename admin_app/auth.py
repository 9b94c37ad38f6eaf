"""Sign-in for the console: who may sign in, and the sessions that say who they are.

A session is a row in ``user_sessions`` (see :class:`models.UserSession`); the signed
cookie carries only its random id. Signing out deletes the row, so a copied cookie stops
working too; a password change or deactivation ends every session of the user (the rule
lives on the model, :mod:`models.people`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import throttle
from admin_app.audit import Actor, record
from admin_app.passwords import hash_new_password, verify_password
from admin_app.request_session import SessionSource
from admin_app.scoping import Scope, scope_of
from admin_app.settings import Settings
from models import User, UserSession, VenueStaff

SESSION_COOKIE = "band_admin_session"
# A working day, counted from sign-in (not from the last request: renewing it would make
# every page a write); signing in again costs little.
SESSION_MAX_AGE = 12 * 60 * 60
# The cookie's only content: {"sid": <token>}. 256 random bits, token_urlsafe(32), 43
# characters; anything else is refused without touching the database.
SESSION_ID_KEY = "sid"
_SESSION_ID_BYTES = 32
_SESSION_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
# One message for every refusal, so the sign-in page cannot be used to learn which
# accounts exist, are disabled, have no password or are not staff.
SIGN_IN_REFUSED = "Invalid email or password."
MAX_EMAIL_LENGTH = 320  # login_failures.email; RFC 5321 allows 254 in practice


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user, as the rest of the request sees it."""

    id: int
    email: str
    full_name: str
    is_superuser: bool
    # What they may reach, read with the user (admin_app.request_scope keeps it).
    scope: Scope


@dataclass(frozen=True)
class SignInOutcome:
    """What one sign-in attempt came to: a user, a refusal, or a throttle wait."""

    user_id: int | None = None
    cookie: dict[str, str] | None = None
    lockout: throttle.Lockout | None = None


def _may_use_console() -> ColumnElement[bool]:
    """Active superusers and active venue staff may use the console; nobody else."""
    return User.is_active & or_(User.is_superuser, exists().where(VenueStaff.user_id == User.id))


def _may_sign_in(session: Session, user: User) -> bool:
    return session.scalar(select(User.id).where(User.id == user.id, _may_use_console())) is not None


def _session_digest(session_id: str) -> str:
    # Only the digest is stored (as for feed tokens): a copy of the database or a backup
    # does not yield working cookies, and the lookup by digest compares no secret.
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def open_session(
    db_session: Session, user_id: int, *, remote_addr: str | None, now: datetime | None = None
) -> dict[str, str]:
    """Record a new signed-in session of ``user_id``; the payload its cookie carries.

    Runs in the caller's transaction (the caller commits) and purges every expired
    session row on the way, so the table holds roughly the sessions of the last
    :data:`SESSION_MAX_AGE`. Raises :class:`LookupError` for an unknown user.
    """
    now = now or datetime.now(UTC)
    db_session.flush()  # a pending password change must move session_version on first
    version = db_session.scalar(select(User.session_version).where(User.id == user_id))
    if version is None:
        raise LookupError(f"no user {user_id}")
    # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): rows another transaction
    # is deleting right now are left to it, so concurrent sign-ins never wait on each
    # other here, nor deadlock with a password change deleting its user's rows.
    expired = (
        select(UserSession.id)
        .where(UserSession.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    db_session.execute(
        delete(UserSession).where(UserSession.id.in_(expired)),
        execution_options={"synchronize_session": False},
    )
    session_id = secrets.token_urlsafe(_SESSION_ID_BYTES)
    db_session.add(
        UserSession(
            token_hash=_session_digest(session_id),
            user_id=user_id,
            session_version=version,
            expires_at=now + timedelta(seconds=SESSION_MAX_AGE),
            remote_addr=remote_addr,
        )
    )
    db_session.flush()
    return {SESSION_ID_KEY: session_id}


def close_session(sessions: SessionSource, session_id: str) -> None:
    """End one session on the server: its cookie, and every copy of it, stops working."""
    if not _SESSION_ID_SHAPE.fullmatch(session_id):
        return
    with sessions.begin() as session:
        session.execute(
            delete(UserSession).where(UserSession.token_hash == _session_digest(session_id)),
            execution_options={"synchronize_session": False},
        )


def attempt_sign_in(
    sessions: SessionSource,
    email: str,
    password: str,
    *,
    remote_addr: str | None,
    now: datetime | None = None,
) -> SignInOutcome:
    """Check credentials under the throttle and audit the outcome.

    The argon2 check deliberately costs tens of milliseconds of CPU, so it runs with no
    database connection held: a burst of sign-ins would otherwise drain the pool and
    every other page would wait for a connection. Two short transactions surround it.
    The first claims the attempt's throttle slot (recorded as a failure until the
    password proves right), so parallel guesses cannot all pass the check in between.
    """
    now = now or datetime.now(UTC)
    key = throttle.throttle_key(email)
    with sessions.begin() as session:
        lockout = throttle.claim_attempt(session, key, remote_addr, now)
        if lockout is not None:
            # Refused before the password is even looked at: the right password does not
            # help a guesser, and the refusal does not extend the lock.
            _audit_failure(session, email, remote_addr, "throttled")
            return SignInOutcome(lockout=lockout)
        user = session.scalar(select(User).where(User.email == key))
        stored_hash = user.password_hash if user else None

    password_ok = verify_password(stored_hash, password)

    with sessions.begin() as session:
        user = session.scalar(select(User).where(User.email == key))
        # The account must still be the one whose hash was checked (no password change
        # or deactivation in between), and still allowed in.
        unchanged = user is not None and user.password_hash == stored_hash
        if user is None or not (password_ok and unchanged and _may_sign_in(session, user)):
            # The slot claimed above stays: it is this failure's row.
            _audit_failure(session, email, remote_addr, "invalid credentials")
            return SignInOutcome()
        throttle.reset(session, key)
        record(session, Actor(user.id, email, remote_addr), "sign_in", user)
        cookie = open_session(session, user.id, remote_addr=remote_addr, now=now)
        return SignInOutcome(user_id=user.id, cookie=cookie)


def _audit_failure(session: Session, email: str, remote_addr: str | None, reason: str) -> None:
    # Nobody is signed in: the entry names the email that was tried.
    actor = Actor(None, email, remote_addr)
    record(session, actor, "sign_in_failed", changes={"reason": [None, reason]})


def load_session_user(
    sessions: SessionSource, session_id: str, *, now: datetime | None = None
) -> CurrentUser | None:
    """The user of the session ``session_id`` names, if that session is still valid.

    Runs on every console request, so it is one query through unique indexes (the
    session's digest, the user's id; their roles by user): the row exists (not signed
    out), has not expired, carries the user's current ``session_version`` (no password
    change or deactivation since), and the user may still use the console. The user's
    venue roles come in the same statement (one row per role), so the request's
    :class:`~admin_app.scoping.Scope` needs no query of its own.
    """
    if not _SESSION_ID_SHAPE.fullmatch(session_id):
        return None
    now = now or datetime.now(UTC)
    # An alias: _may_use_console's EXISTS over venue_staff must not correlate to the join.
    role = aliased(VenueStaff)
    stmt = (
        select(User.id, User.email, User.full_name, User.is_superuser, role.venue_id, role.role)
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(role, role.user_id == User.id)
        .where(
            UserSession.token_hash == _session_digest(session_id),
            UserSession.expires_at > now,
            UserSession.session_version == User.session_version,
            _may_use_console(),
        )
    )
    with sessions() as session:
        rows = session.execute(stmt).all()
    if not rows:
        return None
    user_id, email, full_name, is_superuser, _, _ = rows[0]
    roles = [(venue_id, role) for *_, venue_id, role in rows if venue_id is not None]
    scope = scope_of(user_id, email, is_superuser, roles)
    return CurrentUser(user_id, email, full_name, is_superuser, scope)


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session of ``user`` (the caller commits).

    Raises :class:`admin_app.passwords.WeakPasswordError` when the password is too weak.
    The hash is made in the caller's transaction: web pages hash first, with no
    connection held, and set ``password_hash`` themselves.
    """
    user.password_hash = hash_new_password(new_password, email=user.email)


def deactivate(session: Session, user: User) -> None:
    """Stop ``user`` from signing in and end every session they have (the caller commits)."""
    user.is_active = False


def remember_session(request: Request, cookie: dict[str, str]) -> None:
    """Make ``cookie`` (from :func:`open_session`) this browser's session, replacing any."""
    request.session.clear()
    request.session.update(cookie)


def session_id_of(request: Request) -> str | None:
    """The session id this browser's cookie carries, if any."""
    value = request.session.get(SESSION_ID_KEY)
    return value if isinstance(value, str) else None


class ConsoleAuth(AuthenticationBackend):
    """SQLAdmin authentication backed by the users table and a signed session cookie."""

    def __init__(self, settings: Settings, sessions: SessionSource) -> None:
        super().__init__(
            secret_key=str(settings.secret_key),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            # Lax: the cookie still rides along when someone follows a link into the
            # console, but never on a cross-site POST; the Origin check covers the rest.
            same_site="lax",
            https_only=settings.is_production,
        )
        self.sessions = sessions

    async def login(self, request: Request) -> Response | bool:
        """Check the posted email and password; on success start a fresh session.

        The console's sign-in page (:mod:`admin_app.signin`) calls :meth:`sign_in` instead,
        which also reports throttling; this keeps SQLAdmin's own contract working.
        """
        outcome = await self.sign_in(request)
        return outcome.user_id is not None

    async def sign_in(self, request: Request) -> SignInOutcome:
        """Run one sign-in attempt from the posted form; on success start a fresh session."""
        form = await request.form()
        email, password = form.get("username", ""), form.get("password", "")
        if not isinstance(email, str) or not isinstance(password, str):
            return SignInOutcome()
        if len(email) > MAX_EMAIL_LENGTH:
            # No account's email is that long (the throttle's column holds 320
            # characters): refuse before the throttle's insert fails with a 500. (A NUL
            # never gets here: admin_app.input_guard refuses it in any request.)
            return SignInOutcome()
        remote_addr = request.client.host if request.client else None
        outcome = await run_in_threadpool(
            attempt_sign_in, self.sessions, email, password, remote_addr=remote_addr
        )
        if outcome.cookie is not None:
            remember_session(request, outcome.cookie)
        return outcome

    async def logout(self, request: Request) -> Response | bool:
        """End this browser's session on the server (copies of the cookie included)."""
        session_id = session_id_of(request)
        if session_id is not None:
            await run_in_threadpool(close_session, self.sessions, session_id)
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> Response | bool:
        """Runs on every console request: is the session cookie still good?"""
        session_id = session_id_of(request)
        user = None
        if session_id is not None:
            user = await run_in_threadpool(load_session_user, self.sessions, session_id)
        if user is None:
            request.session.clear()
            return self._to_sign_in(request)
        request.state.user = user
        return True

    @staticmethod
    def _to_sign_in(request: Request) -> Response:
        """Send the browser to the sign-in page, remembering where it was going."""
        login_url = request.url_for("admin:login")
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            login_url = login_url.include_query_params(next=target)
        return RedirectResponse(login_url, status_code=302)
