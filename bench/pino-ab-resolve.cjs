// Preloaded by pino-ab.ts (`node -r`): @threadline/core and @threadline/pino
// resolve to the build folder in AB_BUILD (`<folder>/core`, `<folder>/pino`),
// and so does a subpath of core (`@threadline/core/internal`).
const Module = require('node:module');

const folder = process.env.AB_BUILD;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (folder && request === '@threadline/core') return `${folder}/core/index.cjs`;
  if (folder && request.startsWith('@threadline/core/')) {
    return `${folder}/core/${request.slice('@threadline/core/'.length)}.cjs`;
  }
  if (folder && request === '@threadline/pino') return `${folder}/pino/index.cjs`;
  return resolve.call(this, request, ...rest);
};
