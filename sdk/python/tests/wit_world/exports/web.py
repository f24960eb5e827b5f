# tests/wit_world/exports/web.py — owns the stand-ins of the web request/response records.
from dataclasses import dataclass
from typing import List, Optional, Tuple


@dataclass
class Request:
    request_method: str
    uri: str
    query_string: Optional[str]
    headers: List[Tuple[str, str]]
    body: Optional[bytes]
    protocol: str
    remote_addr: str
    scheme: str
    server_name: str
    server_port: Optional[int]
    api_gateway_json: Optional[str]
    api_gateway_data: Optional[str]


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes
