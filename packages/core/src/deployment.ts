/**
 * Deploy metadata for the OpenTelemetry Resource: service identity, environment,
 * deployment id, commit and repository, detected once at start-up from options,
 * the standard `OTEL_*` variables, Threadline's own variables, CI/hosting
 * platform variables and the nearest package.json.
 *
 * Precedence, highest first (the first source that yields a usable value wins):
 *   1. the named option (`serviceName`, `commit`, …)
 *   2. the `resourceAttributes` option
 *   3. `OTEL_SERVICE_NAME` (service.name only)
 *   4. `OTEL_RESOURCE_ATTRIBUTES`
 *   5. `THREADLINE_*` variables
 *   6. CI / hosting platform variables (tables below, in order)
 *   7. the nearest package.json with a `name`, walking up from cwd
 *      (`name` → service.name, kept as is, npm scope included; `version` → service.version)
 *   8. fallbacks: service.name `unknown_service:node`; service.instance.id a random
 *      UUID generated once per process.
 *
 * Bad options throw a TypeError (fail fast at start-up). Bad environment values,
 * an unreadable package.json and the like only add a warning; detection never throws
 * because of the environment. Warnings never echo more than 64 characters of a value
 * and never echo repository URLs (they may carry credentials).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bad, describe, type Env, envValue, isHttpUrl, show } from './internal/options.js';
import { redactUrlsInString } from './internal/redaction.js';
import type { DeploymentOptions, DetectedDeployment } from './types.js';

/** Resource attribute key for the team that owns the service (Threadline's own, not semconv). @example resource.attributes[THREADLINE_OWNER] // 'team-payments' */
export const THREADLINE_OWNER = 'threadline.owner';

/** Resource attribute key for the service's runbook link (Threadline's own, not semconv). @example resource.attributes[THREADLINE_RUNBOOK_URL] // 'https://runbooks.example.com/orders' */
export const THREADLINE_RUNBOOK_URL = 'threadline.runbook.url';

type AttributeValue = string | number | boolean;
/** Accepts `process.env` (`NodeJS.ProcessEnv`) or any plain object of strings. */

const SERVICE_NAME = 'service.name';
const SERVICE_VERSION = 'service.version';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
/** Deprecated semconv key; still read as a fallback for `deployment.environment.name`. */
const DEPLOYMENT_ENVIRONMENT_OLD = 'deployment.environment';
const DEPLOYMENT_ID = 'deployment.id';
const VCS_REVISION = 'vcs.ref.head.revision';
const VCS_REPOSITORY_URL = 'vcs.repository.url.full';

/** Named option → attribute key, in the order attributes are reported. */
const NAMED_OPTIONS = [
  ['serviceName', SERVICE_NAME],
  ['serviceVersion', SERVICE_VERSION],
  ['serviceNamespace', SERVICE_NAMESPACE],
  ['serviceInstanceId', SERVICE_INSTANCE_ID],
  ['environment', DEPLOYMENT_ENVIRONMENT_NAME],
  ['deploymentId', DEPLOYMENT_ID],
  ['commit', VCS_REVISION],
  ['repositoryUrl', VCS_REPOSITORY_URL],
  ['owner', THREADLINE_OWNER],
  ['runbookUrl', THREADLINE_RUNBOOK_URL],
] as const satisfies ReadonlyArray<readonly [keyof DeploymentOptions, string]>;

type NamedOption = (typeof NAMED_OPTIONS)[number][0];

const DEFAULT_SERVICE_NAME = 'unknown_service:node';

/** Commit variables, first valid one wins. Each is checked to be 7–64 hex characters. */
const COMMIT_VARS: readonly string[] = [
  'GITHUB_SHA', // GitHub Actions
  'CI_COMMIT_SHA', // GitLab CI
  'VERCEL_GIT_COMMIT_SHA', // Vercel
  'RENDER_GIT_COMMIT', // Render
  'HEROKU_BUILD_COMMIT', // Heroku (dyno metadata; the successor of HEROKU_SLUG_COMMIT, which can go stale)
  'HEROKU_SLUG_COMMIT', // Heroku (dyno metadata, deprecated)
  'SOURCE_VERSION', // Heroku build environment
  'CODEBUILD_RESOLVED_SOURCE_VERSION', // AWS CodeBuild
  'RAILWAY_GIT_COMMIT_SHA', // Railway
  'CIRCLE_SHA1', // CircleCI
  'BUILDKITE_COMMIT', // Buildkite
  'GIT_COMMIT', // Jenkins (Git plugin)
  'BITBUCKET_COMMIT', // Bitbucket Pipelines
  'COMMIT_REF', // Netlify
  'CF_PAGES_COMMIT_SHA', // Cloudflare Pages
];

