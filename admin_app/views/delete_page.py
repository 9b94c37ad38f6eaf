"""Deleting a row without JavaScript: a confirmation page and a plain form POST.

SQLAdmin deletes through a Bootstrap modal whose button sends ``DELETE
/admin/{view}/delete?pks=N`` from jQuery: without JavaScript the Delete buttons did
nothing. Their ``href`` is now that same address, answered here for the two other
methods (Starlette's router takes the route whose method matches):

* ``GET`` — a page (``console/confirm.html``) that names the row and what its cascades
  take with it (``ConsoleModelView.delete_facts``), or why it cannot be deleted, with a
  form that POSTs to the same address;
* ``POST`` — deletes through ``ConsoleModelView.delete_model`` (scoped, audited, one
  transaction, like the modal's ``DELETE``), then 303 to the list with the flashed
  message (post/redirect/get); a refused delete is the page again with the reason (400).

With JavaScript, Bootstrap opens the modal instead of following the link. Both methods
are refused as SQLAdmin's delete route refuses: 403 for a row the user may not delete (a
superuser gets 404 for a row that is gone). The POST is guarded like every other by the
Origin check (:mod:`admin_app.security`): a form on another site cannot send it.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqladmin import expose
from starlette import status
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import sqladmin_internals as internals
from admin_app.errors import unavailable_response
from admin_app.redirects import back_to_page
from admin_app.views._errors import ConsoleFormError
from admin_app.views._related import details_url, may_open
from admin_app.views._routes import RoutesOnlyView
from admin_app.views.base import ConsoleModelView, OutageDuringDelete

TEMPLATE = "console/confirm.html"
ONE_ROW = "Delete one row at a time from this page."


class DeletePageView(RoutesOnlyView):
    """The GET and POST twins of SQLAdmin's DELETE route; never in the menu."""

    name = "Delete"

    @expose("/{identity}/delete", methods=["GET"], identity="delete-page")
    async def confirm(self, request: Request) -> Response:
        """The question: the row, what goes with it (or why it cannot go), a Delete button.
        Without a row (``?pks=``: the address of the list's "Delete selected" script), back
        to the list with a note, as every form-only address answers a GET."""
        if not request.query_params.get("pks"):
            return back_to_page(request, "admin:list", identity=request.path_params["identity"])
        view, row_request, obj = await self._deletable(request)
        refusal = await anyio.to_thread.run_sync(view.delete_blocker, obj)
        return await self._page(request, view, row_request, obj, refusal)

    @expose("/{identity}/delete", methods=["POST"], identity="delete-form")
    async def delete(self, request: Request) -> Response:
        """Delete the row, then back to the list with the message."""
        view, row_request, obj = await self._deletable(request)
        try:
            await view.delete_model(row_request, row_request.path_params["pk"])
        except ConsoleFormError as error:
            return await self._page(request, view, row_request, obj, error.message)
        except OutageDuringDelete:
            return await unavailable_response(request, self.templates)
        url = request.url_for("admin:list", identity=view.identity)
        return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)

    async def _deletable(self, request: Request) -> tuple[ConsoleModelView, Request, Any]:
        """The view, the request as its details route would see it, and the row; refused
        as SQLAdmin's delete route refuses (403, or 404 for a superuser)."""
        identity = request.path_params["identity"]
        view = internals.find_model_view(internals.admin_of(self), identity)
        pk = request.query_params.get("pks", "")
        if not isinstance(view, ConsoleModelView) or not pk:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
        if "," in pk:
            raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=ONE_ROW)
        if not pk.isdigit():  # every console model has an integer id
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
        if not view.can_delete or not view.is_accessible(request):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
        # The same request, as if it had asked for the row's details page (state, session
        # and signed-in user shared), for the view's scoped lookup and checks.
        row_request = Request(
            {**request.scope, "path_params": {"identity": identity, "pk": pk}}, request.receive
        )
        obj = await view.get_object_for_details(row_request)
        if not await view.check_can_delete(row_request, obj):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
        return view, row_request, obj

    async def _page(
        self,
        request: Request,
        view: ConsoleModelView,
        row_request: Request,
        obj: Any,
        refusal: str | None,
    ) -> Response:
        facts = await view.delete_facts(obj)
        label = facts["label"]
        goes = [f"Deleted with it: {line}." for line in facts["goes"]]
        back = (
            details_url(row_request, obj)
            if may_open(row_request, obj)
            else request.url_for("admin:list", identity=view.identity).path
        )
        context: dict[str, Any] = {
            "title": f"Delete {view.name.lower()}",
            "heading": f"Delete the {label}?",
            "consequences": [
                f"The {label} is deleted for good: this cannot be undone.",
                *(goes or ["Nothing else is deleted with it."]),
            ],
            "refusal": refusal,
            "action": f"{request.url.path}?{request.url.query}",
            "fields": {},
            "confirm_label": "Delete",
            "cancel_url": back,
        }
        code = status.HTTP_400_BAD_REQUEST if refusal and request.method == "POST" else 200
        response: Response = await self.templates.TemplateResponse(
            request, TEMPLATE, context, status_code=code
        )
        return response


VIEWS = [DeletePageView]
