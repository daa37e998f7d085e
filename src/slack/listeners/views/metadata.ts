/** `private_metadata` as JSON; anything unreadable is an empty object (the handler then refuses). */
export function parseMetadata<T extends object>(text: string | undefined): Partial<T> {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Partial<T>) : {};
  } catch {
    return {};
  }
}

/** Resolves after the event loop has handled pending I/O (e.g. other Slack requests to ack). */
export const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));
