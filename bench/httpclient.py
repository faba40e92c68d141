"""A small HTTP/1.1 keep-alive client on asyncio streams (the standard library only).

One `Connection` per simulated browser tab: requests go one after the other on it, as a
browser does on one connection. Only what the benchmark needs: Content-Length and chunked
bodies, Set-Cookie kept in a per-parent jar."""

import asyncio
import time
from urllib.parse import urlencode


class HTTPError(Exception):
    pass


class CookieJar(dict):
    def update_from(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name != "set-cookie":
                continue
            pair, _sep, attributes = value.partition(";")
            key, _eq, val = pair.strip().partition("=")
            attributes = attributes.lower()
            if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.pop(key, None)
            else:
                self[key] = val.strip('"')

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.items())


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


class Connection:
    def __init__(self, host: str, port: int, extra_headers: dict[str, str], timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in extra_headers.items())
        self.reader = self.writer = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, jar: CookieJar, *, form=None,
                      headers: dict[str, str] | None = None) -> Response:
        """One request; a connection the server closed is reopened once (keep-alive ended)."""
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout)
            try:
                return await asyncio.wait_for(
                    self._exchange(method, path, jar, form, headers or {}), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError, HTTPError):
                await self.close()
                if fresh or attempt == 2:
                    raise
            except TimeoutError:
                await self.close()
                raise
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, jar, form, headers) -> Response:
        body = urlencode(form, doseq=True).encode() if form is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}"
        if jar:
            head += f"Cookie: {jar.header()}\r\n"
        for k, v in headers.items():
            head += f"{k}: {v}\r\n"
        if form is not None:
            head += ("Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\n")
        self.writer.write(head.encode("latin-1") + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        if not status_line:
            raise HTTPError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        response_headers = []
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _sep, value = line.decode("latin-1").partition(":")
            response_headers.append((name.strip().lower(), value.strip()))
        response = Response(status, response_headers, b"")
        length = response.header("content-length")
        if length is not None:
            response.body = await self.reader.readexactly(int(length))
        elif (response.header("transfer-encoding") or "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            response.body = b"".join(parts)
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        jar.update_from(response_headers)
        return response


def now() -> float:
    return time.perf_counter()
