import readline from 'node:readline';
import { Writable } from 'node:stream';

/** A secret the CLI could not get: the message says how to give it. */
export class SecretInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretInputError';
  }
}

/** Where secrets come from: an environment variable named by an option, or typing without echo when there is a terminal. */
export interface SecretSource {
  env: NodeJS.ProcessEnv;
  /** Reads one line without echo; absent when there is no terminal to type into. */
  prompt?: (label: string) => Promise<string>;
}

export function terminalSecretSource(env: NodeJS.ProcessEnv = process.env): SecretSource {
  return { env, ...(process.stdin.isTTY ? { prompt: (label: string) => promptHidden(`${label}: `) } : {}) };
}

/** The secret from the variable named by `envVar`, else typed; never from the command line itself. */
export async function readSecret(source: SecretSource, label: string, envVar: string | undefined): Promise<string> {
  if (envVar) {
    const value = source.env[envVar];
    if (value === undefined || value === '') throw new SecretInputError(`environment variable ${envVar} is empty or not set`);
    return value;
  }
  if (!source.prompt) throw new SecretInputError(`no terminal to type the ${label}: pass it through an environment variable (see --help)`);
  return source.prompt(label);
}

/** A new passphrase: at least 8 characters, typed twice when typed. */
export async function readNewPassphrase(source: SecretSource, label: string, envVar: string | undefined, onMismatch = 'nothing was changed'): Promise<string> {
  const first = await readSecret(source, `new ${label} passphrase`, envVar);
  if (first.length < 8) throw new SecretInputError(`the ${label} passphrase needs at least 8 characters`);
  if (!envVar && source.prompt) {
    const again = await source.prompt(`repeat the ${label} passphrase`);
    if (again !== first) throw new SecretInputError(`the two passphrases differ; ${onMismatch}`);
  }
  return first;
}

/** Reads a line without echoing it (the prompt itself is shown). */
export function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    let muted = false;
    const output = new Writable({
      write(chunk, encoding, done) {
        if (!muted) process.stdout.write(chunk, encoding as BufferEncoding);
        done();
      },
    });
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    rl.question(prompt, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
