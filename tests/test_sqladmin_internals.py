"""SQLAdmin's private names are used in one module only, and checked against the installed
version; copied upstream templates are checked for drift.

When SQLAdmin is upgraded and one of these fails, port ``admin_app/sqladmin_internals.py``
(or the named template) to the new version before anything else.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import sqladmin
from sqladmin import ModelView
from starlette.applications import Starlette

from admin_app import sqladmin_internals as internals
from tests.support import ROOT

VERSION = version("sqladmin")
UPSTREAM_TEMPLATES = Path(sqladmin.__file__).parent / "templates" / "sqladmin"
# Upstream templates the console copied (or repeats part of), with the SHA-256 of the
# upstream file at the time: a new SQLAdmin that changes them fails here.
COPIED_FROM_UPSTREAM = {
    # admin_app/templates/sqladmin/layout.html is a copy (sign-out as a POST form, a
    # menu that hides unreachable categories).
    "layout.html": "bffc98569593a14784ccbeee3360a693f7c7b50cb7f00f87e472e353df499911",
    # admin_app/templates/sqladmin/details.html repeats layout.html's content_header and
    # replaces the content block (card title, label → value rows, the same buttons, custom
    # actions and modals): review it against the new upstream details page.
    "details.html": "be8a642848e62144789de8b514c133014d720cbec2cd3d5235672dae8edcc4c2",
    # The copied layout imports menu_category and menu_item from it.
    "_macros.html": "31efad250ae651e1bf837b626c91ffc5d25c7c48ef421eb033c3b0d5f8d1529b",
    # admin_app/templates/console/list.html replaces it (same features, links built from
    # prefixes): review it against the new upstream list page.
    "list.html": "173d8332d56c3623df6da1f5e009987245a2f56153a1564fa033d34b27e4e4c9",
}
# Upstream files (under the sqladmin package) whose contract the console's list page
# keeps: main.js finds #select-all, .select-box (and the key in the input before it),
# #action-delete, #search-input/-button/-reset and the delete modal's data-* attributes.
LIST_PAGE_CONTRACT = {
    "statics/js/main.js": "46159d7ac3fe0c40c8a2482b678b9a6d156708cb0517dbd26fb942892555f08e",
    "templates/sqladmin/modals/delete.html": (
        "68fd8ac5b28d9575a868781c8047aa19c289417ed3b6be75f7d18595a8aca86b"
    ),
}


def _class(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


def test_the_installed_sqladmin_has_every_internal_the_console_uses(app: Starlette) -> None:
    admin = app.state.console_admin
    views = [view for view in admin.views if isinstance(view, ModelView)]
    assert views
    for owner, names in internals.EXPECTED.items():
        for name, parameters in names.items():
            if owner == "view instance":
                missing = [type(view).__name__ for view in views if not hasattr(view, name)]
                assert not missing, f"SQLAdmin views no longer have {name}: {missing}"
                continue
            member = inspect.getattr_static(_class(owner), name, None)
            assert member is not None, f"{owner}.{name} is gone in SQLAdmin {VERSION}"
            function = member.__func__ if isinstance(member, staticmethod) else member
            found = tuple(inspect.signature(function).parameters)
            assert found == parameters, f"{owner}.{name}{found}: expected {parameters}"


def test_no_other_module_uses_an_sqladmin_private_name() -> None:
    private = {name for names in internals.EXPECTED.values() for name in names}
    offenders = []
    for path in sorted((ROOT / "admin_app").rglob("*.py")):
        if path.name == "sqladmin_internals.py":
            continue
        text = path.read_text()
        if re.search(r"\bsqladmin\._|from sqladmin\.\w+ import _", text):
            offenders.append(f"{path.name}: imports a private SQLAdmin module or name")
        for name in private:
            if re.search(rf"\.{name}\b", text):
                offenders.append(f"{path.name}: .{name}")
    assert offenders == []


def test_copied_upstream_templates_have_not_changed_upstream() -> None:
    changed = {
        name: hashlib.sha256((UPSTREAM_TEMPLATES / name).read_bytes()).hexdigest()
        for name in COPIED_FROM_UPSTREAM
    }
    assert changed == COPIED_FROM_UPSTREAM, (
        "SQLAdmin's templates changed: port admin_app/templates/sqladmin/ to them, then "
        "record the new hashes here"
    )


def test_the_list_pages_upstream_scripts_have_not_changed() -> None:
    package = Path(sqladmin.__file__).parent
    found = {
        name: hashlib.sha256((package / name).read_bytes()).hexdigest()
        for name in LIST_PAGE_CONTRACT
    }
    assert found == LIST_PAGE_CONTRACT, (
        "SQLAdmin's list-page script or delete modal changed: check that "
        "admin_app/templates/console/list.html still has the ids, classes and data-* "
        "attributes they use, then record the new hashes here"
    )
