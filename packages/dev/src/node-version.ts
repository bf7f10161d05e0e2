/** The oldest Node with `node:sqlite` unflagged, which the store needs. */
export const MIN_NODE_VERSION = '22.15.0';

/**
 * Why this Node cannot run `threadline`, or undefined when it can.
 *
 * @param version - `process.versions.node`, such as `20.20.2`
 */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = MIN_NODE_VERSION.split('.').map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `this is Node ${version}; threadline needs Node ${MIN_NODE_VERSION} or newer (its store is Node's built-in node:sqlite)`;
}
