"""Loaded by every kernel of the test build (IPYTHONDIR points here): no network at run time.

Any connection to an address outside the loopback range raises. The kernel's own channels use
loopback, so notebooks run normally; a page that tries to download something fails loudly.
"""

import ipaddress
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be network access


def _guard(method):
    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            raise ConnectionRefusedError(f"network access is blocked while the book is tested: {address!r}")
        return method(self, address)

    return guarded


socket.socket.connect = _guard(_connect)
socket.socket.connect_ex = _guard(_connect_ex)
_getaddrinfo = socket.getaddrinfo


def _getaddrinfo_guard(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1", "") and not _allowed((host,)):
        raise socket.gaierror(f"name resolution is blocked while the book is tested: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo_guard
