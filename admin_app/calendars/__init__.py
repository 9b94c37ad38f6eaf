"""Calendar data for the console's pages and feeds: pure functions, no HTTP.

``grid`` (months and their week rows), ``venue`` (a venue's month), ``band`` (a band's
month), ``match`` (dates both can do, placing holds) and ``feeds`` (iCalendar). The shell's
handlers call these and render the result; nothing here knows about requests.
"""

from admin_app.calendars.band import BandDay, BandMonth, Gig, MemberMark, band_month
from admin_app.calendars.feeds import band_feed, event_uid, venue_feed
from admin_app.calendars.grid import Month, MonthError, month_grid, parse_month, today_in
from admin_app.calendars.match import HoldRefused, Match, MatchList, find_matches, place_hold
from admin_app.calendars.venue import NightEvent, OpeningHours, VenueDay, VenueMonth, venue_month

__all__ = [
    "BandDay",
    "BandMonth",
    "Gig",
    "HoldRefused",
    "Match",
    "MatchList",
    "MemberMark",
    "Month",
    "MonthError",
    "NightEvent",
    "OpeningHours",
    "VenueDay",
    "VenueMonth",
    "band_feed",
    "band_month",
    "event_uid",
    "find_matches",
    "month_grid",
    "parse_month",
    "place_hold",
    "today_in",
    "venue_feed",
    "venue_month",
]
