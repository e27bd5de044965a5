import { Command } from 'commander';
import { packageInfo } from '../../platform/package-info';
import { registerConfig } from './commands/config';
import { registerDevnet } from './commands/devnet';
import { registerDoctor } from './commands/doctor';
import { registerWallet } from './commands/wallet';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerSubnetCommands } from './commands/subnet';
import { registerValidator } from './commands/validator';
import { registerStorage } from './commands/storage';
import { registerRun } from './commands/run';
import { registerFit } from './commands/fit';
import { registerAdversary } from './commands/adversary';

/**
 * The `tandem` command. Each subcommand lives in its own file under commands/
 * and registers itself here; doctor, wallet, devnet and validator join the same
 * way as their issues land.
 */
export function buildProgram(): Command {
  const program = new Command('tandem')
    .description('Tandem: join a decentralized LLM training run with your GPU and get paid for it.')
    .version(packageInfo().version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)');
  registerStart(program);
  registerStatus(program);
  registerSubnetCommands(program);
  registerConfig(program);
  registerDoctor(program);
  registerWallet(program);
  registerStorage(program);
  registerDevnet(program);
  registerValidator(program);
  registerRun(program);
  registerFit(program);
  registerAdversary(program);
  return program;
}
