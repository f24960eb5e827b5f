# ion.registry — owns registration of ions (the decorators lambda_, web, tx_fn, query_fn,
# xform, init and namespace), describe, and the dispatch of each exported WIT call to
# the registered Python function, with the conversions of arguments, results and errors.
"""Registering ions and calling them by name."""

import inspect as _inspect
import sys as _sys
import traceback as _traceback

from . import _wit
from . import edn as _edn
from .context import Context
from .db import Db
from .errors import IonError
from .web import Request, Response

SDK = "ion-sdk-python 0.1.0"
KINDS = ("lambda", "web", "tx-fn", "query-fn", "xform")
_KIND_WORDS = {"lambda": "lambda", "web": "web ion", "tx-fn": "transaction function",
               "query-fn": "query function", "xform": "xform"}


class Ion:
    """One registered function: full name, kind, doc and the Python callable."""
    __slots__ = ("name", "kind", "doc", "fn", "signature")

    def __init__(self, name, kind, doc, fn):
        self.name, self.kind, self.doc, self.fn = name, kind, doc, fn
        try:
            self.signature = _inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None

    def __repr__(self):
        return f"Ion({self.name!r}, {self.kind!r})"


_ions = {}          # full name -> Ion, in registration order
_namespaces = {}    # module name -> namespace
_init_hooks = []


def namespace(ns):
    """Sets the namespace of the ions the calling module registers after this call,
    e.g. ``ion.namespace("ion.starter")``. Without it, the module's name is used."""
    if not isinstance(ns, str) or not ns or "/" in ns or " " in ns:
        raise ValueError(f"namespace takes a name such as \"my.app\"; got {ns!r}")
    module = _sys._getframe(1).f_globals.get("__name__", "__main__")
    _namespaces[module] = ns


def _full_name(fn, name):
    if name is not None:
        if not isinstance(name, str) or not name or " " in name:
            raise ValueError(f"an ion's name= must be a non-empty string without spaces; got {name!r}")
        if "/" in name:
            return name
    module = getattr(fn, "__module__", None) or "__main__"
    ns = _namespaces.get(module, module)
    return f"{ns}/{name if name is not None else fn.__name__.replace('_', '-')}"


def _register(kind, fn, name):
    if not callable(fn):
        raise TypeError(f"@ion.{kind.replace('-', '_')} decorates a function; got {fn!r}")
    full = _full_name(fn, name)
    if full in _ions and _ions[full].fn is not fn:
        raise ValueError(f"ion {full} is already registered (as a {_ions[full].kind}); "
                         "give one of them another name=")
    doc = _inspect.getdoc(fn)
    _ions[full] = Ion(full, kind, doc.strip().splitlines()[0] if doc else None, fn)
    return fn


def _decorator(kind):
    def decorate(fn=None, *, name=None):
        if fn is None:
            return lambda f: _register(kind, f, name)
        return _register(kind, fn, name)
    decorate.__name__ = kind.replace("-", "_")
    decorate.__doc__ = (f"Registers a {_KIND_WORDS[kind]}: ``@ion.{decorate.__name__}`` or "
                        f"``@ion.{decorate.__name__}(name=\"...\")``. The name defaults to the "
                        "function's, ``_`` → ``-``, in the module's namespace.")
    return decorate


lambda_ = _decorator("lambda")
web = _decorator("web")
tx_fn = _decorator("tx-fn")
query_fn = _decorator("query-fn")
xform = _decorator("xform")


def init(fn):
    """Registers a start-up hook, run once when a revision loads (lifecycle ``init``)."""
    if not callable(fn):
        raise TypeError(f"@ion.init decorates a function; got {fn!r}")
    _init_hooks.append(fn)
    return fn


def registered():
    """Every registered ion, in registration order."""
    return list(_ions.values())


def reset():
    """Forgets every registration (for tests)."""
    _ions.clear()
    _namespaces.clear()
    _init_hooks.clear()


# --------------------------------------------------------------------------- dispatch

def describe():
    """The WIT ``app-description``: the SDK string and every registered fn with its kind."""
    t = _wit.types()
    kinds = {"lambda": t.FnKind.LAMBDA, "web": t.FnKind.WEB, "tx-fn": t.FnKind.TX_FN,
             "query-fn": t.FnKind.QUERY_FN, "xform": t.FnKind.XFORM}
    return t.AppDescription(SDK, [t.FnDecl(i.name, kinds[i.kind], i.doc) for i in _ions.values()])


