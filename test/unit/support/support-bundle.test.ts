import fs from 'node:fs';
import path from 'node:path';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../main/services/support/redact';
import { buildSupportBundle } from '../../../main/services/support/support-bundle';
import { makeTempDir } from '../../support/temp-dir';

describe('support bundle', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeAll(() => cryptoWaitReady());
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('takes out recovery phrases, secret fields, seeds, tokens and the home folder, and keeps the rest', () => {
    const phrase = mnemonicGenerate(12);
    const text = [
      `{"level":30,"msg":"imported wallet","passphrase":"hunter2 hunter2","wallet":"main"}`,
      `user pasted ${phrase} into the wrong box`,
      `seed 0x${'ab'.repeat(32)} and url http://127.0.0.1:9/#token=${'c'.repeat(64)}`,
      `digest ${'d'.repeat(64)} in /home/alice/.tandem/data`,
      `the devnet trains on the cpu and the model gets a bit better each and every round`,
    ].join('\n');
    const out = redactSecrets(text, '/home/alice');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('"passphrase":"[redacted]"');
    expect(out).toContain('"wallet":"main"');
    expect(out).not.toContain(phrase);
    expect(out).toContain('[redacted recovery phrase]');
    expect(out).not.toContain('ab'.repeat(32));
    expect(out).not.toContain('c'.repeat(64));
    expect(out).toContain('dddddddd…[redacted]');
    expect(out).toContain('~/.tandem/data');
    // Ordinary prose of short words is not a recovery phrase.
    expect(out).toContain('the devnet trains on the cpu and the model gets a bit better each and every round');
  });

  it('bundles settings and the recent log as JSON, redacted', async () => {
    const logDir = path.join(temp.dir, 'logs');
    fs.mkdirSync(logDir);
    fs.writeFileSync(path.join(logDir, 'tandem.1.log'), `{"msg":"core started"}\n{"msg":"s3","secretAccessKey":"AKIASECRET"}\n`);
    const configFile = path.join(temp.dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ network: 'devnet', storage: { accessKeyId: 'AKIA123', secretAccessKey: 'shh' } }));
    const bundle = await buildSupportBundle({ app: { name: 'Tandem', version: '0.1.0', mode: 'headless' }, logDir, configFile, now: () => Date.UTC(2026, 0, 2) });
    expect(bundle.filename).toBe('tandem-support-2026-01-02T00-00-00-000Z.json');
    const parsed = JSON.parse(bundle.text) as { config: { network: string; storage: Record<string, string> }; logs: Array<{ file: string; text: string }> };
    expect(parsed.config.network).toBe('devnet');
    expect(parsed.config.storage).toEqual({ accessKeyId: '[redacted]', secretAccessKey: '[redacted]' });
    expect(parsed.logs[0]?.text).toContain('core started');
    expect(bundle.text).not.toContain('AKIASECRET');
    expect(bundle.text).not.toContain('shh');
  });
});
