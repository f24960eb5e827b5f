// The Lambda context a lambda ion receives, as the reference's `:context` map.

import { read } from './edn/index.js';
import { EdnMap, keyword } from './edn/types.js';

function parse(text) {
  if (text === undefined || text === null) return null;
  try {
    return read(text);
  } catch {
    return null;
  }
}

/** The AWS Lambda context of one invocation. */
export class Context {
  /** From the WIT `context` record (camelCase fields, `deadlineMs` a BigInt). */
  constructor(c) {
    /** The request id, also returned to the caller. */
    this.awsRequestId = c.awsRequestId;
    /** `{group}-{name}`. */
    this.functionName = c.functionName;
    /** `$LATEST` or the revision served. */
    this.functionVersion = c.functionVersion;
    /** The ARN invoked. */
    this.invokedFunctionArn = c.invokedFunctionArn;
    /** Where the call's logs go. */
    this.logGroupName = c.logGroupName;
    /** The node's log stream. */
    this.logStreamName = c.logStreamName;
    /** The instance's memory limit in MiB. */
    this.memoryLimitInMB = Number(c.memoryLimitInMb ?? c.memoryLimitInMB);
    /** The deadline, in milliseconds since the Unix epoch. */
    this.deadlineMs = Number(c.deadlineMs);
    /** The caller's Cognito identity (EDN), or null. */
    this.identity = typeof c.identity === 'string' ? parse(c.identity) : c.identity ?? null;
    /** The caller's client context (EDN), or null. */
    this.clientContext = typeof c.clientContext === 'string' ? parse(c.clientContext) : c.clientContext ?? null;
  }

  /** Milliseconds left before the call's deadline. */
  remainingTimeInMillis() {
    return Math.max(0, this.deadlineMs - Date.now());
  }

  /** AWS's Node.js spelling of remainingTimeInMillis. */
  getRemainingTimeInMillis() {
    return this.remainingTimeInMillis();
  }

  /** The context as the reference's map with keyword keys (`{:awsRequestId "…" …}`). */
  toEdn() {
    const m = new EdnMap();
    const put = (k, v) => m.set(keyword(k), v);
    put('awsRequestId', this.awsRequestId);
    put('functionName', this.functionName);
    put('functionVersion', this.functionVersion);
    put('invokedFunctionArn', this.invokedFunctionArn);
    put('logGroupName', this.logGroupName);
    put('logStreamName', this.logStreamName);
    put('memoryLimitInMB', this.memoryLimitInMB);
    put('remainingTimeInMillis', this.remainingTimeInMillis());
    put('identity', this.identity);
    put('clientContext', this.clientContext);
    return m;
  }
}
