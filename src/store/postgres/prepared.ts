import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * A named statement for the hot paths: each connection has PostgreSQL parse and
 * plan it once, then only binds and executes it (PostgreSQL re-plans by itself
 * after a schema change). Only for constant texts, so a connection holds a
 * fixed few. The name comes from the text, so two texts never share one.
 * Behind a pooler in transaction mode this needs its support of protocol-level
 * prepared statements (PgBouncer 1.21 on); see the README.
 */
export function prepared(text: string): (values: unknown[]) => pg.QueryConfig {
  const name = `tob_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return (values) => ({ name, text, values });
}
