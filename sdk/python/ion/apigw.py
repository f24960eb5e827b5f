# ion.apigw — owns API Gateway proxy events inside a guest: a faithful port of
# sdk/rust/apigw (event → neutral request, neutral response → proxy response JSON) and of
# ion_edn::json_to_edn. Pure data conversion, no I/O.
"""API Gateway proxy events (REST API, HTTP API payload 1.0 and 2.0)."""

import base64 as _b64
import binascii as _binascii
import json as _json
import re as _re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from . import edn as _edn

METHOD = 'a string such as "GET"'
PATH = 'a string such as "/my/path"'
_TOKEN = _re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")
_I64 = (-(2 ** 63), 2 ** 63 - 1)


class EventError(ValueError):
    """Why a text is not a proxy event; the message names the field and what was expected."""

    def __init__(self, message):
        self.message = f"API Gateway event: {message}"
        super().__init__(self.message)


@dataclass
class GatewayRequest:
    """An HTTP request read from a proxy event (see sdk/rust/apigw)."""
    method: str
    path: str
    query_string: Optional[str]
    headers: List[Tuple[str, str]]
    body: Optional[bytes]
    protocol: str
    remote_addr: str
    scheme: str
    server_name: str
    server_port: Optional[int]
    json: str
    data: str
    version: str  # "1.0" or "2.0"


