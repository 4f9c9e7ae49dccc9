// Option parsers shared by the command-line programs (commander reports their errors as usage errors).
import { InvalidArgumentError } from 'commander';

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
