// Guardrails: which documents the service refuses to write, why, and how the rules are configured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  checkGuardrails,
  DEFAULT_GUARDRAILS,
  describeViolations,
  globMatches,
  globsIntersect,
} from '../../src/domain/guardrails';
import { GuardrailConfigError, parseGuardrailConfig } from '../../src/config/guardrails-file';
import type { PolicyDocument } from '../../src/domain/types';

function allow(
  action: unknown,
  resource: unknown = '*',
  extra: Record<string, unknown> = {},
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource, ...extra }],
  };
}

const rulesBroken = (document: PolicyDocument) =>
  [...new Set(checkGuardrails(document, DEFAULT_GUARDRAILS).map((v) => v.rule))].sort();

describe('default rules', () => {
  const everything = [
    'no-assume-any-role',
    'no-full-admin',
    'no-iam-wildcard',
    'no-pass-any-role',
    'no-privilege-escalation',
  ];
  test.each([
    ['*', '*', [...everything]],
    ['*:*', 'arn:*', [...everything]],
    ['iam:*', '*', ['no-iam-wildcard', 'no-pass-any-role', 'no-privilege-escalation']],
    ['IAM:*', '*', ['no-iam-wildcard', 'no-pass-any-role', 'no-privilege-escalation']],
    ['i*', '*', ['no-iam-wildcard', 'no-pass-any-role', 'no-privilege-escalation']],
    ['iam:*Policy*', '*', ['no-privilege-escalation']],
    ['iam:createpolicyversion', 'arn:aws:iam::123456789012:policy/x', ['no-privilege-escalation']],
    ['iam:SetDefaultPolicyVersion', '*', ['no-privilege-escalation']],
    ['iam:AttachRolePolicy', '*', ['no-privilege-escalation']],
    ['iam:Attach*', 'arn:aws:iam::123456789012:role/app', ['no-privilege-escalation']],
    ['iam:PutUserPolicy', '*', ['no-privilege-escalation']],
    ['iam:CreateAccessKey', '*', ['no-privilege-escalation']],
    ['iam:UpdateAssumeRolePolicy', '*', ['no-privilege-escalation']],
    ['iam:PassRole', '*', ['no-pass-any-role']],
    ['iam:PassRole', 'arn:aws:iam::123456789012:role/*', ['no-pass-any-role']],
    ['iam:Pass*', 'arn:aws:iam::*:role/*', ['no-pass-any-role']],
    ['sts:AssumeRole', '*', ['no-assume-any-role']],
    ['sts:*', 'arn:aws-cn:iam::*:*', ['no-assume-any-role']],
  ])('Allow %s on %s breaks %j', (action, resource, rules) => {
    expect(rulesBroken(allow(action, resource))).toEqual(rules);
  });

  test.each([
    ['s3:GetObject', '*'],
    ['s3:*', '*'],
    ['*', 'arn:aws:s3:::reports/*'],
    ['iam:Get*', '*'],
    ['iam:List*', '*'],
    ['iam:PassRole', 'arn:aws:iam::123456789012:role/app-*'],
    ['sts:AssumeRole', 'arn:aws:iam::123456789012:role/reader'],
    ['ec2:Describe*', '*'],
    [
      ['s3:GetObject', 's3:ListBucket'],
      ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
    ],
  ])('Allow %j on %j is fine', (action, resource) => {
    expect(rulesBroken(allow(action, resource))).toEqual([]);
  });

  test('a Deny never breaks an action rule; NotAction with Allow and a Principal do', () => {
    expect(
      rulesBroken({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }),
    ).toEqual([]);
    const notAction: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::b' }],
    };
    expect(rulesBroken(notAction)).toEqual(['no-allow-not-action']);
    expect(rulesBroken(allow('s3:GetObject', '*', { Principal: '*' }))).toEqual(['no-principal']);
  });

  test('NotResource counts as every resource', () => {
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', NotResource: 'arn:aws:iam::1:role/admin' }],
    };
    expect(rulesBroken(document)).toEqual(['no-pass-any-role']);
  });

  test('a document the rules cannot read is refused (fail-closed)', () => {
    expect(rulesBroken({ Version: '2012-10-17', Statement: ['oops'] })).toEqual(['readable-document']);
    expect(rulesBroken(allow(42))).toEqual(['readable-document']);
  });

  test('the reason names the rule, the statement, the action and the resource', () => {
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Action: ['s3:PutObject', 'iam:*Policy*'], Resource: '*' },
      ],
    };
    expect(describeViolations(checkGuardrails(document, DEFAULT_GUARDRAILS))).toBe(
      'refused by a guardrail: guardrail no-privilege-escalation: Statement[1] allows "iam:*Policy*" ' +
        '(grants iam:CreatePolicyVersion) on "*": grants an action that lets a principal raise its own privileges',
    );
  });
});