def _lookup(kind, name):
    ion = _ions.get(name)
    if ion is None or ion.kind != kind:
        raise IonError.not_found(f"this component defines no {_KIND_WORDS[kind]} named {name}")
    return ion


def as_ion_error(e):
    """Any exception as an IonError: an IonError as is, anything else a ``fault`` with the
    exception's type and message."""
    if isinstance(e, IonError):
        return e
    tb = _traceback.extract_tb(e.__traceback__)
    where = f" (at {tb[-1].filename}:{tb[-1].lineno})" if tb else ""
    return IonError.fault(f"{type(e).__name__}: {e}{where}")


def guarded(call):
    """Runs ``call()``; any exception becomes the WIT ``Err`` of an IonError."""
    from componentize_py_types import Err
    try:
        return call()
    except Err:
        raise
    except BaseException as e:  # an ion's failure of any kind is the caller's answer
        raise Err(_wit.to_wit(as_ion_error(e))) from None


def _bind(ion, args, what):
    """Checks ``args`` fit ``ion``'s signature; a mismatch is an ``incorrect`` error."""
    if ion.signature is None:
        return
    try:
        ion.signature.bind(*args)
    except TypeError:
        params = [p for p in ion.signature.parameters.values()]
        names = " ".join(p.name for p in params)
        raise IonError.incorrect(f"{ion.name} takes {what} ({names}); got {len(args)} "
                                 f"argument{'s' if len(args) != 1 else ''}") from None


def _edn_out(ion, value):
    try:
        return _edn.dumps(value)
    except _edn.EdnError as e:
        raise IonError.fault(f"{ion.name} returned a value that is not EDN: {e}") from None


def _read_arg(text, what):
    try:
        return _edn.read(text)
    except _edn.EdnError as e:
        raise IonError.incorrect(f"{what} is not valid EDN: {e}") from None


def run_init():
    """Runs every @ion.init hook in order."""
    for hook in _init_hooks:
        hook()


def call_lambda(name, input, context):
    """Calls lambda ``name`` with the JSON input text and a WIT context; returns bytes."""
    ion = _lookup("lambda", name)
    out = ion.fn(input, Context.from_wit(context))
    if isinstance(out, str):
        return out.encode("utf-8")
    if isinstance(out, (bytes, bytearray, memoryview)):
        return bytes(out)
    if isinstance(out, (dict, list)):
        import json
        return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raise IonError.fault(f"lambda {name} returned {type(out).__name__}; expected str, bytes, "
                         "or a dict or list (sent as JSON)")


def call_web(name, request):
    """Calls web ion ``name`` with a WIT request; returns a WIT response."""
    ion = _lookup("web", name)
    response = ion.fn(Request.from_wit(request))
    if not isinstance(response, Response):
        raise IonError.fault(f"web ion {name} returned {type(response).__name__}; "
                             "expected an ion.Response")
    response.check(f"web ion {name}")
    from wit_world.exports import web as wit_web
    return wit_web.Response(response.status, list(response.headers), bytes(response.body))


def call_tx_fn(name, db, args):
    """Calls transaction function ``name`` with a (borrowed) WIT database and EDN args."""
    ion = _lookup("tx-fn", name)
    values = [_read_arg(a, f"argument {i}") for i, a in enumerate(args)]
    database = Db(db)
    _bind(ion, [database] + values, "a db and arguments")
    return _edn_out(ion, ion.fn(database, *values))


def call_query_fn(name, args):
    """Calls query function ``name`` with WIT fn-args (values, or databases as Db)."""
    from wit_world.imports import db as wit_db
    ion = _lookup("query-fn", name)
    values = []
    for i, a in enumerate(args):
        if isinstance(a, wit_db.FnArg_Db):
            values.append(Db(a.value))
        else:
            values.append(_read_arg(a.value, f"argument {i}"))
    _bind(ion, values, "arguments")
    return _edn_out(ion, ion.fn(*values))


def call_query_fn_batch(name, rows):
    """Calls query function ``name`` once per row of EDN arguments; one result per row."""
    ion = _lookup("query-fn", name)
    out = []
    for row in rows:
        values = [_read_arg(a, f"argument {i}") for i, a in enumerate(row)]
        _bind(ion, values, "arguments")
        out.append(_edn_out(ion, ion.fn(*values)))
    return out


def call_xform(name, value):
    """Calls xform ``name`` with one EDN value."""
    ion = _lookup("xform", name)
    return _edn_out(ion, ion.fn(_read_arg(value, "the xform's value")))
