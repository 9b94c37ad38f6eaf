"""Public calendar feeds: ``/feeds/venue/<token>.ics`` and ``/feeds/band/<token>.ics``.

Outside /admin because calendar apps cannot sign in: the secret token in the URL is the
only credential (see :mod:`admin_app.feed_tokens`). An unknown, malformed or replaced
token is a plain 404 that says nothing about which feeds exist.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from admin_app.calendars import band_feed, venue_feed
from admin_app.feed_tokens import band_for_token, venue_for_token
from models import Band, Venue

MEDIA_TYPE = "text/calendar; charset=utf-8"
NOT_FOUND = "No calendar feed at this address. Ask for the current feed URL."
# Private: the feed is one venue's or band's business, never for a shared cache. Five
# minutes spares the database from apps that poll too eagerly; a regenerated URL still
# stops working at once for anyone who did not already hold a copy.
CACHE_CONTROL = "private, max-age=300"


def _feed_bytes(
    request: Request,
    find: Callable[[Session, str], Venue | Band | None],
    build: Callable[[Session, int], bytes],
) -> bytes | None:
    token = request.path_params["token"]
    with request.app.state.sessions() as session:
        owner = find(session, token)
        return None if owner is None else build(session, owner.id)


async def _serve(
    request: Request,
    find: Callable[[Session, str], Venue | Band | None],
    build: Callable[[Session, int], bytes],
) -> Response:
    body = await run_in_threadpool(_feed_bytes, request, find, build)
    if body is None:
        return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": 'inline; filename="calendar.ics"',
            # A secret URL pasted somewhere public must not end up in a search index.
            "X-Robots-Tag": "noindex",
        },
    )


async def venue_feed_endpoint(request: Request) -> Response:
    """The venue's shows (holds as TENTATIVE) as iCalendar."""
    return await _serve(request, venue_for_token, venue_feed)


async def band_feed_endpoint(request: Request) -> Response:
    """The band's confirmed gigs as iCalendar."""
    return await _serve(request, band_for_token, band_feed)


ROUTES = [
    Route("/feeds/venue/{token}.ics", venue_feed_endpoint, name="venue-feed"),
    Route("/feeds/band/{token}.ics", band_feed_endpoint, name="band-feed"),
]
