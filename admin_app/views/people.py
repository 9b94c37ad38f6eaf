"""Console views for the people area: users, their passwords, and what they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqladmin import BaseView, ModelView
from sqladmin.filters import BooleanFilter
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from wtforms import Form, PasswordField, ValidationError, validators

from admin_app import accounts
from admin_app.auth import open_session, remember_session
from admin_app.passwords import WeakPasswordError, check_password_strength, hash_password
from admin_app.request_session import release_connection, source_of
from admin_app.views._errors import ConsoleForm, ConsoleFormError
from admin_app.views.base import ConsoleModelView
from models import BandMember, User, VenueStaff

# The create and edit forms differ only in their password fields; SQLAdmin hands these
# rules to ``scaffold_form``, which is how the view tells the two forms apart.
_CREATE_RULES = ["email", "full_name", "is_active", "is_superuser", "password", "password_confirm"]
_EDIT_RULES = [
    "email",
    "full_name",
    "is_active",
    "is_superuser",
    "new_password",
    "new_password_confirm",
]
# Form fields that are not columns: taken out of the data before SQLAdmin copies it onto
# the user (it would set them as plain attributes otherwise).
_PASSWORD_FIELDS = ("password", "password_confirm", "new_password", "new_password_confirm")
# The key the typed password's hash takes in the saved data: the column, which SQLAdmin's
# attribute setter then writes like any other (no form field has this name).
_HASH_KEY = "password_hash"


class UserFormBase(ConsoleForm):
    """Checks shared by the create and edit forms, using the account rules of the CLI."""

    password_required = False

    def validate_email(self, field: Any) -> None:
        """Normalise (trim, lower-case) and check the address."""
        try:
            field.data = accounts.validate_email(field.data or "")
        except accounts.AccountError as exc:
            raise ValidationError(str(exc)) from None

    def validate_password(self, field: Any) -> None:
        """A new user's password: required, and strong enough."""
        self._check_password(field)

    def validate_new_password(self, field: Any) -> None:
        """An edit's new password: blank keeps the current one."""
        self._check_password(field)

    def _check_password(self, field: Any) -> None:
        if not field.data:
            if self.password_required:
                raise ValidationError("A password is required.")
            return
        email = self.email.data if isinstance(self.email.data, str) else ""
        try:
            check_password_strength(field.data, email=email)
        except WeakPasswordError as exc:
            raise ValidationError(str(exc)) from None


def _password_fields(name: str, label: str, required: bool) -> dict[str, Any]:
    # Built per form: WTForms orders fields by creation, so these come after the columns.
    return {
        name: PasswordField(label, render_kw={"autocomplete": "new-password"}),
        f"{name}_confirm": PasswordField(
            "Confirm password",
            validators=[validators.EqualTo(name, message="The two passwords do not match.")],
            render_kw={"autocomplete": "new-password"},
        ),
        "password_required": required,
    }


def _memberships(user: User, _attr: str) -> list[str]:
    return [
        f"{member.band.name} ({member.instrument})" if member.instrument else member.band.name
        for member in user.band_memberships
    ]


def _venue_roles(user: User, _attr: str) -> list[str]:
    return [f"{role.venue.name} ({role.role})" for role in user.venue_roles]


