import { defineConfig } from 'tsdown';
import base from '../../tsdown.base.ts';

// The bridge, and the transport pino loads in a worker thread. `cjsDefault:
// false` keeps the transport's default export as `exports.default` in CJS, as
// its types declare it (`module.exports =` contradicts them for TypeScript
// under node16; pino, which resolves the target with `require.resolve` and
// then imports the CJS file, unwraps either).
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/transport.ts'],
  cjsDefault: false,
});
