// @ion-host/sdk: write ions as plain JavaScript functions, registered by kind.
//
//   import { app, IonError, Response } from '@ion-host/sdk';
//   const ion = app('my.app');
//   ion.lambda(function echo(input, ctx) { return input; }, 'Echos input');
//
// The public surface: registration (app, register, onInit, describe), EDN (edn.*), errors
// (IonError), env and params, cast, the database (connect, q, Db, Connection), web (Request,
// Response, ionize) and the Lambda Context. `ion-build` bundles an app with this package.

export { app, register, onInit, describe, ionName, SDK, KINDS } from './registry.js';
export { IonError, CATEGORIES } from './error.js';
export { getEnv, getAppInfo, getParams, getAppParams } from './env.js';
export * as cast from './cast.js';
export {
  connect, q, listDatabases, createDatabase, deleteDatabase, Db, Connection, TxReport,
} from './db.js';
export { Request, Response } from './web.js';
export { ionize } from './apigw.js';
export { Context } from './lambda.js';
export * as edn from './edn/index.js';
export {
  keyword, symbol, EdnMap, EdnSet, EdnList, Keyword, Sym, Tagged, UUID, EdnError,
} from './edn/index.js';
export { setHost } from './host.js';
