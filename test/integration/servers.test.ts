// Proves that globalSetup's servers are the real thing: a Temporal dev server that answers gRPC with its
// default namespace, and a moto that serves IAM writes and reads through the AWS SDK.
import {
  CreatePolicyCommand,
  DeletePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { Connection } from '@temporalio/client';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';

describe('servers started by globalSetup', () => {
  test('the Temporal dev server answers and has the default namespace', async () => {
    const connection = await Connection.connect({ address: testTemporalAddress() });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^1\./);

      const listed = await connection.workflowService.listNamespaces({ pageSize: 100 });
      expect(listed.namespaces.map((ns) => ns.namespaceInfo?.name)).toContain('default');

      const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(described.namespaceInfo?.name).toBe('default');
      expect(described.namespaceInfo?.id).toBeTruthy();
    } finally {
      await connection.close();
    }
  });

  test('moto serves IAM: a policy is created and read back', async () => {
    const iam = new IAMClient({
      endpoint: testIamEndpoint(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const policyName = `servers-test-${uniqueSuffix()}`;
    const document = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
      ],
    };
    let arn: string | undefined;
    try {
      const created = await iam.send(
        new CreatePolicyCommand({
          PolicyName: policyName,
          Path: '/iam-policy-events-test/',
          PolicyDocument: JSON.stringify(document),
        }),
      );
      arn = created.Policy?.Arn;
      expect(arn).toMatch(new RegExp(`^arn:aws:iam::\\d{12}:policy/iam-policy-events-test/${policyName}$`));

      const read = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      expect(read.Policy?.PolicyName).toBe(policyName);
      expect(read.Policy?.DefaultVersionId).toBe('v1');

      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
      // Real IAM URL-encodes the document; moto returns it raw. Decode only what is encoded.
      const raw = version.PolicyVersion?.Document ?? '';
      const text = raw.startsWith('{') ? raw : decodeURIComponent(raw);
      expect(JSON.parse(text)).toEqual(document);
    } finally {
      if (arn) await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
      iam.destroy();
    }
  });
});
