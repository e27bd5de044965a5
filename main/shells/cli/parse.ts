import { InvalidArgumentError } from 'commander';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a whole number from 0 to 65535');
  return port;
}

export function parseNetuid(value: string): number {
  const netuid = Number(value);
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > 65535) throw new InvalidArgumentError('expected a subnet number from 0 to 65535');
  return netuid;
}
