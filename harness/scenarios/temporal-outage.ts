// Temporal outage mid-stream, through every event source at once: a dev server of its own (state in a
// SQLite file) is SIGKILLed and started again on the same port, or hung (SIGSTOP, then SIGCONT), while
// events stream in through the starter CLI (two of them: one that outlasts the outage, one whose
// --retry-for is shorter and gives up), the ingest HTTP server and the SQS consumer. Events are sent
// before, during and after the outage. Every valid event must end with exactly one outcome; nothing
// valid may reach the dead-letter queue; ingest answers within its deadline, 503 with Retry-After while
// Temporal is away; the starter shows its retrying on stderr and, giving up, names Temporal (not the
// input), after which resubmitting its whole input is safe.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { startIamProxy } from '../iam-proxy';
import type { ServiceProcess } from '../processes';
import { freePort, startTemporal, tempDir, type RunningServer } from '../servers';
import { startConsumer, startIngest, startStreamingStarter, type StreamingStarter } from '../sources';
import { createQueueWithDlq, messagesIn, receiveAll, testSqsClient } from '../sqs';
import { startSupervisedWorker } from '../worker-process';
import {
  connectClient,
  countBy,
  finalOutcomes,
  mapPool,
  type PlannedEvent,
  runStarterCli,
  type ScenarioReport,
  sleep,
  verifyStream,
} from '../scenario-runner';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { singleDeliveries } from './storm';

export type OutageKind = 'killed' | 'hung';

export interface OutageSize {
  /** killed: SIGKILL, then a new server on the same port and file; hung: SIGSTOP, then SIGCONT. */
  kind: OutageKind;
  /** Policies of each source's stream (each source has its own), and events per policy. */
  policiesPerSource: number;
  eventsPerPolicy: number;
  /** How long Temporal is away. */
  downMs: number;
  /** Ingest's INGEST_REQUEST_TIMEOUT_MS: every answer must come within it (and a margin for load). */
  ingestTimeoutMs: number;
  /** --retry-for of the starter that is to give up: shorter than the outage. */
  shortRetryForS: number;
  /** --request-timeout of the starters and the SQS consumer (their default, 10 s, when absent). */
  requestTimeoutS?: number;
  /** How long to wait for the last outcomes once Temporal is back. */
  settleMs: number;
}

/** Answers of ingest may come this much after its deadline on a loaded 2-core machine. */
const ANSWER_MARGIN_MS = 3000;
/** SQS as in the issue: a short visibility timeout and few receives before the dead-letter queue. */
const VISIBILITY_TIMEOUT_S = 3;
const MAX_RECEIVE_COUNT = 3;

type SourceName = 'starter' | 'starter-short' | 'http' | 'sqs';
const SOURCES: SourceName[] = ['starter', 'starter-short', 'http', 'sqs'];

/** One HTTP answer, as the sender saw it. */
interface HttpAnswer {
  status: number;
  ms: number;
  retryAfter: string | null;
  duringOutage: boolean;
}

/** before, during and after the outage: a stream's events in three parts. */
function thirds<T>(items: T[]): [T[], T[], T[]] {
  const a = Math.ceil(items.length / 3);
  const b = Math.ceil((2 * items.length) / 3);
  return [items.slice(0, a), items.slice(a, b), items.slice(b)];
}

const RETRY_NOTICE = /starter: Temporal unavailable for \d+ s \(.+\); retrying for up to \d+ s/;
const GAVE_UP =
  /starter: Temporal is unavailable.*: .+\. \d+ event\(s\) were reported above.*Resubmitting the whole input is safe/s;

