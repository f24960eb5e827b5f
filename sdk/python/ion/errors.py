# ion.errors — owns IonError, the anomaly an ion raises (and host calls raise), and its
# nine categories as the WIT contract names them.
"""Ion errors: ``raise ion.IonError.incorrect("...")`` returns that error from the ion."""

CATEGORIES = ("incorrect", "forbidden", "not-found", "conflict", "fault", "unavailable",
              "busy", "interrupted", "unsupported")


class IonError(Exception):
    """An anomaly: ``category`` (one of CATEGORIES), ``message`` and optional ``data``, an
    EDN map (a dict) with namespaced keyword keys, e.g. ``{kw("my.app/order-id"): 42}``."""

    def __init__(self, category, message, data=None):
        if category not in CATEGORIES:
            raise ValueError(f"unknown ion error category {category!r}; expected one of "
                             + ", ".join(CATEGORIES))
        if not isinstance(message, str):
            raise TypeError(f"an ion error's message must be a str; got {type(message).__name__}")
        if data is not None and not isinstance(data, dict):
            raise TypeError(f"an ion error's data must be a dict (an EDN map) or None; "
                            f"got {type(data).__name__}")
        super().__init__(message)
        self.category, self.message, self.data = category, message, data

    def __str__(self):
        return f"{self.category}: {self.message}"

    def __repr__(self):
        return f"IonError({self.category!r}, {self.message!r}, {self.data!r})"

    def __eq__(self, other):
        return isinstance(other, IonError) and (self.category, self.message, self.data) == (
            other.category, other.message, other.data)

    __hash__ = Exception.__hash__

    @classmethod
    def incorrect(cls, message, data=None):
        """The caller sent something wrong (400); also cancels a transaction, query or pull."""
        return cls("incorrect", message, data)

    @classmethod
    def forbidden(cls, message, data=None):
        """The caller may not do this (403)."""
        return cls("forbidden", message, data)

    @classmethod
    def not_found(cls, message, data=None):
        """The thing named does not exist (404)."""
        return cls("not-found", message, data)

    @classmethod
    def conflict(cls, message, data=None):
        """Conflicts with the current state (409)."""
        return cls("conflict", message, data)

    @classmethod
    def fault(cls, message, data=None):
        """A bug in the callee (500)."""
        return cls("fault", message, data)

    @classmethod
    def unavailable(cls, message, data=None):
        """A dependency cannot be reached; retry later (503)."""
        return cls("unavailable", message, data)

    @classmethod
    def busy(cls, message, data=None):
        """At capacity; back off (429)."""
        return cls("busy", message, data)

    @classmethod
    def interrupted(cls, message, data=None):
        """The call was stopped, e.g. by its deadline (504)."""
        return cls("interrupted", message, data)

    @classmethod
    def unsupported(cls, message, data=None):
        """Not supported (501)."""
        return cls("unsupported", message, data)
