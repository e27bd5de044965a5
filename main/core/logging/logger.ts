import fs from 'node:fs/promises';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import pinoRoll from 'pino-roll';
import type { LogLevel } from '../../../contract';
import { type LogRing } from './log-ring';

export type { Logger };

export interface LoggerOptions {
  logDir: string;
  level: LogLevel;
  maxFileSizeMB: number;
  maxFiles: number;
  ring: LogRing;
}

/**
 * Field paths pino blanks before a line is written anywhere (file or UI), so a
 * secret passed to a log call by mistake never reaches disk or the renderer.
 */
export const REDACTED_PATHS = [
  'password',
  'passphrase',
  'mnemonic',
  'seed',
  'secret',
  'secretKey',
  'privateKey',
  'token',
  'secretAccessKey',
  'credentials',
  '*.password',
  '*.passphrase',
  '*.mnemonic',
  '*.seed',
  '*.secret',
  '*.secretKey',
  '*.privateKey',
  '*.token',
  // Storage key pairs nest one level deeper ({ write: { secretAccessKey } }).
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  '*.credentials',
];

/**
 * Structured logs: one rotating file (pino-roll, size-based) plus the in-memory
 * ring that feeds the UI. Both receive the same redacted lines.
 */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  await fs.mkdir(options.logDir, { recursive: true, mode: 0o700 });
  const file = await pinoRoll({
    file: path.join(options.logDir, 'tandem'),
    extension: '.log',
    size: `${options.maxFileSizeMB}m`,
    limit: { count: options.maxFiles },
    mkdir: true,
  });
  const streams = pino.multistream(
    [
      { level: 'trace', stream: file },
      { level: 'trace', stream: options.ring.stream() },
    ],
    { dedupe: false },
  );
  return pino(
    { level: options.level, base: { source: 'core' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    streams,
  );
}
