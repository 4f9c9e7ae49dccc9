// Saved histories of both workflows (scripts/record-histories.ts) must replay against the current
// workflow code: policy workflows live long, and code that issues other commands than their histories
// hold fails them with a non-determinism error. No server needed: replay runs in the worker alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleServiceWorkflows } from '../../harness/workflow-bundle';

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
  expect(generations.length).toBeGreaterThanOrEqual(3);
  for (const generation of generations) {
    expect(files).toEqual(expect.arrayContaining(RECORDED.map((file) => join(generation, file))));
    const firstRun = load(join(generation, 'policy-workflow-first-run.json')).events ?? [];
    expect(firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  }
});

test('the generations differ as recorded: how events go to the policy workflow and results come back', () => {
  const events = (generation: string, file: string) => load(join(generation, file)).events ?? [];
  const policyRun = (generation: string) => events(generation, 'policy-workflow-first-run.json');
  const countOf = (list: ReturnType<typeof events>, attribute: keyof (typeof list)[number]) =>
    list.filter((event) => event[attribute]).length;
  const patchMarkers = (list: ReturnType<typeof events>) =>
    list.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').length;
  // 1: results by external signal commands.
  expect(
    countOf(policyRun('1-local-first'), 'signalExternalWorkflowExecutionInitiatedEventAttributes'),
  ).toBeGreaterThan(0);
  expect(patchMarkers(policyRun('1-local-first'))).toBe(0);
  // 2: results by a local activity (one patch marker per policy run).
  expect(
    countOf(policyRun('2-results-by-activity'), 'signalExternalWorkflowExecutionInitiatedEventAttributes'),
  ).toBe(0);
  expect(patchMarkers(policyRun('2-results-by-activity'))).toBe(1);
  expect(countOf(policyRun('2-results-by-activity'), 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(
    0,
  );
  // 3: events by update, results as its answer; the event workflow ends in one workflow task, or falls
  // back to a signal each way when the answer is late.
  expect(
    countOf(policyRun('3-result-by-update'), 'workflowExecutionUpdateCompletedEventAttributes'),
  ).toBeGreaterThan(0);
  expect(countOf(policyRun('3-result-by-update'), 'workflowExecutionSignaledEventAttributes')).toBe(0);
  const quick = events('3-result-by-update', 'event-workflow.json');
  expect(patchMarkers(quick)).toBe(1);
  expect(countOf(quick, 'workflowTaskCompletedEventAttributes')).toBe(1);
  const late = events('3-result-by-update', 'event-workflow-fallback.json');
  expect(countOf(late, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  const lateAnswered = events('3-result-by-update', 'policy-workflow-fallback.json');
  expect(countOf(lateAnswered, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  expect(countOf(lateAnswered, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
  expect(patchMarkers(events('2-results-by-activity', 'event-workflow.json'))).toBe(0);
  // 4: a burst waiting behind a slow event is gathered (a timer) before its newest is applied.
  const patchIds = (list: ReturnType<typeof events>) =>
    list
      .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((event) => {
        const payload = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
        return (JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as { id: string }).id;
      });
  expect(patchIds(policyRun('4-coalescing-window'))).toContain('coalescing-window');
  expect(countOf(policyRun('4-coalescing-window'), 'timerStartedEventAttributes')).toBeGreaterThan(0);
  for (const older of ['1-local-first', '2-results-by-activity', '3-result-by-update']) {
    expect(patchIds(policyRun(older))).not.toContain('coalescing-window');
    expect(countOf(policyRun(older), 'timerStartedEventAttributes')).toBe(0);
  }
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
    join(__dirname, '../../harness/remote-activities-workflow.ts'),
  );
  await expect(
    Worker.runReplayHistory(
      { workflowBundle },
      load(join(generations.at(-1)!, 'event-workflow.json')),
      'event-workflow',
    ),
  ).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
}, 120_000);
