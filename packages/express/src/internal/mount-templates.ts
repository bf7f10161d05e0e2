/**
 * The templates of the paths routers are mounted at, so that `http.route`
 * names a mount by its template (`/users/:uid`), never by the path that
 * matched it (`/users/42`), which is all Express keeps (`req.baseUrl`).
 *
 * Read without patching anything, from what the app shows: on Express 5,
 * router's `listRoutes()` (router 2.3.0 or later); on Express 4, whose
 * layers keep no mount path string, the RegExp and keys of each `use()`
 * layer of `app._router` (see express4-mounts.ts); on both, a sub-app's
 * `mountpath` and `parent`. Read once per app, on its first request through
 * a mounted router, and again on a miss after its router stack grew; per
 * request a Map lookup, and a short loop over the mounts with parameters
 * when the path has one (figures: bench/README.md, "Figures behind the
 * code").
 * Following the layers that matched instead (router's `express.router.request`
 * tracing channel) would make router trace every middleware of every request.
 */
import { diagnoseOnce } from '@threadline/core';
import { express4Mounts } from './express4-mounts.js';

/** What is known of one app's mounts. */
interface MountTemplates {
  /**
   * Mount paths without parameters → template, under the path as registered
   * and lower-cased (Express matches them case-insensitively by default).
   */
  readonly fixed: Map<string, string>;
  /** Mount paths with `:name` segments: each segment lower-cased, `null` for a parameter. */
  readonly withParameters: Array<{ segments: Array<string | null>; template: string }>;
  /** The app's router, kept: Express 4's `app.router` throws, so it is looked up once. */
  readonly router: unknown;
  /** The length of the app's router stack when read: a miss after it grew reads the app again. */
  readonly stackLength: number | undefined;
}

/** A router mounted in another, with the templates of the paths it is mounted at. */
interface Mount {
  readonly router: unknown;
  readonly paths: readonly string[];
}

/** A `req.baseUrl` longer than this is not looked up (ids that long make no template). */
const MAX_BASE_LENGTH = 2048;
/** Nesting deeper than this is not followed (it guards against a router mounted inside itself). */
const MAX_DEPTH = 32;
/** Characters with a meaning in path-to-regexp 8 patterns (parameters, wildcards, groups, escapes). */
const PATTERN_CHARACTERS = /[:*{}()[\]+?!\\]/;
/** A whole segment that is one named parameter (`:uid`), as path-to-regexp 8 names them. */
const PARAMETER_SEGMENT = /^:[$_\p{ID_Start}](?:[$\p{ID_Continue}]|\u200c|\u200d)*$/u;

const byApp = new WeakMap<object, MountTemplates>();

/**
 * The template of the mount path `base` (a `req.baseUrl`) in `app`, or
 * `undefined` when it cannot be told: a RegExp, wildcard or optional mount
 * path (on Express 4, any but literal segments and `:name` parameters), a
 * sub-app mounted at several places at once or inside a router, or a router
 * older than 2.3.0.
 */
export function mountTemplate(app: unknown, base: string): string | undefined {
  if (base.length > MAX_BASE_LENGTH || typeof app !== 'function') return undefined;
  let templates = byApp.get(app);
  if (templates === undefined) {
    templates = readMountTemplates(app);
    byApp.set(app, templates);
  }
  const found = lookUp(templates, base);
  if (found !== undefined || templates.stackLength === stackLength(templates.router)) return found;
  // Routers mounted since the app was read: read it again (only on a miss).
  templates = readMountTemplates(app);
  byApp.set(app, templates);
  return lookUp(templates, base);
}

function lookUp(templates: MountTemplates, base: string): string | undefined {
  const fixed = templates.fixed.get(base) ?? templates.fixed.get(base.toLowerCase());
  if (fixed !== undefined || templates.withParameters.length === 0) return fixed;
  const parts = base.toLowerCase().split('/');
  for (const { segments, template } of templates.withParameters) {
    if (segmentsMatch(segments, parts)) return template;
  }
  return undefined;
}

function stackLength(router: unknown): number | undefined {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  return Array.isArray(stack) ? stack.length : undefined;
}

/**
 * The app's router: `app._router` on Express 4 (whose `app.router` is a
 * getter that throws), `app.router` on Express 5 (which has no `_router`).
 */
function routerOf(app: object): { router: unknown; express4: boolean } {
  const legacy = (app as { _router?: unknown })._router;
  if (legacy !== undefined) return { router: legacy, express4: true };
  try {
    return { router: (app as { router?: unknown }).router, express4: false };
  } catch {
    // An Express 4 app that has no router yet.
    return { router: undefined, express4: true };
  }
}

