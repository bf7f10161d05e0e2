import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  detectDeployment,
  parseResourceAttributesEnv,
  THREADLINE_OWNER,
  THREADLINE_RUNBOOK_URL,
} from '../src/deployment.js';
import type { DeploymentOptions } from '../src/types.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-deployment-'));
afterAll(() => fs.rmSync(tempRoot, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let dirCount = 0;
/** A fresh directory under the temp root, with the given files (relative path → content). */
function makeTree(files: Record<string, string> = {}): string {
  const dir = path.join(tempRoot, `t${dirCount++}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

/** A directory whose package.json is known, so tests do not depend on the machine. */
const pkgDir = makeTree({
  'package.json': JSON.stringify({ name: 'pkg-name', version: '0.0.1' }),
});

/** Makes every package.json look absent; returns the spy. */
function hidePackageJson() {
  const real = fs.readFileSync;
  return vi.spyOn(fs, 'readFileSync').mockImplementation(((
    file: fs.PathOrFileDescriptor,
    opts?: unknown,
  ) => {
    if (typeof file === 'string' && path.basename(file) === 'package.json') {
      throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    }
    return (real as (f: fs.PathOrFileDescriptor, o?: unknown) => string | Buffer)(file, opts);
  }) as typeof fs.readFileSync);
}

// ---------------------------------------------------------------------------------------
// Precedence table: every layer present, then the top one removed, row by row.
// ---------------------------------------------------------------------------------------

interface Layer {
  source: string;
  value: string | undefined;
  options?: DeploymentOptions;
  resourceAttributes?: Record<string, string>;
  otel?: Record<string, string>;
  env?: Record<string, string>;
  /** The package.json layer: use pkgDir as cwd. */
  pkg?: true;
}

function run(layers: Layer[]) {
  const options: DeploymentOptions = {};
  const env: Record<string, string> = {};
  const otel: string[] = [];
  let ra: Record<string, string> | undefined;
  let cwd: string | undefined;
  for (const l of layers) {
    Object.assign(options, l.options);
    if (l.resourceAttributes) ra = { ...ra, ...l.resourceAttributes };
    for (const [k, v] of Object.entries(l.otel ?? {})) {
      otel.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    }
    Object.assign(env, l.env);
    if (l.pkg) cwd = pkgDir;
  }
  if (ra) options.resourceAttributes = ra;
  if (otel.length > 0) env.OTEL_RESOURCE_ATTRIBUTES = otel.join(',');
  if (cwd === undefined) {
    hidePackageJson();
    cwd = makeTree();
  }
  return detectDeployment(options, env, cwd);
}

const hex = (i: number) => (i + 16).toString(16).repeat(4); // 8 hex characters, unique per i

const precedence: Record<string, Layer[]> = {
  'service.name': [
    { source: 'option', value: 'opt', options: { serviceName: 'opt' } },
    { source: 'resourceAttributes', value: 'ra', resourceAttributes: { 'service.name': 'ra' } },
    { source: 'OTEL_SERVICE_NAME', value: 'osn', env: { OTEL_SERVICE_NAME: 'osn' } },
    { source: 'OTEL_RESOURCE_ATTRIBUTES', value: 'ora', otel: { 'service.name': 'ora' } },
    { source: 'package.json', value: 'pkg-name', pkg: true },
    { source: 'default', value: 'unknown_service:node' },
  ],
  'service.version': [
    { source: 'option', value: '9.0.0', options: { serviceVersion: '9.0.0' } },
    {
      source: 'resourceAttributes',
      value: '8.0.0',
      resourceAttributes: { 'service.version': '8.0.0' },
    },
    { source: 'OTEL_RESOURCE_ATTRIBUTES', value: '7.0.0', otel: { 'service.version': '7.0.0' } },
    {
      source: 'THREADLINE_SERVICE_VERSION',
      value: '6.0.0',
      env: { THREADLINE_SERVICE_VERSION: '6.0.0' },
    },
    { source: 'package.json', value: '0.0.1', pkg: true },
    { source: 'none', value: undefined },
  ],
  'service.namespace': [
    { source: 'option', value: 'ns-opt', options: { serviceNamespace: 'ns-opt' } },
    {
      source: 'resourceAttributes',
      value: 'ns-ra',
      resourceAttributes: { 'service.namespace': 'ns-ra' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'ns-otel',
      otel: { 'service.namespace': 'ns-otel' },
    },
    { source: 'none', value: undefined },
  ],
  'deployment.environment.name': [
    { source: 'option', value: 'opt', options: { environment: 'opt' } },
    {
      source: 'resourceAttributes',
      value: 'ra',
      resourceAttributes: { 'deployment.environment.name': 'ra' },
    },
    {
      source: 'resourceAttributes',
      value: 'ra-old',
      resourceAttributes: { 'deployment.environment': 'ra-old' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'otel',
      otel: { 'deployment.environment.name': 'otel' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'otel-old',
      otel: { 'deployment.environment': 'otel-old' },
    },
    { source: 'THREADLINE_ENVIRONMENT', value: 'tl', env: { THREADLINE_ENVIRONMENT: 'tl' } },
    { source: 'VERCEL_ENV', value: 'preview', env: { VERCEL_ENV: 'preview' } },
    {
      source: 'RAILWAY_ENVIRONMENT_NAME',
      value: 'rw-new',
      env: { RAILWAY_ENVIRONMENT_NAME: 'rw-new' },
    },
    { source: 'RAILWAY_ENVIRONMENT', value: 'rw-old', env: { RAILWAY_ENVIRONMENT: 'rw-old' } },
    { source: 'NODE_ENV', value: 'development', env: { NODE_ENV: 'development' } },
    { source: 'none', value: undefined },
  ],
  'deployment.id': [
    { source: 'option', value: 'd-opt', options: { deploymentId: 'd-opt' } },
    {
      source: 'resourceAttributes',
      value: 'd-ra',
      resourceAttributes: { 'deployment.id': 'd-ra' },
    },
    { source: 'OTEL_RESOURCE_ATTRIBUTES', value: 'd-otel', otel: { 'deployment.id': 'd-otel' } },
    {
      source: 'THREADLINE_DEPLOYMENT_ID',
      value: 'd-tl',
      env: { THREADLINE_DEPLOYMENT_ID: 'd-tl' },
    },
    { source: 'VERCEL_DEPLOYMENT_ID', value: 'dpl_123', env: { VERCEL_DEPLOYMENT_ID: 'dpl_123' } },
    { source: 'RAILWAY_DEPLOYMENT_ID', value: 'rw-dep', env: { RAILWAY_DEPLOYMENT_ID: 'rw-dep' } },
    { source: 'HEROKU_RELEASE_VERSION', value: 'v42', env: { HEROKU_RELEASE_VERSION: 'v42' } },
    {
      source: 'GITHUB_RUN_ID',
      value: '987654321',
      env: { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '987654321' },
    },
    { source: 'none', value: undefined },
  ],
  'vcs.ref.head.revision': [
    { source: 'option', value: hex(0), options: { commit: hex(0) } },
    {
      source: 'resourceAttributes',
      value: 'ra-rev',
      resourceAttributes: { 'vcs.ref.head.revision': 'ra-rev' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'otel-rev',
      otel: { 'vcs.ref.head.revision': 'otel-rev' },
    },
    {
      source: 'THREADLINE_COMMIT',
      value: hex(1),
      env: { THREADLINE_COMMIT: hex(1).toUpperCase() },
    },
    ...[
      'GITHUB_SHA',
      'CI_COMMIT_SHA',
      'VERCEL_GIT_COMMIT_SHA',
      'RENDER_GIT_COMMIT',
      'HEROKU_BUILD_COMMIT',
      'HEROKU_SLUG_COMMIT',
      'SOURCE_VERSION',
      'CODEBUILD_RESOLVED_SOURCE_VERSION',
      'RAILWAY_GIT_COMMIT_SHA',
      'CIRCLE_SHA1',
      'BUILDKITE_COMMIT',
      'GIT_COMMIT',
      'BITBUCKET_COMMIT',
      'COMMIT_REF',
      'CF_PAGES_COMMIT_SHA',
    ].map((name, i): Layer => ({ source: name, value: hex(i + 2), env: { [name]: hex(i + 2) } })),
    { source: 'none', value: undefined },
  ],
  'vcs.repository.url.full': [
    {
      source: 'option',
      value: 'https://git.example.com/o/opt',
      options: { repositoryUrl: 'https://git.example.com/o/opt' },
    },
    {
      source: 'resourceAttributes',
      value: 'ra-url',
      resourceAttributes: { 'vcs.repository.url.full': 'ra-url' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'otel-url',
      otel: { 'vcs.repository.url.full': 'otel-url' },
    },
    {
      source: 'GITHUB_SERVER_URL+GITHUB_REPOSITORY',
      value: 'https://github.com/acme/gh',
      env: { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/gh' },
    },
    {
      source: 'CI_PROJECT_URL',
      value: 'https://gitlab.example.com/grp/sub/proj',
      env: { CI_PROJECT_URL: 'https://gitlab.example.com/grp/sub/proj' },
    },
    {
      source: 'VERCEL_GIT_REPO_OWNER+VERCEL_GIT_REPO_SLUG',
      value: 'https://github.com/acme/vc',
      env: {
        VERCEL_GIT_PROVIDER: 'github',
        VERCEL_GIT_REPO_OWNER: 'acme',
        VERCEL_GIT_REPO_SLUG: 'vc',
      },
    },
    {
      source: 'RAILWAY_GIT_REPO_OWNER+RAILWAY_GIT_REPO_NAME',
      value: 'https://github.com/acme/rw',
      env: { RAILWAY_GIT_REPO_OWNER: 'acme', RAILWAY_GIT_REPO_NAME: 'rw' },
    },
    {
      source: 'BUILDKITE_REPO',
      value: 'https://github.com/acme/bk',
      env: { BUILDKITE_REPO: 'git@github.com:acme/bk.git' },
    },
    {
      source: 'CIRCLE_REPOSITORY_URL',
      value: 'https://github.com/acme/circle',
      env: { CIRCLE_REPOSITORY_URL: 'git@github.com:acme/circle.git' },
    },
    {
      source: 'GIT_URL',
      value: 'https://git.corp.example/acme/jenkins',
      env: { GIT_URL: 'https://jenkins:s3cret@git.corp.example/acme/jenkins.git' },
    },
    {
      source: 'BITBUCKET_GIT_HTTP_ORIGIN',
      value: 'http://bitbucket.org/acme/bb',
      env: { BITBUCKET_GIT_HTTP_ORIGIN: 'http://bitbucket.org/acme/bb' },
    },
    {
      source: 'REPOSITORY_URL',
      value: 'https://github.com/acme/netlify',
      env: { REPOSITORY_URL: 'https://github.com/acme/netlify' },
    },
    { source: 'none', value: undefined },
  ],
  [THREADLINE_OWNER]: [
    { source: 'option', value: 'team-opt', options: { owner: 'team-opt' } },
    {
      source: 'resourceAttributes',
      value: 'team-ra',
      resourceAttributes: { [THREADLINE_OWNER]: 'team-ra' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'team-otel',
      otel: { [THREADLINE_OWNER]: 'team-otel' },
    },
    { source: 'THREADLINE_OWNER', value: 'team-env', env: { THREADLINE_OWNER: 'team-env' } },
    { source: 'none', value: undefined },
  ],
  [THREADLINE_RUNBOOK_URL]: [
    {
      source: 'option',
      value: 'https://rb.example/opt',
      options: { runbookUrl: 'https://rb.example/opt' },
    },
    {
      source: 'resourceAttributes',
      value: 'https://rb.example/ra',
      resourceAttributes: { [THREADLINE_RUNBOOK_URL]: 'https://rb.example/ra' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'https://rb.example/otel',
      otel: { [THREADLINE_RUNBOOK_URL]: 'https://rb.example/otel' },
    },
    {
      source: 'THREADLINE_RUNBOOK_URL',
      value: 'https://rb.example/env',
      env: { THREADLINE_RUNBOOK_URL: 'https://rb.example/env' },
    },
    { source: 'none', value: undefined },
  ],
  'service.instance.id': [
    { source: 'option', value: 'inst-opt', options: { serviceInstanceId: 'inst-opt' } },
    {
      source: 'resourceAttributes',
      value: 'inst-ra',
      resourceAttributes: { 'service.instance.id': 'inst-ra' },
    },
    {
      source: 'OTEL_RESOURCE_ATTRIBUTES',
      value: 'inst-otel',
      otel: { 'service.instance.id': 'inst-otel' },
    },
    { source: 'generated', value: 'UUID' },
  ],
};

describe('precedence', () => {
  for (const [key, layers] of Object.entries(precedence)) {
    describe(key, () => {
      it.each(layers.map((l, i) => [l.source, i] as const))(
        'row %#: %s wins over every lower row',
        (_s, i) => {
          const layer = layers[i] as Layer;
          const d = run(layers.slice(i));
          if (layer.value === 'UUID') {
            expect(d.attributes[key]).toMatch(UUID_RE);
          } else {
            expect(d.attributes[key]).toBe(layer.value);
          }
          expect(d.sources[key]).toBe(layer.value === undefined ? undefined : layer.source);
          expect(key in d.attributes).toBe(layer.value !== undefined);
        },
      );
    });
  }

  it('applies the same rows when each lower source is alone', () => {
    // Every platform variable maps on its own, without help from the rows below it.
    for (const [key, layers] of Object.entries(precedence)) {
      for (const layer of layers) {
        if (layer.value === undefined || layer.value === 'UUID' || layer.source === 'default')
          continue;
        const d = run([layer]);
        expect({ key, source: layer.source, value: d.attributes[key] }).toEqual({
          key,
          source: layer.source,
          value: layer.value,
        });
        expect(d.sources[key]).toBe(layer.source);
        vi.restoreAllMocks();
      }
    }
  });
});

describe('platform variables', () => {
  it('reads GITHUB_RUN_ID only inside GitHub Actions', () => {
    const cwd = pkgDir;
    expect(
      detectDeployment({}, { GITHUB_RUN_ID: '1' }, cwd).attributes['deployment.id'],
    ).toBeUndefined();
    expect(
      detectDeployment({}, { GITHUB_RUN_ID: '1', GITHUB_ACTIONS: 'false' }, cwd).attributes[
        'deployment.id'
      ],
    ).toBeUndefined();
    expect(
      detectDeployment({}, { GITHUB_RUN_ID: '1', GITHUB_ACTIONS: 'true' }, cwd).attributes[
        'deployment.id'
      ],
    ).toBe('1');
  });

  it('builds a Vercel repository URL only for GitHub', () => {
    const env = { VERCEL_GIT_REPO_OWNER: 'acme', VERCEL_GIT_REPO_SLUG: 'web' };
    expect(
      detectDeployment({}, { ...env, VERCEL_GIT_PROVIDER: 'gitlab' }, pkgDir).attributes,
    ).not.toHaveProperty('vcs.repository.url.full');
    expect(detectDeployment({}, env, pkgDir).attributes).not.toHaveProperty(
      'vcs.repository.url.full',
    );
    expect(
      detectDeployment({}, { ...env, VERCEL_GIT_PROVIDER: 'github' }, pkgDir).attributes[
        'vcs.repository.url.full'
      ],
    ).toBe('https://github.com/acme/web');
  });

  it('does not invent a host for RENDER_GIT_REPO_SLUG', () => {
    const d = detectDeployment({}, { RENDER_GIT_REPO_SLUG: 'acme/api' }, pkgDir);
    expect(d.attributes).not.toHaveProperty('vcs.repository.url.full');
    expect(d.warnings).toEqual([]);
  });

  it('needs both GITHUB_SERVER_URL and GITHUB_REPOSITORY, and tolerates a trailing slash', () => {
    expect(
      detectDeployment({}, { GITHUB_REPOSITORY: 'acme/x' }, pkgDir).attributes,
    ).not.toHaveProperty('vcs.repository.url.full');
    expect(
      detectDeployment(
        {},
        { GITHUB_SERVER_URL: 'https://ghe.example.com/', GITHUB_REPOSITORY: 'acme/x' },
        pkgDir,
      ).attributes['vcs.repository.url.full'],
    ).toBe('https://ghe.example.com/acme/x');
  });

  it('counts empty and blank variables as unset', () => {
    const d = detectDeployment(
      {},
      { OTEL_SERVICE_NAME: '   ', THREADLINE_ENVIRONMENT: '', NODE_ENV: ' production ' },
      pkgDir,
    );
    expect(d.attributes['service.name']).toBe('pkg-name');
    expect(d.attributes['deployment.environment.name']).toBe('production');
    expect(d.sources['deployment.environment.name']).toBe('NODE_ENV');
  });
});

describe('commit validation', () => {
  it('ignores an invalid commit with a warning and falls through to the next variable', () => {
    const d = detectDeployment({}, { GITHUB_SHA: 'HEAD', CI_COMMIT_SHA: 'ABCDEF1' }, pkgDir);
    expect(d.attributes['vcs.ref.head.revision']).toBe('abcdef1');
    expect(d.sources['vcs.ref.head.revision']).toBe('CI_COMMIT_SHA');
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/GITHUB_SHA="HEAD".*not a commit hash/);
  });

  it.each([
    ['6 characters', '123456'],
    ['65 characters', 'a'.repeat(65)],
    ['non-hex', 'g'.repeat(40)],
    ['a branch name', 'main'],
  ])('rejects %s', (_label, value) => {
    const d = detectDeployment({}, { THREADLINE_COMMIT: value }, pkgDir);
    expect(d.attributes).not.toHaveProperty('vcs.ref.head.revision');
    expect(d.warnings.join('\n')).toContain('THREADLINE_COMMIT');
  });

  it.each([
    ['7 characters', 'abc1234'],
    ['40 characters', 'A'.repeat(40)],
    ['64 characters', 'f'.repeat(64)],
  ])('accepts %s, lower-cased', (_label, value) => {
    const d = detectDeployment({}, { THREADLINE_COMMIT: value }, pkgDir);
    expect(d.attributes['vcs.ref.head.revision']).toBe(value.toLowerCase());
    expect(d.warnings).toEqual([]);
  });

  it('does not look at (or warn about) lower sources once a valid commit is found', () => {
    const d = detectDeployment({}, { THREADLINE_COMMIT: 'abcdef0', GITHUB_SHA: 'HEAD' }, pkgDir);
    expect(d.attributes['vcs.ref.head.revision']).toBe('abcdef0');
    expect(d.warnings).toEqual([]);
  });

  it('does not echo more than 64 characters of a bad value', () => {
    const d = detectDeployment({}, { GITHUB_SHA: `z${'y'.repeat(500)}` }, pkgDir);
    expect(d.warnings[0]).toBeDefined();
    expect(d.warnings[0]).not.toContain('y'.repeat(65));
    expect(d.warnings[0]).toContain('y'.repeat(60));
  });
});

describe('repository URLs', () => {
  it.each([
    ['https://user:pass@github.com/acme/repo.git', 'https://github.com/acme/repo'],
    ['https://x-access-token:ghs_abc@github.com/acme/repo/', 'https://github.com/acme/repo'],
    ['git@github.com:acme/repo.git', 'https://github.com/acme/repo'],
    ['github.com:acme/repo', 'https://github.com/acme/repo'],
    [
      'ssh://git@gitlab.example.com:2222/group/sub/proj.git',
      'https://gitlab.example.com/group/sub/proj',
    ],
    ['git+ssh://git@github.com/acme/repo.git', 'https://github.com/acme/repo'],
    [
      'https://GitLab.Example.com:8443/g/p?private_token=abc#readme',
      'https://gitlab.example.com:8443/g/p',
    ],
    ['http://bitbucket.org/acme/repo', 'http://bitbucket.org/acme/repo'],
  ])('%s → %s', (input, expected) => {
    expect(
      detectDeployment({}, { GIT_URL: input }, pkgDir).attributes['vcs.repository.url.full'],
    ).toBe(expected);
    expect(
      detectDeployment({ repositoryUrl: input }, {}, pkgDir).attributes['vcs.repository.url.full'],
    ).toBe(expected);
  });

  it.each([
    ['a file URL', 'file:///srv/git/repo.git'],
    ['a local path', '/srv/git/repo.git'],
    ['a Windows path', 'C:\\repos\\app'],
    ['a URL without a repository path', 'https://github.com/'],
    ['an ftp URL with credentials', 'ftp://deploy:hunter2@git.example.com/acme/repo'],
  ])('ignores %s with a warning that does not echo it', (_label, input) => {
    const d = detectDeployment(
      {},
      { GIT_URL: input, REPOSITORY_URL: 'https://github.com/acme/fallback' },
      pkgDir,
    );
    expect(d.attributes['vcs.repository.url.full']).toBe('https://github.com/acme/fallback');
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toContain('GIT_URL');
    expect(d.warnings[0]).not.toContain(input);
    expect(d.warnings[0]).not.toContain('hunter2');
  });
});

describe('parseResourceAttributesEnv', () => {
  it('trims around keys and values, then percent-decodes them', () => {
    expect(parseResourceAttributesEnv(' a = 1 , b=two%20words,c%2Ed=%2C%3D%25 ')).toEqual({
      attributes: { a: '1', b: 'two words', 'c.d': ',=%' },
    });
  });

  it('keeps percent-encoded commas inside a value instead of splitting on them', () => {
    const { attributes, error } = parseResourceAttributesEnv('team=a%2Cb%2Cc,region=eu');
    expect(error).toBeUndefined();
    expect(attributes).toEqual({ team: 'a,b,c', region: 'eu' });
  });

  it('keeps + as a plus sign and accepts empty values', () => {
    expect(parseResourceAttributesEnv('k=a+b,e=')).toEqual({ attributes: { k: 'a+b', e: '' } });
  });

  it('skips empty entries such as a leading or trailing comma', () => {
    expect(parseResourceAttributesEnv(',a=1,, ,b=2,')).toEqual({ attributes: { a: '1', b: '2' } });
  });

  it('returns nothing and no error for an empty or missing variable', () => {
    expect(parseResourceAttributesEnv('')).toEqual({ attributes: {} });
    expect(parseResourceAttributesEnv('   ')).toEqual({ attributes: {} });
    expect(parseResourceAttributesEnv(undefined)).toEqual({ attributes: {} });
  });

  it('does not apply the 255-character limit of opentelemetry-js', () => {
    const long = 'v'.repeat(4096);
    expect(parseResourceAttributesEnv(`k=${long}`).attributes.k).toBe(long);
  });

  it.each([
    ['a bad percent escape', 'ok=1,bad=%zz', /entry 2 \("bad=%zz"\): invalid percent-encoding/],
    ['a truncated UTF-8 sequence', 'ok=1,bad=%E0%A4', /entry 2 .*invalid percent-encoding/],
    ['an entry without =', 'ok=1,novalue', /entry 2 \("novalue"\): expected key=value/],
    ['an unencoded = in a value', 'a=1=2,ok=1', /entry 1 .*more than one "="/],
    ['an empty key', 'ok=1, =v', /entry 2 .*empty key/],
    [
      'a value over 4096 characters',
      `ok=1,big=${'x'.repeat(4097)}`,
      /entry 2 \(key "big"\): value is 4097 characters; the limit is 4096/,
    ],
    ['a variable over 32 KiB', `a=${'x'.repeat(4000)},`.repeat(9), /32768/],
  ])('discards the whole variable on %s and says why', (_label, input, message) => {
    const r = parseResourceAttributesEnv(input);
    expect(r.attributes).toEqual({});
    expect(r.error).toMatch(message);
  });

  it('does not echo more than about 64 characters of a bad entry', () => {
    const r = parseResourceAttributesEnv(`k=%zz${'s'.repeat(300)}`);
    expect(r.error).toBeDefined();
    expect(r.error).not.toContain('s'.repeat(65));
    expect((r.error ?? '').length).toBeLessThan(120);
  });

  it('stores a "__proto__" key as an ordinary key', () => {
    const { attributes } = parseResourceAttributesEnv('__proto__=x,a=1');
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.keys(attributes)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('x');
  });
});

describe('OTEL_RESOURCE_ATTRIBUTES in detectDeployment', () => {
  it('passes other keys through, below the resourceAttributes option', () => {
    const d = detectDeployment(
      { resourceAttributes: { team: 'from-option', 'k8s.replicas': 3, canary: true } },
      { OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=eu-west-1,team=from-env' },
      pkgDir,
    );
    expect(d.attributes).toMatchObject({
      'cloud.region': 'eu-west-1',
      team: 'from-option',
      'k8s.replicas': 3,
      canary: true,
    });
    expect(d.sources).toMatchObject({
      'cloud.region': 'OTEL_RESOURCE_ATTRIBUTES',
      team: 'resourceAttributes',
      'k8s.replicas': 'resourceAttributes',
    });
  });

  it('removes credentials from URLs given as they are, from either source', () => {
    const d = detectDeployment(
      { resourceAttributes: { 'db.url': 'postgres://app:dbpass@db/app' } },
      {
        OTEL_RESOURCE_ATTRIBUTES:
          'vcs.repository.url.full=https://x-token:ghp_secret@github.com/acme/orders.git',
      },
      pkgDir,
    );
    expect(d.attributes['vcs.repository.url.full']).toBe(
      'https://REDACTED:REDACTED@github.com/acme/orders.git',
    );
    expect(d.attributes['db.url']).toBe('postgres://REDACTED:REDACTED@db/app');
  });

  it('discards the whole variable on an error, with a warning, and keeps OTEL_SERVICE_NAME', () => {
    const d = detectDeployment(
      {},
      {
        OTEL_SERVICE_NAME: 'svc',
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=shop,cloud.region=eu,bad=%G1',
      },
      pkgDir,
    );
    expect(d.attributes['service.name']).toBe('svc');
    expect(d.attributes).not.toHaveProperty('service.namespace');
    expect(d.attributes).not.toHaveProperty('cloud.region');
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/OTEL_RESOURCE_ATTRIBUTES ignored as a whole: entry 3/);
  });

  it('ignores an empty value for an attribute Threadline manages, with a warning', () => {
    const d = detectDeployment({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.version=,other=' }, pkgDir);
    expect(d.attributes['service.version']).toBe('0.0.1');
    expect(d.attributes.other).toBe('');
    expect(d.warnings).toEqual(['OTEL_RESOURCE_ATTRIBUTES: service.version is empty; ignored']);
  });
});

describe('package.json', () => {
  it('walks up from cwd to the nearest package.json with a name, keeping an npm scope', () => {
    const root = makeTree({
      'package.json': JSON.stringify({ name: '@acme/orders', version: '1.2.3' }),
      'dist/package.json': JSON.stringify({ type: 'module' }),
      'dist/server/deep/.keep': '',
    });
    const d = detectDeployment({}, {}, path.join(root, 'dist/server/deep'));
    expect(d.attributes['service.name']).toBe('@acme/orders');
    expect(d.attributes['service.version']).toBe('1.2.3');
    expect(d.sources['service.name']).toBe('package.json');
    expect(d.warnings).toEqual([]);
  });

  it('takes name and version from the same, nearest named package.json', () => {
    const root = makeTree({
      'package.json': JSON.stringify({ name: 'monorepo', version: '9.9.9' }),
      'apps/api/package.json': JSON.stringify({ name: 'api' }),
    });
    const d = detectDeployment({}, {}, path.join(root, 'apps/api'));
    expect(d.attributes['service.name']).toBe('api');
    expect(d.attributes).not.toHaveProperty('service.version');
  });

  it('warns about invalid JSON instead of throwing, and does not look further up', () => {
    const root = makeTree({
      'package.json': JSON.stringify({ name: 'outer', version: '1.0.0' }),
      'app/package.json': '{ "name": "broken",',
    });
    const d = detectDeployment({}, {}, path.join(root, 'app'));
    expect(d.attributes['service.name']).toBe('unknown_service:node');
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toContain(path.join(root, 'app', 'package.json'));
    expect(d.warnings[0]).toMatch(/not valid JSON/);
  });

  it('reads a package.json that starts with a byte-order mark', () => {
    const root = makeTree({
      'package.json': `\uFEFF${JSON.stringify({ name: 'bom', version: '2.0.0' })}`,
    });
    expect(detectDeployment({}, {}, root).attributes['service.name']).toBe('bom');
  });

  it('skips a directory named package.json', () => {
    const root = makeTree({
      'package.json': JSON.stringify({ name: 'outer' }),
      'inner/package.json/.keep': '',
    });
    const d = detectDeployment({}, {}, path.join(root, 'inner'));
    expect(d.attributes['service.name']).toBe('outer');
    expect(d.warnings).toEqual([]);
  });

  it('warns about an unreadable package.json instead of throwing', () => {
    const real = fs.readFileSync;
    const spy = vi.spyOn(fs, 'readFileSync').mockImplementation(((
      file: fs.PathOrFileDescriptor,
      opts?: unknown,
    ) => {
      if (typeof file === 'string' && path.basename(file) === 'package.json') {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      }
      return (real as (f: fs.PathOrFileDescriptor, o?: unknown) => string)(file, opts);
    }) as typeof fs.readFileSync);
    const d = detectDeployment({}, {}, pkgDir);
    expect(spy).toHaveBeenCalled();
    expect(d.attributes['service.name']).toBe('unknown_service:node');
    expect(d.warnings.join('\n')).toMatch(/could not read .*package\.json \(EACCES\)/);
  });

  it('reads each directory once and stops at the filesystem root', () => {
    const spy = hidePackageJson();
    const cwd = path.join(makeTree({ 'a/b/.keep': '' }), 'a', 'b');
    const d = detectDeployment({}, {}, cwd);
    const read = spy.mock.calls.map((c) => c[0]);
    const expected: string[] = [];
    for (let dir = cwd; ; dir = path.dirname(dir)) {
      expected.push(path.join(dir, 'package.json'));
      if (path.dirname(dir) === dir) break;
    }
    expect(read).toEqual(expected);
    expect(d.attributes['service.name']).toBe('unknown_service:node');
    expect(d.sources['service.name']).toBe('default');
  });

  it('is not read when name and version are already known', () => {
    const spy = vi.spyOn(fs, 'readFileSync');
    detectDeployment({ serviceName: 'a', serviceVersion: '1' }, {}, pkgDir);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('service.instance.id', () => {
  it('is one random UUID for the whole process', () => {
    const a = detectDeployment({}, {}, pkgDir);
    const b = detectDeployment({ serviceName: 'other' }, { NODE_ENV: 'test' }, pkgDir);
    expect(a.attributes['service.instance.id']).toMatch(UUID_RE);
    expect(b.attributes['service.instance.id']).toBe(a.attributes['service.instance.id']);
    expect(a.sources['service.instance.id']).toBe('generated');
  });

  it('is shared through a registered symbol, so a second copy of the package agrees', () => {
    const a = detectDeployment({}, {}, pkgDir);
    const g = globalThis as unknown as Record<symbol, unknown>;
    expect(g[Symbol.for('threadline.core.serviceInstanceId.v1')]).toBe(
      a.attributes['service.instance.id'],
    );
  });
});

describe('options', () => {
  it.each<[string, DeploymentOptions, RegExp]>([
    [
      'a number',
      { serviceName: 42 as unknown as string },
      /option "serviceName" must be a non-empty string; got 42/,
    ],
    [
      'null',
      { owner: null as unknown as string },
      /option "owner" must be a non-empty string; got null/,
    ],
    [
      'an empty string',
      { environment: '' },
      /option "environment" must be a non-empty string; got ""/,
    ],
    ['a blank string', { deploymentId: '   ' }, /option "deploymentId" must be a non-empty string/],
    [
      'a branch as commit',
      { commit: 'main' },
      /option "commit" must be a commit hash of 7-64 hexadecimal characters; got "main"/,
    ],
    [
      'a relative runbook URL',
      { runbookUrl: 'runbooks/orders' },
      /option "runbookUrl" must be an absolute http\(s\) URL; got "runbooks\/orders"/,
    ],
    [
      'an object as version',
      { serviceVersion: {} as unknown as string },
      /option "serviceVersion" .*got an object/,
    ],
    [
      'a string as resourceAttributes',
      { resourceAttributes: 'a=1' as unknown as Record<string, string> },
      /option "resourceAttributes" must be an object/,
    ],
    [
      'an object attribute value',
      { resourceAttributes: { 'a.b': {} as unknown as string } },
      /option "resourceAttributes\["a.b"\]" must be a non-empty string, a finite number or a boolean; got an object/,
    ],
    [
      'NaN',
      { resourceAttributes: { n: Number.NaN } },
      /option "resourceAttributes\["n"\]" .*got NaN/,
    ],
    [
      'an empty attribute value',
      { resourceAttributes: { e: '' } },
      /option "resourceAttributes\["e"\]" .*got ""/,
    ],
    [
      'an empty attribute key',
      { resourceAttributes: { '': 'x' } },
      /option "resourceAttributes" must have non-empty keys/,
    ],
  ])('throws a TypeError naming the option for %s', (_label, options, message) => {
    expect(() => detectDeployment(options, {}, pkgDir)).toThrow(TypeError);
    expect(() => detectDeployment(options, {}, pkgDir)).toThrow(message);
  });

  it('does not echo a bad repository URL (it may hold credentials)', () => {
    const run = () =>
      detectDeployment({ repositoryUrl: 'ftp://deploy:hunter2@example.com/r' }, {}, pkgDir);
    expect(run).toThrow(
      /option "repositoryUrl" must be an http\(s\), ssh:\/\/ or git@host:owner\/repo URL/,
    );
    expect(run).not.toThrow(/hunter2/);
  });

  it('cuts a long bad value in the message', () => {
    try {
      detectDeployment({ commit: 'q'.repeat(1000) }, {}, pkgDir);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('q'.repeat(65));
      expect((e as Error).message.length).toBeLessThan(200);
    }
  });

  it('throws when options is not an object', () => {
    expect(() => detectDeployment('orders' as unknown as DeploymentOptions, {}, pkgDir)).toThrow(
      /options must be an object/,
    );
  });

  it('trims values, lower-cases the commit and cleans the repository URL', () => {
    const d = detectDeployment(
      {
        serviceName: ' orders ',
        commit: 'ABCDEF0123',
        repositoryUrl: 'git@github.com:acme/orders.git',
      },
      {},
      pkgDir,
    );
    expect(d.attributes).toMatchObject({
      'service.name': 'orders',
      'vcs.ref.head.revision': 'abcdef0123',
      'vcs.repository.url.full': 'https://github.com/acme/orders',
    });
  });

  it('warns when a named option and resourceAttributes disagree, and the named option wins', () => {
    const d = detectDeployment(
      { serviceName: 'a', resourceAttributes: { 'service.name': 'b' } },
      {},
      pkgDir,
    );
    expect(d.attributes['service.name']).toBe('a');
    expect(d.warnings).toEqual(['option serviceName overrides resourceAttributes["service.name"]']);
  });

  it('never throws for bad environment values, only warns', () => {
    const env = {
      OTEL_RESOURCE_ATTRIBUTES: '=%%%',
      THREADLINE_COMMIT: 'nope',
      GITHUB_SHA: 'HEAD',
      THREADLINE_RUNBOOK_URL: 'not a url',
      GIT_URL: '::::',
    };
    const d = detectDeployment({}, env, pkgDir);
    expect(d.warnings).toHaveLength(5);
    expect(d.attributes).not.toHaveProperty(THREADLINE_RUNBOOK_URL);
    expect(d.attributes).not.toHaveProperty('vcs.ref.head.revision');
  });
});
