# ion.context — owns Context, the AWS Lambda context a lambda ion receives (the
# reference's :context map), built from the WIT record.
"""The Lambda context of one invocation."""

import time as _time
from dataclasses import dataclass
from typing import Any, Optional

from . import edn as _edn


@dataclass(frozen=True)
class Context:
    """The AWS Lambda context; ``identity`` and ``client_context`` are parsed EDN maps or None."""
    aws_request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    log_group_name: str
    log_stream_name: str
    memory_limit_in_mb: int
    deadline_ms: int
    identity: Optional[Any] = None
    client_context: Optional[Any] = None

    @classmethod
    def from_wit(cls, c):
        """From the WIT ``lambda.context`` record (EDN text fields are read)."""
        def parse(field, text):
            if text is None:
                return None
            try:
                return _edn.read(text)
            except _edn.EdnError as e:
                from .errors import IonError
                raise IonError.incorrect(f"the context's {field} is not valid EDN: {e}") from None
        return cls(c.aws_request_id, c.function_name, c.function_version, c.invoked_function_arn,
                   c.log_group_name, c.log_stream_name, c.memory_limit_in_mb, c.deadline_ms,
                   parse("identity", c.identity), parse("client-context", c.client_context))

    def remaining_time_in_millis(self):
        """Milliseconds left before the call's deadline (0 when past)."""
        return max(0, self.deadline_ms - int(_time.time() * 1000))

    def to_edn(self):
        """The reference's map with keyword keys: ``{:awsRequestId "…" … :remainingTimeInMillis n}``."""
        k = _edn.Keyword
        return {
            k("awsRequestId"): self.aws_request_id,
            k("functionName"): self.function_name,
            k("functionVersion"): self.function_version,
            k("invokedFunctionArn"): self.invoked_function_arn,
            k("logGroupName"): self.log_group_name,
            k("logStreamName"): self.log_stream_name,
            k("memoryLimitInMB"): self.memory_limit_in_mb,
            k("remainingTimeInMillis"): self.remaining_time_in_millis(),
            k("identity"): self.identity,
            k("clientContext"): self.client_context,
        }
