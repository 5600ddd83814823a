"""A webhook's POST, cut off when its time is up, whatever the receiver does.

requests' timeouts bound each wait on the socket, not the whole exchange: a receiver that
sends its answer a byte every few seconds would hold the sender (a worker's slot, or,
with no broker, the request that caused the event) for as long as it liked. Here the
connections a session opens keep their sockets, and a timer shuts them when the time is
up: the blocked read ends and the POST raises, reported as a timeout.
"""

import contextlib
import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The sockets opened by the POST this thread is sending (connections are made in the
# thread that asks for them).
_opened = threading.local()


class _Kept:
    def _new_conn(self):
        sock = super()._new_conn()  # type: ignore[misc]
        getattr(_opened, "sockets", []).append(sock)
        return sock


class _KeptHTTPConnection(_Kept, HTTPConnection):
    pass


class _KeptHTTPSConnection(_Kept, HTTPSConnection):
    pass


class _KeptHTTPPool(HTTPConnectionPool):
    ConnectionCls = _KeptHTTPConnection


class _KeptHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _KeptHTTPSConnection


class _KeptAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _KeptHTTPPool, "https": _KeptHTTPSPool}


class TimeUp(requests.Timeout):
    """The POST had not ended when its time was up."""


def post_within(seconds: float, url: str, **kwargs) -> requests.Response:
    """`requests.post(url, **kwargs)` that ends within about `seconds` in all: past them,
    TimeUp. No proxy or .netrc of the environment is used."""
    sockets: list[socket.socket] = []
    up = threading.Event()

    def cut() -> None:
        up.set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    _opened.sockets = sockets
    with requests.Session() as session:
        session.trust_env = False
        session.mount("http://", _KeptAdapter())
        session.mount("https://", _KeptAdapter())
        timer.start()
        try:
            answer = session.post(url, **kwargs)
        except requests.RequestException as error:
            if up.is_set():
                raise TimeUp(f"no answer within {seconds:g} s") from error
            raise
        finally:
            timer.cancel()
            _opened.sockets = []
        if up.is_set():
            # Cut off while its headers came: an end of the stream reads as their end,
            # so the answer may look whole.
            answer.close()
            raise TimeUp(f"no answer within {seconds:g} s")
        return answer
