/**
 * Whether PostgreSQL answers, for /health. A connection-level failure marks
 * it unreachable; while it is, a cheap query every 2 s notices when it is back,
 * so /health recovers even if no traffic reaches this replica.
 */
export class Reachability {
  reachable = true;
  private probe: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ping: () => Promise<unknown>;

  constructor(ping: () => Promise<unknown>) {
    this.ping = ping;
  }

  succeeded(): void {
    this.reachable = true;
  }

  failed(error: unknown): void {
    if (!isConnectionError(error)) return; // a refused query is not an outage
    this.reachable = false;
    if (this.probe || this.stopped) return;
    this.probe = setInterval(() => {
      this.ping().then(
        () => {
          this.reachable = true;
          clearInterval(this.probe);
          this.probe = undefined;
        },
        () => undefined,
      );
    }, 2_000);
    this.probe.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
  }
}

/** Errors that mean the database could not be reached, not that a query was refused. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[123]|08\w{3})$/.test(code)
  ) {
    return true;
  }
  return /timeout|terminated|Connection/i.test(String((error as Error).message ?? ''));
}
