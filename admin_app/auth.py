"""Sign-in for the console: who may sign in, and the signed cookie that says who they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import event, exists, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import throttle
from admin_app.audit import record
from admin_app.passwords import check_password_strength, hash_password, verify_password
from admin_app.settings import Settings
from models import User, VenueStaff

SESSION_COOKIE = "band_admin_session"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day; signing in again costs little
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


@dataclass(frozen=True)
class SignInOutcome:
    """What one sign-in attempt came to: a user, a refusal, or a throttle wait."""

    user_id: int | None = None
    session_version: int | None = None
    locked_for: timedelta | None = None


def _may_sign_in(session: Session, user: User) -> bool:
    """Active superusers and active venue staff may use the console; nobody else."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(session.scalar(select(exists().where(VenueStaff.user_id == user.id))))


def attempt_sign_in(
    sessions: sessionmaker[Session],
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
    """
    now = now or datetime.now(UTC)
    key = throttle.throttle_key(email)
    with sessions.begin() as session:
        wait = throttle.locked_for(session, key, now)
        if wait is not None:
            # Refused before the password is even looked at: the right password does not
            # help a guesser, and the refusal does not extend the lock.
            _audit_failure(session, email, remote_addr, "throttled")
            return SignInOutcome(locked_for=wait)
        user = session.scalar(select(User).where(User.email == key))
        stored_hash = user.password_hash if user else None

    password_ok = verify_password(stored_hash, password)

    with sessions.begin() as session:
        user = session.scalar(select(User).where(User.email == key))
        # The account must still be the one whose hash was checked (no password change
        # or deactivation in between), and still allowed in.
        unchanged = user is not None and user.password_hash == stored_hash
        if user is None or not (password_ok and unchanged and _may_sign_in(session, user)):
            throttle.record_failure(session, key, now)
            _audit_failure(session, email, remote_addr, "invalid credentials")
            return SignInOutcome()
        throttle.reset(session, key)
        record(
            session,
            action="sign_in",
            actor_id=user.id,
            actor_email=email,
            obj=user,
            remote_addr=remote_addr,
        )
        return SignInOutcome(user_id=user.id, session_version=user.session_version)


def _audit_failure(session: Session, email: str, remote_addr: str | None, reason: str) -> None:
    record(
        session,
        action="sign_in_failed",
        actor_id=None,
        actor_email=email[:320],
        changes={"reason": [None, reason]},
        remote_addr=remote_addr,
    )


def load_session_user(
    sessions: sessionmaker[Session], user_id: int, session_version: int
) -> CurrentUser | None:
    """The user a session cookie names, if that session is still valid."""
    with sessions() as session:
        user = session.get(User, user_id)
        if user is None or user.session_version != session_version:
            return None
        if not _may_sign_in(session, user):
            return None
        return CurrentUser(user.id, user.email, user.full_name, user.is_superuser)


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session of ``user`` (the caller commits).

    Raises :class:`admin_app.passwords.WeakPasswordError` when the password is too weak.
    """
    check_password_strength(new_password, email=user.email)
    user.password_hash = hash_password(new_password)


def deactivate(session: Session, user: User) -> None:
    """Stop ``user`` from signing in and end every session they have (the caller commits)."""
    user.is_active = False


@event.listens_for(Session, "before_flush")
def _end_sessions_on_credential_change(session: Session, _context: Any, _instances: Any) -> None:
    # Every path that changes a password or deactivates a user (the helpers above, a console
    # form, the CLI) goes through a flush, so bumping here means none of them can forget:
    # cookies carry the version they were issued with and stop matching.
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        password_changed = state.attrs.password_hash.history.has_changes()
        deactivated = False in state.attrs.is_active.history.added
        if password_changed or deactivated:
            obj.session_version = (obj.session_version or 0) + 1


def reissue_session(request: Request, session_version: int) -> None:
    """Keep this browser signed in after its user's ``session_version`` moved on."""
    request.session["session_version"] = session_version


class ConsoleAuth(AuthenticationBackend):
    """SQLAdmin authentication backed by the users table and a signed session cookie."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
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
        if "\x00" in email or len(email) > MAX_EMAIL_LENGTH:
            # No account's email holds a NUL (PostgreSQL text cannot) or is that long (the
            # throttle's column holds 320 characters): refuse before the throttle's query
            # or insert fails with a 500.
            return SignInOutcome()
        remote_addr = request.client.host if request.client else None
        outcome = await run_in_threadpool(
            attempt_sign_in, self.sessions, email, password, remote_addr=remote_addr
        )
        if outcome.user_id is not None:
            request.session.clear()
            request.session.update(
                {"user_id": outcome.user_id, "session_version": outcome.session_version}
            )
        return outcome

    async def logout(self, request: Request) -> Response | bool:
        """End this browser's session."""
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> Response | bool:
        """Runs on every console request: is the session cookie still good?"""
        user_id = request.session.get("user_id")
        version = request.session.get("session_version")
        user = None
        if isinstance(user_id, int) and isinstance(version, int):
            user = await run_in_threadpool(load_session_user, self.sessions, user_id, version)
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
