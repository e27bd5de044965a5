import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { resolveTarget } from '../../../adapters/subtensor/networks';
import { SubtensorChain } from '../../../adapters/subtensor/subtensor-chain';
import { formatTao } from '../../../services/chain/tao';
import { ADVERSARY_KINDS, parseAdversaryKinds } from '../../../devnet/adversaries/adversary-kinds';
import { signerOf, startLocalDevnet } from '../../../devnet/local-devnet';
import type { StorageKeyPair } from '../../../ports/storage-credentials';
import { writeFileAtomically } from '../../../platform/atomic-file';
import { devnetFolder, requireTrainer } from '../devnet-folder';
import { parsePort } from '../parse';
import { parseTao } from './subnet';

interface ServeOptions {
  root?: string;
  host: string;
  publicHost?: string;
  port: number;
  storagePort: number;
  peers: number;
  adversaries?: string;
  validator: boolean;
  guests: number;
  json?: boolean;
}

/** A bucket and its two key pairs, for a machine that joins the served devnet. */
interface Guest {
  bucket: string;
  write: StorageKeyPair;
  read: StorageKeyPair;
}

function count(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`expected a whole number from 0 to ${max}`);
    return n;
  };
}

/** The address this machine is reached by on its network, for a devnet bound to every interface. */
function lanAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return '127.0.0.1';
}

/**
 * `tandem devnet serve`: the devnet (chain node, S3 server, simulated peers,
 * validator) for other machines to join with `tandem start --network <url>
 * --manifest <file>`, each with its own wallet and bucket. It writes the
 * run's manifest and, with --guests, a bucket and key pairs per joining
 * machine (guests.json, 0600), and runs until Ctrl-C.
 */
export function registerDevnetServe(devnet: Command): void {
  devnet
    .command('serve')
    .description('serve the devnet (chain, S3, simulated peers, validator) for other machines to join; Ctrl-C stops')
    .option('--root <dir>', "the devnet's folder (default: devnet-served in Tandem's data folder)")
    .option('--host <address>', 'address the chain and S3 servers bind to (0.0.0.0: every interface, for a LAN)', '127.0.0.1')
    .option('--public-host <name>', 'the address other machines reach this one by (default: the host, or this machine\u2019s LAN address for 0.0.0.0)')
    .option('--port <port>', 'chain endpoint port (0 picks a free one)', parsePort, 9944)
    .option('--storage-port <port>', 'S3 port (0 picks a free one)', parsePort, 9000)
    .option('--peers <n>', 'simulated peers (0 to 5)', count(5), 3)
    .option('--adversaries <kinds>', `also run cheating peers, comma-separated: ${ADVERSARY_KINDS.join(', ')}`)
    .option('--no-validator', 'run no validator (run one elsewhere: tandem validator run --network <url>)')
    .option('--guests <n>', 'make a bucket with a write and a read key for each of n joining machines', count(64), 0)
    .option('--json', 'print one JSON line with the endpoints, the manifest and the guests\u2019 keys (for scripts)')
    .action(async (options: ServeOptions) => {
      const layout = requireTrainer('serve the devnet');
      const { root, logFile, logger } = devnetFolder(options.root, 'devnet-served');
      const publicHost = options.publicHost ?? (options.host === '0.0.0.0' ? lanAddress() : options.host);
      const devnet = await startLocalDevnet({
        root,
        host: options.host,
        publicHost,
        chainPort: options.port,
        storagePort: options.storagePort,
        trainerExecutable: layout.trainerExecutable,
        corpusDir: layout.devnetCorpus,
        logger,
        simulatedPeers: options.peers,
        validator: options.validator,
        ...(options.adversaries ? { adversaries: parseAdversaryKinds(options.adversaries) } : {}),
      });
      await devnet.startPeers();
      const manifestFile = path.join(root, 'run-manifest.json');
      // Published as signed by the devnet's owner key: joiners check it like any run's.
      await writeFileAtomically(manifestFile, `${JSON.stringify(devnet.signedManifest, null, 2)}\n`);
      const guests: Guest[] = [];
      for (let i = 1; i <= options.guests; i++) {
        const bucket = `guest-${i}`;
        await devnet.storage.createBucket(bucket);
        const kept = devnet.storage.keys(bucket);
        const keyOf = async (access: 'read' | 'write') => {
          const key = kept.find((k) => k.access === access);
          return key ? { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } : devnet.storage.issueKey({ bucket, access });
        };
        guests.push({ bucket, write: await keyOf('write'), read: await keyOf('read') });
      }
      if (guests.length > 0) await writeFileAtomically(path.join(root, 'guests.json'), `${JSON.stringify(guests, null, 2)}\n`, { mode: 0o600 });

      if (options.json) {
        console.log(JSON.stringify({ url: devnet.url, storage: devnet.storageEndpoint, manifest: manifestFile, owner: devnet.signedManifest.owner, netuid: devnet.manifest.chain.netuid, guests }));
      } else {
        console.log(`Tandem devnet served from ${root} (log: ${logFile})`);
        console.log(`  chain    ${devnet.url}  (subnet ${devnet.manifest.chain.netuid})`);
        console.log(`  storage  ${devnet.storageEndpoint}`);
        console.log(`  manifest ${manifestFile}  (signed by the run owner ${devnet.signedManifest.owner})`);
        console.log(`  ${devnet.peers.size} simulated peers${devnet.validator ? ' and a validator' : ''}`);
        console.log('To join from another machine (copy the manifest there):');
        console.log(`  tandem devnet fund --network ${devnet.url} --wallet <name>     (devnet coins from //Alice)`);
        console.log(`  tandem register --network ${devnet.url} --manifest run-manifest.json`);
        for (const g of guests) console.log(`  guest bucket ${g.bucket}: tandem storage set --endpoint ${devnet.storageEndpoint} --bucket ${g.bucket} --write-key-id ${g.write.accessKeyId} --read-key-id ${g.read.accessKeyId} (secrets in ${path.join(root, 'guests.json')})`);
        console.log(`  tandem start --network ${devnet.url} --manifest run-manifest.json --run-owner ${devnet.signedManifest.owner}`);
        console.log('Ctrl-C stops.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await devnet.close();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      process.exit(0);
    });

  devnet
    .command('fund')
    .description('give an account devnet coins from //Alice, the devnet\u2019s public faucet key (a served devnet only)')
    .requiredOption('--network <url>', 'the served devnet\u2019s chain endpoint')
    .requiredOption('--to <address>', 'the SS58 address to fund (a wallet\u2019s coldkey: tandem wallet list)')
    .option('--amount <TAO>', 'how much', '100')
    .action(async (options: { network: string; to: string; amount: string }) => {
      try {
        const resolved = resolveTarget(options.network);
        if (resolved.kind !== 'subtensor') throw new Error('give the served devnet\u2019s ws:// URL');
        const amount = parseTao(options.amount);
        await cryptoWaitReady();
        const alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
        const chain = await SubtensorChain.open({ name: resolved.name, endpoint: resolved.url });
        try {
          await chain.transfer(options.to, amount, signerOf(alice));
          console.log(`Sent ${formatTao(amount)} to ${options.to}; its balance is now ${formatTao(await chain.balanceOf(options.to))}.`);
        } finally {
          await chain.close();
        }
      } catch (error) {
        console.error(`tandem devnet fund: ${(error as Error).message}`);
        process.exitCode = 2;
      }
    });
}
