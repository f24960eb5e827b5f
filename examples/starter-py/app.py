# examples/starter-py/app.py — owns the Python starter app: Datomic's ion-starter ported
# to the Python SDK (lambdas echo, get-schema, get-items-by-type, fail, context; the web
# handler; tx-fn create-item; query-fn feature-item?; xform display-name).
"""Datomic's ion-starter in Python: every kind of ion, in namespace ion.starter."""

import json

import ion
from ion import IonError, Response, kw

ion.namespace("ion.starter")

# The schema of the Datomic docs tutorial's inventory.
SCHEMA = """[{:db/ident :inv/sku :db/valueType :db.type/string :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :inv/color :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/size :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/type :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"""

# The database the tutorial's items live in.
DB_NAME = "datomic-docs-tutorial"

ITEMS_QUERY = ("[:find ?sku ?size ?color :in $ ?type :where [?e :inv/type ?type] "
               "[?e :inv/sku ?sku] [?e :inv/size ?size] [?e :inv/color ?color]]")


def items_by_type(item_type):
    """Items of one type, from the tutorial database."""
    conn = ion.connect(DB_NAME)
    return ion.q(ITEMS_QUERY, conn.db(), kw(item_type))


def failure(category, message):
    """The ion error `fail` returns for `category`."""
    if category not in ion.CATEGORIES:
        return IonError.incorrect(f"unknown category: {category}")
    return IonError(category, message, {kw("ion.starter/category"): category})


@ion.lambda_
def echo(input, context):
    """Echos input"""
    return input


def json_input(input):
    """A lambda's input read as JSON; input that is not JSON is `incorrect`."""
    try:
        return json.loads(input)
    except ValueError as e:
        raise IonError.incorrect(f"input is not JSON: {e}") from None


@ion.lambda_
def get_schema(input, context):
    """returns the schema for the Datomic docs tutorial"""
    return SCHEMA


@ion.lambda_
def get_items_by_type(input, context):
    """Lambda handler that returns items by type: input {"type": "shirt"}."""
    data = json_input(input)
    item_type = data.get("type") if isinstance(data, dict) else None
    if not isinstance(item_type, str):
        raise IonError.incorrect('input needs a "type" string, e.g. {"type": "shirt"}')
    return ion.edn.dumps(items_by_type(item_type))


@ion.lambda_
def fail(input, context):
    """Fails with the anomaly category its input names: {"category": "busy", "message": "m"}."""
    data = json_input(input)
    if not isinstance(data, dict) or not isinstance(data.get("category"), str):
        raise IonError.incorrect('input needs a "category" string, e.g. {"category": "busy"}')
    raise failure(data["category"], str(data.get("message", "")))


@ion.lambda_
def context(input, context):
    """Returns the Lambda context it was given, as JSON."""
    def edn_or_null(value):
        return None if value is None else ion.edn.dumps(value)
    return {
        "awsRequestId": context.aws_request_id,
        "functionName": context.function_name,
        "functionVersion": context.function_version,
        "invokedFunctionArn": context.invoked_function_arn,
        "logGroupName": context.log_group_name,
        "logStreamName": context.log_stream_name,
        "memoryLimitInMB": context.memory_limit_in_mb,
        "deadlineMs": context.deadline_ms,
        "remainingTimeInMillis": context.remaining_time_in_millis(),
        "identity": edn_or_null(context.identity),
        "clientContext": edn_or_null(context.client_context),
    }


def request_map(request):
    """The request as the SDK sees it, for GET /request."""
    k = kw
    return {
        k("request-method"): k(request.request_method),
        k("uri"): request.uri,
        k("query-string"): request.query_string,
        k("headers"): [[name, value] for name, value in request.headers],
        k("protocol"): request.protocol,
        k("remote-addr"): request.remote_addr,
        k("scheme"): k(request.scheme),
        k("server-name"): request.server_name,
        k("server-port"): request.server_port,
        k("body-length"): len(request.body or b""),
    }


CASTS = {"event": ion.cast.event, "alert": ion.cast.alert, "metric": ion.cast.metric,
         "dev": ion.cast.dev}


