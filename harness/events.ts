// Builders for CloudEvents and small IAM look-ups used by the end-to-end tests.
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { decodePolicyDocument } from '../src/domain/document';
import { ACCOUNT_ID } from './service';

export const SOURCE = 'urn:test:iam-policy-events';

export function documentAllowing(actions: string[], resource = '*'): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
  };
}

let counter = 0;
// Test files run in several processes against one dev server, each with its own counter: the process's
// own tag keeps two of them from making the same ID in the same millisecond (then the same event
// workflow ID: a `conflict`, seen once in CI).
const PROCESS_TAG = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
export function nextId(prefix = 'evt'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${PROCESS_TAG}-${counter}`;
}

export function upsertEvent(
  policyName: string,
  options: {
    id?: string;
    sequence?: number;
    document?: unknown;
    path?: string;
    tags?: Record<string, string>;
  } = {},
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: options.id ?? nextId(),
    source: SOURCE,
    type: 'iam.policy.upsert',
    ...(options.sequence !== undefined ? { sequence: String(options.sequence) } : {}),
    data: {
      policyName,
      ...(options.path ? { path: options.path } : {}),
      document: options.document ?? documentAllowing(['s3:GetObject']),
      ...(options.tags ? { tags: options.tags } : {}),
    },
  };
}

export function deleteEvent(
  policyName: string,
  options: { id?: string; sequence?: number; path?: string } = {},
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: options.id ?? nextId(),
    source: SOURCE,
    type: 'iam.policy.delete',
    ...(options.sequence !== undefined ? { sequence: String(options.sequence) } : {}),
    data: { policyName, ...(options.path ? { path: options.path } : {}) },
  };
}

export function policyArn(name: string, path = '/'): string {
  return `arn:aws:iam::${ACCOUNT_ID}:policy${path}${name}`;
}

/** Every local policy whose name equals `name` ignoring case (moto allows several; real IAM one). */
export async function policiesNamed(iam: IAMClient, name: string) {
  const found = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListPoliciesCommand({ Scope: 'Local', Marker: marker }));
    found.push(...(page.Policies ?? []).filter((p) => p.PolicyName?.toLowerCase() === name.toLowerCase()));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return found;
}

export async function versionsOf(iam: IAMClient, arn: string) {
  const page = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
  return page.Versions ?? [];
}

export async function defaultDocument(iam: IAMClient, arn: string): Promise<Record<string, unknown>> {
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const version = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy!.DefaultVersionId! }),
  );
  return decodePolicyDocument(version.PolicyVersion!.Document!);
}
