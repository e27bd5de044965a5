import { useState, type FormEvent } from 'react';
import type { EarningsReport } from '../../../../contract';
import { ContractError, describeIssues } from '../../../../contract';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { useClient } from '../../client-context';
import { useSettingsOnce } from '../../use-settings-once';
import { formatTaoExact as formatTao } from '../../format';
import { describeEarnedWorth, formatMoney } from '../../tao-value';

/** Watt-hours as Wh or kWh. */
export function formatEnergy(wh: number): string {
  return wh >= 1000 ? `${(wh / 1000).toFixed(2)} kWh` : `${wh.toFixed(wh >= 10 ? 0 : 2)} Wh`;
}

/**
 * What training cost beside what it earned: energy per day at the user's
 * electricity price, and the τ price at which the rewards pay for it. The
 * price, the currency, (for a machine that measures its power nowhere)
 * its wattage, and the user's own τ price (for rewards and burns in their
 * currency) are set here.
 */
export function CostsCard({ costs, onSaved }: { costs: EarningsReport['costs'] | null; onSaved: () => void }) {
  const client = useClient();
  const [price, setPrice] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [watts, setWatts] = useState('');
  const [taoPrice, setTaoPrice] = useState('');
  const [note, setNote] = useState<FormNote | null>(null);
  // The fields stay read-only until the saved values arrive (useSettingsOnce).
  const loaded = useSettingsOnce((s) => {
    setPrice(s.costs.pricePerKWh === null ? '' : String(s.costs.pricePerKWh));
    setCurrency(s.costs.currency);
    setWatts(s.costs.machineWatts === null ? '' : String(s.costs.machineWatts));
    setTaoPrice(s.costs.taoPrice === null ? '' : String(s.costs.taoPrice));
  });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const number = (text: string) => (text.trim() === '' ? null : Number(text));
    try {
      await client.request('settings.update', { costs: { pricePerKWh: number(price), currency: currency.trim(), machineWatts: number(watts), taoPrice: number(taoPrice) } });
      setNote({ tone: 'ok', text: 'Saved.' });
      onSaved();
    } catch (error) {
      setNote({ tone: 'error', text: error instanceof ContractError && error.issues?.length ? describeIssues(error.issues) : String(error) });
    }
  };

  return (
    <Card title="Costs" testId="earnings-costs">
      {costs && (
        <>
          <dl className="facts">
            <dt>Energy</dt>
            <dd data-testid="costs-energy">{costs.energyWh > 0 ? formatEnergy(costs.energyWh) : 'nothing measured yet'}</dd>
            <dt>Cost</dt>
            <dd data-testid="costs-cost">{costs.cost === null ? 'set your electricity price below' : formatMoney(costs.cost, costs.currency)}</dd>
            {costs.taoPrice !== null && costs.earnedValue !== null && (
              <>
                <dt>Rewards worth</dt>
                <dd data-testid="costs-earned-value">{describeEarnedWorth(costs.earnedValue, costs.cost, { taoPrice: costs.taoPrice, currency: costs.currency })}</dd>
              </>
            )}
            <dt>Break-even</dt>
            <dd data-testid="costs-break-even">
              {costs.breakEvenPerTao === null ? '— (needs a price, measured energy and a reward)' : `when 1 τ is worth at least ${formatMoney(costs.breakEvenPerTao, costs.currency)}`}
            </dd>
          </dl>
          {costs.days.length > 0 && (
            <DataTable columns={['Day (UTC)', 'Earned', ...(costs.taoPrice === null ? [] : ['Worth']), 'Energy', 'Cost']} label="Earnings and costs per day">
              {[...costs.days].reverse().map((d) => (
                <tr key={d.day} data-testid="costs-day">
                  <th scope="row">{d.day}</th>
                  <td>{formatTao(d.reward)}</td>
                  {costs.taoPrice !== null && <td>{d.earnedValue === null ? '—' : formatMoney(d.earnedValue, costs.currency)}</td>}
                  <td>{formatEnergy(d.energyWh)}</td>
                  <td>{d.cost === null ? '—' : formatMoney(d.cost, costs.currency)}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </>
      )}
      <form className="form" onSubmit={(e) => void save(e)} aria-busy={!loaded}>
        <label>
          Electricity price per kWh
          <input inputMode="decimal" value={price} readOnly={!loaded} onChange={(e) => setPrice(e.target.value)} placeholder="0.30" />
        </label>
        <label>
          Currency
          <input value={currency} readOnly={!loaded} onChange={(e) => setCurrency(e.target.value)} maxLength={8} />
        </label>
        <label>
          This machine&apos;s draw while training (W), if nothing measures it
          <input inputMode="decimal" value={watts} readOnly={!loaded} onChange={(e) => setWatts(e.target.value)} placeholder="measured where possible" aria-describedby="costs-watts-help" />
          <span id="costs-watts-help" className="muted">
            GPUs are measured with nvidia-smi and CPUs with their energy counter where the system gives one; this figure counts only where neither does.
          </span>
        </label>
        <label>
          Price of 1 τ in your currency, if you want amounts shown in it
          <input inputMode="decimal" value={taoPrice} readOnly={!loaded} onChange={(e) => setTaoPrice(e.target.value)} placeholder="none" aria-describedby="costs-tao-price-help" />
          <span id="costs-tao-price-help" className="muted">
            Your own figure: Tandem looks no price up. With it, rewards here and the registration burn on the Wallet page are also shown in your currency.
          </span>
        </label>
        <div>
          <button type="submit">Save costs</button> <FormMessage note={note} />
        </div>
      </form>
    </Card>
  );
}
