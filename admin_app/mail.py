"""Turning an outbox message into an email and handing it over: to an SMTP server
(``SMTP_URL``), or, with none configured, to the log (development needs nothing).

The standard library does the protocol: ``email.message.EmailMessage`` for the text and
HTML alternatives and the attachments, ``smtplib`` for STARTTLS, TLS, login and timeouts.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from ipaddress import ip_address
from typing import Protocol
from urllib.parse import unquote, urlsplit

from admin_app.settings import Settings
from models import OutboxMessage

logger = logging.getLogger("admin_app.mail")
PORTS = {"smtp": 587, "smtps": 465}


class DeliveryError(Exception):
    """The message was not handed over; ``str(error)`` says why (kept as last_error)."""


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The email for ``message``, identical on every attempt (same Message-ID)."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:40]
    email["Message-ID"] = f"<{digest}@{domain}>"
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        # Text attachments only (the show as .ics): add_attachment takes them as str.
        maintype, _, rest = attachment["content_type"].partition("/")
        if maintype != "text":
            raise ValueError(f"unsupported attachment type {attachment['content_type']}")
        subtype, *params = (part.strip() for part in rest.split(";"))
        email.add_attachment(
            attachment["content"],
            subtype=subtype,
            filename=attachment["filename"],
            params=dict(param.split("=", 1) for param in params if "=" in param),
        )
    return email


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificate-checking TLS, made once: loading the CA store costs ~40 ms a message."""
    return ssl.create_default_context()


class Transport(Protocol):
    """Where messages go. ``send`` raises :class:`DeliveryError` when they did not."""

    logs_only: bool

    def send(self, email: EmailMessage) -> None:
        """Hand ``email`` over."""


class LogTransport:
    """No mail server configured: write each message to the log (``make run``)."""

    logs_only = True

    def send(self, email: EmailMessage) -> None:
        """Log who would have received what."""
        body = email.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        logger.info(
            "mail (no SMTP_URL, logged only) to %s: %s\n%s", email["To"], email["Subject"], text
        )


@dataclass(frozen=True)
class SmtpTransport:
    """An SMTP server: ``smtps://`` speaks TLS from the start; ``smtp://`` upgrades with
    STARTTLS when the server offers it, and refuses to send a password in clear to
    anything but this machine when it does not."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    timeout: float
    logs_only = False

    @classmethod
    def from_url(cls, url: str, timeout: float) -> SmtpTransport:
        """Read ``smtp[s]://[user:password@]host[:port]`` (checked by the settings)."""
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "",
            port=parts.port or PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    def _is_loopback(self) -> bool:
        try:
            return self.host == "localhost" or ip_address(self.host).is_loopback
        except ValueError:
            return False

    def send(self, email: EmailMessage) -> None:
        """One SMTP conversation per message: connect, secure, log in, send, quit."""
        try:
            if self.implicit_tls:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=_tls_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                server.ehlo()
                if not self.implicit_tls and server.has_extn("starttls"):
                    server.starttls(context=_tls_context())
                    server.ehlo()
                elif not self.implicit_tls and self.username and not self._is_loopback():
                    raise DeliveryError(
                        f"{self.host} does not offer STARTTLS: the SMTP password is not "
                        "sent in clear (use smtps:// or a server that offers STARTTLS)"
                    )
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(email)
        except smtplib.SMTPResponseException as error:
            answer = error.smtp_error
            text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
            raise DeliveryError(f"{self.host} answered {error.smtp_code} {text}") from error
        except (smtplib.SMTPException, OSError) as error:
            # OSError covers refused connections and timeouts (socket.timeout).
            raise DeliveryError(f"{type(error).__name__}: {error}") from error


def transport_for(settings: Settings) -> Transport:
    """The SMTP server of ``SMTP_URL``, or the log when it is not set."""
    if settings.smtp_url is None:
        return LogTransport()
    return SmtpTransport.from_url(str(settings.smtp_url), settings.smtp_timeout)