/**
 * Repository URL variables that hold a whole URL, tried in this order after GitHub Actions
 * (GITHUB_SERVER_URL + GITHUB_REPOSITORY), GitLab CI (CI_PROJECT_URL), Vercel and Railway.
 */
const REPOSITORY_URL_VARS: readonly string[] = [
  'BUILDKITE_REPO', // Buildkite
  'CIRCLE_REPOSITORY_URL', // CircleCI
  'GIT_URL', // Jenkins (Git plugin)
  'BITBUCKET_GIT_HTTP_ORIGIN', // Bitbucket Pipelines
  'REPOSITORY_URL', // Netlify
];
// Not used on purpose: RENDER_GIT_REPO_SLUG (Render) is `owner/repo` with no host, and Render
// deploys from GitHub, GitLab and Bitbucket, so a URL built from it would be a guess.

/** Environment-name variables below `THREADLINE_ENVIRONMENT`, first non-empty one wins. */
const ENVIRONMENT_VARS: readonly string[] = [
  'VERCEL_ENV', // Vercel: production | preview | development
  'RAILWAY_ENVIRONMENT_NAME', // Railway
  'RAILWAY_ENVIRONMENT', // Railway (older name of the above)
  'NODE_ENV', // Node.js convention, lowest
];

/** Deployment-id variables below `THREADLINE_DEPLOYMENT_ID`, first non-empty one wins. */
const DEPLOYMENT_ID_VARS: readonly string[] = [
  'VERCEL_DEPLOYMENT_ID', // Vercel
  'RAILWAY_DEPLOYMENT_ID', // Railway
  'HEROKU_RELEASE_VERSION', // Heroku (dyno metadata), e.g. v42
  // GITHUB_RUN_ID (GitHub Actions) is read only when GITHUB_ACTIONS=true, see below.
];

/** `OTEL_RESOURCE_ATTRIBUTES` larger than this (UTF-8 bytes) is discarded as a whole. */
const MAX_RESOURCE_ATTRIBUTES_BYTES = 32 * 1024;
/** A decoded `OTEL_RESOURCE_ATTRIBUTES` value longer than this discards the whole variable. */
const MAX_RESOURCE_ATTRIBUTE_VALUE_LENGTH = 4096;
const COMMIT_RE = /^[0-9a-f]{7,64}$/i;

const INSTANCE_ID_KEY = Symbol.for('threadline.core.serviceInstanceId.v1');

/**
 * One id per process, shared by the ESM and CommonJS copies of this package
 * through a registered symbol on globalThis.
 */
function processInstanceId(): string {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const existing = g[INSTANCE_ID_KEY];
  if (typeof existing === 'string') return existing;
  const id = randomUUID();
  g[INSTANCE_ID_KEY] = id;
  return id;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `https://host/owner/repo` from an http(s), `ssh://` or scp-like `git@host:owner/repo`
 * URL: credentials, port of ssh URLs, query, fragment, trailing `/` and `.git` removed.
 * Undefined when the text is not such a URL.
 */
function normalizeRepositoryUrl(raw: string): string | undefined {
  let text = raw.trim();
  if (!text.includes('://')) {
    // scp-like syntax: [user@]host:path. The host needs 2+ characters so that a
    // Windows path (C:\repo) is not taken for one.
    const m = /^(?:[^@/\s]+@)?([A-Za-z0-9][A-Za-z0-9.-]+):([^\s]+)$/.exec(text);
    if (!m) return undefined;
    text = `https://${m[1]}/${(m[2] ?? '').replace(/^\/+/, '')}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  let origin: string;
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    origin = `${url.protocol}//${url.host}`;
  } else if (url.protocol === 'ssh:' || url.protocol === 'git+ssh:') {
    // An ssh port says nothing about the web server's port.
    origin = `https://${url.hostname.toLowerCase()}`;
  } else {
    return undefined;
  }
  if (url.hostname === '') return undefined;
  const repoPath = url.pathname
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '')
    .replace(/\/+$/, '');
  if (repoPath === '' || repoPath === '/') return undefined;
  return `${origin}${repoPath.startsWith('/') ? '' : '/'}${repoPath}`;
}

