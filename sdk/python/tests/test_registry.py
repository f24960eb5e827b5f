# tests/test_registry.py — owns the tests of registration, describe and dispatch: names and
# kinds, not-found, errors (IonError kept, other exceptions as faults), argument checks, and
# the host-call wrappers (env, cast, db) over the wit_world stand-ins.
import unittest

import support  # noqa: F401
import ion
from componentize_py_types import Err
from ion import IonError, Response, kw, registry
from wit_world.exports import lambda_ as wl
from wit_world.exports import web as ww
from wit_world.imports import cast as wcast
from wit_world.imports import db as wdb
from wit_world.imports import env as wenv
from wit_world.imports import types as wt


def context(identity=None):
    return wl.Context("req-1", "app-echo", "$LATEST", "arn", "group", "stream", 128, 0,
                      identity, None)


def wit_request(method="get", uri="/", body=None):
    return ww.Request(method, uri, "a=1&b=x%20y", [("x-a", "1"), ("x-a", "2")], body,
                      "HTTP/1.1", "127.0.0.1", "http", "localhost", 8080, None, None)


class Registry(unittest.TestCase):
    def setUp(self):
        registry.reset()
        ion.namespace("my.app")

        @ion.lambda_
        def echo_it(input, context):
            """Echos input.

            More text."""
            return input

        @ion.lambda_(name="as-json")
        def as_json(input, context):
            return {"id": context.aws_request_id, "identity": ion.edn.dumps(context.identity)}

        @ion.web
        def site(request):
            if request.uri == "/boom":
                raise RuntimeError("boom")
            return Response.text(200, request.query_param("b"))

        @ion.tx_fn
        def make(db, sku, size):
            return [{kw("inv/sku"): sku, kw("inv/size"): size, kw("t"): db.basis_t()}]

        @ion.query_fn(name="other.ns/pred?")
        def pred(*args):
            return [a for a in args if not isinstance(a, ion.Db)][-1] == "x"

        @ion.xform
        def shout(value):
            if not isinstance(value, str):
                raise IonError.incorrect("shout takes a string", {kw("my.app/got"): value})
            return value.upper()

    def call(self, fn, *args):
        return registry.guarded(lambda: fn(*args))

    def test_describe(self):
        d = registry.describe()
        self.assertEqual(d.sdk, "ion-sdk-python 0.1.0")
        got = [(f.name, f.kind, f.doc) for f in d.fns]
        self.assertEqual(got, [
            ("my.app/echo-it", wt.FnKind.LAMBDA, "Echos input."),
            ("my.app/as-json", wt.FnKind.LAMBDA, None),
            ("my.app/site", wt.FnKind.WEB, None),
            ("my.app/make", wt.FnKind.TX_FN, None),
            ("other.ns/pred?", wt.FnKind.QUERY_FN, None),
            ("my.app/shout", wt.FnKind.XFORM, None),
        ])

    def test_lambdas(self):
        self.assertEqual(self.call(registry.call_lambda, "my.app/echo-it", '{"a":"ü"}', context()),
                         '{"a":"ü"}'.encode())
        out = self.call(registry.call_lambda, "my.app/as-json", "{}", context("{:a 1}"))
        self.assertEqual(out, b'{"id":"req-1","identity":"{:a 1}"}')

    def test_unknown_names_and_wrong_kinds_are_not_found(self):
        for name in ("my.app/nope", "my.app/site"):
            with self.assertRaises(Err) as cm:
                self.call(registry.call_lambda, name, "{}", context())
            self.assertEqual(cm.exception.value.category, wt.Category.NOT_FOUND)
            self.assertIn(f"no lambda named {name}", cm.exception.value.message)

    def test_web(self):
        r = self.call(registry.call_web, "my.app/site", wit_request())
        self.assertEqual((r.status, r.headers, r.body),
                         (200, [("content-type", "text/plain; charset=utf-8")], b"x y"))

    def test_exceptions_are_faults_with_type_and_message(self):
        with self.assertRaises(Err) as cm:
            self.call(registry.call_web, "my.app/site", wit_request(uri="/boom"))
        self.assertEqual(cm.exception.value.category, wt.Category.FAULT)
        self.assertIn("RuntimeError: boom", cm.exception.value.message)

    def test_tx_fn_and_argument_count(self):
        out = self.call(registry.call_tx_fn, "my.app/make", wdb.Database(), ['"SKU-1"', ":small"])
        self.assertEqual(out, '[{:inv/sku "SKU-1", :inv/size :small, :t 7}]')
        with self.assertRaises(Err) as cm:
            self.call(registry.call_tx_fn, "my.app/make", wdb.Database(), ['"SKU-1"'])
        self.assertEqual(cm.exception.value.category, wt.Category.INCORRECT)
        self.assertIn("takes a db and arguments (db sku size); got 2 arguments",
                      cm.exception.value.message)
        with self.assertRaises(Err) as cm:
            self.call(registry.call_tx_fn, "my.app/make", wdb.Database(), ["{:a", "1"])
        self.assertIn("argument 0 is not valid EDN", cm.exception.value.message)

    def test_query_fn_gets_dbs_and_values(self):
        args = [wdb.FnArg_Db(wdb.Database()), wdb.FnArg_Value('"x"')]
        self.assertEqual(self.call(registry.call_query_fn, "other.ns/pred?", args), "true")

    def test_xform_errors_keep_category_and_data(self):
        self.assertEqual(self.call(registry.call_xform, "my.app/shout", '"hi"'), '"HI"')
        with self.assertRaises(Err) as cm:
            self.call(registry.call_xform, "my.app/shout", "1")
        e = cm.exception.value
        self.assertEqual((e.category, e.message, e.data),
                         (wt.Category.INCORRECT, "shout takes a string", "{:my.app/got 1}"))

    def test_duplicate_names_are_refused(self):
        with self.assertRaisesRegex(ValueError, "already registered"):
            ion.lambda_(lambda i, c: i, name="echo-it")

    def test_error_helpers(self):
        for c in ion.CATEGORIES:
            e = getattr(IonError, c.replace("-", "_"))("m")
            self.assertEqual((e.category, e.message), (c, "m"))
        with self.assertRaisesRegex(ValueError, "expected one of incorrect"):
            IonError("bad", "m")


