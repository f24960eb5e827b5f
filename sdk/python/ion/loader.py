# ion.loader — owns loading an app from its sources inside the runtime component: a
# meta-path finder serving modules from a {relative path: text} mapping (app.py,
# pkg/__init__.py, pkg/mod.py), and the developer-facing message of a failed load.
"""Importing an app from in-memory sources (there is no filesystem in the guest)."""

import importlib.abc
import importlib.util
import linecache
import sys
import traceback

ENTRY = "app"


class SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads modules whose ``.py`` sources are in ``sources``."""

    def __init__(self, sources):
        self.sources = sources

    def _locate(self, fullname):
        rel = fullname.replace(".", "/")
        if f"{rel}/__init__.py" in self.sources:
            return f"{rel}/__init__.py", True
        if f"{rel}.py" in self.sources:
            return f"{rel}.py", False
        return None, False

    def find_spec(self, fullname, path=None, target=None):
        filename, is_package = self._locate(fullname)
        if filename is None:
            return None
        spec = importlib.util.spec_from_loader(fullname, self, origin=filename,
                                               is_package=is_package)
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [filename.rsplit("/", 1)[0]]
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        filename, _ = self._locate(module.__name__)
        source = self.sources[filename]
        # Tracebacks show the app's lines although no file exists.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        module.__file__ = filename
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, fullname):
        filename, _ = self._locate(fullname)
        return None if filename is None else self.sources[filename]


def describe_failure(e):
    """A developer's message for an exception raised while importing the app: the file and
    line of a syntax error, else the traceback's frames inside the app."""
    if isinstance(e, SyntaxError):
        where = f"{e.filename}, line {e.lineno}"
        line = (e.text or "").rstrip()
        return f"{where}: {type(e).__name__}: {e.msg}" + (f"\n    {line}" if line else "")
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if not f.filename.startswith("<frozen") and "/importlib/" not in f.filename]
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' +
             (f"\n    {f.line}" if f.line else "") for f in frames]
    head = f"{frames[-1].filename}, line {frames[-1].lineno}: " if frames else ""
    return f"{head}{type(e).__name__}: {e}" + ("\nTraceback:\n" + "\n".join(lines) if lines else "")


def load(sources):
    """Installs a finder over ``sources`` and imports the entry module ``app``. Raises
    ValueError with a developer's message when the sources are unusable or the import fails."""
    if not isinstance(sources, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in sources.items()):
        raise ValueError("sources must be a JSON object from relative path to file text")
    py = {}
    for path, text in sources.items():
        path = path.replace("\\", "/")
        path = path[2:] if path.startswith("./") else path
        if path.endswith(".py"):
            py[path] = text
    if f"{ENTRY}.py" not in py:
        found = ", ".join(sorted(py)) or "no .py files"
        raise ValueError(f"the app has no {ENTRY}.py at its top level (found: {found}); "
                         f"the Python SDK imports {ENTRY}.py, which registers the ions")
    sys.meta_path.insert(0, SourceFinder(py))
    try:
        __import__(ENTRY)
    except BaseException as e:  # any failure is the developer's to read
        sys.modules.pop(ENTRY, None)
        raise ValueError(describe_failure(e)) from None
