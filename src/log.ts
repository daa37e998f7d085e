import { redact, redactValue } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

type Sink = (line: string) => void;

/**
 * One JSON line per event on stderr (stdout stays free for the demo's transcript).
 * Every line goes through the redactor, so a secret that slips into a message or
 * a field is masked before it is written.
 */
export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  sink: Sink = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const threshold = ORDER[level];
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < threshold) return;
    const entry = {
      time: new Date().toISOString(),
      level: lvl,
      msg: redact(msg),
      ...(redactValue({ ...base, ...fields }) as LogFields),
    };
    sink(JSON.stringify(entry));
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

/** Turns anything thrown into loggable, secret-free fields. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const extra = (error as { toLogFields?: () => LogFields }).toLogFields?.() ?? {};
    return { error: redact(error.message), errorName: error.name, ...extra };
  }
  return { error: redact(String(error)) };
}
