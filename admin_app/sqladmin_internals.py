"""Every use of SQLAdmin's private names, and only here.

SQLAdmin 0.32 offers no public seam for these: the view's resolved labels, formatters
and properties, the after-change response of a save, the form's attribute setter, the
admin a custom page is mounted on, the details page's custom action buttons.
(Statements run through the request's session instead: admin_app/views/_reading.py.)
The rest of the console calls the small functions below, so an SQLAdmin upgrade is
checked and ported in one file: ``tests/test_sqladmin_internals.py`` fails, naming the
name, when the installed SQLAdmin's internals differ from what this module expects, and
fails when any other module of the console uses an SQLAdmin private name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqladmin._queries import Query
from sqladmin._types import _UNSET
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sqladmin import BaseView, ModelView
    from sqladmin.application import BaseAdmin

# SQLAdmin's "no default value" marker for sidebar filters.
UNSET: Any = _UNSET

# The private names this module uses, by the SQLAdmin object that must have them; the
# test checks each against the installed version (and their parameters, for methods).
EXPECTED: dict[str, dict[str, tuple[str, ...] | None]] = {
    "sqladmin.models.ModelView": {
        "_visible_custom_actions": ("self", "request", "in_detail"),
        "_url_for_action": ("self", "request", "action_name"),
    },
    "sqladmin._queries.Query": {
        "_set_attributes_sync": ("self", "session", "obj", "data"),
        "_store_after_change_response": ("request", "result"),
    },
    "sqladmin.application.Admin": {"_find_model_view": ("self", "identity")},
    # Attributes SQLAdmin sets on every view instance (None: not a method).
    "view instance": {
        "_admin_ref": None,
        "_column_labels": None,
        "_list_formatters": None,
        "_list_relations": None,
        "_list_prop_names": None,
        "_details_prop_names": None,
        "_custom_actions_confirmation": None,
        "_form_create_rules": None,
        "_form_ajax_refs": None,
    },
}


# --- saving ------------------------------------------------------------------------------


def set_attributes(view: ModelView, session: Session, obj: Any, data: dict[str, Any]) -> None:
    """Copy validated form ``data`` onto ``obj`` as SQLAdmin does (relations loaded)."""
    Query(view)._set_attributes_sync(session, obj, data)


def store_after_change_response(request: Request, response: Response | None) -> None:
    """Make ``response`` the answer of SQLAdmin's create/edit route instead of its redirect."""
    Query._store_after_change_response(request, response)


# --- the admin and its views -----------------------------------------------------------


def admin_of(view: BaseView) -> BaseAdmin:
    """The :class:`sqladmin.Admin` a view (a custom page too) is mounted on."""
    admin: BaseAdmin = view._admin_ref
    return admin


def find_model_view(admin: BaseAdmin, identity: str) -> ModelView:
    """The model view registered under ``identity`` ("event", "event-application"...)."""
    view: ModelView = admin._find_model_view(identity)
    return view


def column_labels(view: ModelView) -> dict[str, str]:
    """The view's resolved column labels by property name (editable: defaults go here)."""
    labels: dict[str, str] = view._column_labels
    return labels


def list_formatters(view: ModelView) -> dict[str, Any]:
    """The view's resolved list formatters by property name."""
    formatters: dict[str, Any] = view._list_formatters
    return formatters


def list_relations(view: ModelView) -> list[Any]:
    """The relationships the list shows (SQLAdmin loads them with selectinload)."""
    relations: list[Any] = view._list_relations
    return relations


def shown_prop_names(view: ModelView) -> list[str]:
    """Every property name the list or the details page shows."""
    return [*view._list_prop_names, *view._details_prop_names]


def details_prop_names(view: ModelView) -> list[str]:
    """The property names the details page shows, in order."""
    return list(view._details_prop_names)


@dataclass(frozen=True)
class DetailAction:
    """A custom ``@action`` button of a details page; ``confirmation`` asks first."""

    name: str
    label: str
    url: str  # without the row's ``?pks=``
    confirmation: str | None


def detail_actions(view: ModelView, request: Request) -> list[DetailAction]:
    """The custom actions SQLAdmin's details page offers ``request``'s user."""
    return [
        DetailAction(
            name,
            label,
            view._url_for_action(request, name),
            view._custom_actions_confirmation.get(name),
        )
        for name, label in view._visible_custom_actions(request, True).items()
    ]


def form_create_rules(view: ModelView) -> Any:
    """The rules object SQLAdmin passes to ``scaffold_form`` for the create form."""
    return view._form_create_rules


def replace_picker(view: ModelView, name: str, loader: Any) -> None:
    """Put ``loader`` in place of the relation picker SQLAdmin built for field ``name``."""
    view._form_ajax_refs[name] = loader


class ScopedPickersSeam:
    """Mixin: SQLAdmin's ``_form_ajax_refs`` (set in its ``__init__``) becomes
    ``make_pickers(loaders)``'s result, so every picker it builds, and any put in later,
    goes through the console's scoping (``views/_scoping.ScopedPickers``)."""

    _scoped_pickers: dict[str, Any]

    def make_pickers(self, loaders: dict[str, Any]) -> dict[str, Any]:
        """The picker mapping to keep; overridden by the console's base view."""
        return loaders

    @property
    def _form_ajax_refs(self) -> dict[str, Any]:
        return self._scoped_pickers

    @_form_ajax_refs.setter
    def _form_ajax_refs(self, loaders: dict[str, Any]) -> None:
        self._scoped_pickers = self.make_pickers(loaders)
