// What every scenario gets: the servers, the options, and a run ID that keeps names apart.
import type { Environment } from '../environment';
import type { BenchOptions } from '../options';
import type { WorkerSettings } from '../service-run';

export interface ScenarioContext {
  env: Environment;
  options: BenchOptions;
  /** Short and unique per bench run: event sources, policy names and task queues include it. */
  runId: string;
  worker: WorkerSettings;
}

export function taskQueueFor(context: ScenarioContext, scenario: string): string {
  return `bench-${context.runId}-${scenario}`;
}