/**
 * Parses `OTEL_RESOURCE_ATTRIBUTES` (`k1=v1,k2=v2`). Spaces around keys and values are
 * trimmed, then keys and values are percent-decoded (`,` and `=` inside them must be
 * written `%2C` and `%3D`; `+` is not a space). Empty entries (`a=1,,b=2`, a trailing
 * comma) are skipped. Values are strings; a later duplicate key wins.
 *
 * On any malformed entry (no `=`, more than one `=`, empty key), any percent-decoding
 * error, a decoded value over 4096 characters or a variable over 32 KiB, the WHOLE
 * variable is discarded (OpenTelemetry `resource/sdk.md`): `attributes` is empty and
 * `error` names the entry and the reason, echoing at most 64 characters of it.
 * Unlike opentelemetry-js, keys and values over 255 characters are accepted.
 *
 * @example
 * parseResourceAttributesEnv('service.namespace=shop, team=a%2Cb');
 * // { attributes: { 'service.namespace': 'shop', team: 'a,b' } }
 * parseResourceAttributesEnv('ok=1,bad=%E0%A4');
 * // { attributes: {}, error: 'entry 2 ("bad=%E0%A4"): invalid percent-encoding' }
 */
export function parseResourceAttributesEnv(value: string | undefined): {
  attributes: Record<string, string>;
  error?: string;
} {
  if (value === undefined || value.trim() === '') return { attributes: {} };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_RESOURCE_ATTRIBUTES_BYTES) {
    return {
      attributes: {},
      error: `the variable is ${bytes} bytes; the limit is ${MAX_RESOURCE_ATTRIBUTES_BYTES}`,
    };
  }
  const fail = (error: string) => ({ attributes: {}, error });
  const out = new Map<string, string>();
  const entries = value.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? '';
    if (entry.trim() === '') continue;
    const where = `entry ${i + 1} (${show(entry.trim())})`;
    const parts = entry.split('=');
    if (parts.length !== 2) {
      return fail(
        parts.length < 2
          ? `${where}: expected key=value`
          : `${where}: more than one "=" (write "=" inside a key or value as %3D)`,
      );
    }
    const rawKey = (parts[0] ?? '').trim();
    const rawValue = (parts[1] ?? '').trim();
    if (rawKey === '') return fail(`${where}: empty key`);
    let key: string;
    let decoded: string;
    try {
      key = decodeURIComponent(rawKey);
      decoded = decodeURIComponent(rawValue);
    } catch {
      return fail(`${where}: invalid percent-encoding`);
    }
    if (key.trim() === '') return fail(`${where}: empty key`);
    if (decoded.length > MAX_RESOURCE_ATTRIBUTE_VALUE_LENGTH) {
      return fail(
        `entry ${i + 1} (key ${show(key)}): value is ${decoded.length} characters; the limit is ${MAX_RESOURCE_ATTRIBUTE_VALUE_LENGTH}`,
      );
    }
    out.set(key, decoded);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return { attributes: Object.fromEntries(out) };
}

interface PackageInfo {
  name: string;
  version: string | undefined;
}

/**
 * The nearest package.json with a `name`, walking up from `cwd` to the filesystem root.
 * Manifests without a name (such as `{"type":"module"}` in a build folder) are skipped.
 * Each file is read once with readFileSync; a missing file is normal. A manifest that
 * cannot be read or parsed ends the walk with a warning: it is the nearest one, and
 * taking a name from further up would be a guess. Never throws.
 */