class HostCalls(unittest.TestCase):
    def test_env_and_params(self):
        wenv.get_env = lambda: "{:env :dev}"
        wenv.get_app_info = lambda: '{:app-name "my-app" :params-prefix "datomic-shared"}'
        seen = []

        def get_params(path):
            seen.append(path)
            return [wenv.Param("db-name", "prod-db")]
        wenv.get_params = get_params
        self.assertEqual(ion.get_env(), {kw("env"): kw("dev")})
        self.assertEqual(ion.get_app_params(), {"db-name": "prod-db"})
        self.assertEqual(seen, ["/datomic-shared/dev/my-app/"])
        wenv.get_env = lambda: "{}"
        with self.assertRaisesRegex(IonError, "has no :env"):
            ion.get_app_params()

    def test_host_errors_raise_ion_errors(self):
        def failing(path):
            raise Err(wt.IonError(wt.Category.UNAVAILABLE, "ssm down", "{:x/y 1}"))
        wenv.get_params = failing
        with self.assertRaises(IonError) as cm:
            ion.get_params("/a/")
        self.assertEqual((cm.exception.category, cm.exception.data),
                         ("unavailable", {kw("x/y"): 1}))

    def test_cast(self):
        wcast.CALLS.clear()
        ion.cast.event({kw("msg"): "hi"})
        self.assertEqual(wcast.CALLS, [("event", '{:msg "hi"}')])
        with self.assertRaisesRegex(IonError, "takes an EDN map"):
            ion.cast.metric([1])

    def test_q_prints_args_and_passes_dbs(self):
        seen = []

        def q(query, args):
            seen.append((query, args))
            return '[["SKU-1" :small]]'
        wdb.q = q
        wdb.connect = lambda name: wdb.Connection()
        db = ion.connect("tutorial").db()
        out = ion.q("[:find ?sku :in $ ?t]", db, kw("shirt"))
        self.assertEqual(out, [["SKU-1", kw("small")]])
        query, args = seen[0]
        self.assertIsInstance(args[0], wdb.QueryArg_Db)
        self.assertEqual(args[1], wdb.QueryArg_Value(":shirt"))

    def test_context(self):
        c = ion.Context.from_wit(context("{:cognitoIdentityId \"x\"}"))
        self.assertEqual(c.identity, {kw("cognitoIdentityId"): "x"})
        self.assertEqual(c.remaining_time_in_millis(), 0)
        self.assertEqual(c.to_edn()[kw("awsRequestId")], "req-1")

    def test_request(self):
        r = ion.Request.from_wit(wit_request(body=b"\xffhi"))
        self.assertEqual(r.header("X-A"), "1")
        self.assertEqual(r.body_text(), "\ufffdhi")
        self.assertIn(':headers {"x-a" "1, 2"}', ion.edn.dumps(r.to_edn()))


if __name__ == "__main__":
    unittest.main()
