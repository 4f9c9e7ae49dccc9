// Guardrails read Conditions where a condition key narrows the risky action: iam:PassRole on * is
// refused unless the statement requires iam:PassedToService to name specific services.
import { checkGuardrails, DEFAULT_GUARDRAILS } from '../../src/domain/guardrails';
import { parseGuardrailConfig } from '../../src/config/guardrails-file';

const passRole = (condition?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      ...(condition ? { Condition: condition } : {}),
      ...extra,
    },
  ],
});
const rules = (document: Record<string, unknown>) =>
  checkGuardrails(document, DEFAULT_GUARDRAILS).map((violation) => violation.rule);

test.each([
  ['StringEquals, one service', { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }],
  [
    'StringEquals, several',
    { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'] } },
  ],
  ['StringLike, a service pattern', { StringLike: { 'iam:PassedToService': 'sagemaker.*.amazonaws.com' } }],
  [
    'the IfExists form (PassRole always carries the key)',
    { StringEqualsIfExists: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  ],
  ['key and operator in another case', { stringequals: { 'IAM:PassedToService': 'ec2.amazonaws.com' } }],
])("AWS's recommended pattern passes: %s", (_, condition) => {
  expect(rules(passRole(condition))).toEqual([]);
});

test.each([
  ['no Condition', undefined],
  ['another key', { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }],
  ['a wildcard that names every service', { StringLike: { 'iam:PassedToService': '*' } }],
  ['one wildcard among the services', { StringLike: { 'iam:PassedToService': ['ec2.amazonaws.com', '*'] } }],
  [
    'a negated operator (every service but one)',
    { StringNotEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  ],
  [
    'ForAllValues (true when the key is absent)',
    { 'ForAllValues:StringEquals': { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  ],
  ['an empty list', { StringEquals: { 'iam:PassedToService': [] } }],
])('a real escalation is still refused: %s', (_, condition) => {
  expect(rules(passRole(condition))).toEqual(['no-pass-any-role']);
});

test('the narrowing is per rule: other risky actions in a narrowed statement are still refused', () => {
  const document = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iam:PassRole', 'iam:CreatePolicyVersion'],
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ],
  };
  expect(rules(document)).toEqual(['no-privilege-escalation']);
});

test('a guardrails file can name narrowing keys for its own rules', () => {
  const config = parseGuardrailConfig(
    JSON.stringify({
      useDefaults: false,
      rules: [
        {
          name: 'no-any-kms-grant',
          kind: 'action',
          description: 'grants on any key',
          actions: ['kms:CreateGrant'],
          match: 'grants',
          resources: 'any',
          narrowedBy: ['kms:ViaService'],
        },
      ],
    }),
  );
  const grant = (condition?: Record<string, unknown>) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: '*',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
  expect(checkGuardrails(grant(), config)).toHaveLength(1);
  expect(
    checkGuardrails(grant({ StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } }), config),
  ).toEqual([]);
});