# Calls this instance has served (see the /instance route).
_instance_calls = 0


@ion.web
def web(request):
    """The web entry point: GET / says hello, GET /items?type=shirt lists items, and more."""
    route = (request.request_method, request.uri)
    if route == ("get", "/"):
        return Response.text(200, "Hello from ion.starter")
    if route == ("get", "/items"):
        item_type = request.query_param("type")
        if item_type is None:
            return Response.text(400, "missing query parameter: type")
        return Response.edn(200, items_by_type(item_type))
    if route == ("post", "/echo"):
        content_type = request.header("content-type") or "application/octet-stream"
        return Response(200, [("content-type", content_type)], request.body or b"")
    if route == ("get", "/request"):
        return Response.edn(200, request_map(request))
    if route == ("get", "/instance"):
        # Module state: with :instance-reuse in ion-config.edn an instance serves many
        # calls and this count grows; without it, every call is an instance's first. Keep
        # costly things (parsed config, lookup tables) in module globals the same way.
        global _instance_calls
        _instance_calls += 1
        return Response.edn(200, {kw("calls"): _instance_calls})
    if route == ("get", "/env"):
        return Response.edn(200, {kw("env"): ion.get_env(), kw("app-info"): ion.get_app_info()})
    if route == ("get", "/params"):
        path = request.query_param("path")
        params = ion.get_params(path) if path is not None else ion.get_app_params()
        return Response.edn(200, params)
    if route == ("post", "/cast"):
        kind = request.query_param("kind")
        if kind not in CASTS:
            raise IonError.incorrect(f"kind must be one of event, alert, metric, dev; got {kind}")
        try:
            data = ion.edn.read(request.body_text())
        except ion.edn.EdnError as e:
            raise IonError.incorrect(f"the body is not EDN: {e}") from None
        CASTS[kind](data)
        return Response(204, [], b"")
    if route == ("get", "/fail"):
        raise failure(request.query_param("category") or "", request.query_param("message") or "")
    if route == ("post", "/edn"):
        try:
            value = ion.edn.read(request.body_text())
        except ion.edn.EdnError as e:
            raise IonError.incorrect(f"the body is not EDN: {e}") from None
        return Response.edn(200, value)
    if route == ("get", "/crash"):
        raise RuntimeError("boom")
    return Response.text(404, f"no route for {request.request_method} {request.uri}")


@ion.tx_fn
def create_item(db, *args):
    """Transaction fn that creates data to make a new item: args sku, size, color, type."""
    if len(args) != 4:
        raise IonError.incorrect(f"create-item takes sku, size, color and type; "
                                 f"got {len(args)} arguments")
    sku, size, color, item_type = args

    def as_keyword(v):
        if isinstance(v, str):
            return kw(v)
        if isinstance(v, ion.Keyword):
            return v
        raise IonError.incorrect(f"expected a string or keyword, got {ion.edn.dumps(v)}")
    return [{kw("inv/sku"): sku, kw("inv/size"): as_keyword(size),
             kw("inv/color"): as_keyword(color), kw("inv/type"): as_keyword(item_type)}]


@ion.query_fn(name="feature-item?")
def feature_item(*args):
    """Query fn example: is this item featured? This would be a good place for some clever AI."""
    values = [a for a in args if not isinstance(a, ion.Db)]
    if not values:
        raise IonError.incorrect("feature-item? takes an sku string")
    sku = values[-1]
    if not isinstance(sku, str):
        raise IonError.incorrect(f"feature-item? takes an sku string, got {ion.edn.dumps(sku)}")
    return sku.endswith("1")


@ion.xform
def display_name(value):
    """Xform: turns a keyword such as :dress-shoe into a display name, "Dress shoe"."""
    if value is None:
        return None
    if isinstance(value, ion.Keyword):
        name = value.name.replace("-", " ")
        return name[:1].upper() + name[1:]
    raise IonError.incorrect(f"display-name takes a keyword, got {ion.edn.dumps(value)}")
