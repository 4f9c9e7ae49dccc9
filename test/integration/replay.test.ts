// Saved histories of both workflows (scripts/record-histories.ts) must replay against the current
// workflow code: policy workflows live long, and code that issues other commands than their histories
// hold fails them with a non-determinism error. No server needed: replay runs in the worker alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleServiceWorkflows } from '../helpers/workflow-bundle';

const HISTORIES = join(__dirname, '../fixtures/histories');
// One directory per generation of the workflow code (scripts/record-histories.ts); all must replay.
const generations = readdirSync(HISTORIES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const files = generations.flatMap((generation) =>
  readdirSync(join(HISTORIES, generation))
    .filter((file) => file.endsWith('.json'))
    .map((file) => join(generation, file)),
);
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
const RECORDED = [
  'event-workflow.json',
  'event-workflow-fallback.json',
  'policy-workflow-first-run.json',
  'policy-workflow-continued.json',
  'policy-workflow-fallback.json',
];

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another test file in this process.
  }
});

test('each generation has histories of both workflows, the fallback and a continued-as-new run', () => {
  expect(generations.length).toBeGreaterThanOrEqual(2);
  for (const generation of generations) {
    expect(files).toEqual(expect.arrayContaining(RECORDED.map((file) => join(generation, file))));
    const firstRun = load(join(generation, 'policy-workflow-first-run.json')).events ?? [];
    expect(firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  }
});

test('the generations differ as recorded: external signals before the patch, a local activity after it', () => {
  const events = (generation: string) =>
    load(join(generation, 'policy-workflow-first-run.json')).events ?? [];
  const signalsInitiated = (generation: string) =>
    events(generation).filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes);
  const patchMarkers = (generation: string) =>
    events(generation).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(signalsInitiated('1-local-first').length).toBeGreaterThan(0);
  expect(patchMarkers('1-local-first')).toEqual([]);
  expect(signalsInitiated('2-results-by-activity')).toEqual([]);
  expect(patchMarkers('2-results-by-activity').length).toBe(1);
});

test('every recorded history replays against the current workflow code', async () => {
  const workflowBundle = await bundleServiceWorkflows();
  const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
}, 120_000);

test('workflow code that issues other commands fails the replay (the check can fail)', async () => {
  // The same workflows with their local activities made ordinary activities.
  const workflowBundle = await bundleServiceWorkflows(
    join(__dirname, '../helpers/remote-activities-workflow.ts'),
  );
  await expect(
    Worker.runReplayHistory(
      { workflowBundle },
      load(join(generations.at(-1)!, 'event-workflow.json')),
      'event-workflow',
    ),
  ).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
}, 120_000);
