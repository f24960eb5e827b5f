# ion._wit — owns the seam to the componentize-py bindings (module `wit_world`): converting
# ion errors to and from the WIT record, and calling host imports so that their errors
# raise IonError. Imports of `wit_world` happen here, lazily, so the rest of the SDK (and
# its tests) run on plain CPython.
"""Internal: WIT conversions. Not a public API."""

from . import edn as _edn
from .errors import CATEGORIES, IonError

_WIT_NAMES = {c: c.replace("-", "_").upper() for c in CATEGORIES}


def types():
    """The generated `types` module (IonError, Category, FnKind, FnDecl, AppDescription)."""
    from wit_world.imports import types as t
    return t


def to_wit(e):
    """An IonError as the WIT `ion-error` record."""
    t = types()
    data = None if e.data is None else _edn.dumps(e.data)
    return t.IonError(t.Category[_WIT_NAMES[e.category]], e.message, data)


def from_wit(err):
    """A WIT `ion-error` record (from a host call) as an IonError."""
    category = err.category.name.lower().replace("_", "-")
    data = None
    if err.data is not None:
        try:
            data = _edn.read(err.data)
        except _edn.EdnError:
            data = None
        if not isinstance(data, dict):
            data = None
    return IonError(category, err.message, data)


def call(fn, *args):
    """Calls host import ``fn``; a WIT error raises IonError."""
    from componentize_py_types import Err
    try:
        return fn(*args)
    except Err as e:
        raise from_wit(e.value) from None


def read_answer(text):
    """EDN text the host answered with, read; invalid EDN is a fault."""
    try:
        return _edn.read(text)
    except _edn.EdnError as e:
        raise IonError.fault(f"the host answered with invalid EDN: {e}") from None
