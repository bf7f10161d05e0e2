/** Prepared statements of a store's database, each prepared once. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * A function that prepares an SQL text on `db` the first time it is given,
 * and hands back the same statement after.
 */
export function preparedOnce(db: DatabaseSync): (text: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (text) => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
}
