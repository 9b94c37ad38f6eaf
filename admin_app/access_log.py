"""Feed tokens and invite tokens never reach the server's log.

A calendar feed's URL (``/feeds/venue/<token>.ics``) holds its only credential, as does
a staff invite's set-password link (``/invite/<token>``), and uvicorn's access log writes
every path in full, as does the outage warning of :mod:`admin_app.errors`.
:func:`redact_path` replaces the token with ``redacted-`` and the first 8 hex digits of
its SHA-256 (the start of the stored ``feed_token_hash`` or ``token_digest``): enough to
tell one feed's or link's requests from another's, useless for fetching the feed or
opening the account.
"""

from __future__ import annotations

import hashlib
import logging
import re

ACCESS_LOGGER = "uvicorn.access"
# Anywhere in the path and in any case: a miswritten feed URL (404) holds the secret too.
_FEED_PATH = re.compile(
    r"(/feeds/(?:venue|band)/|/invite/)([^/?]+?)(\.ics)?(?=$|[?/])", re.IGNORECASE
)


def redact_path(path: str) -> str:
    """``path`` with a feed or invite token replaced by its short fingerprint."""

    def fingerprint(match: re.Match[str]) -> str:
        digest = hashlib.sha256(match.group(2).encode()).hexdigest()[:8]
        return f"{match.group(1)}redacted-{digest}{match.group(3) or ''}"

    return _FEED_PATH.sub(fingerprint, path, count=1)


class RedactFeedTokens(logging.Filter):
    """Rewrites the path argument of uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record; redact its path (uvicorn: client, method, path, ...)."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactFeedTokens) for existing in logger.filters):
        logger.addFilter(RedactFeedTokens())
