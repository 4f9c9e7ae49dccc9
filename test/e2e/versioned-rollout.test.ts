// A rollout with Worker Versioning on the real dev server (docs/deploying.md): build 1 runs as the
// current version while events keep arriving; build 2, whose policy workflow has a compatible change,
// starts and is made current; build 1 runs on until the event workflows pinned to it have ended, then
// stops. Nothing may be lost, no policy workflow may fail a task (nondeterminism), the policy workflows
// must end up on build 2, and the event workflows that ran on build 1 must have ended there.
import { Client, Connection } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import { workflowsPath } from '../../src/temporal/service-worker';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { defaultDocument, documentAllowing, policyArn, upsertEvent } from '../../harness/events';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { MANAGED_BY, startService, testIamClient, type RunningService } from '../../harness/service';
import { BUILD_MARK_QUERY } from '../fixtures/workflows-next-build';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const POLICIES = 3;
/** One event per policy this often: a steady stream that keeps event workflows in flight. */
const EVENT_INTERVAL_MS = 400;
/** How much slower than moto IAM reads; slower still during the switch, so event workflows wait across it. */
let iamDelayMs = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let bundles: { current: WorkflowBundleWithSourceMap; next: WorkflowBundleWithSourceMap };
let connection: Connection;
let client: Client;
let proxy: IamProxy;
const services: RunningService[] = [];

beforeAll(async () => {
  const logger = new DefaultLogger('WARN');
  const [current, next] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: workflowsPath(), logger }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/workflows-next-build'), logger }),
  ]);
  bundles = { current, next };
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection });
  proxy = await startIamProxy(testIamEndpoint());
  proxy.addRule({
    action: 'GetPolicy',
    respond: async (_request, forward) => {
      await sleep(iamDelayMs);
      return forward();
    },
  });
});

afterAll(async () => {
  await Promise.allSettled(services.map((service) => service.stop()));
  await Promise.allSettled([proxy?.close(), connection?.close()]);
});

interface Submitted {
  policyName: string;
  sequence: number;
  workflowId: string;
  report?: SubmitReport;
  error?: unknown;
}

/** One event per policy every EVENT_INTERVAL_MS until stopped; each one's outcome is awaited. */
function startEvents(taskQueue: string, policyNames: string[]) {
  const submitted: Submitted[] = [];
  const waits: Promise<void>[] = [];
  let stopped = false;
  let sequence = 0;
  const loop = (async () => {
    while (!stopped) {
      sequence += 1;
      for (const policyName of policyNames) {
        const event = upsertEvent(policyName, {
          sequence,
          document: documentAllowing(['s3:GetObject'], `arn:aws:s3:::rollout-${sequence}/*`),
        });
        const item: Submitted = {
          policyName,
          sequence,
          workflowId: eventWorkflowId(String(event.source), String(event.id)),
        };
        submitted.push(item);
        const options = { client, taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] };
        waits.push(
          submitEvent(event, options).then(
            (report) => {
              item.report = report;
            },
            (error: unknown) => {
              item.error = error;
            },
          ),
        );
      }
      await sleep(EVENT_INTERVAL_MS);
    }
  })();
  return {
    submitted,
    /** Stops submitting and waits for the outcomes still to come (at most `timeoutMs`). */
    async stop(timeoutMs: number): Promise<void> {
      stopped = true;
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const open = submitted.filter((item) => !item.report && item.error === undefined).length;
          reject(
            new Error(`${open} of ${submitted.length} events had no outcome ${timeoutMs} ms after the last`),
          );
        }, timeoutMs);
      });
      await Promise.race([Promise.all(waits), late]).finally(() => clearTimeout(timer));
    },
  };
}

async function historyOfRun(workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** The build ID of each completed workflow task, in order. */
function taskBuilds(events: HistoryEvent[]): string[] {
  return events
    .filter((event) => event.workflowTaskCompletedEventAttributes)
    .map((event) => event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? 'unversioned');
}

/** Each run of a policy workflow: the builds its tasks completed on, and its failed tasks' messages. */
async function policyRuns(policyName: string): Promise<{ builds: Set<string>; failedTasks: string[] }[]> {
  const workflowId = policyWorkflowId(policyName);
  const runs = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await historyOfRun(workflowId, run.runId);
    // A task that completes while new messages arrive is refused by the server (UnhandledCommand) and
    // runs again with them: the code did not fail. Nondeterminism shows here as TMPRL1100.
    const failedTasks = history
      .filter((event) => event.workflowTaskFailedEventAttributes)
      .map((event) => event.workflowTaskFailedEventAttributes?.failure?.message ?? '(no message)')
      .filter((message) => message !== 'UnhandledCommand');
    runs.push({ builds: new Set(taskBuilds(history)), failedTasks });
  }
  return runs;
}

