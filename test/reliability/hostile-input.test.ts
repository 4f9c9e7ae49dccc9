// Scenario 7: hostile input. The starter (library and CLI) reports every bad line with its line number
// and a reason, never crashes or hangs, and still applies the valid events of the same stream; the
// worker rejects hostile events that bypass the starter and keeps working.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { validateEvent } from '../../src/sources/event-validation';
import type { PolicyEvent } from '../../src/domain/types';
import { eventWorkflowId, payloadHash } from '../../src/temporal/event-identity';
import { readEvents, type InputItem } from '../../src/sources/ndjson-input';
import type { eventWorkflow } from '../../src/workflows/event-workflow';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { policiesNamed } from '../../harness/events';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { startService, type RunningService } from '../../harness/service';
import { directIam, documentFor, MANAGED_BY, runStarterCli } from '../../harness/scenario-runner';
import { expectClean } from './report-check';
import {
  hostileLineArbitrary,
  hostileStream,
  hugeLine,
  mixedStream,
  sampleHostileLines,
  streamReportProblems,
} from '../../harness/scenarios/hostile';

const seed = seedFromEnvironment();

async function readAll(text: string): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of readEvents(Readable.from([text]))) items.push(item);
  return items;
}

describe('without servers: the reader and validation over generated streams', () => {
  test(`every hostile line is refused with a reason, every valid one passes, line numbers hold (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileLineArbitrary, { minLength: 1, maxLength: 12 }),
        fc.nat(4),
        async (hostile, valid) => {
          const lines = mixedStream('prop', hostile, valid + 1);
          const items = await readAll(lines.map((l) => l.text).join('\n'));
          expect(items.map((item) => item.line)).toEqual(lines.map((_, index) => index + 1));
          items.forEach((item, index) => {
            const verdict =
              'error' in item
                ? { ok: false as const, reason: item.error }
                : validateEvent(item.value, { reservedTagKeys: [MANAGED_BY.key] });
            if (lines[index].validPolicy) expect(verdict.ok).toBe(true);
            else {
              expect(verdict.ok).toBe(false);
              if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(10);
            }
          });
        },
      ),
      { numRuns: 150, seed },
    );
  });

  test('a line over 256 KiB is refused by its size, before it is parsed', async () => {
    const [item] = await readAll(hugeLine().text);
    expect(item).toEqual({
      line: 1,
      error: expect.stringMatching(/^line is \d+ bytes, over the limit of 262144$/),
    });
  });
});

describe('with the service', () => {
  let proxy: IamProxy;
  let service: RunningService;
  beforeAll(async () => {
    proxy = await startIamProxy(testIamEndpoint(), { strict: true });
    service = await startService({ iamEndpoint: proxy.endpoint });
  });
  afterAll(async () => {
    await service?.stop();
    await proxy?.close();
  });

  test(`the library: 40 generated bad lines among 8 valid events, one stream (seed ${seed})`, async () => {
    const report = await hostileStream(
      { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
      { hostileLines: 40, validEvents: 8 },
    );
    expectClean(report);
    expect(report.outcomes).toEqual({ created: 8, rejected: 40 });
  }, 180_000);

  test('the CLI: every kind of bad line once, a huge line among them, valid events still applied', async () => {
    const run = `cli-hostile-${uniqueSuffix()}`;
    // One of each category (sampled until all are seen), then the huge line.
    const byCategory = new Map<string, string>();
    for (const line of sampleHostileLines(400, seed))
      if (!byCategory.has(line.category)) byCategory.set(line.category, line.text);
    const hostile = [...byCategory].map(([category, text]) => ({ category, text }));
    // Every category of harness/scenarios/hostile.ts (a too-large document is the worker's to refuse: see below).
    expect(hostile.length).toBeGreaterThanOrEqual(17);
    const lines = mixedStream(run, [...hostile, hugeLine()], 3);
    const started = Date.now();
    const result = await runStarterCli(
      lines.map((l) => l.text),
      { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: service.taskQueue },
      ['--wait'],
      120_000,
    );
    expect(result.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const reports = result.reports.map((r) => ({
      ...r,
      line: Number(r.line),
      outcome: String(r.outcome),
    })) as unknown as Parameters<typeof streamReportProblems>[1];
    expect(streamReportProblems(lines, reports)).toEqual([]);
    const moto = directIam(testIamEndpoint());
    for (const line of lines.filter((l) => l.validPolicy))
      expect(await policiesNamed(moto, line.validPolicy!)).toHaveLength(1);
  }, 180_000);

  test('hostile events that bypass the starter are rejected by the worker, which keeps working', async () => {
    proxy.clearRequests();
    const run = `direct-${uniqueSuffix()}`;
    const base: PolicyEvent = {
      source: `urn:reliability:${run}`,
      id: '',
      type: 'iam.policy.upsert',
      policyName: '',
      path: '/',
      sequence: '1',
      document: documentFor(run, 1),
    };
    const hostile: [string, Partial<PolicyEvent>, RegExp][] = [
      [
        'a Principal in the document',
        {
          document: {
            ...documentFor(run, 1),
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Principal: '*' }],
          },
        },
        /Principal/,
      ],
      [
        'a guardrail breach',
        {
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
          },
        },
        /guardrail no-iam-wildcard/,
      ],
      [
        // Too large for IAM: the starter passes it (the same content may be unchanged, and the size that
        // counts is that of the form written), the worker refuses it before writing.
        'a document over 6,144 characters',
        {
          document: {
            ...documentFor(run, 1),
            Statement: [
              { Effect: 'Allow', Action: Array.from({ length: 700 }, (_, i) => `s3:Get${i}`), Resource: '*' },
            ],
          },
        },
        /IAM allows at most 6144/,
      ],
      ['no document', { document: undefined }, /no document/],
      [
        'a document that is not an object',
        { document: 'text' as unknown as PolicyEvent['document'] },
        /JSON object/,
      ],
    ];
    const results = await Promise.all(
      hostile.map(async ([what, overrides], index) => {
        const event: PolicyEvent = { ...base, id: `h${index}`, policyName: `${run}-h${index}`, ...overrides };
        const handle = await service.client.workflow.start<typeof eventWorkflow>('eventWorkflow', {
          workflowId: eventWorkflowId(event.source, event.id),
          taskQueue: service.taskQueue,
          args: [{ event, payloadHash: payloadHash(event) }],
          memo: { payloadHash: payloadHash(event) },
        });
        return { what, result: await handle.result() };
      }),
    );
    results.forEach(({ what, result }, index) => {
      expect({ what, outcome: result.outcome }).toEqual({ what, outcome: 'rejected' });
      expect(result.reason).toMatch(hostile[index][2]);
    });
    expect(proxy.count('CreatePolicy')).toBe(0);
    // Still working: a valid event after them is applied.
    const valid: PolicyEvent = { ...base, id: 'valid', policyName: `${run}-valid` };
    const handle = await service.client.workflow.start<typeof eventWorkflow>('eventWorkflow', {
      workflowId: eventWorkflowId(valid.source, valid.id),
      taskQueue: service.taskQueue,
      args: [{ event: valid, payloadHash: payloadHash(valid) }],
      memo: { payloadHash: payloadHash(valid) },
    });
    expect((await handle.result()).outcome).toBe('created');
  }, 120_000);
});
