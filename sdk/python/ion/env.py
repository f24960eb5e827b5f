# ion.env — owns where an ion learns where it runs: get_env, get_app_info, get_params and
# get_app_params (the reference's datomic.ion get-env / get-app-info / get-params).
"""Environment map, app info and parameters."""

from . import _wit
from . import edn as _edn
from .errors import IonError


def _host():
    from wit_world.imports import env
    return env


def get_env():
    """The compute group's environment map, e.g. ``{kw("env"): kw("staging")}``."""
    return _wit.read_answer(_host().get_env())


def get_app_info():
    """The app's info: at least ``:app-name``, and ``:deployment-group`` in a group."""
    return _wit.read_answer(_host().get_app_info())


def get_params(path):
    """Every parameter under ``path`` as a dict name → value (names are last path segments)."""
    if not isinstance(path, str):
        raise IonError.incorrect(f"get_params takes a path string; got {type(path).__name__}")
    return {p.name: p.value for p in _wit.call(_host().get_params, path)}


def _text(mapping, key, source):
    value = _edn.get(mapping, key)
    if isinstance(value, str):
        return value
    if isinstance(value, (_edn.Keyword, _edn.Symbol)):
        return value.name
    raise IonError.incorrect(f"{source} has no :{key}; get-app-params needs it to name the "
                             "parameter path")


def get_app_params():
    """The app's own parameters, under ``/PREFIX/ENV/APP-NAME/``: ENV is get_env()'s ``:env``,
    APP-NAME and PREFIX get_app_info()'s ``:app-name`` and ``:params-prefix``."""
    info, env = get_app_info(), get_env()
    path = "/{}/{}/{}/".format(
        _text(info, "params-prefix", "get-app-info"),
        _text(env, "env", "get-env (set the environment map, e.g. ION_ENV_MAP='{:env :dev}')"),
        _text(info, "app-name", "get-app-info"))
    return get_params(path)
