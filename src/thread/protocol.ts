import type { LogLevel } from '../log.ts';

/**
 * Messages between the main thread (the HTTP server, src/thread/main-side.ts)
 * and the bot's worker thread (src/thread/worker-side.ts). Plain data only:
 * they cross by structured clone.
 */

/** A Slack request the front door has read and checked (size, signature, shape). */
export type ForwardedRequest = {
  t: 'slack';
  id: number;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** Bolt's answer to it, as it wrote it to its response. */
export type ForwardedAnswer = {
  t: 'answer';
  id: number;
  status: number;
  headers: Record<string, string | number | string[]>;
  body: string;
};

export type ToWorker =
  | ForwardedRequest
  | { t: 'listening'; port: number }
  | { t: 'listen-failed'; message: string; code?: string }
  | { t: 'metrics'; id: number }
  | { t: 'stop'; signal: string };

export type ToMain =
  | {
      /** Put the door on `port`. */
      t: 'serve';
      port: number;
      logLevel: LogLevel;
      /** The nice value the main thread takes (HTTP_THREAD_NICE). */
      nice: number;
      /** HTTP mode: the secret the front door checks signatures with. */
      signingSecret?: string;
      metrics: boolean;
      health: Record<string, unknown>;
    }
  | { t: 'health'; health: Record<string, unknown> }
  | ForwardedAnswer
  | { t: 'metrics'; id: number; contentType: string; body: string }
  | { t: 'metrics-failed'; id: number; message: string }
  | { t: 'close' }
  | { t: 'close-all' };
