"""Why the gateway refuses a whole request: each error carries its HTTP status and a stable code.

::

    HubError
    └── GatewayError                 status / code, message (never quotes a token or a value)
        ├── BadRequest               400 invalid_json    body not JSON; ``line`` names the NDJSON line
        ├── Unauthorized             401 unauthorized    no bearer token, or one no ministry holds
        ├── Forbidden                403 forbidden       the token's ministry does not own the dataset
        ├── UnknownDataset           404 unknown_dataset
        ├── PayloadTooLarge          413 body_too_large  Content-Length or the streamed body over the limit
        ├── UnsupportedMediaType     415 unsupported_media_type
        └── KafkaUnavailable         503 kafka_unavailable  nothing was sent; ``retry_after`` seconds

Events refused one by one (a bad field) are not errors of the request: they are per-event outcomes.
"""

from __future__ import annotations

from hub.errors import HubError


class GatewayError(HubError):
    status = 500
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message}


class BadRequest(GatewayError):
    status, code = 400, "invalid_json"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line

    def body(self) -> dict[str, object]:
        return {**super().body(), **({"line": self.line} if self.line is not None else {})}


class Unauthorized(GatewayError):
    status, code = 401, "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="hub-gateway"'}


class Forbidden(GatewayError):
    status, code = 403, "forbidden"


class UnknownDataset(GatewayError):
    status, code = 404, "unknown_dataset"


class PayloadTooLarge(GatewayError):
    status, code = 413, "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the limit of {limit} bytes; send smaller batches")
        self.limit = limit


class UnsupportedMediaType(GatewayError):
    status, code = 415, "unsupported_media_type"


class KafkaUnavailable(GatewayError):
    status, code = 503, "kafka_unavailable"

    def __init__(self, retry_after_s: int, backlog: int) -> None:
        super().__init__(f"Kafka is not taking events ({backlog} wait in the gateway's spool); nothing was "
                         f"sent: retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s
        self.backlog = backlog

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}
