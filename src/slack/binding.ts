import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { ActionVerb } from './ids.ts';

/**
 * Binds what the bot reads back from Slack to what it rendered: a button's
 * value and a dialog's `private_metadata` carry an HMAC under a key derived
 * from the app's secret, so a changed value (another record, another action)
 * is refused instead of acted on.
 */
export class Binder {
  /** A KeyObject: an HMAC under a Buffer key costs ~8× more in Node 24 (every button is sealed). */
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(createHmac('sha256', 'onboard-binding-v1').update(secret).digest());
  }

  /** A button's value: `<record id>.<mac of verb and id>`. */
  seal(verb: ActionVerb, id: string): string {
    return `${id}.${this.mac(`button:${verb}:${id}`)}`;
  }

  /** The record id of a clicked button, or undefined when the value was not rendered by us for this action. */
  open(verb: ActionVerb, actionId: string, value: string | undefined): string | undefined {
    if (!value) return undefined;
    const dot = value.lastIndexOf('.');
    const id = value.slice(0, dot);
    if (dot < 1 || actionId !== `${verb}:${id}`) return undefined;
    return this.same(value.slice(dot + 1), this.mac(`button:${verb}:${id}`)) ? id : undefined;
  }

  /** `private_metadata` for a view: the JSON of `data` and its MAC (`kind` keeps views apart). */
  sealMetadata(kind: string, data: object): string {
    const json = JSON.stringify(data);
    return JSON.stringify({ d: json, m: this.mac(`view:${kind}:${json}`) });
  }

  /** The data sealed by sealMetadata, or undefined when absent, malformed or changed. */
  openMetadata<T extends object>(kind: string, text: string | undefined | null): T | undefined {
    if (typeof text !== 'string' || text === '') return undefined;
    try {
      const outer = JSON.parse(text) as { d?: unknown; m?: unknown };
      if (typeof outer?.d !== 'string' || typeof outer.m !== 'string') return undefined;
      if (!this.same(outer.m, this.mac(`view:${kind}:${outer.d}`))) return undefined;
      const data: unknown = JSON.parse(outer.d);
      return data && typeof data === 'object' && !Array.isArray(data) ? (data as T) : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url').slice(0, 22);
  }

  private same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}

/** The sealing half, for the view builders. */
export type Seal = (verb: ActionVerb, id: string) => string;
