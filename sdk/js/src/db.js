// The embedded database, as the synchronous Client API: connect, db values, transact, pull,
// datoms, q and time travel. EDN values cross as text: the SDK prints args, reads results.

import { print, read } from './edn/index.js';
import { IonError } from './error.js';
import { hostCall, iface } from './host.js';

function edn(text) {
  try {
    return read(text);
  } catch (e) {
    throw new IonError('fault', `the host answered with invalid EDN: ${e.message}`);
  }
}

/** Parses a query or selector given as EDN text; other values are taken as EDN data. */
function ednArg(v) {
  return typeof v === 'string' ? v : print(v);
}

/** What a transaction (or `with`) did. */
export class TxReport {
  constructor(r) {
    /** The database value before. */
    this.dbBefore = new Db(r.dbBefore);
    /** The database value after. */
    this.dbAfter = new Db(r.dbAfter);
    /** The datoms added, `[[e a v tx added] …]`. */
    this.txData = edn(r.txData);
    /** Tempid → entity id (an EdnMap). */
    this.tempids = edn(r.tempids);
  }
}

/** An immutable database value. */
export class Db {
  /** Wraps a host `database` resource (owned or lent). */
  constructor(raw) {
    this.raw = raw;
  }
  /** The basis t (a number). */
  basisT() {
    return Number(this.raw.basisT());
  }
  /** This value as of a t, transaction id or Date. */
  asOf(point) {
    return new Db(hostCall(() => this.raw.asOf(print(point))));
  }
  /** Only what changed after a point in time. */
  since(point) {
    return new Db(hostCall(() => this.raw.since(print(point))));
  }
  /** Every assertion and retraction ever made. */
  history() {
    return new Db(this.raw.history());
  }
  /** Applies tx-data speculatively (EDN text or data). */
  with(txData) {
    return new TxReport(hostCall(() => this.raw.with(ednArg(txData))));
  }
  /** Pulls `selector` (EDN text or data) for entity `eid`. */
  pull(selector, eid) {
    const sel = typeof selector === 'string' ? selector : print(selector);
    return edn(hostCall(() => this.raw.pull(`{:selector ${sel} :eid ${print(eid)}}`)));
  }
  /** Raw index access: `{index: keyword('eavt'), components: [...]}`. */
  datoms(request) {
    return edn(hostCall(() => this.raw.datoms(ednArg(request))));
  }
  /** AVET datoms in a value range: `{attrid: a, start: v, end: v}`. */
  indexRange(request) {
    return edn(hostCall(() => this.raw.indexRange(ednArg(request))));
  }
  /** Statistics about this value. */
  dbStats() {
    return edn(hostCall(() => this.raw.dbStats()));
  }
}
Db.prototype.with_ = Db.prototype.with;

/** A connection to one named database. */
export class Connection {
  constructor(raw) {
    this.raw = raw;
  }
  /** The current database value. */
  db() {
    return new Db(this.raw.db());
  }
  /** Commits tx-data (EDN text or data); returns a TxReport once durable. */
  transact(txData) {
    return new TxReport(hostCall(() => this.raw.transact(ednArg(txData))));
  }
  /** A database value that includes at least transaction t. */
  sync(t) {
    return new Db(hostCall(() => this.raw.sync(BigInt(t))));
  }
  /** Transactions in a range: `{start: t, end: t}` → `[{:t t :data [datoms]} …]`. */
  txRange(request) {
    return edn(hostCall(() => this.raw.txRange(ednArg(request))));
  }
}

/** Connects to database `name`; `not-found` when it does not exist. */
export function connect(name) {
  if (typeof name !== 'string') throw new IonError('incorrect', `connect: the database name must be a string, got ${typeof name}`);
  return new Connection(hostCall(() => iface('db').connect(name)));
}

/** The names of every database on this node. */
export function listDatabases() {
  return hostCall(() => iface('db').listDatabases());
}

/** Creates database `name` (no error if it exists). */
export function createDatabase(name) {
  hostCall(() => iface('db').createDatabase(name));
}

/** Deletes database `name` (no error if it does not exist). */
export function deleteDatabase(name) {
  hostCall(() => iface('db').deleteDatabase(name));
}

/**
 * Runs Datalog `query` (EDN text, or data) with `args` bound to its `:in` in order; a Db
 * argument binds a `$` source, any other value is printed as EDN. Returns the result as EDN.
 */
export function q(query, ...args) {
  const wit = args.map((a) => (a instanceof Db ? { tag: 'db', val: a.raw } : { tag: 'value', val: print(a) }));
  return edn(hostCall(() => iface('db').q(ednArg(query), wit)));
}