function findPackageJson(cwd: string, warnings: string[]): PackageInfo | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const file = path.join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') {
        warnings.push(
          `could not read ${file} (${code ?? 'unknown error'}); service.name and service.version are not taken from a package.json`,
        );
        return undefined;
      }
    }
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch {
        warnings.push(
          `${file} is not valid JSON; service.name and service.version are not taken from it`,
        );
        return undefined;
      }
      if (!isPlainObject(json)) {
        warnings.push(
          `${file} is not a JSON object; service.name and service.version are not taken from it`,
        );
        return undefined;
      }
      const name = typeof json.name === 'string' ? json.name.trim() : '';
      if (name !== '') {
        const version = typeof json.version === 'string' ? json.version.trim() : '';
        return { name, version: version === '' ? undefined : version };
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

type Candidate = readonly [source: string, value: AttributeValue | undefined];

function validateOptions(options: unknown): {
  named: Map<NamedOption, string>;
  extra: Map<string, AttributeValue>;
} {
  const named = new Map<NamedOption, string>();
  const extra = new Map<string, AttributeValue>();
  if (options === undefined) return { named, extra };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Threadline: options must be an object; got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const [option] of NAMED_OPTIONS) {
    const v = o[option];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '') throw bad(option, v, 'a non-empty string');
    let s = v.trim();
    if (option === 'commit') {
      if (!COMMIT_RE.test(s)) throw bad(option, v, 'a commit hash of 7-64 hexadecimal characters');
      s = s.toLowerCase();
    } else if (option === 'repositoryUrl') {
      const url = normalizeRepositoryUrl(s);
      if (url === undefined) {
        // The value is not echoed: a repository URL may carry credentials.
        throw new TypeError(
          `Threadline: option "repositoryUrl" must be an http(s), ssh:// or git@host:owner/repo URL; got a string that is none of these`,
        );
      }
      s = url;
    } else if (option === 'runbookUrl') {
      if (!isHttpUrl(s)) throw bad(option, v, 'an absolute http(s) URL');
    }
    named.set(option, s);
  }
  const ra = o.resourceAttributes;
  if (ra !== undefined) {
    if (!isPlainObject(ra)) {
      throw bad('resourceAttributes', ra, 'an object of string, number or boolean values');
    }
    for (const [key, v] of Object.entries(ra)) {
      const name = `resourceAttributes[${JSON.stringify(key)}]`;
      if (key.trim() === '') {
        throw new TypeError(
          `Threadline: option "resourceAttributes" must have non-empty keys; got the key ${JSON.stringify(key)}`,
        );
      }
      if (typeof v === 'string') {
        if (v.trim() === '') throw bad(name, v, 'a non-empty string, a finite number or a boolean');
        extra.set(key, v);
      } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
        extra.set(key, v);
      } else {
        throw bad(name, v, 'a non-empty string, a finite number or a boolean');
      }
    }
  }
  return { named, extra };
}

/**
 * Detects deploy metadata for the OpenTelemetry Resource.
 *
 * Attributes: `service.name`, `service.version`, `service.namespace`,
 * `service.instance.id`, `deployment.environment.name`, `deployment.id`,
 * `vcs.ref.head.revision`, `vcs.repository.url.full`, `threadline.owner`,
 * `threadline.runbook.url`, plus every other key of the `resourceAttributes` option
 * and of `OTEL_RESOURCE_ATTRIBUTES`.
 *
 * Precedence, highest first: named option > `resourceAttributes` option >
 * `OTEL_SERVICE_NAME` (service.name only) > `OTEL_RESOURCE_ATTRIBUTES` > `THREADLINE_*`
 * variables > CI/platform variables > nearest package.json > fallbacks. An empty or
 * blank variable counts as unset. A commit must be 7–64 hex characters (stored
 * lower-cased); a repository URL is stored as `https://host/owner/repo`, without
 * credentials or `.git`. Values of `OTEL_RESOURCE_ATTRIBUTES` and `resourceAttributes`
 * are taken as given, except that credentials and signed-URL parameters in URLs are
 * replaced with `REDACTED`.
 *
 * @param options Explicit values; of the wrong type or empty → TypeError naming the option.
 * @param env Variables to read. @default process.env
 * @param cwd Where the package.json search starts. @default process.cwd()
 * @returns attributes, the source of each, and warnings for ignored environment values.
 *
 * @example
 * import { resourceFromAttributes } from '@opentelemetry/resources';
 * const deployment = detectDeployment({ owner: 'team-payments' });
 * for (const w of deployment.warnings) console.warn(`[threadline] ${w}`);
 * const resource = resourceFromAttributes(deployment.attributes);
 */
