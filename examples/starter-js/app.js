// Datomic's ion-starter, ported to JavaScript: lambdas (echo, the tutorial schema, items by
// type, fail, context), a web handler, a transaction function, a query function and an xform.

import {
  app, IonError, CATEGORIES, Response, Db, connect, q, cast, edn, keyword,
  getEnv, getAppInfo, getParams, getAppParams,
} from '@ion-host/sdk';

const ion = app('ion.starter');

/** The schema of the Datomic docs tutorial's inventory. */
const SCHEMA = `[{:db/ident :inv/sku :db/valueType :db.type/string :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :inv/color :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/size :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/type :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]`;

/** The database the tutorial's items live in. */
const DB_NAME = 'datomic-docs-tutorial';

const ITEMS_QUERY = '[:find ?sku ?size ?color :in $ ?type :where [?e :inv/type ?type] [?e :inv/sku ?sku] [?e :inv/size ?size] [?e :inv/color ?color]]';

/** Items of one type, from the tutorial database. */
function itemsByType(type) {
  const conn = connect(DB_NAME);
  return q(ITEMS_QUERY, conn.db(), keyword(type));
}

function parseJson(input) {
  try {
    return JSON.parse(input);
  } catch (e) {
    throw IonError.incorrect(`input is not JSON: ${e.message}`);
  }
}

/** The error `fail` answers with: `category` (one of the nine), `message`. */
function failure(category, message) {
  if (!CATEGORIES.includes(category)) return IonError.incorrect(`unknown category: ${category}`);
  return new IonError(category, message ?? '', { 'ion.starter/category': category });
}

ion.lambda(function echo(input) {
  return input;
}, 'Echos input');

ion.lambda(function getSchema() {
  return SCHEMA;
}, 'returns the schema for the Datomic docs tutorial');

ion.lambda(function getItemsByType(input) {
  const json = parseJson(input);
  if (json === null || typeof json !== 'object' || typeof json.type !== 'string') {
    throw IonError.incorrect('input needs a "type" string, e.g. {"type": "shirt"}');
  }
  return edn.print(itemsByType(json.type));
}, 'Lambda handler that returns items by type: input {"type": "shirt"}');

ion.lambda(function fail(input) {
  const json = parseJson(input);
  throw failure(json?.category, typeof json?.message === 'string' ? json.message : '');
}, 'Fails with the anomaly category its input names');

ion.lambda(function context(_input, ctx) {
  const ednOrNull = (v) => (v === null ? null : edn.print(v));
  return {
    awsRequestId: ctx.awsRequestId,
    functionName: ctx.functionName,
    functionVersion: ctx.functionVersion,
    invokedFunctionArn: ctx.invokedFunctionArn,
    logGroupName: ctx.logGroupName,
    logStreamName: ctx.logStreamName,
    memoryLimitInMB: ctx.memoryLimitInMB,
    deadlineMs: ctx.deadlineMs,
    remainingTimeInMillis: ctx.remainingTimeInMillis(),
    identity: ednOrNull(ctx.identity),
    clientContext: ednOrNull(ctx.clientContext),
  };
}, 'Returns the Lambda context it was given, as JSON');

const CASTS = { event: cast.event, alert: cast.alert, metric: cast.metric, dev: cast.dev };

/** Calls this instance has served (see the /instance route). */
let instanceCalls = 0;

/** The web entry point: see README.md for the routes. */
ion.web(function web(request) {
  const route = `${request.requestMethod} ${request.uri}`;
  switch (route) {
    case 'get /':
      return Response.text(200, 'Hello from ion.starter');
    case 'get /items': {
      const type = request.queryParam('type');
      if (type === null) return Response.text(400, 'missing query parameter: type');
      return Response.edn(200, itemsByType(type));
    }
    case 'post /echo':
      return Response.bytes(200, request.body ?? new Uint8Array(), request.header('content-type') ?? 'application/octet-stream');
    case 'get /instance':
      // Module state: with :instance-reuse in ion-config.edn an instance serves many calls
      // and this count grows; without it, every call is an instance's first. Keep costly
      // things (parsed config, lookup tables) in module variables the same way.
      instanceCalls += 1;
      return Response.edn(200, { calls: instanceCalls });
    case 'get /request':
      return Response.edn(200, {
        'request-method': keyword(request.requestMethod),
        uri: request.uri,
        'query-string': request.queryString,
        headers: request.headers.map(([n, v]) => [n, v]),
        protocol: request.protocol,
        'remote-addr': request.remoteAddr,
        scheme: keyword(request.scheme),
        'server-name': request.serverName,
        'server-port': request.serverPort,
        'body-length': request.body ? request.body.length : 0,
      });
    case 'get /env':
      return Response.edn(200, { env: getEnv(), 'app-info': getAppInfo() });
    case 'get /params': {
      const path = request.queryParam('path');
      return Response.edn(200, path === null ? getAppParams() : getParams(path));
    }
    case 'post /cast': {
      const kind = request.queryParam('kind');
      if (!(kind in CASTS)) throw IonError.incorrect(`kind is ${JSON.stringify(kind)}; expected event, alert, metric or dev`);
      let data;
      try {
        data = edn.read(request.bodyText());
      } catch (e) {
        throw IonError.incorrect(`the body is not EDN: ${e.message}`);
      }
      CASTS[kind](data);
      return new Response(204);
    }
    case 'get /fail':
      throw failure(request.queryParam('category'), request.queryParam('message') ?? '');
    case 'post /edn': {
      let value;
      try {
        value = edn.read(request.bodyText());
      } catch (e) {
        throw IonError.incorrect(`the body is not EDN: ${e.message}`);
      }
      return Response.edn(200, value);
    }
    case 'get /crash':
      throw new Error('boom');
    default:
      return Response.text(404, `no route for ${request.requestMethod} ${request.uri}`);
  }
}, 'The web entry point: GET / says hello, GET /items?type=shirt lists items, and more');

/** A string or keyword argument as a keyword. */
function asKeyword(v) {
  if (typeof v === 'string') return keyword(v);
  if (v instanceof edn.Keyword) return v;
  throw IonError.incorrect(`expected a string or keyword, got ${edn.print(v)}`);
}

ion.txFn(function createItem(_db, args) {
  if (args.length !== 4) {
    throw IonError.incorrect(`create-item takes sku, size, color and type; got ${args.length} arguments`);
  }
  const [sku, size, color, type] = args;
  return [{
    'inv/sku': sku,
    'inv/size': asKeyword(size),
    'inv/color': asKeyword(color),
    'inv/type': asKeyword(type),
  }];
}, 'Transaction fn that creates data to make a new item: args sku, size, color, type');

ion.queryFn(function featureItem(args) {
  const values = args.filter((a) => !(a instanceof Db));
  const sku = values[values.length - 1];
  if (typeof sku !== 'string') {
    throw IonError.incorrect(`feature-item? takes an sku string, got ${sku === undefined ? 'nothing' : edn.print(sku)}`);
  }
  return sku.endsWith('1');
}, { name: 'feature-item?', doc: 'Query fn example: is this item featured? This would be a good place for some clever AI.' });

ion.xform(function displayName(value) {
  if (value === null) return null;
  if (!(value instanceof edn.Keyword)) {
    throw IonError.incorrect(`display-name takes a keyword, got ${edn.print(value)}`);
  }
  const name = value.name.replace(/-/g, ' ');
  return name.charAt(0).toUpperCase() + name.slice(1);
}, 'Xform: turns a keyword such as :dress-shoe into a display name, "Dress shoe"');
