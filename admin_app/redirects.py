"""Post/Redirect/Get for the addresses that only take a form (views and pages alike).

A refusal is answered on the POST's own URL (inside the layout, with its status); the
browser's address bar then shows that URL, and Enter there is a GET. Each POST-only route
has a GET twin that answers with a 303 to the page its form lives on, never a 405.
"""

from __future__ import annotations

from sqladmin.flash import Flash
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

# Said when an address that only takes a form is opened directly (Enter in the address bar
# after a refused change, a bookmark, a reload of a refusal): nothing was changed.
GET_ON_A_FORM = "Nothing was changed: that address only works from the buttons on this page."


def back_to_page(request: Request, route: str, **params: str) -> Response:
    """The answer to a GET on a POST-only route: a 303 to the page the form lives on.

    Post/Redirect/Get everywhere: a refusal is answered on the POST's URL, so Enter in the
    address bar (or a reload of a redirected page's history entry) lands here, not on a 405.
    """
    Flash.info(request, GET_ON_A_FORM)
    return RedirectResponse(request.url_for(route, **params), status_code=303)


def back_to_row(request: Request, identity: str) -> Response:
    """:func:`back_to_page` for a row's route (``{pk}`` in the path): its details page."""
    pk = request.path_params["pk"]
    if not str(pk).isdigit():
        return back_to_page(request, "admin:list", identity=identity)
    return back_to_page(request, "admin:details", identity=identity, pk=str(pk))
