import fc from 'fast-check';
import { eventWorkflowId, payloadHash, policyWorkflowId } from '../../src/temporal/event-identity';
import type { PolicyEvent } from '../../src/domain/types';

const event: PolicyEvent = {
  source: 'urn:example:access-requests',
  id: 'evt-0001',
  type: 'iam.policy.upsert',
  sequence: '1',
  policyName: 'reports-read',
  path: '/',
  document: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
  },
  tags: { team: 'analytics', owner: 'data' },
};

describe('eventWorkflowId', () => {
  it('is readable and deterministic', () => {
    expect(eventWorkflowId('urn:example:access-requests', 'evt-0001')).toBe(
      'event/urn:example:access-requests/evt-0001',
    );
    expect(eventWorkflowId('a', 'b')).toBe(eventWorkflowId('a', 'b'));
  });

  it('keeps pairs apart that a plain join would merge', () => {
    expect(eventWorkflowId('a/b', 'c')).not.toBe(eventWorkflowId('a', 'b/c'));
    expect(eventWorkflowId('a%2Fb', 'c')).not.toBe(eventWorkflowId('a/b', 'c'));
    expect(eventWorkflowId('a/b', 'c')).toBe('event/a%2Fb/c');
    expect(eventWorkflowId('\uD800', 'x')).not.toBe(eventWorkflowId('\uD801', 'x'));
  });

  it('stays within 200 characters for the longest source and id, and stays unique', () => {
    const source = 's'.repeat(512);
    const id = 'i'.repeat(256);
    const long = eventWorkflowId(source, id);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long).toBe(eventWorkflowId(source, id));
    expect(long.startsWith(`event/${'s'.repeat(60)}…/${'i'.repeat(60)}…/`)).toBe(true);
    expect(eventWorkflowId(source, `${'i'.repeat(255)}j`)).not.toBe(long);
  });

  it('never cuts a surrogate pair in half when shortening', () => {
    const long = eventWorkflowId('😀'.repeat(300), 'x');
    expect(Array.from(long).length).toBeLessThanOrEqual(200);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(long)).toBe(false);
  });

  it('is injective and bounded for any pair (property)', () => {
    const part = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', '/', '%', '2', 'F', '…', '😀'), maxLength: 8 }),
      fc.string({ maxLength: 600 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    const codePoints = (text: string) => Array.from(text).length;
    fc.assert(
      fc.property(part, part, part, part, (s1, i1, s2, i2) => {
        fc.pre(s1 !== s2 || i1 !== i2);
        expect(eventWorkflowId(s1, i1)).not.toBe(eventWorkflowId(s2, i2));
        expect(codePoints(eventWorkflowId(s1, i1))).toBeLessThanOrEqual(200);
      }),
    );
  });
});

describe('policyWorkflowId', () => {
  it('puts names differing only in case into one workflow', () => {
    expect(policyWorkflowId('Team-A')).toBe('policy/team-a');
    expect(policyWorkflowId('team-a')).toBe(policyWorkflowId('TEAM-A'));
  });
});

describe('payloadHash', () => {
  it('is a sha256 hex digest and deterministic', () => {
    expect(payloadHash(event)).toMatch(/^[0-9a-f]{64}$/);
    expect(payloadHash(event)).toBe(payloadHash(structuredClone(event)));
  });

  it('is the same for a redelivery with reordered keys and lists', () => {
    const reordered: PolicyEvent = {
      tags: { owner: 'data', team: 'analytics' },
      document: {
        Statement: { Resource: ['*'], Action: ['s3:ListBucket', 's3:GetObject'], Effect: 'Allow' },
        Version: '2012-10-17',
      },
      path: '/',
      policyName: 'reports-read',
      sequence: '1',
      type: 'iam.policy.upsert',
      id: 'evt-0001',
      source: 'urn:example:access-requests',
    };
    expect(payloadHash(reordered)).toBe(payloadHash(event));
  });

  it('differs when the content differs', () => {
    const statement = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' };
    const variants: PolicyEvent[] = [
      { ...event, document: { ...event.document, Statement: [statement] } },
      { ...event, sequence: '2' },
      { ...event, tags: { team: 'analytics' } },
      { ...event, tags: undefined },
      { ...event, path: '/teams/' },
      { ...event, description: 'x' },
      { ...event, type: 'iam.policy.delete', document: undefined },
    ];
    const hashes = new Set([payloadHash(event), ...variants.map(payloadHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});