export function detectDeployment(
  options?: DeploymentOptions,
  env: Env = process.env,
  cwd?: string,
): DetectedDeployment {
  const { named, extra } = validateOptions(options);
  const warnings: string[] = [];

  const otelRaw = env.OTEL_RESOURCE_ATTRIBUTES;
  const parsed = parseResourceAttributesEnv(otelRaw);
  if (parsed.error !== undefined) {
    warnings.push(`OTEL_RESOURCE_ATTRIBUTES ignored as a whole: ${parsed.error}`);
  }
  const otel = new Map(Object.entries(parsed.attributes));

  let pkg: PackageInfo | undefined;
  let pkgLooked = false;
  const packageJson = (): PackageInfo | undefined => {
    if (!pkgLooked) {
      pkgLooked = true;
      let start = cwd;
      if (start === undefined) {
        try {
          start = process.cwd();
        } catch {
          warnings.push('the current directory is gone; no package.json was read');
        }
      }
      if (start !== undefined) pkg = findPackageJson(start, warnings);
    }
    return pkg;
  };

  // Candidate lists, highest precedence first. Each function runs only when every
  // source above it yielded nothing, so lower sources are not read or warned about.
  const fromOptions = (option: NamedOption, key: string): Array<() => Candidate> => [
    () => ['option', named.get(option)],
    () => ['resourceAttributes', extra.get(key)],
  ];
  const fromOtel =
    (key: string): (() => Candidate) =>
    () => {
      const v = otel.get(key);
      if (v === '') {
        warnings.push(`OTEL_RESOURCE_ATTRIBUTES: ${key} is empty; ignored`);
        return ['OTEL_RESOURCE_ATTRIBUTES', undefined];
      }
      return ['OTEL_RESOURCE_ATTRIBUTES', v];
    };
  const fromEnv =
    (name: string): (() => Candidate) =>
    () => [name, envValue(env, name)];
  const commitFromEnv =
    (name: string): (() => Candidate) =>
    () => {
      const v = envValue(env, name);
      if (v === undefined) return [name, undefined];
      if (!COMMIT_RE.test(v)) {
        warnings.push(
          `ignored ${name}=${show(v)}: not a commit hash (7-64 hexadecimal characters)`,
        );
        return [name, undefined];
      }
      return [name, v.toLowerCase()];
    };
  const repoFromEnv = (source: string, raw: string | undefined): Candidate => {
    if (raw === undefined) return [source, undefined];
    const url = normalizeRepositoryUrl(raw);
    if (url === undefined) {
      // Not echoed: it may carry credentials.
      warnings.push(`ignored ${source}: not an http(s), ssh:// or git@host:owner/repo URL`);
    }
    return [source, url];
  };

  const chains: Array<readonly [key: string, candidates: Array<() => Candidate>]> = [
    [
      SERVICE_NAME,
      [
        ...fromOptions('serviceName', SERVICE_NAME),
        fromEnv('OTEL_SERVICE_NAME'),
        fromOtel(SERVICE_NAME),
        () => ['package.json', packageJson()?.name],
        () => ['default', DEFAULT_SERVICE_NAME],
      ],
    ],
    [
      SERVICE_VERSION,
      [
        ...fromOptions('serviceVersion', SERVICE_VERSION),
        fromOtel(SERVICE_VERSION),
        fromEnv('THREADLINE_SERVICE_VERSION'),
        () => ['package.json', packageJson()?.version],
      ],
    ],
    [
      SERVICE_NAMESPACE,
      [...fromOptions('serviceNamespace', SERVICE_NAMESPACE), fromOtel(SERVICE_NAMESPACE)],
    ],
    [
      SERVICE_INSTANCE_ID,
      [
        ...fromOptions('serviceInstanceId', SERVICE_INSTANCE_ID),
        fromOtel(SERVICE_INSTANCE_ID),
        () => ['generated', processInstanceId()],
      ],
    ],
    [
      DEPLOYMENT_ENVIRONMENT_NAME,
      [
        ...fromOptions('environment', DEPLOYMENT_ENVIRONMENT_NAME),
        () => ['resourceAttributes', extra.get(DEPLOYMENT_ENVIRONMENT_OLD)],
        fromOtel(DEPLOYMENT_ENVIRONMENT_NAME),
        // The deprecated key, still common in OTEL_RESOURCE_ATTRIBUTES.
        () => ['OTEL_RESOURCE_ATTRIBUTES', otel.get(DEPLOYMENT_ENVIRONMENT_OLD) || undefined],
        fromEnv('THREADLINE_ENVIRONMENT'),
        ...ENVIRONMENT_VARS.map(fromEnv),
      ],
    ],
    [
      DEPLOYMENT_ID,
      [
        ...fromOptions('deploymentId', DEPLOYMENT_ID),
        fromOtel(DEPLOYMENT_ID),
        fromEnv('THREADLINE_DEPLOYMENT_ID'),
        ...DEPLOYMENT_ID_VARS.map(fromEnv),
        // GitHub Actions: a run id identifies a deploy only inside Actions.
        () => [
          'GITHUB_RUN_ID',
          env.GITHUB_ACTIONS?.trim() === 'true' ? envValue(env, 'GITHUB_RUN_ID') : undefined,
        ],
      ],
    ],
    [
      VCS_REVISION,
      [
        ...fromOptions('commit', VCS_REVISION),
        fromOtel(VCS_REVISION),
        commitFromEnv('THREADLINE_COMMIT'),
        ...COMMIT_VARS.map(commitFromEnv),
      ],
    ],
    [
      VCS_REPOSITORY_URL,
      [
        ...fromOptions('repositoryUrl', VCS_REPOSITORY_URL),
        fromOtel(VCS_REPOSITORY_URL),
        // GitHub Actions
        () => {
          const server = envValue(env, 'GITHUB_SERVER_URL');
          const repo = envValue(env, 'GITHUB_REPOSITORY');
          return repoFromEnv(
            'GITHUB_SERVER_URL+GITHUB_REPOSITORY',
            server !== undefined && repo !== undefined
              ? `${server.replace(/\/+$/, '')}/${repo}`
              : undefined,
          );
        },
        () => repoFromEnv('CI_PROJECT_URL', envValue(env, 'CI_PROJECT_URL')), // GitLab CI
        // Vercel: the host is known only for GitHub; GitLab and Bitbucket may be self-hosted.
        () => {
          const owner = envValue(env, 'VERCEL_GIT_REPO_OWNER');
          const slug = envValue(env, 'VERCEL_GIT_REPO_SLUG');
          const github = envValue(env, 'VERCEL_GIT_PROVIDER')?.toLowerCase() === 'github';
          return repoFromEnv(
            'VERCEL_GIT_REPO_OWNER+VERCEL_GIT_REPO_SLUG',
            github && owner !== undefined && slug !== undefined
              ? `https://github.com/${owner}/${slug}`
              : undefined,
          );
        },
        // Railway: deploys from GitHub repositories only.
        () => {
          const owner = envValue(env, 'RAILWAY_GIT_REPO_OWNER');
          const name = envValue(env, 'RAILWAY_GIT_REPO_NAME');
          return repoFromEnv(
            'RAILWAY_GIT_REPO_OWNER+RAILWAY_GIT_REPO_NAME',
            owner !== undefined && name !== undefined
              ? `https://github.com/${owner}/${name}`
              : undefined,
          );
        },
        ...REPOSITORY_URL_VARS.map((name) => () => repoFromEnv(name, envValue(env, name))),
      ],
    ],
    [
      THREADLINE_OWNER,
      [
        ...fromOptions('owner', THREADLINE_OWNER),
        fromOtel(THREADLINE_OWNER),
        fromEnv('THREADLINE_OWNER'),
      ],
    ],
    [
      THREADLINE_RUNBOOK_URL,
      [
        ...fromOptions('runbookUrl', THREADLINE_RUNBOOK_URL),
        fromOtel(THREADLINE_RUNBOOK_URL),
        () => {
          const v = envValue(env, 'THREADLINE_RUNBOOK_URL');
          if (v !== undefined && !isHttpUrl(v)) {
            warnings.push(`ignored THREADLINE_RUNBOOK_URL=${show(v)}: not an absolute http(s) URL`);
            return ['THREADLINE_RUNBOOK_URL', undefined];
          }
          return ['THREADLINE_RUNBOOK_URL', v];
        },
      ],
    ],
  ];

  const attributes = new Map<string, AttributeValue>();
  const sources = new Map<string, string>();
  const managed = new Set<string>();
  for (const [key, candidates] of chains) {
    managed.add(key);
    for (const candidate of candidates) {
      const [source, value] = candidate();
      if (value !== undefined) {
        attributes.set(key, value);
        sources.set(key, source);
        break;
      }
    }
  }
  for (const [option, key] of NAMED_OPTIONS) {
    const a = named.get(option);
    const b = extra.get(key);
    if (a !== undefined && b !== undefined && a !== b) {
      warnings.push(`option ${option} overrides resourceAttributes[${JSON.stringify(key)}]`);
    }
  }
  // Other keys: resourceAttributes over OTEL_RESOURCE_ATTRIBUTES.
  for (const [key, value] of otel) {
    if (managed.has(key)) continue;
    attributes.set(key, value);
    sources.set(key, 'OTEL_RESOURCE_ATTRIBUTES');
  }
  for (const [key, value] of extra) {
    if (managed.has(key)) continue;
    attributes.set(key, value);
    sources.set(key, 'resourceAttributes');
  }
  // Values given as they are may still hold a URL with credentials
  // (`vcs.repository.url.full=https://user:token@…`): those never leave the process.
  for (const [key, value] of attributes) {
    if (typeof value === 'string') attributes.set(key, redactUrlsInString(value));
  }
  return {
    attributes: Object.fromEntries(attributes),
    warnings,
    sources: Object.fromEntries(sources),
  };
}
