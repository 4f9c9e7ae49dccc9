// Hostile input for the starter: lines that are not JSON, not events, or events IAM would refuse, in
// every shape a property-based generator (fast-check) and a person can think of, mixed with valid
// events. Each bad line must be reported as rejected with its line number and a reason; the valid
// events in the same stream must still be applied; nothing may crash or hang.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { startIamProxy } from '../iam-proxy';
import { startService } from '../service';
import { readEvents } from '../../src/sources/ndjson-input';
import { submitStream } from '../../src/starter/submit-stream';
import type { SubmitReport } from '../../src/starter/submit';
import {
  checkIamState,
  countBy,
  directIam,
  documentFor,
  MANAGED_BY,
  type ScenarioReport,
} from '../scenario-runner';
import { runId, say, type ScenarioContext } from './context';

export interface HostileLine {
  category: string;
  text: string;
}

const DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

function event(
  overrides: Record<string, unknown> = {},
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'hostile',
    source: 'urn:reliability:hostile',
    type: 'iam.policy.upsert',
    sequence: '1',
    data: { policyName: 'hostile-policy', document: DOCUMENT, ...data },
    ...overrides,
  };
}

const line = (category: string) => (value: unknown) => ({ category, text: JSON.stringify(value) });
const nonBlank = (text: string) => text.trim() !== '' && !/[\r\n\u2028\u2029]/.test(text);

/** Characters a policy name may not contain: controls, non-Latin-1, Latin-1 letters, look-alikes. */
const BAD_NAME_CHARACTERS = [
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  'é',
  'Ж',
  '漢',
  '😀',
  '\u202e',
  '\u200b',
  '/',
  ' ',
  '*',
];

/** Every kind of bad line; each is certain to be invalid. */
export const hostileLineArbitrary: fc.Arbitrary<HostileLine> = fc.oneof(
  // A proper prefix of an object's JSON is never valid JSON.
  fc
    .integer({ min: 1, max: JSON.stringify(event()).length - 1 })
    .map((cut) => ({ category: 'truncated JSON', text: JSON.stringify(event()).slice(0, cut) })),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 200 })
    .filter(nonBlank)
    .map((text) => ({ category: 'random text', text })),
  fc
    .constantFrom('null', 'true', '42', '"event"', '[1,2]', '{}', '[]')
    .map((text) => ({ category: 'not an object', text })),
  fc
    .constantFrom<[string, unknown]>(
      ['id', 42],
      ['id', null],
      ['source', { uri: 'x' }],
      ['specversion', 1],
      ['type', ['iam.policy.upsert']],
      ['data', 'policy'],
      ['data', [DOCUMENT]],
      ['sequence', true],
      ['sequence', 1.5],
      ['sequence', -1],
      ['time', 12],
    )
    .map(([field, value]) => line('wrong type')(event({ [field]: value }))),
  fc
    .constantFrom<[string, unknown]>(
      ['policyName', 7],
      ['policyName', ['a']],
      ['tags', ['a']],
      ['tags', { team: 1 }],
      ['description', {}],
      ['path', 3],
    )
    .map(([field, value]) => line('wrong type in data')(event({}, { [field]: value }))),
  fc.constantFrom('specversion', 'id', 'source', 'type', 'data').map((field) => {
    const value = event();
    delete value[field];
    return line('missing field')(value);
  }),
  fc.constantFrom('policyName', 'document').map((field) => {
    const value = event();
    delete (value.data as Record<string, unknown>)[field];
    return line('missing data field')(value);
  }),
  fc
    .tuple(fc.constantFrom(...BAD_NAME_CHARACTERS), fc.nat(10))
    .map(([c, at]) => line('bad character in name')(event({}, { policyName: `p${'x'.repeat(at)}${c}q` }))),
  fc
    .constantFrom('../../etc/', 'etc/passwd', '/a', 'a/', '..', '//x\u0000/', '/é/', '\\', '/ /', '/../\n/')
    .map((path) => line('bad path')(event({}, { path }))),
  fc
    .integer({ min: 257, max: 10_000 })
    .map((length) => line('id too long')(event({ id: 'i'.repeat(length) }))),
  fc
    .integer({ min: 129, max: 1000 })
    .map((length) => line('name too long')(event({}, { policyName: 'n'.repeat(length) }))),
  fc
    .constantFrom('iam.policy.rename', 'iam.policy.UPSERT', 'iam.role.upsert', '', 'com.example.other')
    .map((type) => line('unknown type')(event({ type }))),
  fc
    .constantFrom('12a', '-1', '1e3', '', ' 1', '0x10', '١٢', '12345678901234567890', 'NaN')
    .map((sequence) => line('sequence not a number')(event({ sequence }))),
  fc.constant(line('sequence too large for JSON')(event({ sequence: 2 ** 60 }))),
  fc.constant(
    line('document names a Principal')(
      event({}, { document: { ...DOCUMENT, Statement: [{ ...DOCUMENT.Statement[0], Principal: '*' }] } }),
    ),
  ),
  fc.constant(line('document not JSON')(event({}, { document: '{"Version": "2012-10-17",' }))),
  fc.constant(line('reserved tag')(event({}, { tags: { [MANAGED_BY.key]: 'someone-else' } }))),
);