function segmentsMatch(segments: Array<string | null>, parts: string[]): boolean {
  if (segments.length !== parts.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i] as string;
    if (segment === null ? part === '' : segment !== part) return false;
  }
  return true;
}

function readMountTemplates(app: object): MountTemplates {
  const { router, express4 } = routerOf(app);
  const templates: MountTemplates = {
    fixed: new Map(),
    withParameters: [],
    router,
    stackLength: stackLength(router),
  };
  try {
    const listRoutes = typeof (router as { listRoutes?: unknown } | undefined)?.listRoutes;
    if (!express4 && listRoutes !== 'function') {
      diagnoseOnce(
        'express-list-routes',
        'http.route: this Express app’s router has no listRoutes() (router older than 2.3.0), so routes in mounted routers are named by their own template, without the mount path; update the router package to 2.3.0 or later',
      );
    }
    const mountsOf = express4 ? express4Mounts : listedMounts;
    for (const prefix of appTemplates(app, 0)) {
      add(templates, prefix);
      addMounts(templates, { router, prefix, mountsOf });
    }
  } catch {
    // An app we cannot read: no mount is known, and http.route falls back.
  }
  return templates;
}

/** The templates a (sub-)app is mounted at (several for an array of paths): '' for the top app. */
function appTemplates(app: object, depth: number): string[] {
  const { parent, mountpath } = app as { parent?: unknown; mountpath?: unknown };
  if (parent === undefined || parent === null) return [''];
  if (typeof parent !== 'function' || depth > MAX_DEPTH) return [];
  const own = (Array.isArray(mountpath) ? mountpath : [mountpath])
    .map(mountPath)
    .filter((p): p is string => p !== undefined);
  if (own.length === 0) return [];
  return appTemplates(parent, depth + 1).flatMap((above) => own.map((p) => above + p));
}

/** The mounts of `router` and of the routers mounted in it, at any depth, behind `prefix`. */
function addMounts(
  templates: MountTemplates,
  top: { router: unknown; prefix: string; mountsOf: (router: unknown) => Mount[] },
): void {
  const ancestors = new Set<unknown>();
  const visit = (router: unknown, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    ancestors.add(router);
    for (const mount of top.mountsOf(router)) {
      // A router mounted inside itself, or inside a router it holds: not again.
      if (ancestors.has(mount.router)) continue;
      for (const own of mount.paths) {
        add(templates, prefix + own);
        visit(mount.router, prefix + own, depth + 1);
      }
    }
    ancestors.delete(router);
  };
  visit(top.router, top.prefix, 0);
}

/** Express 5: the routers mounted in `router`, as its `listRoutes()` lists them. */
function listedMounts(router: unknown): Mount[] {
  const listRoutes = (router as { listRoutes?: unknown } | undefined)?.listRoutes;
  if (typeof listRoutes !== 'function') return [];
  const mounts: Mount[] = [];
  for (const entry of listRoutes.call(router) as Array<{ path?: unknown; router?: unknown }>) {
    // Only mounted routers; routes are matched below `req.baseUrl`, not in it.
    if (entry?.router === undefined) continue;
    const own = mountPath(entry.path);
    if (own !== undefined) mounts.push({ router: entry.router, paths: [own] });
  }
  return mounts;
}

/** A mount path as it shows in `req.baseUrl`: no trailing slash, '' for '/'; undefined for a RegExp. */
function mountPath(path: unknown): string | undefined {
  if (typeof path !== 'string' || path[0] !== '/') return undefined;
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

function add(templates: MountTemplates, template: string): void {
  if (template === '') return;
  if (!PATTERN_CHARACTERS.test(template)) {
    // The path as registered first (case-sensitive routing), then lower-cased.
    templates.fixed.set(template, template);
    const key = template.toLowerCase();
    if (!templates.fixed.has(key)) templates.fixed.set(key, template);
    return;
  }
  const segments: Array<string | null> = [];
  for (const segment of template.split('/')) {
    if (PARAMETER_SEGMENT.test(segment)) segments.push(null);
    // Wildcards, optional groups, escapes: no template a path can be checked against
    // segment by segment, so requests below it fall back.
    else if (PATTERN_CHARACTERS.test(segment)) return;
    else segments.push(segment.toLowerCase());
  }
  templates.withParameters.push({ segments, template });
}
