// TypeScript types of @ion-host/sdk: registration, EDN values, errors, env and params, cast,
// the database, web Request/Response, ionize and the Lambda Context.

// ---- EDN ----------------------------------------------------------------------------------

/** An EDN value as the SDK reads and prints it. */
export type Edn =
  | null | boolean | number | bigint | string
  | Keyword | Sym | Char | EdnFloat | Decimal | UUID | Date | Tagged
  | Edn[] | EdnList | EdnMap | EdnSet
  | Map<Edn, Edn> | Set<Edn> | { [key: string]: Edn };

export class EdnError extends Error {}
export class Keyword { readonly fqn: string; readonly namespace: string | null; readonly name: string; }
export class Sym { readonly fqn: string; readonly namespace: string | null; readonly name: string; }
export class Char { constructor(ch: string); readonly char: string; }
export class EdnFloat { constructor(value: number); readonly value: number; valueOf(): number; }
export class Decimal { constructor(text: string); readonly text: string; valueOf(): number; }
export class UUID { constructor(text: string); readonly text: string; }
export class Tagged { constructor(tag: string, value: Edn); readonly tag: string; readonly value: Edn; }
export class EdnList extends Array<Edn> {}
export class EdnMap implements Iterable<[Edn, Edn]> {
  constructor(entries?: Iterable<[Edn, Edn]>);
  readonly size: number;
  get(key: Edn): Edn | undefined;
  has(key: Edn): boolean;
  set(key: Edn, value: Edn): this;
  delete(key: Edn): boolean;
  entries(): IterableIterator<[Edn, Edn]>;
  keys(): IterableIterator<Edn>;
  values(): IterableIterator<Edn>;
  forEach(fn: (value: Edn, key: Edn, map: EdnMap) => void): void;
  [Symbol.iterator](): IterableIterator<[Edn, Edn]>;
}
export class EdnSet implements Iterable<Edn> {
  constructor(items?: Iterable<Edn>);
  readonly size: number;
  has(value: Edn): boolean;
  add(value: Edn): this;
  delete(value: Edn): boolean;
  values(): IterableIterator<Edn>;
  forEach(fn: (value: Edn, same: Edn, set: EdnSet) => void): void;
  [Symbol.iterator](): IterableIterator<Edn>;
}
export function keyword(name: string): Keyword;
export function symbol(name: string): Sym;

export namespace edn {
  export { Edn, EdnError, Keyword, Sym, Char, EdnFloat, Decimal, UUID, Tagged, EdnList, EdnMap, EdnSet, keyword, symbol };
  /** Reads one EDN value; throws EdnError naming the place and what was expected. */
  export function read(text: string): Edn;
  /** Prints a value as EDN text that reads back equal. */
  export function print(value: Edn): string;
  export function equals(a: Edn, b: Edn): boolean;
  export function keyOf(value: Edn): string;
  /** The value at keyword `name` of a map. */
  export function get(map: Edn, name: string): Edn | undefined;
  export function isMap(value: unknown): boolean;
  export function isSet(value: unknown): boolean;
  export function list(...items: Edn[]): EdnList;
  export function char(c: string): Char;
  export function float(n: number): EdnFloat;
  export function uuid(text: string): UUID;
  export function jsonToEdn(json: unknown): Edn;
  export function ednToJson(value: Edn): unknown;
}

// ---- Errors -------------------------------------------------------------------------------

export type Category =
  | 'incorrect' | 'forbidden' | 'not-found' | 'conflict' | 'fault'
  | 'unavailable' | 'busy' | 'interrupted' | 'unsupported';
export const CATEGORIES: readonly Category[];

export class IonError extends Error {
  constructor(category: Category, message: string, data?: Edn | null);
  readonly category: Category;
  readonly data: Edn | null;
  static incorrect(message: string, data?: Edn | null): IonError;
  static forbidden(message: string, data?: Edn | null): IonError;
  static notFound(message: string, data?: Edn | null): IonError;
  static conflict(message: string, data?: Edn | null): IonError;
  static fault(message: string, data?: Edn | null): IonError;
  static unavailable(message: string, data?: Edn | null): IonError;
  static busy(message: string, data?: Edn | null): IonError;
  static interrupted(message: string, data?: Edn | null): IonError;
  static unsupported(message: string, data?: Edn | null): IonError;
}

// ---- Registration -------------------------------------------------------------------------

