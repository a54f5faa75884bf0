"""Sign-ups per client: which counter a request counts on, and when its window ends (pure).

HTTP API has no per-client limit (its throttling is per route, for everyone at once), so the
register function counts each request on a per-source counter in ``REGISTER_LIMITS_TABLE``:
one item per source and fixed window, removed by TTL (docs/security.md, "Sign-ups per
client"). The source is ``requestContext.http.sourceIp`` of payload 2.0, the address of the
TCP connection that reached API Gateway. An IPv6 client usually holds a whole /64 (RFC 6177
assigns sites /48 to /64), so IPv6 sources count per /64: a client cannot reset its count by
taking another address of its own prefix.
"""

import ipaddress
from dataclasses import dataclass

IPV6_PREFIX = 64


@dataclass(frozen=True)
class SourceWindow:
    """The counter a request counts on: its key, and when the window ends (epoch seconds)."""

    key: str
    ends_at: int

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` value."""
        return max(1, int(self.ends_at - now + 0.999))


def source_of(source_ip: str) -> str:
    """The source a request counts for: the IPv4 address, or the IPv6 address's /64.

    >>> source_of("203.0.113.7"), source_of("2001:db8:1:2:aaaa::1")
    ('203.0.113.7', '2001:db8:1:2::/64')
    >>> source_of("not an address")
    'unparsed:not an address'
    """
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return f"unparsed:{source_ip.strip()[:64]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def window_for(source: str, now: float, window_s: int) -> SourceWindow:
    """The fixed window ``now`` falls in, for ``source``.

    >>> window_for("203.0.113.7", 7_250.0, 3_600)
    SourceWindow(key='203.0.113.7#2', ends_at=10800)
    """
    index = int(now // window_s)
    return SourceWindow(key=f"{source}#{index}", ends_at=(index + 1) * window_s)