describe('wildcard patterns', () => {
  const brute = (a: string, b: string) => {
    // Both patterns use letters a and b only: a common text, if any, exists over {a, b} within 8 letters.
    const texts = [''];
    for (let length = 1; length <= 8; length += 1) {
      for (let n = 0; n < 2 ** length; n += 1)
        texts.push(n.toString(2).padStart(length, '0').replace(/0/g, 'a').replace(/1/g, 'b'));
    }
    return texts.some((text) => globMatches(a, text) && globMatches(b, text));
  };
  const patternArb = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 4 }).map((cs) => cs.join(''));

  test('globsIntersect agrees with an exhaustive search, and is symmetric', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (a, b) => {
        expect(globsIntersect(a, b)).toBe(brute(a, b));
        expect(globsIntersect(b, a)).toBe(globsIntersect(a, b));
      }),
      { numRuns: 400 },
    );
  });

  test('globMatches agrees with a regular expression built from the pattern', () => {
    const textArb = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 8 }).map((cs) => cs.join(''));
    const wide = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 7 }).map((cs) => cs.join(''));
    const asRegExp = (pattern: string) =>
      new RegExp(
        `^${[...pattern].map((c) => (c === '*' ? '[^]*' : c === '?' ? '[^]' : c.replace(/[*?]/g, '\\$&'))).join('')}$`,
      );
    fc.assert(
      fc.property(wide, textArb, (pattern, text) => {
        expect(globMatches(pattern, text)).toBe(asRegExp(pattern).test(text));
      }),
      { numRuns: 2000 },
    );
  });

  test('globMatches: * any run, ? one character, everything else literally', () => {
    expect(globMatches('iam:*Policy*', 'iam:CreatePolicyVersion')).toBe(true);
    expect(globMatches('iam:?ut*', 'iam:PutRolePolicy')).toBe(true);
    expect(globMatches('iam:Put', 'iam:PutRolePolicy')).toBe(false);
    expect(globMatches('', '')).toBe(true);
    expect(globMatches('*', '')).toBe(true);
  });
});

describe('configuration file', () => {
  test('defaults apply to an empty file; rules can be disabled, replaced and added', () => {
    expect(parseGuardrailConfig('{}')).toEqual(DEFAULT_GUARDRAILS);
    const config = parseGuardrailConfig(
      JSON.stringify({
        disable: ['no-assume-any-role'],
        rules: [
          {
            name: 'no-pass-any-role',
            kind: 'action',
            description: 'PassRole only to app roles',
            actions: ['iam:PassRole'],
            match: 'grants',
            resources: { reaching: ['arn:aws:iam::*:role/admin*'] },
          },
          {
            name: 'no-kms-delete',
            kind: 'action',
            description: 'keys are not deleted through this service',
            actions: ['kms:ScheduleKeyDeletion'],
            match: 'grants',
            resources: 'any',
          },
        ],
      }),
    );
    const names = config.rules.map((rule) => rule.name);
    expect(names).not.toContain('no-assume-any-role');
    expect(names.filter((name) => name === 'no-pass-any-role')).toHaveLength(1);
    const broken = (d: PolicyDocument) => checkGuardrails(d, config).map((v) => v.rule);
    expect(broken(allow('sts:AssumeRole'))).toEqual([]);
    expect(broken(allow('kms:*', 'arn:aws:kms:eu-west-1:123456789012:key/k'))).toEqual(['no-kms-delete']);
    expect(broken(allow('iam:PassRole', 'arn:aws:iam::123456789012:role/app'))).toEqual([]);
    expect(broken(allow('iam:PassRole', 'arn:aws:iam::123456789012:role/administrator'))).toEqual([
      'no-pass-any-role',
    ]);
    expect(parseGuardrailConfig('{"useDefaults": false}')).toEqual({ rules: [] });
  });

  test.each([
    ['not json', /not valid JSON/],
    ['{"disable": ["no-such-rule"]}', /no default rule named no-such-rule/],
    ['{"rules": [{"name": "x", "kind": "action"}]}', /rules\.0\.description/],
    ['{"extra": true}', /Unrecognized key/],
    ['{"rules": [{"name": "Bad Name", "kind": "principal", "description": "d"}]}', /lower-case/],
    [
      '{"rules": [{"name": "a", "kind": "principal", "description": "d"}, {"name": "a", "kind": "principal", "description": "d"}]}',
      /a defined twice/,
    ],
  ])('%s is refused', (text, message) => {
    expect(() => parseGuardrailConfig(text)).toThrow(GuardrailConfigError);
    expect(() => parseGuardrailConfig(text)).toThrow(message);
  });
});

test('the example configuration (config/guardrails.example.json) is valid and does what it says', () => {
  const config = parseGuardrailConfig(
    readFileSync(join(__dirname, '..', '..', 'config', 'guardrails.example.json'), 'utf8'),
  );
  const names = config.rules.map((rule) => rule.name);
  expect(names).not.toContain('no-assume-any-role');
  expect(names).toContain('no-key-deletion');
  const broken = (document: PolicyDocument) => checkGuardrails(document, config).map((v) => v.rule);
  expect(broken(allow('sts:AssumeRole'))).toEqual([]);
  expect(broken(allow('iam:PassRole', 'arn:aws:iam::123456789012:role/app-worker'))).toEqual([]);
  expect(broken(allow('iam:PassRole', 'arn:aws:iam::123456789012:role/administrators'))).toEqual([
    'no-pass-any-role',
  ]);
  expect(broken(allow('kms:*', 'arn:aws:kms:eu-west-1:123456789012:key/k'))).toEqual(['no-key-deletion']);
});
