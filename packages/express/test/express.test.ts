import { createRequire } from 'node:module';
import { startThreadline } from '@threadline/core';
import { describeHttpAdapter } from '@threadline/testing/http-suite';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { correlate, logErrors } from '../src/index.js';
import { createApp as createEsmApp } from './fixtures/app.mjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp } = require('./fixtures/app.cjs') as {
  createApp: typeof createEsmApp;
};

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'express-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
  }),
);

describeHttpAdapter({
  apps: [
    ['ESM', createEsmApp],
    ['CommonJS', createCjsApp],
  ],
  exported,
  proxiedApp: (trustProxy, options) => {
    const app = express();
    if (trustProxy) app.set('trust proxy', true);
    app.use(correlate(options));
    app.get('/who', (_req, res) => res.send('ok'));
    return app;
  },
});

describe('@threadline/express', () => {
  const completed = async () =>
    (await exported()).filter((r) => r.body === 'request completed').map((r) => r.attributes);

  it('names routes in routers mounted at parameterised paths by their templates, never by the ids', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const app = express();
    app.use(correlate());
    const albums = express.Router();
    albums.get('/photos/:photoId', (_req, res) => res.send('photo'));
    albums.get('/broken', async () => {
      await sleep(1);
      throw new Error('broken album');
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
      expect(route).not.toMatch(/4242|7777|8888|9999|5555|acme|6666|2323|4545|5656|3131|1212|3434/);
    }
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
