import { describe, expect, it } from 'vitest';
import { shardDtype } from '../../../main/services/data/shard-dtype';

function binHeader(magic: number, version: number): Uint8Array {
  const b = Buffer.alloc(1024);
  b.writeInt32LE(magic, 0);
  b.writeInt32LE(version, 4);
  return b;
}

function npyHeader(descr: string): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (10,), }`.padEnd(118, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

describe('shardDtype: the token width a manifest lists for a shard file', () => {
  it('reads llm.c .bin versions 1 and 2 and .npy <u2 / <u4', () => {
    expect(shardDtype('a_train.bin', binHeader(20240520, 1))).toBe('uint16');
    expect(shardDtype('a_train.bin', binHeader(20240520, 2))).toBe('uint32');
    expect(shardDtype('a_train.npy', npyHeader('<u2'))).toBe('uint16');
    expect(shardDtype('a_train.npy', npyHeader('<u4'))).toBe('uint32');
  });

  it('refuses, naming the file, what the trainer would refuse', () => {
    expect(() => shardDtype('x.bin', binHeader(20240801, 7))).toThrow(/x\.bin: not an llm\.c token shard/);
    expect(() => shardDtype('x.bin', binHeader(20240520, 3))).toThrow(/x\.bin: llm\.c shard version 3/);
    expect(() => shardDtype('x.npy', npyHeader('<f4'))).toThrow(/x\.npy: .*not <f4/);
    expect(() => shardDtype('x.npy', binHeader(20240520, 1))).toThrow(/x\.npy: not a \.npy file/);
  });
});