def json_to_edn(value):
    """JSON (as json.loads gives it) → EDN: object keys become keywords, null nil."""
    if isinstance(value, dict):
        return {_edn.Keyword(k): json_to_edn(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_to_edn(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not _I64[0] <= value <= _I64[1]:
        return float(value)
    return value


def describe(value):
    """A short rendering of a JSON value for messages: scalars as JSON, containers by kind."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str) and len(value) > 40:
        return _json.dumps(value[:40], ensure_ascii=False) + "…"
    return _json.dumps(value, ensure_ascii=False)


def _missing(path, expected):
    return EventError(f"`{path}` is missing; expected {expected}")


def _mismatch(path, value, expected):
    return EventError(f"`{path}` is {describe(value)}; expected {expected}")


def _present(obj, key):
    return obj.get(key)


def _required_str(obj, key, path, expected):
    if key not in obj:
        raise _missing(path, expected)
    v = obj[key]
    if not isinstance(v, str):
        raise _mismatch(path, v, expected)
    return v


def _required_obj(obj, key, path):
    if key not in obj:
        raise _missing(path, "an object")
    v = obj[key]
    if not isinstance(v, dict):
        raise _mismatch(path, v, "an object")
    return v


def _optional_str(obj, key, path):
    v = _present(obj, key)
    if v is None or isinstance(v, str):
        return v
    raise _mismatch(path, v, "a string")


def _optional_in(obj, key, path):
    return None if obj is None else _optional_str(obj, key, path)


def _optional_obj(obj, key, path):
    v = _present(obj, key)
    if v is None or isinstance(v, dict):
        return v
    raise _mismatch(path, v, "an object")


def _strings(value, path):
    if not isinstance(value, list):
        raise _mismatch(path, value, "an array of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _mismatch(f"{path}[{i}]", item, "a string")
    return value


def _single_values(m, path):
    out = []
    for name, value in sorted(m.items()):
        if not isinstance(value, str):
            raise _mismatch(f"{path}.{name}", value, "a string")
        out.append((name, value))
    return out


def _multi_values(m, path):
    return [(name, v) for name, values in sorted(m.items())
            for v in _strings(values, f"{path}.{name}")]


def _pairs_of(obj, multi, single):
    m = _optional_obj(obj, multi, multi)
    if m:
        return _multi_values(m, multi)
    s = _optional_obj(obj, single, single)
    return _single_values(s, single) if s is not None else []


def _check_method(value, path):
    if _TOKEN.fullmatch(value) and value.isascii():
        return value
    raise _mismatch(path, value, METHOD)


def _percent_encode(text):
    return "".join(chr(b) if (chr(b).isascii() and chr(b).isalnum()) or chr(b) in "-._~"
                   else f"%{b:02X}" for b in text.encode("utf-8"))


def _query_string(params):
    out = "&".join(f"{_percent_encode(n)}={_percent_encode(v)}" for n, v in params)
    return out or None


def _first_item(value):
    return value.split(",")[0].strip()


def _strip_port(host):
    host = host.strip()
    if host.startswith("["):
        end = host.find("]")
        return host if end < 0 else host[:end + 1]
    name, colon, port = host.rpartition(":")
    if colon and ":" not in name and port.isascii() and (port == "" or port.isdigit()):
        return name
    return host


def _detect(obj):
    v = _present(obj, "version")
    if v is not None:
        if v == "2.0":
            return "2.0"
        if v == "1.0":
            return "1.0"
        raise EventError(f'`version` is {describe(v)}; expected "1.0" or "2.0"')
    if "httpMethod" in obj:
        return "1.0"
    raise EventError("neither `httpMethod` nor `version` is present; expected a REST API proxy "
                     "event or an HTTP API event of payload format 1.0 or 2.0")


def _v1(obj):
    method = _check_method(_required_str(obj, "httpMethod", "httpMethod", METHOD), "httpMethod")
    path = _required_str(obj, "path", "path", PATH)
    headers = _pairs_of(obj, "multiValueHeaders", "headers")
    params = sorted(_pairs_of(obj, "multiValueQueryStringParameters", "queryStringParameters"),
                    key=lambda p: p[0])
    ctx = _optional_obj(obj, "requestContext", "requestContext")
    identity = _optional_obj(ctx, "identity", "requestContext.identity") if ctx else None
    return dict(method=method, path=path, query_string=_query_string(params), headers=headers,
                protocol=_optional_in(ctx, "protocol", "requestContext.protocol"),
                remote_addr=_optional_in(identity, "sourceIp", "requestContext.identity.sourceIp"),
                domain_name=_optional_in(ctx, "domainName", "requestContext.domainName"))


def _v2(obj):
    ctx = _required_obj(obj, "requestContext", "requestContext")
    http = _required_obj(ctx, "http", "requestContext.http")
    method = _required_str(http, "method", "requestContext.http.method", METHOD)
    method = _check_method(method, "requestContext.http.method")
    path = _required_str(obj, "rawPath", "rawPath", PATH)
    qs = _optional_str(obj, "rawQueryString", "rawQueryString") or None
    single = _optional_obj(obj, "headers", "headers")
    headers = _single_values(single, "headers") if single is not None else []
    cookies = _present(obj, "cookies")
    if cookies is not None:
        cookies = _strings(cookies, "cookies")
        if cookies:
            headers.append(("cookie", "; ".join(cookies)))
    return dict(method=method, path=path, query_string=qs, headers=headers,
                protocol=_optional_str(http, "protocol", "requestContext.http.protocol"),
                remote_addr=_optional_str(http, "sourceIp", "requestContext.http.sourceIp"),
                domain_name=_optional_str(ctx, "domainName", "requestContext.domainName"))


def _body(obj):
    encoded = _present(obj, "isBase64Encoded")
    if encoded is None:
        encoded = False
    elif not isinstance(encoded, bool):
        raise EventError(f"`isBase64Encoded` is {describe(encoded)}; expected true or false")
    text = _optional_str(obj, "body", "body")
    if text is None:
        return None
    if not encoded:
        return text.encode("utf-8")
    try:
        stripped = text.rstrip("=")
        return _b64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except (_binascii.Error, ValueError):
        raise EventError("`body` is not valid base64 although `isBase64Encoded` is true; "
                         "expected standard base64 text") from None


def parse_event(event_json):
    """Reads a proxy event (REST API, or HTTP API payload 1.0 or 2.0) as a GatewayRequest."""
    try:
        event = _json.loads(event_json)
    except ValueError as e:
        raise EventError(f"the text is not JSON ({e}); expected a proxy event object") from None
    if not isinstance(event, dict):
        raise EventError(f"the event is {describe(event)}; expected a JSON object")
    version = _detect(event)
    parts = _v1(event) if version == "1.0" else _v2(event)
    headers = sorted(((n.lower(), v) for n, v in parts["headers"]), key=lambda p: p[0])

    def header(name):
        return next((v for n, v in headers if n == name), None)

    proto = header("x-forwarded-proto")
    scheme = "http" if proto is not None and _first_item(proto).lower() == "http" else "https"
    host = header("host")
    host = _strip_port(host) if host is not None else ""
    server_name = host or parts["domain_name"] or ""
    port = header("x-forwarded-port")
    port = _first_item(port) if port is not None else ""
    server_port = int(port) if port.isascii() and port.isdigit() and int(port) <= 65535 else None
    return GatewayRequest(
        method=parts["method"].lower(), path=parts["path"], query_string=parts["query_string"],
        headers=headers, body=_body(event), protocol=parts["protocol"] or "HTTP/1.1",
        remote_addr=parts["remote_addr"] or "", scheme=scheme, server_name=server_name,
        server_port=server_port, json=event_json, data=_edn.dumps(json_to_edn(event)),
        version=version)


def is_textual(content_type):
    """Whether a Content-Type names text: text/*, JSON, EDN, XML, JavaScript, +json, +xml."""
    media = content_type.split(";")[0].strip().lower()
    return (media.startswith("text/") or media in (
        "application/json", "application/edn", "application/xml", "application/javascript")
        or media.endswith("+json") or media.endswith("+xml"))


def response_json(version, status, headers, body):
    """The proxy response JSON for ``version`` ("1.0"/"2.0"), as sdk/rust/apigw writes it."""
    multi = {}
    for name, value in headers:
        multi.setdefault(name.lower(), []).append(value)
    multi = dict(sorted(multi.items()))
    single, cookies = {}, []
    for name, values in multi.items():
        if name == "set-cookie":
            cookies.extend(values)
            if version == "1.0" and values:
                single[name] = values[-1]
        else:
            single[name] = ", ".join(values)
    content_type = next((v for n, v in headers if n.lower() == "content-type"), None)
    body = bytes(body)
    try:
        text = body.decode("utf-8")
        textual = content_type is None or is_textual(content_type)
    except UnicodeDecodeError:
        text, textual = None, False
    if textual:
        out_body, b64 = text, False
    else:
        out_body, b64 = _b64.b64encode(body).decode("ascii"), True
    out = {"statusCode": status, "headers": single, "multiValueHeaders": multi,
           "body": out_body, "isBase64Encoded": b64}
    if version == "2.0":
        out["cookies"] = cookies
    return _json.dumps(out, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
