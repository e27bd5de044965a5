import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { ChainSigner } from '../../../ports/chain-port';
import type { SubtensorChain } from '../../../adapters/subtensor/subtensor-chain';
import { formatTao } from '../../../services/chain/tao';
import { readSecret, terminalSecretSource } from '../secret-input';
import { CliError, withCliErrors, runContext as context, type RunContextOptions } from '../run-context';

type SubnetOptions = RunContextOptions & { coldkeyPassphraseEnv?: string; yes?: boolean };

const TAO = 1_000_000_000n;

/** The coldkey signs only after the user said yes to what it costs: --yes, or typing yes at the prompt. */
async function confirm(question: string, options: SubnetOptions): Promise<void> {
  if (options.yes) return;
  if (!process.stdin.isTTY) throw new CliError('nothing was signed: confirm with --yes (no terminal to ask on)');
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = (await rl.question(`${question} Type yes to go on: `)).trim().toLowerCase();
  rl.close();
  if (answer !== 'yes') throw new CliError('nothing was signed');
}

async function coldkeyPassphrase(options: SubnetOptions): Promise<string> {
  // From the variable the option names, else typed without echo; a gap is the user's to fix, said in one line.
  return readSecret(terminalSecretSource(), 'coldkey passphrase', options.coldkeyPassphraseEnv).catch((error: Error) => {
    throw new CliError(error.message);
  });
}

/** What a registration buys: the subnet's immunity period, in blocks and as a time on this chain, and what comes after. */
async function immunitySentence(chain: SubtensorChain, netuid: number): Promise<string> {
  const period = await chain.immunityPeriod(netuid).catch(() => null);
  if (period === null) return 'After a registration, on a full subnet, each new registration replaces the neuron with the lowest incentive.';
  const head = await chain.blockNumber();
  const back = Math.min(head, 100);
  const seconds = back > 0 ? await Promise.all([chain.blockTimestamp(head), chain.blockTimestamp(head - back)]).then(([now, then]) => (now - then) / 1000 / back).catch(() => null) : null;
  const time = seconds && seconds > 0 ? `, about ${formatHours(period * seconds)}` : '';
  return `Nobody can take its place for ${period} blocks${time} (the subnet's immunity period); after that, on a full subnet, each new registration replaces the neuron with the lowest incentive, and its burn is not refunded.`;
}

function formatHours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} hours` : `${Math.round(seconds / 60)} minutes`;
}

/**
 * `tandem register`: a burned registration of this wallet's hotkey on the
 * run's subnet, paid by its coldkey, after showing the cost and the balance
 * and getting a yes. Already registered: says its uid and signs nothing.
 */
export async function runRegister(options: SubnetOptions, out: (line: string) => void): Promise<number> {
  const { network, netuid, wallet, hotkey, wallets, chain } = await context(options);
  try {
    const existing = await chain.uidOf(netuid, hotkey);
    if (existing !== null) {
      out(`Hotkey ${hotkey} is already registered on subnet ${netuid} of ${network} as uid ${existing}.`);
      return 0;
    }
    const [burn, balance, estimate] = await Promise.all([chain.burn(netuid), chain.balanceOf(wallet.coldkeyAddress), chain.estimate({ action: 'register', netuid, hotkey }, wallet.coldkeyAddress)]);
    out(`Register hotkey ${hotkey} on subnet ${netuid} of ${network}: the chain burns ${formatTao(burn)}, plus a fee of about ${formatTao(estimate.fee)}, paid by coldkey ${wallet.coldkeyAddress} (balance ${formatTao(balance)}).`);
    if (balance < burn + estimate.fee) throw new CliError(`insufficient balance: ${formatTao(balance)} is less than the ${formatTao(burn + estimate.fee)} this costs; nothing was signed`);
    out(await immunitySentence(chain, netuid));
    await confirm('The burn is not refunded.', options);
    const passphrase = await coldkeyPassphrase(options);
    const uid = await wallets.withColdkey(wallet.name, passphrase, (signer: ChainSigner) => chain.register(netuid, hotkey, signer));
    out(`Registered: uid ${uid} on subnet ${netuid}.`);
    return 0;
  } finally {
    await chain.close();
  }
}

/** `tandem stake --amount <TAO>`: stakes from this wallet's coldkey to its hotkey (a validator's permit goes by stake). */
export async function runStake(options: SubnetOptions & { amount: string }, out: (line: string) => void): Promise<number> {
  const amount = parseTao(options.amount);
  const { network, netuid, wallet, hotkey, wallets, chain } = await context(options);
  try {
    const balance = await chain.balanceOf(wallet.coldkeyAddress);
    out(`Stake ${formatTao(amount)} from coldkey ${wallet.coldkeyAddress} (balance ${formatTao(balance)}) to hotkey ${hotkey} on subnet ${netuid} of ${network}.`);
    if (balance < amount) throw new CliError(`insufficient balance: ${formatTao(balance)}; nothing was signed`);
    await confirm('', options);
    const passphrase = await coldkeyPassphrase(options);
    await wallets.withColdkey(wallet.name, passphrase, (signer: ChainSigner) => chain.addStake(hotkey, netuid, amount, signer));
    out('Staked. Validator permits follow stake at the subnet\u2019s next epoch.');
    return 0;
  } finally {
    await chain.close();
  }
}

export function parseTao(text: string): bigint {
  if (!/^\d+(\.\d{1,9})?$/.test(text)) throw new CliError(`"${text}" is not an amount of TAO (e.g. 1.5)`);
  const [whole, frac = ''] = text.split('.') as [string, string?];
  return BigInt(whole) * TAO + BigInt(frac.padEnd(9, '0'));
}

const common = (command: Command) =>
  command
    .option('--network <name|url>', 'the network (default: the configured one)')
    .option('--manifest <file|url>', 'the run, whose manifest names the subnet (default: the configured one)')
    .option('--run-owner <hotkey>', 'the run owner\u2019s hotkey (SS58): the manifest must carry its signature')
    .option('--netuid <n>', 'the subnet, when no manifest names it')
    .option('--wallet <name>', 'the wallet (default: the active one)')
    .option('--coldkey-passphrase-env <VAR>', 'read the coldkey passphrase from this environment variable')
    .option('--yes', 'do not ask for confirmation');

export function registerSubnetCommands(program: Command): void {
  common(program.command('register').description('register this wallet\u2019s hotkey on the run\u2019s subnet (a burned registration, after confirmation)')).action((options: SubnetOptions) =>
    withCliErrors((out) => runRegister(options, out)),
  );
  common(program.command('stake').description('stake TAO from the coldkey to the hotkey on the run\u2019s subnet (validators need stake for a permit)'))
    .requiredOption('--amount <TAO>', 'how much to stake')
    .action((options: SubnetOptions & { amount: string }) => withCliErrors((out) => runStake(options, out)));
}
