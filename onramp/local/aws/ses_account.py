"""The embedded AWS plays an account's SES limits: sandbox, production, or none (moto's own).

moto's SES sends anything to anyone, as fast as asked: no AWS account does. With a profile,
every handler's ``SendEmail`` meets the account's rules first, answered as SES answers:

- **sandbox** (every new account, per region): recipients must be verified identities or
  SES's mailbox simulator, else ``MessageRejected`` ("Email address is not verified");
  at most 1 message a second and 200 in 24 hours ("Request production access (Moving out
  of the Amazon SES sandbox)", SES developer guide).
- **production**: any recipient; the configured maximum send rate and 24-hour quota (AWS
  grants them per account and region; read yours with ``aws ses get-send-quota``).

Over the rate: ``Throttling`` "Maximum sending rate exceeded."; over the quota:
``Throttling`` "Daily message quota exceeded." (SES's "Errors related to sending quotas").
Mail to the mailbox simulator does not count against the 24-hour quota but is bound by the
send rate (SES guide, "Using the mailbox simulator"). Each refusal is counted by limit, so a
demo's summary can say which one it hit.

Example::

    account = SesAccount(AccountProfile.sandbox())
    MotoServer(middleware=lambda app: meter.wrap(account.wrap(app)))
    account.refusals()          # {"ses max send rate (1/s)": 12}
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

from moto.ses.models import ses_backends

from onramp.local.aws.server import ACCOUNT_ID, INTERNAL_HEADER, REGION
from onramp.local.aws.wsgi import buffered_body

SIMULATOR_DOMAIN = "simulator.amazonses.com"
ACCOUNTS = ("none", "sandbox", "production")
SANDBOX_RATE = 1.0
SANDBOX_QUOTA = 200
DAY_S = 86_400.0
_INTERNAL_ENVIRON_KEY = "HTTP_" + INTERNAL_HEADER.upper().replace("-", "_")
_SEND_ACTIONS = {"SendEmail", "SendRawEmail", "SendTemplatedEmail"}


@dataclass(frozen=True)
class AccountProfile:
    """The SES limits the embedded AWS enforces (``kind`` none: moto's, no limit)."""

    kind: str = "none"
    max_send_rate: float = 0.0
    max_24_hour_send: int = 0

    @classmethod
    def sandbox(cls) -> AccountProfile:
        return cls("sandbox", SANDBOX_RATE, SANDBOX_QUOTA)

    @classmethod
    def production(cls, max_send_rate: float, max_24_hour_send: int) -> AccountProfile:
        return cls("production", max_send_rate, max_24_hour_send)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """``sandbox: SES 1 message/s, 200 a day, verified recipients or the simulator``."""
        if self.kind == "none":
            return "none: SES without account limits (moto)"
        recipients = ", verified recipients or the simulator" if self.kind == "sandbox" else ""
        return (
            f"{self.kind}: SES {self.max_send_rate:g} message/s, "
            f"{self.max_24_hour_send:,} a day{recipients}"
        )


class SesAccount:
    """WSGI middleware enforcing one ``AccountProfile`` on non-internal SES sends."""

    def __init__(self, profile: AccountProfile, clock: Callable[[], float] = time.monotonic):
        self.profile = profile
        self._clock = clock
        self._lock = threading.Lock()
        self._last_second: deque[float] = deque()
        self._last_day: deque[float] = deque()
        self._refusals: Counter[str] = Counter()

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        """``app`` with the profile's rules in front of every handler's SendEmail."""
        if self.profile.kind == "none":
            return app

        def limited(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get(_INTERNAL_ENVIRON_KEY) or not _is_ses(environ):
                return app(environ, start_response)
            form = parse_qs(buffered_body(environ).decode())
            if form.get("Action", [""])[0] not in _SEND_ACTIONS:
                return app(environ, start_response)
            refusal = self.admit(_recipients(form))
            if refusal is None:
                return app(environ, start_response)
            code, message = refusal
            start_response("400 Bad Request", [("Content-Type", "text/xml")])
            return [_error_xml(code, message)]

        return limited

    def admit(self, recipients: list[str]) -> tuple[str, str] | None:
        """None when SES would accept the send now (and count it), else (code, message)."""
        simulated = bool(recipients) and all(_simulated(r) for r in recipients)
        with self._lock:
            if self.profile.kind == "sandbox":
                unverified = [r for r in recipients if not (_simulated(r) or _verified(r))]
                if unverified:
                    return self._refuse(
                        "recipient not verified (sandbox)",
                        "MessageRejected",
                        "Email address is not verified. The following identities failed the "
                        f"check in region {REGION.upper()}: {', '.join(unverified)}",
                    )
            now = self._clock()
            _forget_before(self._last_second, now - 1.0)
            _forget_before(self._last_day, now - DAY_S)
            if len(self._last_second) + len(recipients) > self.profile.max_send_rate:
                return self._refuse(
                    f"ses max send rate ({self.profile.max_send_rate:g}/s)",
                    "Throttling",
                    "Maximum sending rate exceeded.",
                )
            if not simulated and len(self._last_day) + len(recipients) > (
                self.profile.max_24_hour_send
            ):
                return self._refuse(
                    f"ses 24-hour quota ({self.profile.max_24_hour_send:,})",
                    "Throttling",
                    "Daily message quota exceeded.",
                )
            self._last_second.extend([now] * len(recipients))
            if not simulated:
                self._last_day.extend([now] * len(recipients))
        return None

    def refusals(self) -> dict[str, int]:
        """SES sends refused so far, by the limit that refused them."""
        with self._lock:
            return dict(self._refusals)

    def _refuse(self, limit: str, code: str, message: str) -> tuple[str, str]:
        self._refusals[limit] += 1
        return code, message


def _is_ses(environ: dict[str, Any]) -> bool:
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    return "/ses/aws4_request" in authorization or "/email/aws4_request" in authorization


def _recipients(form: dict[str, list[str]]) -> list[str]:
    return [
        value
        for key, values in form.items()
        if key.startswith(("Destination.", "Destinations.member"))
        for value in values
    ]


def _simulated(address: str) -> bool:
    return address.rpartition("@")[2].lower() == SIMULATOR_DOMAIN


def _verified(address: str) -> bool:
    """A verified address, or an address on a verified domain (moto's SES identities)."""
    return bool(ses_backends[ACCOUNT_ID][REGION]._is_verified_address(address))


def _forget_before(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()


def _error_xml(code: str, message: str) -> bytes:
    return (
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>onramp-local</RequestId></ErrorResponse>"
    ).encode()
