"""Where a webhook may be sent: http(s) URLs of public addresses.

A subscription's URL is checked when it is made and again before every try (a name
may resolve elsewhere later): a URL whose host resolves to a loopback, private,
link-local or otherwise non-public address is refused, so that a webhook cannot be
aimed at Berth's own network (its database, Redis, a cloud metadata service). Where
integrations run beside Berth on purpose (a developer's machine, the tests), the
setting WEBHOOKS_ALLOW_PRIVATE_URLS lets such addresses through.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SCHEMES = ("http", "https")


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why, for a person."""


def _addresses(host: str, port: int) -> set[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(_("The URL's host cannot be found.")) from error
    return {str(info[4][0]) for info in found}


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def target_check(url: str) -> None:
    """Raise TargetRefused unless `url` may receive webhooks (see the module)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefused(_("Enter a valid URL.")) from error
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise TargetRefused(_("The URL must start with http:// or https://."))
    if parts.username is not None or parts.password is not None:
        # It would be shown to every coordinator of the city and sent in clear: the
        # signature (the secret shown once) is how a receiver knows Berth.
        raise TargetRefused(
            _("The URL cannot hold a username or password: check the signature instead.")
        )
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False):
        return
    if not all(_public(address) for address in _addresses(parts.hostname, port)):
        raise TargetRefused(_("The URL leads to a private or local address."))