/** Problems with a starter's run: every line reported accepted or duplicate, Temporal (never the input) named. */
function starterProblems(
  name: string,
  run: { code: number | null; stdout: string; stderr: string },
  lines: number,
  expect: 'finish' | 'give up',
): string[] {
  const problems: string[] = [];
  const reports = run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { outcome?: string; reason?: string });
  const bad = reports.filter((r) => r.outcome !== 'accepted' && r.outcome !== 'duplicate');
  if (bad.length > 0)
    problems.push(`${name}: ${bad.length} lines not accepted: ${JSON.stringify(bad[0]).slice(0, 300)}`);
  if (/cannot read/.test(run.stderr)) problems.push(`${name}: blamed the input: ${run.stderr.slice(-400)}`);
  if (!RETRY_NOTICE.test(run.stderr))
    problems.push(`${name}: no retry progress on stderr while Temporal was away`);
  if (expect === 'finish') {
    if (run.code !== 0 || reports.length !== lines)
      problems.push(
        `${name}: exit ${run.code} with ${reports.length} of ${lines} lines reported: ${run.stderr.slice(-400)}`,
      );
  } else if (run.code !== 2 || !GAVE_UP.test(run.stderr)) {
    problems.push(
      `${name}: expected to give up (exit 2) naming Temporal, got exit ${run.code}: ${run.stderr.slice(-400)}`,
    );
  }
  return problems;
}