/** A line over the starter's 256 KiB limit: refused before it is parsed. */
export function hugeLine(): HostileLine {
  return { category: 'huge line', text: JSON.stringify(event({}, { description: 'd'.repeat(300 * 1024) })) };
}

export function sampleHostileLines(count: number, seed: number): HostileLine[] {
  return fc.sample(hostileLineArbitrary, { numRuns: count, seed });
}

export interface StreamLine {
  text: string;
  /** The policy a valid line creates; undefined for a hostile line. */
  validPolicy?: string;
  category: string;
}

/** Valid upserts of fresh policies spread among the hostile lines (a valid event comes first). */
export function mixedStream(run: string, hostile: HostileLine[], valid: number): StreamLine[] {
  const lines: StreamLine[] = hostile.map((h) => ({ text: h.text, category: h.category }));
  for (let i = valid - 1; i >= 0; i -= 1) {
    const policy = `${run}-v${i}`;
    const text = JSON.stringify(
      event(
        { id: `${run}-v${i}`, source: `urn:reliability:${run}` },
        { policyName: policy, document: documentFor(policy, 1) },
      ),
    );
    lines.splice(Math.floor((i * lines.length) / valid), 0, { text, validPolicy: policy, category: 'valid' });
  }
  return lines;
}

/** Problems with the reports of a stream: one per non-blank line, bad lines rejected with their line number. */
export function streamReportProblems(lines: StreamLine[], reports: SubmitReport[]): string[] {
  const problems: string[] = [];
  const byLine = new Map(reports.map((report) => [report.line, report]));
  if (reports.length !== lines.length) problems.push(`${reports.length} reports for ${lines.length} lines`);
  lines.forEach((line, index) => {
    const number = index + 1;
    const report = byLine.get(number);
    if (!report) problems.push(`line ${number} (${line.category}) was not reported`);
    else if (line.validPolicy && report.outcome !== 'created')
      problems.push(`line ${number} (valid) ended ${report.outcome}: ${report.reason ?? ''}`);
    else if (
      !line.validPolicy &&
      (report.outcome !== 'rejected' ||
        !report.reason?.startsWith(`line ${number}: `) ||
        report.reason.length < 20)
    ) {
      problems.push(
        `line ${number} (${line.category}) ended ${report.outcome} with reason ${JSON.stringify(report.reason)}`,
      );
    }
  });
  return problems;
}

export async function hostileStream(
  context: ScenarioContext,
  size: { hostileLines: number; validEvents: number },
): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'hostile');
  const proxy = await startIamProxy(context.motoEndpoint, { strict: true, seed: context.seed });
  const service = await startService({
    iamEndpoint: proxy.endpoint,
    temporalAddress: context.temporalAddress,
  });
  try {
    const hostile = [...sampleHostileLines(size.hostileLines - 1, context.seed), hugeLine()];
    const lines = mixedStream(run, hostile, size.validEvents);
    say(context, `hostile: ${hostile.length} bad lines and ${size.validEvents} valid events in one stream`);
    const reports: SubmitReport[] = [];
    await submitStream(
      readEvents(Readable.from([lines.map((l) => l.text).join('\n')])),
      {
        client: service.client,
        taskQueue: service.taskQueue,
        wait: true,
        concurrency: 8,
        reservedTagKeys: [MANAGED_BY.key],
      },
      (report) => reports.push(report),
    );
    const problems = streamReportProblems(lines, reports);
    const valid = lines.filter((l) => l.validPolicy !== undefined);
    const state = await checkIamState(
      directIam(context.motoEndpoint),
      new Map(
        valid.map((l) => [
          l.validPolicy!.toLowerCase(),
          { exists: true as const, document: documentFor(l.validPolicy!, 1) },
        ]),
      ),
    );
    return {
      scenario: 'hostile input',
      events: valid.length,
      deliveries: lines.length,
      faults: countBy(hostile, (h) => h.category),
      outcomes: countBy(reports, (r) => r.outcome),
      iamCalls: proxy.totalRequests(),
      lost: valid.filter((l) => reports.find((r) => r.line === lines.indexOf(l) + 1)?.outcome !== 'created')
        .length,
      wrongFinalStates: state.wrong,
      problems: [...problems, ...state.problems],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await service.stop();
    await proxy.close();
  }
}
