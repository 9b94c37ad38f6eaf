"""Test worlds: the one builder of test data, shared by every test file.

- :mod:`tests.worlds.rows` — a builder per model (the only place tests construct rows);
- :mod:`tests.worlds.three_venues` — venues A, B, C with a manager and staff (permissions);
- :mod:`tests.worlds.two_zones` — Berlin and New York venues in a rolled-back session
  (calendars, matching, booking rules);
- :mod:`tests.worlds.site` — the same shape committed, for the calendar pages and feeds
  over HTTP.
"""
