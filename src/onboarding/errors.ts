import { API_TITLES, UpstreamError } from '../providers/http.ts';

/** Thrown for actions that cannot apply to a record in its current state. */
export class ActionRefused extends Error {
  override name = 'ActionRefused';
}

/** How a failed call ended, for the step engine. */
export type CallOutcome = 'failed' | 'unknown' | 'conflict';

export function classify(error: unknown): CallOutcome {
  if (!(error instanceof UpstreamError)) return 'failed';
  return error.conflict ? 'conflict' : error.outcome;
}

/** A secret-free sentence for a failure, for people. */
export function describeError(error: unknown): string {
  if (error instanceof UpstreamError) {
    const fields = Object.entries(error.fields);
    const fieldText =
      fields.length > 0 ? ` (${fields.map(([f, m]) => `${f}: ${m}`).join('; ')})` : '';
    const api = API_TITLES[error.api];
    switch (error.kind) {
      case 'timeout':
        return `${api} did not answer in time`;
      case 'network':
        return `${api} could not be reached (${error.upstreamMessage})`;
      case 'invalid-response':
        return `${api} sent an unexpected answer (${error.upstreamMessage})`;
      default:
        return `${api} said: ${error.upstreamMessage}${fieldText}${error.status ? ` [HTTP ${error.status}]` : ''}`;
    }
  }
  if (error instanceof ActionRefused) return error.message;
  return 'an internal error occurred (see the bot log)';
}
