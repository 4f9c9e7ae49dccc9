// Saved histories of both workflows (scripts/record-histories.ts, one directory per release) must replay
// against the current workflow code: policy workflows live long and are auto-upgraded to each new build
// (docs/deploying.md), and code that issues other commands than their histories hold fails them with a
// non-determinism error. No server needed: replay runs in the worker alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { version } from '../../package.json';
import { localActivityTypes } from '../../harness/history';
import { bundleServiceWorkflows } from '../../harness/workflow-bundle';

const HISTORIES = join(__dirname, '../fixtures/histories');
const releases = readdirSync(HISTORIES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const files = releases.flatMap((release) =>
  readdirSync(join(HISTORIES, release))
    .filter((file) => file.endsWith('.json'))
    .map((file) => join(release, file)),
);
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
const RECORDED = [
  'event-workflow.json',
  'event-workflow-fallback.json',
  'policy-workflow-first-run.json',
  'policy-workflow-continued.json',
  'policy-workflow-fallback.json',
  'policy-workflow-deferred-deletion.json',
];
type HistoryEvents = NonNullable<ReturnType<typeof load>['events']>;
const events = (file: string): HistoryEvents => load(join(version, file)).events ?? [];
const countOf = (list: HistoryEvents, attribute: keyof HistoryEvents[number]) =>
  list.filter((event) => event[attribute]).length;

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another test file in this process.
  }
});

test("this release's histories are recorded: both workflows, the fallback and a continued-as-new run", () => {
  expect(releases).toContain(version);
  for (const release of releases) {
    expect(files).toEqual(expect.arrayContaining(RECORDED.map((file) => join(release, file))));
    const firstRun = load(join(release, 'policy-workflow-first-run.json')).events ?? [];
    expect(firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  }
});

test('the histories show the paths the code takes: update first, signal when late, burst window, no patches', () => {
  const policyRun = events('policy-workflow-first-run.json');
  // One generation of code: no patch markers anywhere.
  for (const file of RECORDED) {
    expect(
      events(file).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch'),
    ).toEqual([]);
  }
  // Events arrive by update and their results are its answers; results by signal go through an
  // activity, never as external-signal commands.
  expect(countOf(policyRun, 'workflowExecutionUpdateCompletedEventAttributes')).toBeGreaterThan(0);
  expect(countOf(policyRun, 'signalExternalWorkflowExecutionInitiatedEventAttributes')).toBe(0);
  // A burst waiting behind a slow event is gathered (a timer) before its newest is applied.
  expect(countOf(policyRun, 'timerStartedEventAttributes')).toBeGreaterThan(0);
  // IAM is observed by local activity and written by activity task, recorded before it runs.
  expect(localActivityTypes(policyRun)).not.toContain('applyPlan');
  expect(
    new Set(
      policyRun.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    ),
  ).toEqual(new Set(['applyPlan']));
  // The quick event workflow ends in one workflow task; the late one falls back to a signal each way.
  expect(countOf(events('event-workflow.json'), 'workflowTaskCompletedEventAttributes')).toBe(1);
  expect(countOf(events('event-workflow-fallback.json'), 'workflowExecutionSignaledEventAttributes')).toBe(1);
  const lateAnswered = events('policy-workflow-fallback.json');
  expect(countOf(lateAnswered, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  expect(countOf(lateAnswered, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
  // A delete that waits until unused: checked again on timers, deleted by an applyPlan after the last
  // one, and the policy workflow's Outcome attribute set when it starts waiting and when it ends.
  const deferred = events('policy-workflow-deferred-deletion.json');
  expect(countOf(deferred, 'timerFiredEventAttributes')).toBeGreaterThanOrEqual(2);
  expect(countOf(deferred, 'upsertWorkflowSearchAttributesEventAttributes')).toBe(2);
  const lastTimer = deferred.map((event) => Boolean(event.timerFiredEventAttributes)).lastIndexOf(true);
  expect(
    deferred
      .slice(lastTimer)
      .some((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'applyPlan'),
  ).toBe(true);
});

/**
 * Replays `history` on the task queue it ran on. A workflow reads its task queue from its worker
 * (workflowInfo().taskQueue), and a policy workflow whose account works on another queue moves there:
 * replayed on the SDK's default replay queue, every history that names its queue would take that turn.
 * ReplayWorkerOptions leaves `taskQueue` out of its type; the replay worker takes it from the options.
 */
async function replayOnItsQueue(
  workflowBundle: Awaited<ReturnType<typeof bundleServiceWorkflows>>,
  history: ReturnType<typeof load>,
  workflowId: string,
): Promise<void> {
  const taskQueue = history.events?.[0]?.workflowExecutionStartedEventAttributes?.taskQueue?.name;
  if (!taskQueue) throw new Error(`${workflowId}: no task queue in its first event`);
  const options = { workflowBundle, taskQueue } as ReplayWorkerOptions;
  await Worker.runReplayHistory(options, history, workflowId);
}

test('every recorded history replays against the current workflow code', async () => {
  const workflowBundle = await bundleServiceWorkflows();
  const failures: string[] = [];
  for (const file of files) {
    await replayOnItsQueue(workflowBundle, load(file), file).catch((error: unknown) =>
      failures.push(`${file}: ${String(error)}`),
    );
  }
  expect(failures).toEqual([]);
}, 120_000);

test('workflow code that issues other commands fails the replay (the check can fail)', async () => {
  // The same workflows with their local activities made ordinary activities.
  const workflowBundle = await bundleServiceWorkflows(
    join(__dirname, '../../harness/remote-activities-workflow.ts'),
  );
  for (const file of ['event-workflow.json', 'policy-workflow-first-run.json']) {
    await expect(replayOnItsQueue(workflowBundle, load(join(version, file)), file)).rejects.toThrow(
      /[Nn]ondeterminism|DeterminismViolation/,
    );
  }
}, 120_000);
