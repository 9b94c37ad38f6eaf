""" "Change my password": the signed-in user replaces their own password.

Every session of the user ends (the rule on :class:`models.User`); this browser gets a
new one in the same transaction, so the user stays signed in here.
"""

from __future__ import annotations

from sqladmin import BaseView, ModelView, expose
from sqladmin.flash import Flash
from sqlalchemy import select
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import sqladmin_internals as internals
from admin_app.audit import Actor, record, record_change, snapshot
from admin_app.auth import CurrentUser, open_session, remember_session
from admin_app.db import lock_writes_on_sqlite
from admin_app.passwords import WeakPasswordError, hash_new_password, verify_password
from admin_app.request_session import SessionSource, source_of
from models import User

TEMPLATE = "console/change_password.html"
NOTIFICATIONS_TEMPLATE = "console/my_notifications.html"
WRONG_CURRENT = "Your current password is not correct."


class PasswordChangeError(ValueError):
    """The password was not changed; the message says why, in plain words."""


def change_own_password(
    sessions: SessionSource,
    user_id: int,
    *,
    current: str,
    new: str,
    repeated: str,
    remote_addr: str | None,
) -> dict[str, str]:
    """Change ``user_id``'s password after checking the current one; the cookie of this
    browser's new session.

    Both argon2 calls (checking the current password, hashing the new one) run with no
    database connection held, as sign-in does (:func:`admin_app.auth.attempt_sign_in`):
    a burst of them would otherwise drain the pool. Raises :class:`PasswordChangeError`
    and changes nothing when a check fails.
    """
    if new != repeated:
        raise PasswordChangeError("The two new passwords do not match.")
    # Committed at once (it only reads): the connection goes back to the pool before argon2.
    with sessions.begin() as session:
        row = session.execute(
            select(User.password_hash, User.email).where(User.id == user_id)
        ).one_or_none()
    if row is None or not verify_password(row.password_hash, current):
        raise PasswordChangeError(WRONG_CURRENT)
    if new == current:
        raise PasswordChangeError("The new password must differ from the current one.")
    try:
        new_hash = hash_new_password(new, email=row.email)
    except WeakPasswordError as exc:
        raise PasswordChangeError(str(exc)) from None

    with sessions.begin() as session:
        lock_writes_on_sqlite(session)
        user = session.get(User, user_id, with_for_update=True)
        # The password checked above must still be the stored one: a change made
        # elsewhere in between wins, and this one is refused.
        if user is None or user.password_hash != row.password_hash:
            raise PasswordChangeError(WRONG_CURRENT)
        user.password_hash = new_hash
        record(session, Actor(user.id, user.email, remote_addr), "change_password", user)
        # Flushes first: the user's sessions end, then this browser's new one opens.
        return open_session(session, user.id, remote_addr=remote_addr)


class AccountView(BaseView):
    """The signed-in user's own account: for now, changing their password."""

    name = "Change my password"
    icon = "fa-solid fa-key"
    category = "Account"
    category_icon = "fa-solid fa-user"

    def _sessions(self) -> SessionSource:
        # The app's one factory, as every view has it: the request's session.
        return source_of(internals.admin_of(self).session_maker)

    @expose("/account/password", methods=["GET", "POST"], identity="change-password")
    async def change_password_page(self, request: Request) -> Response:
        """GET: the form. POST: check and change the password, then show the outcome."""
        user: CurrentUser = request.state.user
        if request.method == "GET":
            return await self.templates.TemplateResponse(request, TEMPLATE, {"title": self.name})
        form = await request.form()
        fields = {key: form.get(key) for key in ("current", "new", "repeated")}
        texts = {key: value if isinstance(value, str) else "" for key, value in fields.items()}
        try:
            cookie = await run_in_threadpool(
                change_own_password,
                self._sessions(),
                user.id,
                current=texts["current"],
                new=texts["new"],
                repeated=texts["repeated"],
                remote_addr=request.client.host if request.client else None,
            )
        except PasswordChangeError as exc:
            return await self.templates.TemplateResponse(
                request,
                TEMPLATE,
                {"title": self.name, "error": str(exc)},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        remember_session(request, cookie)
        return await self.templates.TemplateResponse(
            request, TEMPLATE, {"title": self.name, "changed": True}
        )


class NotificationsView(BaseView):
    """The signed-in user's choice: every notification, or only the essential ones."""

    name = "My notifications"
    icon = "fa-solid fa-bell"
    category = "Account"

    @expose("/account/notifications", methods=["GET", "POST"], identity="my-notifications")
    async def notifications_page(self, request: Request) -> Response:
        """GET: the choice as it stands. POST: save it, audited, then back to the GET."""
        user: CurrentUser = request.state.user
        sessions = source_of(internals.admin_of(self).session_maker)
        if request.method == "POST":
            form = await request.form()
            wanted = form.get("wants_notifications") == "on"
            actor = Actor(user.id, user.email, request.client.host if request.client else None)
            await run_in_threadpool(set_wants_notifications, sessions, actor, wanted)
            Flash.success(
                request,
                "Saved: you will get every notification."
                if wanted
                else "Saved: you will get only essential messages (invitations, password links).",
            )
            url = request.url_for("admin:view-my-notifications")
            return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)

        def current() -> bool:
            with sessions() as session:
                return bool(
                    session.scalar(select(User.wants_notifications).where(User.id == user.id))
                )

        wants = await run_in_threadpool(current)
        return await self.templates.TemplateResponse(
            request, NOTIFICATIONS_TEMPLATE, {"title": self.name, "wants_notifications": wants}
        )


def set_wants_notifications(sessions: SessionSource, actor: Actor, wanted: bool) -> None:
    """Record ``actor``'s choice (audited with before and after)."""
    with sessions.begin() as session:
        lock_writes_on_sqlite(session)
        user = session.get(User, actor.user_id, with_for_update=True)
        if user is None or user.wants_notifications == wanted:
            return
        before = snapshot(user)
        user.wants_notifications = wanted
        session.flush()
        record_change(session, actor, "set_notifications", user, before)


VIEWS: list[type[ModelView] | type[BaseView]] = [AccountView, NotificationsView]
