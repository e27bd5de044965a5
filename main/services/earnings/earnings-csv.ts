import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { EarningsRow } from '../../../contract/domains/earnings';

export const EARNINGS_CSV_COLUMNS = ['window', 'time', 'trained', 'uploaded', 'applied', 'score', 'weight', 'reward_rao', 'reward_tao', 'reason', 'energy_wh', 'energy_source', 'cost', 'currency'] as const;

const RAO_PER_TAO = 1_000_000_000n;

/** Rao as an exact decimal TAO string (no float rounding): 1500000000 → "1.5". */
export function raoToTao(rao: string): string {
  const value = BigInt(rao);
  const whole = value / RAO_PER_TAO;
  const fraction = (value % RAO_PER_TAO).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** One row per round, RFC 4180, with a header; empty cells for "not known"; the cost in `currency`. */
export function earningsToCsv(rows: readonly EarningsRow[], currency = ''): string {
  return stringify(
    rows.map((r) => ({
      window: r.window,
      time: new Date(r.at).toISOString(),
      trained: r.trained ? 'yes' : 'no',
      uploaded: r.uploaded ? 'yes' : 'no',
      applied: r.applied ? 'yes' : 'no',
      score: r.score ?? '',
      weight: r.weight ?? '',
      reward_rao: r.reward ?? '',
      reward_tao: r.reward === null ? '' : raoToTao(r.reward),
      reason: r.reason ?? '',
      energy_wh: r.energyWh ?? '',
      energy_source: r.energySource ?? '',
      cost: r.cost ?? '',
      currency: r.cost === null ? '' : currency,
    })),
    { header: true, columns: [...EARNINGS_CSV_COLUMNS] },
  );
}

/** Reads an exported CSV back; a bad cell throws with its line and column. */
export function earningsFromCsv(text: string): EarningsRow[] {
  const records = parse(text, { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  return records.map((cells, i) => {
    const line = i + 2;
    const flag = (name: string) => {
      const v = cells[name];
      if (v !== 'yes' && v !== 'no') throw new Error(`line ${line}, ${name}: expected yes or no, got ${JSON.stringify(v)}`);
      return v === 'yes';
    };
    const num = (name: string) => (cells[name] === '' || cells[name] === undefined ? null : Number(cells[name]));
    const row = {
      window: Number(cells['window']),
      at: Date.parse(cells['time'] ?? ''),
      trained: flag('trained'),
      uploaded: flag('uploaded'),
      applied: flag('applied'),
      score: num('score'),
      weight: num('weight'),
      reward: cells['reward_rao'] ? cells['reward_rao'] : null,
      reason: cells['reason'] ? cells['reason'] : null,
      energyWh: num('energy_wh'),
      energySource: cells['energy_source'] ? cells['energy_source'] : null,
      cost: num('cost'),
    };
    const parsed = EarningsRow.safeParse(row);
    if (!parsed.success) throw new Error(`line ${line}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return parsed.data;
  });
}
