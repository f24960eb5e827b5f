# tests/wit_world/exports/lambda_.py — owns the stand-in of the lambda context record.
from dataclasses import dataclass
from typing import Optional


@dataclass
class Context:
    aws_request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    log_group_name: str
    log_stream_name: str
    memory_limit_in_mb: int
    deadline_ms: int
    identity: Optional[str]
    client_context: Optional[str]
