import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderSize } from '../../../main/platform/folder-size';
import { makeTempDir } from '../../support/temp-dir';

describe('folderSize', () => {
  let temp: ReturnType<typeof makeTempDir> | undefined;
  afterEach(() => temp?.cleanup());

  it('adds up the files below a folder, nested ones too, without following links', async () => {
    temp = makeTempDir();
    fs.mkdirSync(path.join(temp.dir, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(temp.dir, 'one'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(temp.dir, 'a', 'b', 'two'), Buffer.alloc(234));
    fs.symlinkSync(path.join(temp.dir, 'one'), path.join(temp.dir, 'a', 'link'));
    expect(await folderSize(temp.dir)).toBe(1234);
  });

  it('is 0 for a folder that does not exist', async () => {
    expect(await folderSize('/nonexistent/tandem/folder')).toBe(0);
  });
});
