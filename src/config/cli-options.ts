// Option parsers shared by the command-line programs (commander reports their errors as usage errors).
import { Command, CommanderError, InvalidArgumentError } from 'commander';

/** Parses a whole number in [min, max]; anything else is a usage error naming the range. */
export function integerFrom(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

/**
 * For the servers configured by the environment alone (worker, ingest): `--help` prints `help` and
 * exits 0, any argument exits 2, before anything connects or starts.
 */
export function exitOnArguments(name: string, description: string, help: string, argv = process.argv): void {
  const program = new Command(name).description(description).exitOverride().addHelpText('after', help);
  try {
    program.parse(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
}
