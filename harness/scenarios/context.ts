// What every scenario gets: where Temporal and moto run, a seed, and somewhere to say what it is doing.
import { seededRandom, type SeededRandom } from '../seeded-random';

export interface ScenarioContext {
  /** host:port of a Temporal server with the service's search attributes. */
  temporalAddress: string;
  /** moto, http://127.0.0.1:port. */
  motoEndpoint: string;
  seed: number;
  log?: (line: string) => void;
}

/** A name part unique to this run, so scenarios sharing one Temporal and one moto never meet. */
export function runId(context: ScenarioContext, scenario: string): string {
  return `${scenario}-${context.seed.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export function randomFor(context: ScenarioContext, salt: number): SeededRandom {
  return seededRandom((context.seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0);
}

export function say(context: ScenarioContext, line: string): void {
  context.log?.(line);
}

/** Upper- or lower-cases each letter at random: IAM names are case-insensitive, so all spell one policy. */
export function randomCase(name: string, random: SeededRandom): string {
  return [...name].map((c) => (random.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
}