export type FnKind = 'lambda' | 'web' | 'tx-fn' | 'query-fn' | 'xform';
export type Options = string | { name?: string; doc?: string };
export type LambdaFn = (input: string, context: Context) => string | Uint8Array | ArrayBuffer | unknown;
export type WebFn = (request: Request) => Response | { status: number; headers?: [string, string][] | Record<string, string>; body?: string | Uint8Array };
export type TxFn = (db: Db, args: Edn[]) => Edn;
export type QueryFn = (args: (Edn | Db)[]) => Edn;
export type XformFn = (value: Edn) => Edn;

export interface App {
  readonly namespace: string;
  lambda<F extends LambdaFn>(fn: F, opts?: Options): F;
  web<F extends WebFn>(fn: F, opts?: Options): F;
  txFn<F extends TxFn>(fn: F, opts?: Options): F;
  queryFn<F extends QueryFn>(fn: F, opts?: Options): F;
  xform<F extends XformFn>(fn: F, opts?: Options): F;
  init(fn: () => void): () => void;
}

/** A namespace to register ions in: `app('my.app').lambda(function echo(i) { return i; })`. */
export function app(namespace: string): App;
export function register(kind: FnKind, qualifiedName: string, fn: Function, doc?: string | null): Function;
export function onInit(fn: () => void): () => void;
export function describe(): { sdk: string; fns: { name: string; kind: FnKind; doc?: string }[] };
export function ionName(jsName: string): string;
export const SDK: string;
export const KINDS: readonly FnKind[];

// ---- Env, params, cast --------------------------------------------------------------------

export function getEnv(): Edn;
export function getAppInfo(): Edn;
export function getParams(path: string): Map<string, string>;
export function getAppParams(): Map<string, string>;
export namespace cast {
  function event(data: Edn): void;
  function alert(data: Edn): void;
  function metric(data: Edn): void;
  function dev(data: Edn): void;
}

// ---- Database -----------------------------------------------------------------------------

export class TxReport { readonly dbBefore: Db; readonly dbAfter: Db; readonly txData: Edn; readonly tempids: Edn; }
export class Db {
  basisT(): number;
  asOf(point: Edn): Db;
  since(point: Edn): Db;
  history(): Db;
  with(txData: Edn | string): TxReport;
  with_(txData: Edn | string): TxReport;
  pull(selector: Edn | string, eid: Edn): Edn;
  datoms(request: Edn | string): Edn;
  indexRange(request: Edn | string): Edn;
  dbStats(): Edn;
}
export class Connection {
  db(): Db;
  transact(txData: Edn | string): TxReport;
  sync(t: number | bigint): Db;
  txRange(request: Edn | string): Edn;
}
export function connect(name: string): Connection;
/** Runs a query (EDN text or data); a Db argument binds a `$` source. */
export function q(query: Edn | string, ...args: (Edn | Db)[]): Edn;
export function listDatabases(): string[];
export function createDatabase(name: string): void;
export function deleteDatabase(name: string): void;

// ---- Web and Lambda -----------------------------------------------------------------------

export class Request {
  readonly requestMethod: string;
  readonly uri: string;
  readonly queryString: string | null;
  readonly headers: [string, string][];
  readonly body: Uint8Array | null;
  readonly protocol: string;
  readonly remoteAddr: string;
  readonly scheme: string;
  readonly serverName: string;
  readonly serverPort: number | null;
  readonly apiGatewayJson: string | null;
  readonly apiGatewayData: Edn | null;
  header(name: string): string | null;
  queryParam(name: string): string | null;
  bodyText(): string;
  toEdn(): EdnMap;
}
export class Response {
  constructor(status: number, headers?: [string, string][], body?: Uint8Array | string);
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  static text(status: number, text: string): Response;
  static edn(status: number, value: Edn): Response;
  static json(status: number, value: unknown): Response;
  static bytes(status: number, bytes: Uint8Array, contentType?: string): Response;
  header(name: string, value: string): this;
  withBody(body: Uint8Array | string): this;
}
/** Runs a web handler behind an API Gateway proxy: event JSON in, proxy response JSON out. */
export function ionize(handler: WebFn, eventJson: string): string;

export class Context {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly memoryLimitInMB: number;
  readonly deadlineMs: number;
  readonly identity: Edn | null;
  readonly clientContext: Edn | null;
  remainingTimeInMillis(): number;
  getRemainingTimeInMillis(): number;
  toEdn(): EdnMap;
}

/** Installs the host bindings (done by ion-build's generated entry; tests pass fakes). */
export function setHost(bindings: { env: object; cast: object; db: object }): void;
