/**
 * Fastify adapter: the shared HTTP correlation of @threadline/core through
 * Fastify's own hooks, `request.routeOptions.url` as the route, and
 * Fastify's request logger in the request's scope.
 *
 * How the request's context reaches each part of Fastify's lifecycle:
 * `onRequest` runs the rest of the hook chain in the scope
 * (`context.with(scope.context, done)`); Fastify calls each next hook from
 * the one before, keeps the context across body parsing itself (its
 * content-type parser runs the next step through an AsyncResource made in
 * the request's context), and async hooks and handlers keep it through their
 * promises. What runs outside that chain is put back in the scope here: the
 * handler (after a hook that called `done` from another context, such as a
 * connection pool's callback), the `onResponse`, `onTimeout` and
 * `onRequestAbort` hooks (Fastify runs them from events of the response,
 * the socket and the request), and every line of `request.log`
 * (see internal/request-logger.ts).
 */

import type { Server } from 'node:http';
import { context } from '@opentelemetry/api';
import {
  createHttpCorrelator,
  type EarlyHttpCorrelator,
  type HttpCorrelationOptions,
  type HttpCorrelator,
  type HttpRequestScope,
} from '@threadline/core';
import { optionError } from '@threadline/core/internal';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyRequest,
} from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  levelNames,
  openedRequestOf,
  type RequestStates,
  requestLogWriter,
  runInScope,
  scopedChildLoggers,
} from './internal/request-logger.js';
import type { ThreadlineFastifyOptions } from './types.js';

/** The request's scope, on Fastify's request (a request decorator, `null` until `onRequest`). */
const kScope = Symbol('threadline.scope');

type ScopedRequest = FastifyRequest & { [kScope]: HttpRequestScope | null };

function threadlineFastify(
  fastify: FastifyInstance,
  options: ThreadlineFastifyOptions,
  done: (error?: Error) => void,
): void {
  const hasLogger = fastify.log.child({}) !== fastify.log;
  const loggers = new WeakMap<HttpRequestScope, FastifyBaseLogger>();
  const { logger, ...http } = options ?? {};
  const viaRequestLog = logger === 'request.log';
  let correlator: HttpCorrelator & EarlyHttpCorrelator;
  try {
    if (viaRequestLog && !hasLogger) {
      throw optionError(
        'logger',
        logger,
        'a Threadline logger, or "request.log" on a Fastify app made with a logger (Fastify({ logger: … }))',
      );
    }
    correlator = createHttpCorrelator({
      ...http,
      logger: viaRequestLog ? requestLogWriter(loggers) : logger,
    } as HttpCorrelationOptions);
  } catch (error) {
    // Bad options fail the app's start-up (`register`, `ready`, `listen`).
    done(error as Error);
    return;
  }

  // Requests Fastify answers before any hook runs (see answeredBeforeHooks),
  // by the raw request: opened with its logger, or `null` once a hook took it.
  const requests = answeredBeforeHooks(fastify.server, correlator);

  fastify.decorateRequest(kScope, null);
  if (hasLogger) {
    fastify.setChildLoggerFactory(
      scopedChildLoggers(correlator, fastify.childLoggerFactory, levelNames(fastify.log), requests),
    );
  }

  fastify.addHook('onRequest', function threadlineOnRequest(request, reply, next) {
    const hooks = {
      route: () => request.routeOptions.url,
      clientAddress: () => request.ip,
    };
    // Opened with the request's logger, when this route's logger is ours.
    const opened = openedRequestOf(request.log);
    let scope: HttpRequestScope;
    if (opened) {
      opened.respond(reply.raw, hooks);
      scope = opened.scope;
    } else scope = correlator.begin(request.raw, reply.raw, hooks);
    requests?.set(request.raw, null);
    (request as ScopedRequest)[kScope] = scope;
    if (viaRequestLog) loggers.set(scope, request.log);
    context.with(scope.context, next);
  });

  fastify.addHook('onError', function threadlineOnError(request, _reply, error, next) {
    scopeOf(request)?.fail(error);
    next();
  });

  fastify.addHook('onTimeout', function threadlineOnTimeout(request, _reply, next) {
    scopeOf(request)?.fail(connectionTimeout());
    enter(request, next);
  });

  fastify.addHook('onRequestAbort', function threadlineOnRequestAbort(request, next) {
    enter(request, next);
  });

  fastify.addHook('onResponse', function threadlineOnResponse(request, _reply, next) {
    enter(request, next);
  });

  fastify.addHook('onRoute', function threadlineOnRoute(route) {
    const handler = route.handler as (...args: unknown[]) => unknown;
    if (typeof handler !== 'function') return;
    const inScope = function threadlineHandler(this: FastifyInstance, ...args: unknown[]) {
      // `(request, reply)`, or `(socket, request)` for @fastify/websocket.
      const scope = scopeOf(args[0]) ?? scopeOf(args[1]);
      return scope ? runInScope(scope, handler, this, args) : handler.apply(this, args);
    };
    // The handler's own name, for what names spans or stack frames after it
    // (@fastify/otel calls its span `handler - <name>`).
    Object.defineProperty(inScope, 'name', { value: handler.name });
    route.handler = inScope as typeof route.handler;
  });

  done();
}

