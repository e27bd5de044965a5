import fs from 'node:fs';
import path from 'node:path';
import { Crc32c } from '@aws-crypto/crc32c';
import { encodeTensors, inspectPayload, validatePayload } from '../../main/adapters/codec';
import { seededRandom } from '../../main/core/seeded-random';
import { parameterCount, type ModelShape } from '../../main/services/hardware/memory-fit';
import { gaussian, modelTensors, tensorShapes } from './model-payload';

/** A real codec payload of a whole model, on disk. */
export interface PayloadTemplate {
  file: string;
  bytes: number;
  keptValues: number;
  tensors: number;
  /** Seconds spent making it (0 when it came from the cache). */
  madeInSeconds: number;
}

const HEADER_BYTES = 24;
const TRAILER_BYTES = 4;

/**
 * One peer's update of a whole model as a real codec payload
 * (native/codec/FORMAT.md), made without the dense model in memory: the
 * codec encodes one tensor of each distinct shape (Gaussian values, seeded),
 * and every tensor of that shape gets that record under its own name. A
 * tensor record is self-contained (its name, shape, block sides, level table
 * and streams), so the result is a valid payload of the model's exact
 * tensors, sizes and kept values; the codec's full validation checks it
 * before it is used. Tensors of one shape carry equal values, which costs
 * the same bytes, decode and aggregation time as different ones would.
 * Cached in `dir`: a 72B payload takes minutes to make.
 */
export async function modelPayloadTemplate(label: string, m: ModelShape, dir: string, options: { k?: number; blockSide?: number; seed?: number } = {}): Promise<PayloadTemplate> {
  const { k = 64, blockSide = 64, seed = 1 } = options;
  const file = path.join(dir, `${label}-k${k}-b${blockSide}-s${seed}.tndc`);
  if (fs.existsSync(file)) {
    const checked = await checkedPayload(file, m);
    if (checked) return { ...checked, file, madeInSeconds: 0 };
    fs.rmSync(file, { force: true });
  }
  const started = performance.now();
  fs.mkdirSync(dir, { recursive: true });
  // Each distinct shape, encoded once: its record after the name, the part every tensor of that shape shares.
  const bodies = new Map<string, Buffer>();
  let codecHeader: Buffer | null = null;
  for (const [i, { shape }] of tensorShapes(m).entries()) {
    const payload = await encodeTensors([{ name: 'x', shape: [...shape], data: gaussian(shape.reduce((a, b) => a * b, 1), seededRandom(seed * 1000 + i)) }], { k, blockSize: blockSide });
    codecHeader ??= payload.subarray(0, HEADER_BYTES);
    const record = payload.subarray(HEADER_BYTES, payload.byteLength - TRAILER_BYTES);
    const { length: nameLength, next } = readVarint(record, 0);
    bodies.set(shape.join('x'), Buffer.from(record.subarray(next + nameLength)));
  }
  const records = modelTensors(m).map(({ name, shape }) => {
    const nameBytes = Buffer.from(name, 'utf8');
    return { prefix: Buffer.concat([varint(nameBytes.byteLength), nameBytes]), body: bodies.get(shape.join('x'))! };
  });
  const total = HEADER_BYTES + records.reduce((sum, r) => sum + r.prefix.byteLength + r.body.byteLength, 0) + TRAILER_BYTES;
  const header = Buffer.from(codecHeader!);
  header.writeBigUInt64LE(BigInt(total), 8);
  header.writeUInt32LE(records.length, 16);
  // Written beside its final name and renamed once whole: an interrupted run leaves no half payload in the cache.
  const partial = `${file}.partial`;
  const fd = fs.openSync(partial, 'w');
  const crc = new Crc32c();
  const write = (bytes: Uint8Array) => {
    crc.update(bytes);
    fs.writeSync(fd, bytes);
  };
  try {
    write(header);
    for (const { prefix, body } of records) {
      write(prefix);
      write(body);
    }
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeUInt32LE(crc.digest() >>> 0, 0);
    fs.writeSync(fd, trailer);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
  const checked = await checkedPayload(file, m);
  if (!checked) throw new Error(`the assembled ${label} payload did not pass the codec's validation`);
  return { ...checked, file, madeInSeconds: (performance.now() - started) / 1000 };
}

/** The payload's size and kept values when the codec's full validation passes it, null otherwise. */
async function checkedPayload(file: string, m: ModelShape): Promise<Omit<PayloadTemplate, 'file' | 'madeInSeconds'> | null> {
  const bytes = fs.readFileSync(file);
  const maxValues = parameterCount(m);
  const verdict = await validatePayload(bytes, { maxValues });
  if (!verdict.ok) return null;
  const info = inspectPayload(bytes, { maxValues });
  return { bytes: info.totalBytes, keptValues: info.keptValues, tensors: info.tensors.length };
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  do {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    out.push(v > 0 ? byte | 0x80 : byte);
  } while (v > 0);
  return Buffer.from(out);
}

function readVarint(bytes: Uint8Array, offset: number): { length: number; next: number } {
  let value = 0;
  let scale = 1;
  let i = offset;
  for (;;) {
    const byte = bytes[i++] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { length: value, next: i };
    scale *= 128;
  }
}
