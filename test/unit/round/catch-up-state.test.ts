import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CatchUpState } from '../../../main/services/round/catch-up-state';
import { makeTempDir } from '../../support/temp-dir';

describe('CatchUpState', () => {
  const temp = makeTempDir('tandem-catch-up-');
  afterEach(() => fs.rmSync(path.join(temp.dir, 'state.json'), { force: true }));
  afterAll(() => temp.cleanup());
  const file = () => path.join(temp.dir, 'state.json');

  it('keeps the last applied window and the recent windows\' peer sets across a restart', async () => {
    const state = await CatchUpState.load(file(), 2);
    expect(state.lastApplied).toBeNull();
    await state.noteAggregated(10, [3, 1, 2]);
    await state.noteAggregated(11, [1]);
    await state.noteAggregated(12, [2, 1]);
    await state.noteApplied(11);
    await state.noteApplied(10); // an older window never moves it back
    const again = await CatchUpState.load(file(), 2);
    expect(again.lastApplied).toBe(11);
    expect(again.aggregatedIn(12)).toEqual([1, 2]);
    expect(again.aggregatedIn(11)).toEqual([1]);
    expect(again.aggregatedIn(10)).toBeUndefined();
  });

  it('names a damaged file instead of starting over from nothing', async () => {
    fs.writeFileSync(file(), '{"version":1,');
    await expect(CatchUpState.load(file(), 5)).rejects.toThrow(/state\.json is not valid JSON/);
    fs.writeFileSync(file(), '{"version":7}');
    await expect(CatchUpState.load(file(), 5)).rejects.toThrow(/not a catch-up state this app wrote/);
  });
});