/** A server this plugin listens on already. */
const kListening = Symbol('threadline.listening');

/**
 * Fastify answers some requests before any hook or plugin sees them: a path
 * parameter that is not valid percent-encoding (400) or longer than
 * `maxParamLength` (414), and, with `return503OnClosing`, a request that
 * reaches a closing server (503). A `request` listener on the app's server,
 * after Fastify's own (which answers them synchronously), finds them
 * answered without a scope and correlates them, so that each still gets its
 * `request completed` line. Requests of `inject()`, which reach Fastify
 * without the server, are not seen this way. Returns the map the hooks and
 * the logger factory keep their requests in, or `undefined` when the server
 * has no `request` event to listen to.
 */
function answeredBeforeHooks(
  server: unknown,
  correlator: HttpCorrelator & EarlyHttpCorrelator,
): RequestStates | undefined {
  const target = server as { on?: unknown; [kListening]?: RequestStates } | null;
  if (target === null || typeof target !== 'object' || typeof target.on !== 'function') {
    return undefined;
  }
  if (target[kListening]) return target[kListening];
  const requests: RequestStates = new WeakMap();
  target[kListening] = requests;
  (target as Server).on('request', function threadlineUnhooked(req, res) {
    const state = requests.get(req);
    // Taken by a hook, or still on its way to one (an async route constraint).
    if (state === null || !res.writableEnded) return;
    requests.set(req, null);
    if (state) state.respond(res);
    else correlator.begin(req, res);
  });
  return requests;
}

function scopeOf(request: unknown): HttpRequestScope | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  return (request as Partial<ScopedRequest>)[kScope] ?? undefined;
}

/** Runs the next hooks of the stage in the request's scope. */
function enter(request: FastifyRequest, next: () => void): void {
  const scope = scopeOf(request);
  if (scope) runInScope(scope, next, undefined, []);
  else next();
}

/** What `request failed` records when Fastify's `connectionTimeout` ends a request's socket. */
function connectionTimeout(): Error {
  const error = new Error('the connection timed out before the response ended');
  error.name = 'TimeoutError';
  // Where it was made says nothing of the request: no stack of this module's frames.
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/**
 * A Fastify plugin (made with fastify-plugin, so it applies to the whole
 * app, encapsulated plugins included) that puts every request on its own
 * trace: the incoming trace context (under `trust`), a span id of its own
 * (or the SERVER span of a tracing SDK), the request's attributes on every
 * line written while handling it (`request.log`'s included), one `request
 * completed` line with `http.route`, status, duration and outcome, and a
 * `request failed` line for each error Fastify handles. Register it before
 * your routes and other plugins.
 *
 * @example
 * import Fastify from 'fastify';
 * import { threadline } from '@threadline/fastify';
 * const app = Fastify();
 * await app.register(threadline, { ignore: ['/healthz'] });
 * app.get('/orders/:id', async (request) => { log.info('loading order'); return {}; });
 */
export const threadline: FastifyPluginCallback<ThreadlineFastifyOptions> = fastifyPlugin(
  threadlineFastify,
  { name: '@threadline/fastify', fastify: '5.x' },
);
