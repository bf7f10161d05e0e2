import { createRequire } from 'node:module';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { express4MountPaths } from '../../src/internal/express4-mounts.js';

const require = createRequire(import.meta.url);
const express418 = require('express4.18') as typeof express4;

/** The layer Express 4's `router.use(path, …)` makes, as a router mounted there gets it. */
function layerOf(express: typeof express4, path: string | RegExp | Array<string | RegExp>) {
  const router = express.Router({ caseSensitive: true });
  router.use(path, express.Router());
  const [layer] = router.stack;
  return layer as { regexp: unknown; keys: unknown };
}

// path-to-regexp 0.1.7 (Express 4.18 and 4.19) and 0.1.13 (4.22) write the same paths otherwise.
describe.each([
  ['Express 4.22', express4],
  ['Express 4.18', express418],
])('express4MountPaths on %s', (_version, express) => {
  it.each<[string, string | string[], string[]]>([
    ['the root', '/', ['']],
    ['literal segments', '/api/v1', ['/api/v1']],
    ['a trailing slash', '/api/', ['/api']],
    ['parameters', '/users/:uid/albums/:albumId', ['/users/:uid/albums/:albumId']],
    ['a leading parameter', '/:lang/docs', ['/:lang/docs']],
    ['dots, dashes, tildes and case', '/Docs/v1.2/a-b_c~d/:x', ['/Docs/v1.2/a-b_c~d/:x']],
    [
      'an array of paths',
      ['/shops/:shopId', '/stores/:storeId'],
      ['/shops/:shopId', '/stores/:storeId'],
    ],
  ])('tells back %s', (_name, path, expected) => {
    const layer = layerOf(express, path);
    expect(express4MountPaths(layer.regexp, layer.keys)).toEqual(expected);
  });

  it.each<[string, string | RegExp | Array<string | RegExp>]>([
    ['a RegExp', /^\/v(\d+)/],
    ['an optional parameter', '/x/:id?'],
    ['a parameter with its own pattern', '/x/:id(\\d+)'],
    ['a wildcard', '/x/*'],
    ['a repeated parameter', '/x/:id*'],
    ['a format parameter', '/file.:ext'],
    ['two parameters in a segment', '/:from-:to'],
    ['a RegExp character in a segment', '/a+b'],
    ['an array holding a RegExp', ['/a/:x', /^\/b/]],
  ])('gives up on %s', (_name, path) => {
    const layer = layerOf(express, path);
    expect(express4MountPaths(layer.regexp, layer.keys)).toBeUndefined();
  });
});

it('gives up on a layer that is not an Express 4 one', () => {
  expect(express4MountPaths(undefined, [])).toBeUndefined();
  expect(express4MountPaths(/^\/a\/?(?=\/|$)/i, undefined)).toBeUndefined();
  // A parameter the keys do not name: no template rather than a guess.
  expect(express4MountPaths(/^\/a(?:\/([^/]+?))\/?(?=\/|$)/i, [])).toBeUndefined();
  // Keys no form read accounts for: a group it did not understand.
  expect(express4MountPaths(/^\/a\/?(?=\/|$)/i, [{ name: 'x', optional: false }])).toBeUndefined();
});
