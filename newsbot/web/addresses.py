"""Which addresses newsbot may fetch from: globally routable ones (an IPv4 address hidden in an
IPv6 one counts), or also networks the operator allows; and a host's addresses, each checked.
Plain standard library, so reading the settings does not load the HTTP stack."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class AddressRefused(ValueError):
    """A host cannot be resolved or points (partly) at an address the policy refuses."""


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """True for globally routable unicast addresses whose embedded IPv4 address (if any) is one too."""
    inner = embedded_ipv4(address)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return is_public(inner)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not address.is_multicast


def parse_networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """CIDR blocks such as "10.1.0.0/16"; `ValueError` names the first one that is not."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not a network (write it as a CIDR block, e.g. 10.1.0.0/16)") from None
    return tuple(networks)


def allowing(networks: tuple[str, ...]) -> Callable[[Address], bool]:
    """`is_public`, or also the operator's own `networks` (an intranet feed server, say) when given."""
    if not networks:
        return is_public
    blocks = parse_networks(networks)

    def allow(address: Address) -> bool:
        inner = embedded_ipv4(address)
        return is_public(address) or any(address in block or (inner is not None and inner in block) for block in blocks)
    return allow


def resolve_allowed(host: str, port: int, allow: Callable[[Address], bool]) -> list[Address]:
    """The addresses of `host` in DNS order, after checking that `allow` accepts every one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise AddressRefused(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    for address in addresses:
        if not allow(address):
            raise AddressRefused(f"refusing {host}: it points to a non-public address ({address})")
    if not addresses:
        raise AddressRefused(f"cannot resolve {host}: no addresses")
    return addresses