export async function temporalOutage(context: ScenarioContext, size: OutageSize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, `outage-${size.kind}`);
  const random = randomFor(context, size.kind === 'killed' ? 8 : 9);
  const taskQueue = `reliability-${run}`;
  const dbDirectory = tempDir('temporal-db-');
  const dbFilename = join(dbDirectory, 'temporal.sqlite');
  const port = await freePort();
  let server: RunningServer = await startTemporal({ dbFilename, port });
  const address = server.address;
  const problems: string[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  const sqs = testSqsClient(context.motoEndpoint);
  const starters: StreamingStarter[] = [];
  try {
    const proxy = await startIamProxy(context.motoEndpoint, {
      strict: true,
      seed: context.seed,
      recordParams: false,
    });
    cleanup.push(() => proxy.close());
    const client = await connectClient(address);
    cleanup.push(() => client.connection.close());
    const worker = await startSupervisedWorker(
      { temporalAddress: address, taskQueue, iamEndpoint: proxy.endpoint },
      (line) => say(context, `outage: ${line}`),
    );
    cleanup.push(() => worker.stop());
    const ingest = await startIngest(address, taskQueue, {
      INGEST_REQUEST_TIMEOUT_MS: String(size.ingestTimeoutMs),
    });
    cleanup.push(() => ingest.process.stop());
    const queue = await createQueueWithDlq(sqs, run, {
      visibilityTimeoutS: VISIBILITY_TIMEOUT_S,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    const requestTimeout =
      size.requestTimeoutS !== undefined ? ['--request-timeout', String(size.requestTimeoutS)] : [];
    const consumer: ServiceProcess = startConsumer(queue.url, {
      temporalAddress: address,
      taskQueue,
      sqsEndpoint: context.motoEndpoint,
      args: requestTimeout,
    });
    cleanup.push(() => consumer.stop());
    await consumer.waitFor(/consume-sqs: polling/);
    const patientRetryForS = Math.ceil(size.downMs / 1000) + 120;
    const starterEnv = { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
    const patient = startStreamingStarter(
      ['submit', '-', '--concurrency', '4', '--retry-for', String(patientRetryForS), ...requestTimeout],
      starterEnv,
    );
    const impatient = startStreamingStarter(
      ['submit', '-', '--concurrency', '4', '--retry-for', String(size.shortRetryForS), ...requestTimeout],
      starterEnv,
    );
    starters.push(patient, impatient);

    const streams = new Map<SourceName, PlannedEvent[]>(
      SOURCES.map((source) => [
        source,
        random.shuffle(
          singleDeliveries(`${run}-${source}`, {
            policies: size.policiesPerSource,
            eventsPerPolicy: size.eventsPerPolicy,
          }),
        ),
      ]),
    );
    const events = [...streams.values()].flat();
    say(
      context,
      `outage (${size.kind}): ${events.length} events through the starter (twice), HTTP and SQS; ` +
        `Temporal away for ${size.downMs} ms mid-stream`,
    );

    // HTTP: each event POSTed until it is accepted or a duplicate, waiting as Retry-After says.
    let outage = false;
    const answers: HttpAnswer[] = [];
    const httpDeadline = Date.now() + size.downMs + size.settleMs;
    const postUntilTaken = async (event: PlannedEvent) => {
      for (;;) {
        const sent = Date.now();
        const duringOutage = outage;
        let response: Response | undefined;
        try {
          response = await ingest.post(event.raw, AbortSignal.timeout(size.ingestTimeoutMs + 30_000));
        } catch (error) {
          problems.push(`http ${event.id}: no answer: ${String(error)}`);
        }
        if (response) {
          await response.arrayBuffer();
          answers.push({
            status: response.status,
            ms: Date.now() - sent,
            retryAfter: response.headers.get('retry-after'),
            duringOutage,
          });
          if (response.status === 200 || response.status === 202) return;
          if (response.status !== 503) {
            problems.push(`http ${event.id}: answered ${response.status}`);
            return;
          }
        }
        if (Date.now() > httpDeadline) {
          problems.push(`http ${event.id}: still not taken when the scenario ended`);
          return;
        }
        await sleep(Number(response?.headers.get('retry-after') ?? 5) * 1000);
      }
    };
    const httpSending: Promise<unknown>[] = [];
    const sendPart = async (part: 0 | 1 | 2) => {
      for (const [source, stream] of streams) {
        const slice = thirds(stream)[part];
        if (source === 'starter') slice.forEach((event) => patient.write(event.raw));
        else if (source === 'starter-short') slice.forEach((event) => impatient.write(event.raw));
        else if (source === 'http') httpSending.push(mapPool(slice, 4, postUntilTaken));
        else {
          await Promise.all(
            slice.map((event) =>
              sqs.send(
                new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(event.raw) }),
              ),
            ),
          );
        }
      }
    };

    // Before: the first third; the fault hits once the sources have started on it (mid-stream).
    await sendPart(0);
    await Promise.all([patient.lines(1, 60_000), impatient.lines(1, 60_000)]);
    const outageStarted = Date.now();
    outage = true;
    if (size.kind === 'killed') {
      server.process.kill('SIGKILL');
      await server.stop();
    } else {
      server.process.kill('SIGSTOP');
    }
    say(context, `outage: Temporal ${size.kind}`);
    // During: the second third, a moment into the outage.
    await sleep(Math.min(1000, size.downMs / 4));
    await sendPart(1);
    await sleep(Math.max(0, outageStarted + size.downMs - Date.now()));
    if (size.kind === 'killed') server = await startTemporal({ dbFilename, port });
    else server.process.kill('SIGCONT');
    outage = false;
    say(context, `outage: Temporal back after ${Date.now() - outageStarted} ms`);
    // After: the rest.
    await sendPart(2);
    patient.end();
    impatient.end();

    const patientRun = await patient.exited;
    say(context, `outage: the starter finished (exit ${patientRun.code})`);
    problems.push(
      ...starterProblems('starter', patientRun, thirds(streams.get('starter')!).flat().length, 'finish'),
    );
    const impatientRun = await impatient.exited;
    const shortStream = streams.get('starter-short')!;
    problems.push(
      ...starterProblems('starter with a short --retry-for', impatientRun, shortStream.length, 'give up'),
    );
    // Its whole input again, now that Temporal is back: what it reported comes back as duplicates.
    const resubmitted = await runStarterCli(
      shortStream.map((event) => JSON.stringify(event.raw)),
      starterEnv,
      ['--retry-for', '60'],
      size.settleMs,
    );
    const resubmitBad = resubmitted.reports.filter(
      (r) => r.outcome !== 'accepted' && r.outcome !== 'duplicate',
    );
    if (
      resubmitted.code !== 0 ||
      resubmitted.reports.length !== shortStream.length ||
      resubmitBad.length > 0
    ) {
      problems.push(
        `resubmission: exit ${resubmitted.code}, ${resubmitted.reports.length} of ${shortStream.length} reported, ` +
          `${resubmitBad.length} not accepted: ${resubmitted.stderr.slice(-300)}`,
      );
    }
    await Promise.all(httpSending);
    say(context, 'outage: the starter resubmitted, every HTTP event taken');

    // SQS: the queue drains, and nothing is in the dead-letter queue.
    const sqsDeadline = Date.now() + size.settleMs;
    while ((await messagesIn(sqs, queue.url)) > 0 && Date.now() < sqsDeadline) await sleep(500);
    const left = await messagesIn(sqs, queue.url);
    if (left > 0) problems.push(`sqs: ${left} messages still in the queue`);
    const deadLettered = await receiveAll(sqs, queue.dlqUrl);
    if (deadLettered.length > 0) {
      problems.push(
        `sqs: ${deadLettered.length} valid messages dead-lettered, e.g. ${deadLettered[0].Body?.slice(0, 200)}`,
      );
    }

    // Ingest's answers: within the deadline, 503 only with Retry-After, and 503 while Temporal was away.
    const slow = answers.filter((a) => a.ms > size.ingestTimeoutMs + ANSWER_MARGIN_MS);
    if (slow.length > 0)
      problems.push(
        `http: ${slow.length} answers after the ${size.ingestTimeoutMs} ms deadline (slowest ${Math.max(...slow.map((a) => a.ms))} ms)`,
      );
    const unavailable = answers.filter((a) => a.status === 503);
    if (unavailable.some((a) => a.retryAfter === null)) problems.push('http: a 503 without Retry-After');
    if (!answers.some((a) => a.duringOutage && a.status === 503))
      problems.push('http: no 503 while Temporal was away');

    for (const [name, process] of [
      ['ingest', ingest.process],
      ['consume-sqs', consumer],
    ] as const) {
      if (process.process.exitCode !== null || process.process.signalCode !== null)
        problems.push(`${name} exited during the outage: ${process.stderr().slice(-300)}`);
    }

    say(context, 'outage: the SQS queue drained');
    const outcomes = await finalOutcomes(client, events, size.settleMs);
    say(context, 'outage: every outcome read');
    const verdict = await verifyStream(client, events, outcomes, context.motoEndpoint);
    // Exactly one outcome: one run of each event's workflow, none started again.
    const runs = new Map<string, number>();
    for await (const execution of client.workflow.list({
      query: `TaskQueue = "${taskQueue}" AND WorkflowType = "eventWorkflow"`,
    })) {
      runs.set(execution.workflowId, (runs.get(execution.workflowId) ?? 0) + 1);
    }
    const repeated = [...runs].filter(([, count]) => count > 1);
    if (repeated.length > 0)
      problems.push(
        `${repeated.length} events ran more than once, e.g. ${repeated[0][0]} (${repeated[0][1]} runs)`,
      );

    const pausedLogs = consumer
      .logLines()
      .filter((line) => String(line.msg).startsWith('Temporal unavailable'));
    return {
      scenario: `Temporal ${size.kind} mid-stream`,
      events: events.length,
      deliveries:
        patientRun.stdout.split('\n').filter(Boolean).length +
        impatientRun.stdout.split('\n').filter(Boolean).length +
        resubmitted.reports.length +
        answers.length +
        streams.get('sqs')!.length,
      faults: {
        [`Temporal ${size.kind} (s)`]: Math.round(size.downMs / 1000),
        'HTTP 503': unavailable.length,
        'starter gave up': GAVE_UP.test(impatientRun.stderr) ? 1 : 0,
        'SQS receiving paused': pausedLogs.length,
        'worker restarts': worker.restarts(),
      },
      outcomes: countBy([...outcomes.values()], (o) => o.outcome),
      iamCalls: proxy.totalRequests(),
      lost: verdict.lost,
      wrongFinalStates: verdict.wrongFinalStates,
      problems: [...problems, ...verdict.problems],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    starters.forEach((starter) => starter.kill());
    server.process.kill('SIGCONT');
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    sqs.destroy();
    await server.stop();
    rmSync(dbDirectory, { recursive: true, force: true });
  }
}
