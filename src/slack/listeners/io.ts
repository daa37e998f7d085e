/** Resolves after the event loop has handled pending I/O (e.g. other Slack requests to ack). */
export const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));
