import { ConfigError } from '../../core/config/config-store';
import { buildProgram } from './program';

/** Known failures become one plain line and exit code 2; only real bugs show a stack. */
buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`Config error: ${error.message}`);
      console.error('Fix the field named above (or delete the file to use the defaults) and run the command again.');
      process.exit(2);
    }
    if (error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`Cannot listen: ${error.message}. Choose another port with --port.`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  });
