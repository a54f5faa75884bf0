"""External lookup of an email domain, behind a small provider interface with a timeout.

Providers (``LOOKUP_PROVIDER``): ``dns`` (real: an MX query with dnspython), ``none`` (no
lookup, recorded as ``skipped``) and ``fake`` (deterministic, for tests and local runs;
``LOOKUP_FAKE_MODE=ok|error|hang``). A failure or timeout is a result, never an exception:
the onboarding records it and carries on. No AWS imports.
"""

import threading
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, Protocol


class LookupProvider(Protocol):
    """Answers whether a mail domain has an MX record; raises if it cannot tell."""

    name: str

    def has_mx(self, domain: str, timeout_s: float) -> bool:
        """True when ``domain`` publishes at least one MX record."""
        ...


@dataclass(frozen=True)
class LookupResult:
    """Outcome of a lookup: ``status`` is ``ok``, ``error`` (with ``reason``) or ``skipped``."""

    status: str
    provider: str
    reason: str | None = None
    has_mx: bool | None = None

    def as_item(self) -> dict[str, Any]:
        """The result as a DynamoDB-ready map (absent values left out)."""
        return {key: value for key, value in vars(self).items() if value is not None}


class DnsMxProvider:
    """The real provider: an MX query through the system resolver (dnspython)."""

    name = "dns"

    def has_mx(self, domain: str, timeout_s: float) -> bool:
        """Query MX records; a missing domain or empty answer means no MX."""
        import dns.resolver  # lazy: only the dns provider pays for the import

        try:
            answer = dns.resolver.resolve(domain, "MX", lifetime=timeout_s)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return False
        return len(answer) > 0


class FakeProvider:
    """Deterministic provider: ``ok`` says a domain has MX unless it starts with ``nomx.``;
    ``error`` always raises; ``hang`` never answers (so the caller's timeout fires)."""

    name = "fake"
    MODES = ("ok", "error", "hang")

    def __init__(self, mode: str = "ok") -> None:
        if mode not in self.MODES:
            raise ValueError(f"LOOKUP_FAKE_MODE must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def has_mx(self, domain: str, timeout_s: float) -> bool:
        """Answer per ``mode``."""
        if self.mode == "error":
            raise LookupError("fake lookup failure")
        if self.mode == "hang":
            threading.Event().wait(timeout_s * 10 + 5)
        return not domain.startswith("nomx.")


def provider_named(name: str, fake_mode: str = "ok") -> LookupProvider | None:
    """The provider for a ``LOOKUP_PROVIDER`` value (``None`` for ``none``)."""
    if name == "dns":
        return DnsMxProvider()
    if name == "fake":
        return FakeProvider(fake_mode)
    if name == "none":
        return None
    raise ValueError(f"LOOKUP_PROVIDER must be dns, fake or none, got {name!r}")


def lookup_domain(provider: LookupProvider | None, domain: str, timeout_s: float) -> LookupResult:
    """Run the provider with a hard timeout (a daemon thread, so a hung lookup never blocks).

    >>> lookup_domain(FakeProvider("error"), "example.com", 0.5).reason
    'error'
    """
    if provider is None:
        return LookupResult(status="skipped", provider="none")
    answers: SimpleQueue[tuple[bool, bool]] = SimpleQueue()

    def run() -> None:
        try:
            answers.put((True, provider.has_mx(domain, timeout_s)))
        except Exception:  # any provider failure is an outcome, not a crash
            answers.put((False, False))

    threading.Thread(target=run, name=f"lookup-{provider.name}", daemon=True).start()
    try:
        succeeded, has_mx = answers.get(timeout=timeout_s)
    except Empty:
        return LookupResult(status="error", provider=provider.name, reason="timeout")
    if not succeeded:
        return LookupResult(status="error", provider=provider.name, reason="error")
    return LookupResult(status="ok", provider=provider.name, has_mx=has_mx)
