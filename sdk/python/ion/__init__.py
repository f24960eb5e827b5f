# ion — owns the public surface of the Python SDK for Ion Host: everything an app imports
# (`import ion`), re-exported from the modules that implement it.
"""The Python SDK for Ion Host: write ions as ordinary functions and mark them.

    import ion

    ion.namespace("my.app")

    @ion.lambda_
    def echo(input, context):
        "Echos input"
        return input
"""

from . import cast, edn
from .context import Context
from .db import Connection, Db, TxReport, connect, create_database, delete_database, \
    list_databases, q
from .edn import Char, Keyword, List, Symbol, Tagged, kw, sym
from .env import get_app_info, get_app_params, get_env, get_params
from .errors import CATEGORIES, IonError
from .registry import SDK, init, lambda_, namespace, query_fn, tx_fn, web, xform
from .web import Request, Response, ionize

__version__ = "0.1.0"

__all__ = ["cast", "edn", "Context", "Connection", "Db", "TxReport", "connect",
           "create_database", "delete_database", "list_databases", "q", "Char", "Keyword",
           "List", "Symbol", "Tagged", "kw", "sym", "get_app_info", "get_app_params", "get_env",
           "get_params", "CATEGORIES", "IonError", "SDK", "init", "lambda_", "namespace",
           "query_fn", "tx_fn", "web", "xform", "Request", "Response", "ionize"]
