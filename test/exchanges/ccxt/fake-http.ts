/**
 * The HTTP seam for adapter tests: a WHATWG fetch handed to ccxt as its
 * `fetchImplementation`. ccxt builds, signs and parses exactly as in
 * production; only the socket is replaced. Every request is recorded; a
 * request no route answers fails the test with its method and path.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { FetchLike } from '../../../exchanges/ccxt/base.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/http');

export function fixture(name: string): any {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
}

export interface RecordedRequest {
  method: string;
  url: URL;
  path: string;
  query: Record<string, string>;
  /** Raw query string as sent (what Bybit signs for GET). */
  rawQuery: string;
  headers: Record<string, string>;
  body: string | undefined;
  json: any;
}

export type Reply =
  | { status?: number; body: unknown; headers?: Record<string, string> }
  | 'timeout'
  | 'connection-refused';

export interface Route {
  method: string;
  path: string;
  /** Extra condition, e.g. on the HyperLiquid info `type` or action `type`. */
  when?: (req: RecordedRequest) => boolean;
  reply: Reply | ((req: RecordedRequest) => Reply);
  /** Answer at most once (then the next matching route answers). */
  once?: boolean;
}

export interface FakeHttp {
  fetch: FetchLike;
  requests: RecordedRequest[];
  unmatched: RecordedRequest[];
  route(r: Route): FakeHttp;
  /** Requests other than the given startup paths, for exact assertions. */
  sent(filter?: (r: RecordedRequest) => boolean): RecordedRequest[];
}

export function fakeHttp(routes: Route[] = []): FakeHttp {
  const table: (Route & { used?: boolean })[] = [...routes];
  const requests: RecordedRequest[] = [];
  const unmatched: RecordedRequest[] = [];
  const fetch: FetchLike = async (urlString, init) => {
    const url = new URL(urlString);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.headers ?? {})) headers[k] = String(v);
    const body = typeof init.body === 'string' ? init.body : undefined;
    let json: any;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const req: RecordedRequest = {
      method: init.method,
      url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      rawQuery: url.search.startsWith('?') ? url.search.slice(1) : url.search,
      headers,
      body,
      json,
    };
    requests.push(req);
    // Later routes override earlier ones (tests add specific answers after the defaults).
    const route = [...table].reverse().find((r) => !r.used && r.method === req.method && r.path === req.path && (!r.when || r.when(req)));
    if (!route) {
      unmatched.push(req);
      return new Response(JSON.stringify({ fake: 'no route', method: req.method, path: req.path }), { status: 599 });
    }
    if (route.once) route.used = true;
    const reply = typeof route.reply === 'function' ? route.reply(req) : route.reply;
    if (reply === 'timeout') {
      return new Promise<Response>((_resolve, reject) => {
        const signal = init.signal;
        if (!signal) return;
        signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
      });
    }
    if (reply === 'connection-refused') throw new TypeError('fetch failed');
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, {
      status: reply.status ?? 200,
      headers: { 'Content-Type': 'application/json', ...(reply.headers ?? {}) },
    });
  };
  const api: FakeHttp = {
    fetch,
    requests,
    unmatched,
    route(r) {
      table.push(r);
      return api;
    },
    sent(filter) {
      return filter ? requests.filter(filter) : requests;
    },
  };
  return api;
}
