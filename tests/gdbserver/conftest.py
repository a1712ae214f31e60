import socket
import threading
from pathlib import Path

import pytest

from simulator.gdbserver import GdbServer, checksum

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class RspClient:
    """A minimal GDB-side client: enough to drive the stub the way gdb does."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def _read(self) -> bytes:
        while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
            data = self.sock.recv(65536)
            assert data, "stub closed the connection"
            self.buf += data
        return self.buf

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def ask(self, payload: str) -> str:
        body = payload.encode()
        self.sock.sendall(b"$" + body + b"#%02x" % checksum(body))
        buf = self._read()
        start, end = buf.index(b"$"), buf.index(b"#")
        assert buf[:start].strip(b"+") == b"", buf[:start]
        reply, sent = buf[start + 1:end], buf[end + 1:end + 3]
        assert int(sent, 16) == checksum(reply)
        self.buf = buf[end + 3:]
        self.sock.sendall(b"+")
        return reply.decode("latin-1")

    def close(self):
        self.sock.close()


class Session:
    """A GdbServer on a free loopback port, its session in a thread, and a client connected to it."""

    def __init__(self, fw, echo, connect: bool):
        self.server = GdbServer(fw, 0, echo=echo)
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.client = RspClient(self.server.port) if connect else None

    def _serve(self):
        try:
            self.server.accept()
            self.server.session()
            self.result = self.server.finish()
        except Exception as exc:  # surfaced by the test
            self.error = exc

    def join(self):
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error:
            raise self.error
        return self.result


@pytest.fixture
def debug_session():
    made = []

    def start(fw, echo, connect=True):
        s = Session(fw, echo, connect)
        made.append(s)
        return s

    yield start
    for s in made:
        if s.client:
            s.client.close()