class UserView(ConsoleModelView, model=User):
    """Everyone who signs in or plays in a band; the password hash is never shown."""

    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-user"
    category = "People"
    category_icon = "fa-solid fa-users"

    column_list = [User.email, User.full_name, User.is_active, User.is_superuser]
    name_column = "email"
    column_labels = {
        User.id: "ID",
        User.email: "Email",
        User.full_name: "Full name",
        User.is_active: "Active",
        User.is_superuser: "Superuser",
        User.created_at: "Created",
        User.updated_at: "Updated",
        User.band_memberships: "Band memberships",
        User.venue_roles: "Venue roles",
    }
    column_searchable_list = [User.email, User.full_name]
    column_sortable_list = [
        User.email,
        User.full_name,
        User.is_active,
        User.is_superuser,
        User.created_at,
    ]
    # The id breaks ties so paging never shows a row twice or skips one.
    column_default_sort = [("full_name", False), ("id", False)]
    column_filters = [
        BooleanFilter(User.is_active, title="Active"),
        BooleanFilter(User.is_superuser, title="Superuser"),
    ]
    column_details_list = [
        User.email,
        User.full_name,
        User.is_active,
        User.is_superuser,
        User.created_at,
        User.updated_at,
        User.band_memberships,
        User.venue_roles,
    ]
    # Lists of plain text, one per related row: the details template links each one to
    # its own page and escapes the text.
    column_formatters_detail = {
        User.band_memberships: _memberships,
        User.venue_roles: _venue_roles,
    }
    column_export_list = [
        User.id,
        User.email,
        User.full_name,
        User.is_active,
        User.is_superuser,
        User.created_at,
    ]

    form_base_class = UserFormBase
    form_columns = [User.email, User.full_name, User.is_active, User.is_superuser]
    form_create_rules = _CREATE_RULES
    form_edit_rules = _EDIT_RULES

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """The column form plus a password (create) or an optional new password (edit)."""
        form = await super().scaffold_form(rules)
        if rules == _CREATE_RULES:
            return type("UserCreateForm", (form,), _password_fields("password", "Password", True))
        return type(
            "UserEditForm",
            (form,),
            _password_fields("new_password", "New password (blank keeps the current one)", False),
        )

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """Memberships and roles with the band and venue names the page shows."""
        return [
            selectinload(User.band_memberships).joinedload(BandMember.band),
            selectinload(User.venue_roles).joinedload(VenueStaff.venue),
        ]

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Create a user, their password hashed before the save's transaction opens."""
        return await super().insert_model(request, await _with_password_hash(data))

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Update a user, a new password hashed before the save's transaction opens."""
        return await super().update_model(request, pk, await _with_password_hash(data))

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Refuse a superuser locking themselves out of the console."""
        await super().on_model_change(data, model, is_created, request)
        if not is_created and model.id == request.state.user.id:
            # Locking yourself out of the console takes another superuser to undo.
            if not data.get("is_active", True):
                raise ConsoleFormError("You cannot deactivate yourself.", "is_active")
            if not data.get("is_superuser", True):
                raise ConsoleFormError("You cannot remove your own superuser flag.", "is_superuser")

    async def after_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> Response | None:
        """A superuser who changed their own password stays signed in in this browser.

        The change ended every session of theirs (the rule on ``User``), this one too;
        this browser gets a new one.
        """
        if not is_created and model.id == request.state.user.id and _HASH_KEY in data:
            remote_addr = request.client.host if request.client else None
            cookie = await run_in_threadpool(self._open_session, model.id, remote_addr)
            remember_session(request, cookie)
        return await super().after_model_change(data, model, is_created, request)

    def _open_session(self, user_id: int, remote_addr: str | None) -> dict[str, str]:
        with source_of(self.session_maker).begin() as session:
            return open_session(session, user_id, remote_addr=remote_addr)


async def _with_password_hash(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the password fields, plus the typed password's hash, if any.

    argon2 is deliberately slow: it runs off the event loop, and before the save opens its
    transaction, so no pooled connection waits on it (see admin_app.auth.attempt_sign_in).
    """
    password = data.get("password") or data.get("new_password") or ""
    saved = {key: value for key, value in data.items() if key not in _PASSWORD_FIELDS}
    if password:
        # The request's reads so far (sign-in check, the row for the form) end here, so
        # its connection is back in the pool while argon2 runs.
        await run_in_threadpool(release_connection)
        saved[_HASH_KEY] = await run_in_threadpool(hash_password, password)
    return saved


VIEWS: list[type[ModelView] | type[BaseView]] = [UserView]
