# ion_guest — owns the guest entry componentize-py builds for world `ion-runtime`: the
# export classes (Describe, Lifecycle, Lambda, Web, TxFn, QueryFn, QueryFnBatch, Xform, Loader) that
# dispatch to the ion registry, and the choice between the two build modes:
#   runtime  — no `app` module on the path at build time; the host calls Loader.load with
#              the app's sources, which imports app.py from memory;
#   one-shot — `app` is on the path at build time (`-p APP_DIR`) and is imported now;
#              Loader.load then refuses, so the two modes are never confused.
"""componentize-py entry: ``componentize-py -d wit -w ion-runtime componentize ion_guest``."""

import importlib
import importlib.util
import json
import os
import random
import sys

# Modules apps commonly use, imported at build time: after the snapshot there is no
# filesystem to import them from. A module this Python build lacks is recorded, not fatal.
STDLIB = ("json re base64 datetime decimal fractions uuid math random string struct "
          "collections itertools functools operator dataclasses enum typing textwrap html "
          "urllib.parse hashlib hmac binascii zlib copy bisect heapq statistics time calendar "
          "unicodedata io secrets traceback inspect abc contextlib numbers pprint types "
          "email.utils urllib.request").split()
UNAVAILABLE = []
for _name in STDLIB:
    try:
        importlib.import_module(_name)
    except ImportError as _e:
        UNAVAILABLE.append(f"{_name} ({_e})")
if UNAVAILABLE:
    print("ion_guest: standard modules this Python lacks: " + "; ".join(UNAVAILABLE),
          file=sys.stderr)

import ion  # noqa: E402
from ion import loader as _loader  # noqa: E402
from ion import registry as _registry  # noqa: E402
from componentize_py_types import Err  # noqa: E402
from wit_world.imports import cast as _cast, db as _db, env as _env, types as _types  # noqa: E402,F401
from wit_world.exports import lambda_ as _wl, web as _ww  # noqa: E402,F401


def _one_shot_app():
    """The `app` module's spec when this is a one-shot build (app dir given with -p)."""
    spec = importlib.util.find_spec(_loader.ENTRY)
    if spec is None:
        return None
    origin = spec.origin or ""
    config = os.path.join(os.path.dirname(origin), "ion-config.edn")
    if not os.path.exists(config):
        raise ImportError(f"found a module named {_loader.ENTRY!r} at {origin} with no "
                          "ion-config.edn beside it; a one-shot build imports the app's app.py, "
                          "a runtime build must not have any module named 'app' on its path")
    return spec


if _one_shot_app() is not None:
    MODE = "one-shot"
    importlib.import_module(_loader.ENTRY)  # an error inside app.py fails the build, loudly
else:
    MODE = "runtime"
_loaded = MODE == "one-shot"


def _call(fn, *args):
    """Runs one exported call: fresh randomness per call (the snapshot froze the seed), a
    loaded app, and every exception turned into the WIT error."""
    random.seed()
    if not _loaded:
        def refuse():
            raise ion.IonError.fault("no app is loaded: this is the Python runtime component; "
                                     "the host must call loader.load with the app's sources first")
        return _registry.guarded(refuse)
    return _registry.guarded(lambda: fn(*args))


class Loader:
    def load(self, sources):
        global _loaded
        if MODE == "one-shot":
            raise Err("this component was built with the app included (one-shot build: app.py "
                      "was on the path at build time); it cannot load sources. Build the runtime "
                      "component without the app folder on the path.")
        if _loaded:
            raise Err("an app is already loaded in this instance; load is called once")
        try:
            files = json.loads(sources)
        except ValueError as e:
            raise Err(f"sources must be a JSON object from relative path to file text: {e}")
        try:
            _loader.load(files)
        except ValueError as e:
            raise Err(str(e))
        _loaded = True
        _settle()


# Room the heap gets before the snapshot: what a call allocates then comes from free
# memory the snapshot already has, instead of growing linear memory, which the host must
# shrink back after every call (an mprotect, and a TLB shootdown across cores). Free
# pages are zeros, so they add nothing to the component's size.
HEAP_HEADROOM = 16 << 20


def _settle():
    """Gives the loaded instance's heap its headroom before the snapshot."""
    room = bytearray(HEAP_HEADROOM)
    del room


class Describe:
    def describe(self):
        return _registry.describe()


class Lifecycle:
    def init(self):
        return _call(_registry.run_init)


class Lambda:
    def handle(self, name, input, context):
        return _call(_registry.call_lambda, name, input, context)


class Web:
    def handle(self, name, request):
        return _call(_registry.call_web, name, request)


class TxFn:
    def call(self, name, db, args):
        return _call(_registry.call_tx_fn, name, db, args)


class QueryFn:
    def call(self, name, args):
        return _call(_registry.call_query_fn, name, args)


class QueryFnBatch:
    def call_batch(self, name, rows):
        return _call(_registry.call_query_fn_batch, name, rows)


class Xform:
    def call(self, name, value):
        return _call(_registry.call_xform, name, value)
