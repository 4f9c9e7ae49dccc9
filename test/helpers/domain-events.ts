// Policy events as decide() takes them (validated, the envelope's fields flattened), for unit tests.
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';

export function upsertOf(document: PolicyDocument, overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: '1',
    type: 'iam.policy.upsert',
    policyName: 'Team-A',
    path: '/',
    document,
    ...overrides,
  };
}

export function deletionOf(overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: '2',
    type: 'iam.policy.delete',
    policyName: 'Team-A',
    path: '/',
    ...overrides,
  };
}
