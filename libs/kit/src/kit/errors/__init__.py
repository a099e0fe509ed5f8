"""The kit's error vocabulary: each class carries everything a transport or a log needs to know about it.

As go-kit's `StatusCoder` and `Headerer` do, an error says itself which HTTP status and which gRPC status it travels
as, which extra headers go with it, at which level its request line is logged, and whether it counts against the
instance that served it. Transports and the log read these attributes; none of them keeps a table of its own.
`code` names the class on the wire (the `kit-error` header and trailer) and in the `outcome` label of the metrics.

What a client reads differs from what the log reads: a caller's own mistake (4xx) is explained in full, but a
failure on our side (5xx) tells only what failed in the caller's terms ("trim is unavailable: no instance is
running"), never instances, addresses or library text. `dependency` names the service that failed, set by whoever
called it (see `calling`).
"""

from kit.errors.handling import as_kit_error, calling, error_code, is_failure, is_logged, mark_logged, outcome
from kit.errors.retry_after import parse_retry_after, retry_after_seconds
from kit.errors.vocabulary import (
    CANCELLED,
    BusinessError,
    ConnectionFailed,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    KitError,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "CANCELLED",
    "BusinessError",
    "ConnectionFailed",
    "DeadlineExceeded",
    "Internal",
    "InvalidArgument",
    "KitError",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
    "as_kit_error",
    "calling",
    "error_code",
    "is_failure",
    "is_logged",
    "mark_logged",
    "outcome",
    "parse_retry_after",
    "retry_after_seconds",
]

# Tracebacks and reprs name each class where callers import it from: `kit.errors.Internal`.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
