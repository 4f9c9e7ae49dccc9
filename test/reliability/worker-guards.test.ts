// The worker process reads its guards from the environment: IAM_GUARDRAILS_FILE (rules from a file)
// and IAM_ADOPT_UNMANAGED (adopt unmanaged policies on upsert); a bad guardrails file stops it at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreatePolicyCommand, GetPolicyCommand } from '@aws-sdk/client-iam';
import { submitEvent } from '../../src/starter/submit';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { documentAllowing, upsertEvent } from '../../harness/events';
import { cliArguments } from '../../harness/entry-points';
import { startWorkerProcess, type WorkerProcess } from '../../harness/worker-process';
import { connectClient, directIam, MANAGED_BY } from '../../harness/scenario-runner';

const REPO = join(__dirname, '..', '..');
const directory = mkdtempSync(join(tmpdir(), 'worker-guards-'));
const moto = directIam(testIamEndpoint());

test('guardrails from IAM_GUARDRAILS_FILE and IAM_ADOPT_UNMANAGED=true are enforced by the worker process', async () => {
  const guardrails = join(directory, 'guardrails.json');
  writeFileSync(guardrails, JSON.stringify({ disable: ['no-assume-any-role'] }));
  const taskQueue = `guards-${uniqueSuffix()}`;
  const client = await connectClient(testTemporalAddress());
  let worker: WorkerProcess | undefined;
  try {
    worker = await startWorkerProcess({
      temporalAddress: testTemporalAddress(),
      taskQueue,
      iamEndpoint: testIamEndpoint(),
      env: { IAM_GUARDRAILS_FILE: guardrails, IAM_ADOPT_UNMANAGED: 'true' },
    });
    const submit = (event: unknown) =>
      submitEvent(event, { client, taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] });
    // Disabled in the file: allowed.
    expect(
      (
        await submit(
          upsertEvent(`guards-assume-${uniqueSuffix()}`, {
            sequence: 1,
            document: documentAllowing(['sts:AssumeRole']),
          }),
        )
      ).outcome,
    ).toBe('created');
    // Still a default rule: refused, naming it.
    const refused = await submit(
      upsertEvent(`guards-pass-${uniqueSuffix()}`, {
        sequence: 1,
        document: documentAllowing(['iam:PassRole']),
      }),
    );
    expect(refused.outcome).toBe('rejected');
    expect(refused.reason).toMatch(/guardrail no-pass-any-role/);
    // Adoption: an unmanaged policy is tagged and updated, and the record says so.
    const name = `guards-adopt-${uniqueSuffix()}`;
    const { Policy: foreign } = await moto.send(
      new CreatePolicyCommand({
        PolicyName: name,
        PolicyDocument: JSON.stringify(documentAllowing(['s3:GetObject'])),
      }),
    );
    const adopted = await submit(
      upsertEvent(name, { sequence: 1, document: documentAllowing(['s3:PutObject']) }),
    );
    expect(adopted.outcome).toBe('updated');
    expect(adopted.result?.actions[0]).toEqual({
      action: 'TagPolicy',
      detail: 'managed-by (adopted an unmanaged policy)',
    });
    expect(adopted.result?.notes).toEqual([expect.stringContaining('was adopted')]);
    const { Policy: after } = await moto.send(new GetPolicyCommand({ PolicyArn: foreign!.Arn! }));
    expect(after?.Tags).toContainEqual({ Key: MANAGED_BY.key, Value: MANAGED_BY.value });
  } finally {
    await worker?.stop();
    await client.connection.close();
  }
}, 120_000);

test('a guardrails file that cannot be parsed stops the worker with status 2, naming the variable', async () => {
  const broken = join(directory, 'broken.json');
  writeFileSync(broken, '{"disable": ["no-such-rule"]}');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, cliArguments('src/worker.ts', []), {
      cwd: REPO,
      env: { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress(), IAM_GUARDRAILS_FILE: broken },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('close', (exitCode) => resolve({ code: exitCode, stderr: text }));
  });
  expect(code).toBe(2);
  expect(stderr).toMatch(/IAM_GUARDRAILS_FILE: .*broken.json: disable: no default rule named no-such-rule/);
}, 60_000);
