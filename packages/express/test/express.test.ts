import { createRequire } from 'node:module';
import { log, startThreadline } from '@threadline/core';
import { type CreateApp, describeHttpAdapter } from '@threadline/testing/http-suite';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { correlate, logErrors } from '../src/index.js';
import {
  createApp as createEsmApp,
  createExpress4App as createEsmExpress4App,
} from './fixtures/app.mjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp, createExpress4App: createCjsExpress4App } =
  require('./fixtures/app.cjs') as typeof import('./fixtures/app.mjs');
/** The oldest Express 4 the peer range takes: path-to-regexp 0.1.7 writes mount paths otherwise. */
const express418 = require('express4.18') as typeof express4;

const diagnosed: string[] = [];
const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'express-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: (line) => diagnosed.push(line),
    env: {},
  }),
);

describe.each<[string, Array<[string, CreateApp]>, typeof express]>([
  [
    'Express 5',
    [
      ['ESM', createEsmApp],
      ['CommonJS', createCjsApp],
    ],
    express,
  ],
  [
    'Express 4',
    [
      ['ESM', createEsmExpress4App],
      ['CommonJS', createCjsExpress4App],
    ],
    express4 as unknown as typeof express,
  ],
])('on %s', (_major, apps, express) => {
  describeHttpAdapter({
    apps,
    exported,
    proxiedApp: (trustProxy, options) => {
      const app = express();
      if (trustProxy) app.set('trust proxy', true);
      app.use(correlate(options));
      app.get('/who', (_req, res) => res.send('ok'));
      return app;
    },
  });
});

/**
 * The Express versions the tests below run on: Express 4 keeps no mount path
 * string, and path-to-regexp 0.1.7 (4.18 and 4.19) writes its RegExp otherwise
 * than 0.1.10 and later (4.20 to 4.22); 4.18 is the oldest the peer range
 * takes. Typed alike, as Express 5; the middleware's fit to the typings of
 * each major is checked on its own below.
 */
const expressVersions: Array<[string, typeof express]> = [
  ['Express 5.3', express],
  ['Express 4.22', express4 as unknown as typeof express],
  ['Express 4.18', express418 as unknown as typeof express],
];

