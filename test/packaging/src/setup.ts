/**
 * vitest's global set-up: packs and installs once per run, for every test
 * file (see app.ts), and removes the app afterwards unless
 * THREADLINE_KEEP_PACKAGING_APP is set (to look at what failed).
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { createApp, type PackedApp } from './app.js';

declare module 'vitest' {
  export interface ProvidedContext {
    app: PackedApp;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new Error(
      `the packages need Node >= 22.15; this is ${process.version}: run through \`npx -y pnpm@10 test\`, which uses the workspace's Node`,
    );
  }
  const app = await createApp();
  console.log(
    `packed ${Object.keys(app.tarballs).length} packages in ${Math.round(app.packMs)} ms, installed them with npm into ${app.dir} in ${Math.round(app.installMs)} ms`,
  );
  project.provide('app', app);
  return () => {
    if (!process.env.THREADLINE_KEEP_PACKAGING_APP)
      rmSync(app.root, { recursive: true, force: true });
  };
}
