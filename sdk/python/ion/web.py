# ion.web — owns web ions' Request and Response (the reference's Ring-style maps as
# Python classes) and ionize, which runs a web handler behind an API Gateway proxy.
"""Web ions: ``Request`` in, ``Response`` out."""

import json as _json
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple
from urllib.parse import unquote_to_bytes as _unquote_to_bytes

from . import apigw as _apigw
from . import edn as _edn
from .errors import IonError


def _decode(s):
    """Decodes ``%XX`` escapes and ``+`` in a query-string component (bad escapes kept)."""
    return _unquote_to_bytes(s.replace("+", " ")).decode("utf-8", "replace")


@dataclass
class Request:
    """An HTTP request (the reference's web ion input map). Headers keep arrival order,
    names lower case; ``api_gateway_data`` is the proxy event as parsed EDN."""
    request_method: str
    uri: str
    query_string: Optional[str] = None
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: Optional[bytes] = None
    protocol: str = "HTTP/1.1"
    remote_addr: str = ""
    scheme: str = "http"
    server_name: str = ""
    server_port: Optional[int] = None
    api_gateway_json: Optional[str] = None
    api_gateway_data: Optional[Any] = None

    @classmethod
    def from_wit(cls, r):
        """From the WIT ``web.request`` record."""
        data = None
        if r.api_gateway_data is not None:
            try:
                data = _edn.read(r.api_gateway_data)
            except _edn.EdnError as e:
                raise IonError.incorrect(f"the request's api-gateway-data is not valid EDN: {e}") from None
        return cls(r.request_method, r.uri, r.query_string, [tuple(h) for h in r.headers],
                   None if r.body is None else bytes(r.body), r.protocol, r.remote_addr, r.scheme,
                   r.server_name, r.server_port, r.api_gateway_json, data)

    def header(self, name):
        """The first value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def query_param(self, name):
        """The first value of query parameter ``name``, percent-decoded, or None."""
        if self.query_string is None:
            return None
        for pair in self.query_string.split("&"):
            k, _, v = pair.partition("=")
            if _decode(k) == name:
                return _decode(v)
        return None

    def body_text(self):
        """The body as UTF-8 text ("" when absent; invalid bytes replaced)."""
        return "" if self.body is None else bytes(self.body).decode("utf-8", "replace")

    def to_edn(self):
        """The reference's map ``{:request-method :get :uri "/" :headers {…} …}``; repeated
        headers joined with ", " as Ring does."""
        k = _edn.Keyword
        headers = {}
        for name, value in self.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        m = {k("request-method"): k(self.request_method), k("uri"): self.uri}
        if self.query_string is not None:
            m[k("query-string")] = self.query_string
        m[k("headers")] = dict(sorted(headers.items()))
        m[k("protocol")] = self.protocol
        m[k("remote-addr")] = self.remote_addr
        m[k("scheme")] = k(self.scheme)
        m[k("server-name")] = self.server_name
        if self.server_port is not None:
            m[k("server-port")] = self.server_port
        if self.body is not None:
            m[k("body")] = self.body_text()
        return m


@dataclass
class Response:
    """An HTTP response: ``status``, ``headers`` (a name may repeat) and ``body`` bytes."""
    status: int = 200
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def text(cls, status, text):
        """A ``text/plain; charset=utf-8`` response."""
        return cls(status, [("content-type", "text/plain; charset=utf-8")], text.encode("utf-8"))

    @classmethod
    def edn(cls, status, value):
        """An ``application/edn`` response with ``value`` printed."""
        return cls(status, [("content-type", "application/edn")], _edn.dumps(value).encode("utf-8"))

    @classmethod
    def json(cls, status, value):
        """An ``application/json`` response with ``value`` as JSON."""
        body = _json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, [("content-type", "application/json")], body)

    @classmethod
    def binary(cls, status, body, content_type="application/octet-stream"):
        """A response with raw ``body`` bytes and ``content_type``."""
        return cls(status, [("content-type", content_type)], bytes(body))

    def header(self, name, value):
        """Adds a header (a name may be added more than once); returns self."""
        self.headers.append((name, value))
        return self

    def check(self, where):
        """Raises a ``fault`` naming what is wrong unless this is a well-formed response."""
        if not isinstance(self.status, int) or not 100 <= self.status <= 999:
            raise IonError.fault(f"{where} returned status {self.status!r}; expected an int 100-999")
        if not isinstance(self.body, (bytes, bytearray, memoryview)):
            raise IonError.fault(f"{where} returned a body of type {type(self.body).__name__}; "
                                 "expected bytes (use Response.text for str)")
        for h in self.headers:
            if not (isinstance(h, tuple) and len(h) == 2 and all(isinstance(x, str) for x in h)):
                raise IonError.fault(f"{where} returned header {h!r}; expected a (name, value) "
                                     "tuple of str")


def ionize(handler, event_json):
    """Runs web handler ``handler`` as a lambda behind an API Gateway proxy (payload 1.0
    or 2.0), as ``datomic.ion.lambda.api-gateway/ionize``: returns the proxy response JSON.
    A malformed event is an ``incorrect`` error naming the field."""
    try:
        g = _apigw.parse_event(event_json)
    except _apigw.EventError as e:
        raise IonError.incorrect(e.message) from None
    request = Request(g.method, g.path, g.query_string, g.headers, g.body, g.protocol,
                      g.remote_addr, g.scheme, g.server_name, g.server_port,
                      api_gateway_json=g.json, api_gateway_data=_edn.read(g.data))
    response = handler(request)
    if not isinstance(response, Response):
        raise IonError.fault(f"web handler {getattr(handler, '__name__', handler)!r} returned "
                             f"{type(response).__name__}; expected an ion.Response")
    response.check("the web handler")
    return _apigw.response_json(g.version, response.status, response.headers, response.body)
