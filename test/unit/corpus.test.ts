// Every real AWS managed policy document of test/fixtures/corpus (input nobody here wrote), without a
// server: what the worker would decide for it as a create, as a reformatted resubmission of the same
// policy, and what the guardrails refuse.
import { decide, type PolicyObservation } from '../../src/domain/decide';
import { documentsEqual, documentSize } from '../../src/domain/document';
import { MAX_DOCUMENT_SIZE, validatePolicyDocument } from '../../src/domain/document-rules';
import { checkGuardrails, DEFAULT_GUARDRAILS, DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { loadCorpus, reformatted } from '../fixtures/corpus/corpus';

const corpus = loadCorpus();
const upsert = (name: string, document: PolicyDocument): PolicyEvent => ({
  source: 'corpus',
  id: name,
  type: 'iam.policy.upsert',
  policyName: name,
  path: '/',
  document,
});
const present = (name: string, document: PolicyDocument): PolicyObservation => ({
  exists: true,
  guards: DEFAULT_POLICY_GUARDS,
  policy: {
    arn: `arn:aws:iam::123456789012:policy/${name}`,
    name,
    path: '/',
    defaultVersionId: 'v1',
    document,
    tags: {},
    owned: true,
  },
});

test("the corpus: 380 documents, 69 over IAM's size limit", () => {
  expect(corpus).toHaveLength(380);
  expect(corpus.filter((entry) => documentSize(entry.document) > MAX_DOCUMENT_SIZE)).toHaveLength(69);
});

test('every document passes validation apart from the size (IAM accepted them all)', () => {
  const problems = corpus
    .map((entry) => ({
      name: entry.name,
      problems: validatePolicyDocument(entry.document, { checkSize: false }),
    }))
    .filter((entry) => entry.problems.length > 0);
  expect(problems).toEqual([]);
});

test('resubmitted reformatted (keys, statement order, one value or a one-element list): unchanged, whatever its size', () => {
  const notUnchanged = corpus.filter((entry) => {
    const again = reformatted(entry.document);
    expect(documentsEqual(again, entry.document)).toBe(true);
    return decide(upsert(entry.name, again), present(entry.name, entry.document)).kind !== 'none';
  });
  expect(notUnchanged.map((entry) => entry.name)).toEqual([]);
  for (const entry of corpus) {
    expect(
      decide(upsert(entry.name, reformatted(entry.document)), present(entry.name, entry.document)),
    ).toMatchObject({
      outcome: 'unchanged',
    });
  }
});

test('as a create: written when within the size and the guardrails, else rejected naming why', () => {
  const outcomes = { create: 0, size: 0, guardrails: 0 };
  for (const entry of corpus) {
    const decision = decide(upsert(entry.name, entry.document), {
      exists: false,
      guards: DEFAULT_POLICY_GUARDS,
    });
    if (decision.kind === 'create') outcomes.create += 1;
    else if (decision.kind === 'none' && /6144/.test(decision.reason ?? '')) outcomes.size += 1;
    else if (decision.kind === 'none' && /guardrail/.test(decision.reason ?? '')) outcomes.guardrails += 1;
    else throw new Error(`${entry.name}: unexpected ${JSON.stringify(decision)}`);
  }
  expect(outcomes.size).toBe(69);
  expect(outcomes.create + outcomes.size + outcomes.guardrails).toBe(380);
  expect(outcomes.create).toBeGreaterThan(280);
});

test("guardrails: AWS's PassRole-to-named-services statements pass; admin, IAM wildcards and escalations do not", () => {
  const refused = corpus.filter((entry) => checkGuardrails(entry.document, DEFAULT_GUARDRAILS).length > 0);
  // 109 before Conditions were read (78 of them only for iam:PassRole on *); now only the unnarrowed ones.
  expect(refused.length).toBe(37);
  const names = refused.map((entry) => entry.name);
  expect(names).toEqual(expect.arrayContaining(['AdministratorAccess', 'IAMFullAccess']));
  const passRoleOnly = refused.filter((entry) =>
    checkGuardrails(entry.document, DEFAULT_GUARDRAILS).every((v) => v.rule === 'no-pass-any-role'),
  );
  // Every one left has a PassRole statement with no iam:PassedToService condition at all.
  for (const entry of passRoleOnly) {
    const statements = ([] as unknown[]).concat(entry.document.Statement);
    const unnarrowed = statements.filter((s) => !JSON.stringify(s).includes('iam:PassedToService'));
    expect(unnarrowed.length).toBeGreaterThan(0);
  }
});
