import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runValidator, runValidatorRatings } from '../../../main/shells/cli/commands/validator';
import { RatingBook } from '../../../main/services/validator/rating-book';
import { makeTempDir } from '../../support/temp-dir';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('tandem validator', () => {
  it('ratings: prints the saved ratings best first, with weights and penalties', async () => {
    const temp = makeTempDir();
    try {
      const book = new RatingBook();
      book.recordWindow(4, [
        { uid: 0, score: 0.05, flags: [] },
        { uid: 1, score: 0.02, flags: [] },
        { uid: 2, score: 0, flags: ['copied'] },
      ]);
      await book.save(path.join(temp.dir, 'validator', 'ratings.json'));
      const { io, out } = capture();
      expect(await runValidatorRatings({ dir: temp.dir }, io)).toBe(0);
      const text = out.join('');
      expect(text).toContain('Ratings after window 4');
      const rows = text.trim().split('\n').slice(2);
      expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['0', '1', '2']);
      // The copier is penalised from window 5 through window 4 + 1 + 5: no weight.
      expect(rows[2]).toMatch(/0\.0%\s+1\s+until window 10/);
    } finally {
      temp.cleanup();
    }
  });

  it('ratings: an empty folder says so; a broken file is a clear error', async () => {
    const temp = makeTempDir();
    try {
      const empty = capture();
      expect(await runValidatorRatings({ dir: temp.dir }, empty.io)).toBe(0);
      expect(empty.out.join('')).toMatch(/No ratings yet/);
      fs.mkdirSync(path.join(temp.dir, 'validator'));
      fs.writeFileSync(path.join(temp.dir, 'validator', 'ratings.json'), '{"version":9}');
      const broken = capture();
      expect(await runValidatorRatings({ dir: temp.dir }, broken.io)).toBe(2);
      expect(broken.err.join('')).toMatch(/cannot read .*ratings\.json/);
    } finally {
      temp.cleanup();
    }
  });

  it('run: refuses unknown adversaries and bad counts before starting anything', async () => {
    const bad = capture();
    expect(await runValidator({ adversaries: 'noise,sneaky' }, bad.io)).toBe(2);
    expect(bad.err.join('')).toMatch(/unknown adversary "sneaky"/);
    const count = capture();
    expect(await runValidator({ windows: '0' }, count.io)).toBe(2);
    expect(count.err.join('')).toMatch(/--windows must be a whole number/);
  });
});