/** Event workflows of this build (only the running ones with `running`), as docs/deploying.md counts them. */
async function eventWorkflowsOn(deploymentName: string, buildId: string, running: boolean): Promise<number> {
  const { count } = await client.workflow.count(
    `TemporalWorkerDeploymentVersion = "${deploymentName}:${buildId}" AND WorkflowType = "eventWorkflow"` +
      (running ? ' AND ExecutionStatus = "Running"' : ''),
  );
  return count;
}

/** Running event workflows of the task queue, started before `before`, whose first workflow task has not completed. */
async function eventWorkflowsUnpinned(taskQueue: string, before: Date): Promise<number> {
  const { count } = await client.workflow.count(
    `TemporalWorkerDeploymentVersion IS NULL AND TaskQueue = "${taskQueue}" AND WorkflowType = "eventWorkflow"` +
      ` AND ExecutionStatus = "Running" AND StartTime < "${before.toISOString()}"`,
  );
  return count;
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

test('a second build rolls out while events arrive: none lost, no nondeterminism, policy workflows move, pinned event workflows drain', async () => {
  const suffix = uniqueSuffix();
  const deploymentName = `rollout-${suffix}`;
  const taskQueue = `rollout-${suffix}`;
  const policyNames = Array.from({ length: POLICIES }, (_, i) => `rollout-${suffix}-${i}`);
  // No continue-as-new by history length: the run open at the switch must move to build 2 in mid-run.
  const common = { taskQueue, iamEndpoint: proxy.endpoint, policyHistoryLimit: 50_000 };

  // Build 1: the first version of the deployment, current because none was (TEMPORAL_DEPLOYMENT_PROMOTE=if-none).
  const build1 = await startService({
    ...common,
    workflowBundle: bundles.current,
    deployment: { deploymentName },
  });
  services.push(build1);
  const described = await client.workflowService.describeWorkerDeployment({
    namespace: 'default',
    deploymentName,
  });
  expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe(
    build1.buildId,
  );

  const events = startEvents(taskQueue, policyNames);
  await sleep(4_000);

  // Build 2: another build ID by itself (its bundle differs), made current as an operator would, while
  // IAM is slow: event workflows of build 1 are then waiting for their policies across the switch.
  iamDelayMs = 2_500;
  await sleep(1_000);
  const build2 = await startService({
    ...common,
    workflowBundle: bundles.next,
    deployment: { deploymentName, promote: 'always' },
  });
  services.push(build2);
  iamDelayMs = 150;
  expect(build2.buildId).toBeDefined();
  expect(build2.buildId).not.toBe(build1.buildId);

  // Build 1 runs until the event workflows pinned to it have ended, checked as docs/deploying.md says:
  // once new ones start on build 2 (the task queue learns of the switch within seconds), until twice,
  // 3 s apart, none runs on build 1 and none that started before then is still in its first task (not
  // pinned yet: a first task in flight on build 1 pins the workflow there).
  await until(
    'event workflows on build 2',
    async () => (await eventWorkflowsOn(deploymentName, build2.buildId!, false)) > 0,
  );
  const build2Seen = new Date();
  const noneOnBuild1 = async () =>
    (await eventWorkflowsOn(deploymentName, build1.buildId!, true)) === 0 &&
    (await eventWorkflowsUnpinned(taskQueue, build2Seen)) === 0;
  await until(
    'build 1 drained',
    async () => (await noneOnBuild1()) && (await sleep(3_000), noneOnBuild1()),
    40_000,
  );
  services.splice(services.indexOf(build1), 1);
  await build1.stop();

  await sleep(3_000);
  // Generous: on a loaded machine a workflow task can take seconds; a failed task is named below.
  await events.stop(60_000).catch(async (error: unknown) => {
    // Outcomes that never come are most likely policy workflows failing their tasks: say so.
    const runs = await Promise.all(policyNames.map(policyRuns));
    const failures = runs.flat().flatMap((run) => run.failedTasks);
    // And where the event workflows without an outcome are: status and build.
    const open = events.submitted.filter((item) => !item.report && item.error === undefined).slice(0, 5);
    const states = await Promise.all(
      open.map(async ({ workflowId }) => {
        const description = await client.workflow.getHandle(workflowId).describe();
        const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
        return `${workflowId} ${description.status.name} on ${versioning?.deploymentVersion?.buildId ?? 'no build'}`;
      }),
    );
    throw new Error(
      `${String(error)}; failed policy workflow tasks: ${failures.slice(0, 3).join(' | ')}; ` +
        `open event workflows: ${states.join(' | ')} (build 1 ${build1.buildId}, build 2 ${build2.buildId})`,
    );
  });

  // Every event has exactly one final outcome, and the policies are as their newest events say.
  const { submitted } = events;
  expect(submitted.filter((item) => item.error !== undefined).map((item) => String(item.error))).toEqual([]);
  const outcomes = new Set(submitted.map((item) => item.report?.outcome));
  expect(
    [...outcomes].filter((outcome) => !['created', 'updated', 'unchanged', 'superseded'].includes(outcome!)),
  ).toEqual([]);
  expect(new Set(submitted.map((item) => item.workflowId)).size).toBe(submitted.length);
  const iam = testIamClient(testIamEndpoint());
  for (const policyName of policyNames) {
    const newest = Math.max(
      ...submitted.filter((item) => item.policyName === policyName).map((item) => item.sequence),
    );
    expect(await defaultDocument(iam, policyArn(policyName))).toEqual(
      documentAllowing(['s3:GetObject'], `arn:aws:s3:::rollout-${newest}/*`),
    );
  }
  iam.destroy();

  // Policy workflows: no failed workflow task in any run, and each now runs on build 2 (auto-upgrade).
  let spanningRuns = 0;
  for (const policyName of policyNames) {
    const runs = await policyRuns(policyName);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.flatMap((run) => run.failedTasks)).toEqual([]);
    spanningRuns += runs.filter(
      ({ builds }) => builds.has(build1.buildId!) && builds.has(build2.buildId!),
    ).length;
    const handle = client.workflow.getHandle(policyWorkflowId(policyName));
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
    expect(versioning?.deploymentVersion?.buildId).toBe(build2.buildId);
    expect(decodeVersioningBehavior(versioning?.behavior)).toBe('AUTO_UPGRADE');
    expect(await handle.query<string>(BUILD_MARK_QUERY)).toBe('next');
  }
  // At least one run moved from build 1 to build 2 in mid-run, replaying build 1's history.
  expect(spanningRuns).toBeGreaterThan(0);

  // Event workflows are pinned: each ran on one build. Those on build 1 ended there, some of them after
  // the switch (by the server's clock).
  const routing = (
    await client.workflowService.describeWorkerDeployment({ namespace: 'default', deploymentName })
  ).workerDeploymentInfo?.routingConfig;
  expect(routing?.currentDeploymentVersion?.buildId).toBe(build2.buildId);
  const changed = routing?.currentVersionChangedTime;
  // Seconds are a Long: its decimal string converts exactly for any date of interest.
  const switchedAt = Number(String(changed?.seconds ?? 0)) * 1000 + (changed?.nanos ?? 0) / 1e6;
  const eventRuns = await Promise.all(
    submitted.map(async (item) => {
      const handle = client.workflow.getHandle(item.workflowId);
      const [history, description] = await Promise.all([historyOfRun(item.workflowId), handle.describe()]);
      return {
        builds: [...new Set(taskBuilds(history))],
        behavior: decodeVersioningBehavior(description.raw.workflowExecutionInfo?.versioningInfo?.behavior),
        closedAt: description.closeTime?.getTime() ?? Infinity,
      };
    }),
  );
  expect(eventRuns.filter(({ builds }) => builds.length !== 1)).toEqual([]);
  expect(new Set(eventRuns.map(({ behavior }) => behavior))).toEqual(new Set(['PINNED']));
  const onBuild1 = eventRuns.filter(({ builds }) => builds[0] === build1.buildId);
  const onBuild2 = eventRuns.filter(({ builds }) => builds[0] === build2.buildId);
  expect(onBuild1.length + onBuild2.length).toBe(submitted.length);
  expect(onBuild1.filter(({ closedAt }) => closedAt > switchedAt).length).toBeGreaterThan(0);
  expect(onBuild2.length).toBeGreaterThan(0);
}, 180_000);
