/**
 * The routers mounted in an Express 4 router, and the paths they are mounted
 * at, told back from what Express 4 keeps of them. It keeps no string of a
 * mount path (`layer.path` is the path that matched, ids included): only the
 * RegExp that path-to-regexp 0.1.x made of it (`layer.regexp`) and its
 * parameters (`layer.keys`).
 *
 * Only the plain forms are told back: literal segments of ASCII letters,
 * digits and `-._~%@!,;=&'`, and whole-segment `:name` parameters, alone or in
 * an array of paths, as path-to-regexp 0.1.7 (Express 4.18 and 4.19) and 0.1.10
 * to 0.1.13 (Express 4.20 to 4.22) write them. For anything else (a RegExp,
 * `*`, `:name?`, `:name(\\d+)`, `.:ext`, two parameters in a segment, a
 * character with a meaning in a RegExp) there is no template.
 */

/** What is read of a layer of an Express 4 router's stack. */
interface Express4Layer {
  /** The middleware, router or sub-app (`mounted_app`) the layer calls. */
  handle?: unknown;
  /** path-to-regexp 0.1.x's RegExp of the mount path, and its parameters. */
  regexp?: unknown;
  keys?: unknown;
}

/** How a mount path's RegExp ends (`end: false`, `strict: false`, as `use()` makes them). */
const END = String.raw`\/?(?=\/|$)`;
/** A whole-segment `:name` parameter: as 0.1.7 writes it, then as 0.1.10 and later do. */
const PARAMETER_FORMS = [String.raw`\/(?:([^\/]+?))`, String.raw`(?:\/([^/]+?))`];
/** A literal segment: a slash, then characters without a meaning in a RegExp, or an escaped dot. */
const LITERAL_SEGMENT = /\\\/((?:[\w~%@!,;=&'-]|\\\.)+)/y;
/** A parameter name as path-to-regexp 0.1.x reads it. */
const PARAMETER_NAME = /^\w+$/;

/**
 * The routers in an Express 4 router's stack, each with the templates of the
 * paths it is mounted at; those whose paths cannot be told are left out.
 */
export function express4Mounts(router: unknown): Array<{ router: unknown; paths: string[] }> {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  if (!Array.isArray(stack)) return [];
  const mounts: Array<{ router: unknown; paths: string[] }> = [];
  for (const layer of stack as Array<Express4Layer | null | undefined>) {
    // Only layers holding a router (a function with a stack of its own): a
    // route's layer holds its dispatcher, a sub-app's its `mounted_app`, and
    // routes are matched below `req.baseUrl`, not in it.
    const mounted = layer?.handle;
    if (typeof mounted !== 'function' || !Array.isArray((mounted as { stack?: unknown }).stack)) {
      continue;
    }
    const paths = express4MountPaths(layer?.regexp, layer?.keys);
    if (paths !== undefined) mounts.push({ router: mounted, paths });
  }
  return mounts;
}

/**
 * The templates of the paths an Express 4 `use()` layer matches (several for
 * an array of paths; `''` for `/`), or `undefined` when they cannot be told.
 *
 * @example
 * const router = express.Router();
 * router.use(['/shops/:shopId', '/stores/:storeId'], shop);
 * const layer = router.stack[0];
 * express4MountPaths(layer.regexp, layer.keys); // ['/shops/:shopId', '/stores/:storeId']
 */
export function express4MountPaths(regexp: unknown, keys: unknown): string[] | undefined {
  if (!(regexp instanceof RegExp) || !Array.isArray(keys)) return undefined;
  let source = regexp.source;
  // 0.1.7 wraps an array of paths in a group; 0.1.10 and later join them bare.
  if (source.startsWith('(?:^') && source.endsWith(')')) source = source.slice(3, -1);
  const paths: string[] = [];
  let at = 0;
  let keyIndex = 0;
  for (;;) {
    if (source[at] !== '^') return undefined;
    at++;
    let path = '';
    while (!source.startsWith(END, at)) {
      const parameter = PARAMETER_FORMS.find((form) => source.startsWith(form, at));
      if (parameter !== undefined) {
        const name = parameterName(keys[keyIndex++]);
        if (name === undefined) return undefined;
        path += `/:${name}`;
        at += parameter.length;
        continue;
      }
      LITERAL_SEGMENT.lastIndex = at;
      const literal = LITERAL_SEGMENT.exec(source);
      if (literal === null) return undefined;
      path += `/${(literal[1] as string).replaceAll('\\.', '.')}`;
      at = LITERAL_SEGMENT.lastIndex;
    }
    at += END.length;
    paths.push(path);
    if (at === source.length) break;
    // The next path of an array.
    if (source[at] !== '|') return undefined;
    at++;
  }
  // Every parameter accounted for: none hides in a form not read above.
  return keyIndex === keys.length ? paths : undefined;
}

function parameterName(key: unknown): string | undefined {
  const name = (key as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && PARAMETER_NAME.test(name) ? name : undefined;
}
