import base from '../../tsdown.base.ts';

// A second entry: `@threadline/core/internal`, the helpers Threadline's own packages share.
export default { ...base, entry: ['src/index.ts', 'src/internal.ts'] };
