// Saved histories of both workflows (scripts/record-histories.ts) must replay against the current
// workflow code: policy workflows live long, and code that issues other commands than their histories
// hold fails them with a non-determinism error. No server needed: replay runs in the worker alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleServiceWorkflows } from '../helpers/workflow-bundle';

const HISTORIES = join(__dirname, '../fixtures/histories');
const files = readdirSync(HISTORIES).filter((file) => file.endsWith('.json'));
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another test file in this process.
  }
});

test('there are recorded histories of both workflows, the fallback and a continued-as-new run among them', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'event-workflow.json',
      'event-workflow-fallback.json',
      'policy-workflow-first-run.json',
      'policy-workflow-continued.json',
      'policy-workflow-fallback.json',
    ]),
  );
  const firstRun = load('policy-workflow-first-run.json').events ?? [];
  expect(firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
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
    Worker.runReplayHistory({ workflowBundle }, load('event-workflow.json'), 'event-workflow'),
  ).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
}, 120_000);