describe('@threadline/express', () => {
  const completed = async () =>
    (await exported()).filter((r) => r.body === 'request completed').map((r) => r.attributes);

  describe.each(expressVersions)('on %s', (_version, express) => {
    it('names routes in routers mounted at parameterised paths by their templates, never by the ids', async () => {
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const app = express();
      app.use(correlate());
      const albums = express.Router();
      albums.get('/photos/:photoId', (_req, res) => res.send('photo'));
      albums.get('/broken', (_req, _res, next) => {
        // Passed on as on Express 4, which leaves a rejected promise alone.
        sleep(1)
          .then(() => {
            throw new Error('broken album');
          })
          .catch(next);
      });
      const users = express.Router();
      users.get('/posts/:postId', (_req, res) => res.send('post'));
      users.use('/albums/:albumId', albums);
      app.use('/users/:uid', users);
      const v1 = express.Router();
      v1.get('/items/:itemId', (_req, res) => res.send('item'));
      const api = express.Router();
      api.use('/v1', v1);
      app.use('/api', api);
      const org = express();
      org.get('/teams/:team', (_req, res) => res.send('team'));
      app.use('/orgs/:org', org);
      // Arrays of mount paths, for a router and for a sub-app.
      app.use(
        ['/shops/:shopId', '/stores/:storeId'],
        express.Router().get('/till', (_req, res) => res.send('till')),
      );
      const desk = express();
      desk.get('/tickets/:ticketId', (_req, res) => res.send('ticket'));
      app.use(['/help/:lang', '/support/:lang'], desk);
      app.use(
        /^\/v(\d+)/,
        express.Router().get('/status', (_req, res) => res.send('up')),
      );
      app.use((_error: unknown, _req: unknown, res: express.Response, _next: unknown) => {
        res.status(500).send('failed');
      });

      const paths = [
        '/users/4242/posts/7777',
        '/USERS/4242/posts/7777',
        '/users/4242/albums/8888/photos/9999',
        '/api/v1/items/5555',
        '/orgs/acme-corp/teams/6666',
        '/stores/2323/till',
        '/support/4545/tickets/5656',
        '/v3131/status',
        '/users/4242/albums/8888/broken',
      ];
      for (const path of paths) await request(app).get(path);
      // Mounted after the app's first request through a mounted router: read on the miss.
      app.use(
        '/late/:lid',
        express.Router().get('/things/:thingId', (_req, res) => res.send('late')),
      );
      await request(app).get('/late/1212/things/3434').expect(200);
      const done = await completed();
      expect(done.map((a) => [a['url.path'], a['http.route']])).toEqual([
        ['/users/4242/posts/7777', '/users/:uid/posts/:postId'],
        ['/USERS/4242/posts/7777', '/users/:uid/posts/:postId'],
        ['/users/4242/albums/8888/photos/9999', '/users/:uid/albums/:albumId/photos/:photoId'],
        ['/api/v1/items/5555', '/api/v1/items/:itemId'],
        ['/orgs/acme-corp/teams/6666', '/orgs/:org/teams/:team'],
        ['/stores/2323/till', '/stores/:storeId/till'],
        ['/support/4545/tickets/5656', '/support/:lang/tickets/:ticketId'],
        // A RegExp mount path has no template to name it by: the route's own template.
        ['/v3131/status', '/status'],
        // The error left the routers before the response: Express has reset the
        // mount path by then, so the route's own template.
        ['/users/4242/albums/8888/broken', '/broken'],
        ['/late/1212/things/3434', '/late/:lid/things/:thingId'],
      ]);
      for (const route of done.map((a) => String(a['http.route']))) {
        expect(route).not.toMatch(
          /4242|7777|8888|9999|5555|acme|6666|2323|4545|5656|3131|1212|3434/,
        );
      }
      // Express 4 has no listRoutes(), and needs none: no "update router" advice.
      expect(diagnosed.filter((line) => line.includes('http.route'))).toEqual([]);
    });

    // Express 4.17's express.json() (body-parser before 1.20) called the
    // handlers outside the request's scope: why the peer range starts at 4.18.
    it("keeps the request's scope on lines written after express.json() has read the body", async () => {
      const app = express();
      app.use(correlate());
      app.use(express.json());
      app.post('/orders/:id', (req, res) => {
        log.info('order parsed', { 'order.items': req.body.items });
        res.send('ok');
      });
      await request(app).post('/orders/o-1').send({ items: 3 }).expect(200);
      const [line] = (await exported()).filter((r) => r.body === 'order parsed');
      expect(line?.attributes).toMatchObject({ 'url.path': '/orders/o-1', 'order.items': 3 });
    });

    it('names a mount by the template registered with that case under case-sensitive routing', async () => {
      const app = express();
      app.set('case sensitive routing', true);
      app.use(correlate());
      const upper = express.Router({ caseSensitive: true });
      upper.get('/x', (_req, res) => res.send('upper'));
      const lower = express.Router({ caseSensitive: true });
      lower.get('/x', (_req, res) => res.send('lower'));
      app.use('/Admin', upper);
      app.use('/admin', lower);
      await request(app).get('/admin/x').expect('lower');
      await request(app).get('/Admin/x').expect('upper');
      const done = await completed();
      expect(done.map((a) => a['http.route'])).toEqual(['/admin/x', '/Admin/x']);
    });
  });

  it('logErrors() logs the error and passes on the very value thrown, with and without correlate()', async () => {
    const thrownObject = { code: 'E_PLAIN_OBJECT' };
    const thrownError = new RangeError('out of range');
    const caught: unknown[] = [];
    const appThrowing = (thrown: unknown, correlated: boolean) => {
      const app = express();
      if (correlated) app.use(correlate());
      app.get('/boom', () => {
        throw thrown;
      });
      app.use(logErrors());
      app.use((error: unknown, _req: unknown, res: express.Response, _next: unknown) => {
        caught.push(error);
        res.status(502).send('bad gateway');
      });
      return app;
    };
    await request(appThrowing(thrownObject, true)).get('/boom').expect(502);
    await request(appThrowing(thrownError, false)).get('/boom').expect(502);
    expect(caught).toHaveLength(2);
    expect(caught[0]).toBe(thrownObject);
    expect(caught[1]).toBe(thrownError);
    const failed = (await exported()).filter((r) => r.body === 'request failed');
    expect(failed.map((r) => r.attributes['exception.type'])).toEqual(['object', 'RangeError']);
    expect(failed[0]?.attributes['exception.message']).toEqual({ code: 'E_PLAIN_OBJECT' });
  });

  it('fits the handler types of @types/express 4.17 and 5 alike (checked by tsc)', () => {
    expectTypeOf(correlate()).toExtend<express4.RequestHandler>();
    expectTypeOf(logErrors()).toExtend<express4.ErrorRequestHandler>();
    expectTypeOf(correlate()).toExtend<express.RequestHandler>();
    expectTypeOf(logErrors()).toExtend<express.ErrorRequestHandler>();
  });

  it('gives middleware and handlers their names, for readable stack traces', () => {
    expect(correlate().name).toBe('threadlineCorrelate');
    expect(logErrors().name).toBe('threadlineLogErrors');
    // Four parameters: Express recognises an error handler by its arity.
    expect(logErrors().length).toBe(4);
  });

  it('fails fast on bad options, naming the option', () => {
    expect(() => correlate({ trust: 'always' as never })).toThrow(
      /option "trust" must be one of "continue", "restart", "ignore"; got "always"/,
    );
    expect(() => correlate({ requestIdHeader: 'x request id' })).toThrow(
      /option "requestIdHeader" must be a header name or false/,
    );
  });
});
