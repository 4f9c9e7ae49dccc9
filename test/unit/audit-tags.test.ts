import {
  auditRecord,
  auditTagKey,
  isServiceTagKey,
  maxEventTags,
  parseAuditValue,
  readableAuditValue,
  staleAuditTagKeys,
  versionOfAuditTagKey,
  withoutServiceTags,
} from '../../src/domain/audit-tags';
import { eventAuditValue, eventDigest, eventWorkflowId } from '../../src/temporal/event-identity';

describe('audit tag keys', () => {
  it('name the version under the service prefix and read back', () => {
    expect(auditTagKey('v3')).toBe('iam-policy-events:v3');
    expect(versionOfAuditTagKey('iam-policy-events:v3')).toBe('v3');
    expect(versionOfAuditTagKey('IAM-Policy-Events:v12')).toBe('v12');
    expect(versionOfAuditTagKey('iam-policy-events:v0')).toBeUndefined();
    expect(versionOfAuditTagKey('iam-policy-events:latest')).toBeUndefined();
    expect(versionOfAuditTagKey('team')).toBeUndefined();
  });

  it('are the service own in any case, and left out of the tags events are compared with', () => {
    expect(isServiceTagKey('Iam-Policy-Events:v1')).toBe(true);
    expect(isServiceTagKey('iam-policy-events')).toBe(false);
    expect(
      withoutServiceTags({ team: 'a', 'iam-policy-events:v1': 'src id', 'IAM-POLICY-EVENTS:x': '' }),
    ).toEqual({ team: 'a' });
  });
});

describe('audit tag values', () => {
  it('name the event as "<source> <id>" when that is a valid tag value', () => {
    expect(eventAuditValue('urn:example:access-requests', 'evt-0001')).toBe(
      'urn:example:access-requests evt-0001',
    );
    expect(eventAuditValue('https://hr.example.com/requests', 'ticket 42')).toBe(
      'https://hr.example.com/requests ticket 42',
    );
    expect(parseAuditValue('https://hr.example.com/requests ticket 42')).toEqual({
      source: 'https://hr.example.com/requests',
      id: 'ticket 42',
    });
  });

  it('fall back to the SHA-256 of the pair, the hash that ends long event workflow IDs', () => {
    const cases: [string, string][] = [
      ['https://example.com/q?x=1', 'a'], // '?' is not in IAM's tag alphabet
      ['urn:x', 'id#7'],
      ['source with space', 'id'], // the first space would not separate source and id
      ['urn:x', 'trailing '],
      ['urn:x', 'x'.repeat(300)], // over 256 characters
    ];
    for (const [source, id] of cases) {
      expect(readableAuditValue(source, id)).toBeUndefined();
      const value = eventAuditValue(source, id);
      expect(value).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(parseAuditValue(value)).toEqual({ digest: eventDigest(source, id) });
    }
    const longId = 'y'.repeat(300);
    expect(eventWorkflowId('urn:x', longId).endsWith(`/${eventDigest('urn:x', longId).slice(0, 32)}`)).toBe(
      true,
    );
  });

  it('tell different events apart', () => {
    expect(eventAuditValue('urn:a', 'b c')).not.toBe(eventAuditValue('urn:a b', 'c'));
    expect(eventDigest('a', 'b/c')).not.toBe(eventDigest('a/b', 'c'));
  });

  it('read back no event from a value the service did not write', () => {
    expect(parseAuditValue('nospace')).toBeUndefined();
    expect(parseAuditValue(' leading')).toBeUndefined();
    expect(parseAuditValue('sha256:abc')).toBeUndefined();
  });
});

describe('the audit record', () => {
  const tags = {
    team: 'a',
    'managed-by': 'iam-policy-events',
    'iam-policy-events:v1': 'urn:src evt-1',
    'iam-policy-events:v3': `sha256:${'0'.repeat(64)}`,
    'iam-policy-events:v2': 'garbled',
  };

  it('maps each version to the event named for it', () => {
    expect(auditRecord(tags)).toEqual(
      new Map<string, unknown>([
        ['v1', { source: 'urn:src', id: 'evt-1' }],
        ['v3', { digest: '0'.repeat(64) }],
      ]),
    );
  });

  it('finds the tags of versions that are gone', () => {
    expect(staleAuditTagKeys(tags, ['v3', 'v4'])).toEqual(['iam-policy-events:v1', 'iam-policy-events:v2']);
    expect(staleAuditTagKeys(tags, ['v1', 'v2', 'v3'])).toEqual([]);
  });
});

describe('the tag budget', () => {
  it('keeps the managed-by tag and 5 audit tags within IAM 50', () => {
    expect(maxEventTags(1)).toBe(44);
    expect(maxEventTags(1) + 1 + 5).toBe(50);
  });
});
