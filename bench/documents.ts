// The policy documents of the bench's upserts: `small` (two statements written for the bench) or
// `corpus`, real AWS managed policy documents (test/fixtures/corpus) that the service would write: those
// within IAM's size limit that break none of the default guardrails.
import { documentSizeProblem, upsertDocumentProblem } from '../src/domain/document-rules';
import { checkGuardrails, DEFAULT_GUARDRAILS } from '../src/domain/guardrails';
import type { PolicyDocument } from '../src/domain/types';
import { loadCorpus } from '../test/fixtures/corpus/corpus';

export const DOCUMENT_SETS = ['small', 'corpus'] as const;
export type DocumentSet = (typeof DOCUMENT_SETS)[number];

export function smallDocument(policyName: string, variant: number): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Read',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket', 's3:GetObjectVersion'],
        Resource: [`arn:aws:s3:::${policyName}`, `arn:aws:s3:::${policyName}/v${variant}/*`],
      },
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:123456789012:log-group:/bench/${policyName}:*`,
      },
    ],
  };
}

let writable: PolicyDocument[] | undefined;

/** The corpus documents the service writes as they are, in the corpus's order. */
export function writableCorpusDocuments(): PolicyDocument[] {
  writable ??= loadCorpus()
    .map((entry) => entry.document)
    .filter(
      (document) =>
        !upsertDocumentProblem({ type: 'iam.policy.upsert', document }) &&
        !documentSizeProblem(document) &&
        checkGuardrails(document, DEFAULT_GUARDRAILS).length === 0,
    );
  return writable;
}

/** A stable number for a name (FNV-1a): which corpus document a policy starts from. */
function nameNumber(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Variant `variant` of `policyName`'s document: another variant is another document, the same one the same. */
export function benchDocument(set: DocumentSet, policyName: string, variant: number): PolicyDocument {
  if (set === 'small') return smallDocument(policyName, variant);
  const documents = writableCorpusDocuments();
  return documents[(nameNumber(policyName) + variant) % documents.length];
}
