// A sample of the real AWS managed policy documents (test/fixtures/corpus) through the worker, against
// moto behind the strict IAM proxy: created; resubmitted reformatted, unchanged with no write; changed,
// updated. The whole corpus is decided without a server in test/unit/corpus.test.ts.
import { documentsEqual, documentSize } from '../../src/domain/document';
import { MAX_DOCUMENT_SIZE } from '../../src/domain/document-rules';
import { checkGuardrails, DEFAULT_GUARDRAILS } from '../../src/domain/guardrails';
import type { PolicyDocument } from '../../src/domain/types';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { defaultDocument, policyArn, upsertEvent } from '../../harness/events';
import { forPolicyNamed, startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startService, testIamClient, type RunningService } from '../../harness/service';
import { loadCorpus, reformatted } from '../fixtures/corpus/corpus';

/** Documents per run: the file interleaves its kinds, so its first ones vary. */
const SAMPLE = 12;

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

const submit = (event: unknown): Promise<SubmitReport> => submitEvent(event, service.submitOptions());

const writable = loadCorpus().filter(
  (entry) =>
    !entry.features.includes('emulator-refuses') &&
    documentSize(entry.document) <= MAX_DOCUMENT_SIZE &&
    checkGuardrails(entry.document, DEFAULT_GUARDRAILS).length === 0,
);
const sample = writable.filter((entry) => documentSize(entry.document) < 5_000).slice(0, SAMPLE);

/** Another policy: one statement more, or for a large document one fewer. */
function changed(document: PolicyDocument): PolicyDocument {
  const statements = ([] as unknown[]).concat(document.Statement);
  const extra = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::corpus-change/*' };
  return {
    ...document,
    Statement:
      documentSize(document) >= 5_000 && statements.length > 1 ? statements.slice(1) : [...statements, extra],
  };
}

test(`${SAMPLE} real documents round-trip: created, unchanged when reformatted, updated on a change`, async () => {
  expect(sample).toHaveLength(SAMPLE);
  const failures = (
    await Promise.all(
      sample.map(async (entry) => {
        const name = `corpus-${entry.name.slice(0, 40)}-${uniqueSuffix()}`;
        const outcomes = [
          (await submit(upsertEvent(name, { sequence: 1, document: entry.document }))).outcome,
          (
            await submit(
              upsertEvent(name, {
                sequence: 2,
                document: reformatted(entry.document),
              }),
            )
          ).outcome,
        ];
        // Nothing written for the policy's ARN before the change (CreatePolicy names it otherwise).
        const writesBefore = proxy.requests.filter(
          (r) => /^(Create|Delete|Set|Tag|Untag)/.test(r.action) && forPolicyNamed(name)(r.params),
        ).length;
        outcomes.push(
          (await submit(upsertEvent(name, { sequence: 3, document: changed(entry.document) }))).outcome,
        );
        const stored = await defaultDocument(testIamClient(), policyArn(name));
        const ok =
          outcomes.join() === 'created,unchanged,updated' &&
          writesBefore === 0 &&
          documentsEqual(stored, changed(entry.document));
        return ok
          ? undefined
          : `${entry.name}: ${outcomes.join(', ')}; writes before the change ${writesBefore}`;
      }),
    )
  ).filter((failure) => failure !== undefined);
  expect(failures).toEqual([]);
}, 180_000);
