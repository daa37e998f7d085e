import { Counter, type Registry } from 'prom-client';
import type { ApiName, UpstreamError } from '../providers/http.ts';
import { PREFIX } from './prefix.ts';

export type UpstreamErrorLabel = 'failed' | 'unknown' | 'conflict' | 'rate_limited';

const APIS: ApiName[] = ['opentact', 'usermgmt', 'slyk'];
const KINDS: UpstreamErrorLabel[] = ['failed', 'unknown', 'conflict', 'rate_limited'];

/** What went wrong, as an operator groups it: the step engine's outcome, with 409 and 429 apart. */
export function upstreamErrorLabel(error: UpstreamError): UpstreamErrorLabel {
  if (error.status === 429) return 'rate_limited';
  if (error.conflict) return 'conflict';
  return error.outcome;
}

/** Counts upstream calls that ended in an error (after the client's own retries). */
export function upstreamMetrics(registry: Registry): (error: UpstreamError) => void {
  const errors = new Counter({
    name: `${PREFIX}upstream_errors_total`,
    help: 'Upstream API calls that ended in an error, after retries: failed (a definite no), unknown (may have landed), conflict (409), rate_limited (429).',
    labelNames: ['api', 'kind'] as const,
    registers: [registry],
  });
  for (const api of APIS) for (const kind of KINDS) errors.inc({ api, kind }, 0);
  return (error) => errors.inc({ api: error.api, kind: upstreamErrorLabel(error) });
}
