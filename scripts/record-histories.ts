// Records histories of the event and policy workflows as a release's code writes them, for
// test/integration/replay.test.ts. Policy workflows are auto-upgraded to each new build (docs/deploying.md),
// so a new build must replay the histories of every release whose policy workflows may still run; event
// workflows are pinned to their build and never replay on another, but their histories are kept too, as
// the proof that the replay check can fail. Record once per release, into a directory named after it.
//
//   npx tsx scripts/record-histories.ts [release]
//       (own dev server and moto; writes test/fixtures/histories/<release>/, default: package.json's version)
import '../src/node-version'; // first: refuses a Node older than 24
import { join } from 'node:path';
import { AttachRolePolicyCommand, CreateRoleCommand, DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { version } from '../package.json';
import { policyWorkflowId } from '../src/domain/ids';
import { deferredDeletionQuery } from '../src/messages/workflow-messages';
import { eventWorkflowId } from '../src/temporal/event-identity';
import { submitEvent, type SubmitOptions } from '../src/starter/submit';
import { deleteEvent, documentAllowing, policyArn, SOURCE, upsertEvent } from '../harness/events';
import { forPolicyNamed, startIamProxy, unavailableForPolicy } from '../harness/iam-proxy';
import { MANAGED_BY, startService, testIamClient } from '../harness/service';
import { startMoto, startTemporal, temporalCliPath } from '../harness/servers';

const release = process.argv[2] ?? version;
if (!/^[\w.-]+$/.test(release)) {
  console.error('usage: npx tsx scripts/record-histories.ts [release]   (a directory name, e.g. 0.1.0)');
  process.exit(2);
}
const OUT = join(__dirname, '../test/fixtures/histories', release);

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const [temporal, moto] = await Promise.all([startTemporal(), startMoto()]);
  const proxy = await startIamProxy(moto.address, { strict: true });
  // A short history limit, so the policy workflow continues as new once during the recording.
  const service = await startService({
    temporalAddress: temporal.address,
    iamEndpoint: proxy.endpoint,
    policyHistoryLimit: 60,
    // Short, so that replay-b's event (IAM failing for a while) gives up waiting and goes by signal.
    delivery: { resultWaitMs: 2_000 },
    // Seconds, so that replay-c's waiting delete checks again a few times while recorded.
    deleteWait: { byDefault: false, maxWaitMs: 60_000, firstCheckMs: 1_000, maxCheckIntervalMs: 2_000 },
  });
  const options: SubmitOptions = {
    client: service.client,
    taskQueue: service.taskQueue,
    wait: true,
    reservedTagKeys: [MANAGED_BY.key],
  };
  // As `temporal workflow show --output json` writes it: the format the SDK's historyFromJSON reads.
  const save = (file: string, workflowId: string, runId?: string) => {
    const json = execFileSync(temporalCliPath(), [
      'workflow',
      'show',
      '--address',
      temporal.address,
      '--workflow-id',
      workflowId,
      ...(runId ? ['--run-id', runId] : []),
      '--output',
      'json',
    ]).toString('utf8');
    writeFileSync(join(OUT, file), json.endsWith('\n') ? json : `${json}\n`);
    const events = (JSON.parse(json) as { events?: unknown[] }).events?.length ?? 0;
    console.log(`${file}: ${events} events of ${workflowId}`);
  };
  try {
    // Policy "replay-a": created, repeated (duplicate), unchanged, a burst (superseded), updated, deleted.
    const created = upsertEvent('replay-a', { sequence: 1 });
    await submitEvent(created, options);
    await submitEvent(created, options);
    await submitEvent(upsertEvent('replay-a', { sequence: 2 }), options);
    // The burst's first event holds the workflow for 1.5 s (a slow GetPolicy), so the others wait behind
    // it and the workflow gathers them (the coalescing window) before applying the newest.
    proxy.addRule({
      action: 'GetPolicy',
      when: forPolicyNamed('replay-a'),
      times: 1,
      respond: async (_, forward) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return forward();
      },
    });
    await Promise.all(
      [3, 4, 5, 6].map((sequence) =>
        submitEvent(
          upsertEvent('replay-a', { sequence, document: documentAllowing([`s3:Get${sequence}`]) }),
          options,
        ),
      ),
    );
    await submitEvent(upsertEvent('replay-a', { sequence: 1, id: 'stale-replay' }), options);
    for (let sequence = 7; sequence <= 12; sequence += 1) {
      await submitEvent(
        upsertEvent('replay-a', { sequence, document: documentAllowing([`s3:Put${sequence}`]) }),
        options,
      );
    }
    await submitEvent(deleteEvent('replay-a', { sequence: 13 }), options);

    // Policy "replay-b": IAM fails GetPolicy for 4 s, so inspectPolicy falls over to an activity and the
    // event workflow, tired of waiting, delivers its event again by signal.
    proxy.addRule(unavailableForPolicy('GetPolicy', 'replay-b'));
    const fallback = upsertEvent('replay-b', { sequence: 1 });
    const fallbackDone = submitEvent(fallback, options);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    proxy.clearRules();
    await fallbackDone;

    // Policy "replay-c": attached to a role, a delete that waits until unused (delete-pending), checked
    // again on a timer while attached, then deleted by the policy workflow once detached.
    const admin = testIamClient(moto.address);
    await submitEvent(upsertEvent('replay-c', { sequence: 1 }), options);
    await admin.send(
      new CreateRoleCommand({
        RoleName: 'replay-c-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const attachment = { RoleName: 'replay-c-role', PolicyArn: policyArn('replay-c') };
    await admin.send(new AttachRolePolicyCommand(attachment));
    const waiting = deleteEvent('replay-c', { sequence: 2 });
    await submitEvent({ ...waiting, data: { ...(waiting.data as object), waitUntilUnused: true } }, options);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await admin.send(new DetachRolePolicyCommand(attachment));
    const policyC = service.client.workflow.getHandle(policyWorkflowId('replay-c'));
    for (let tries = 0; (await policyC.query(deferredDeletionQuery))?.status !== 'deleted'; tries += 1) {
      if (tries > 60) throw new Error('replay-c: the waiting delete did not delete the policy within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const policyA = await service.client.workflow.getHandle(policyWorkflowId('replay-a')).describe();
    const firstRunId = policyA.raw.workflowExecutionInfo?.firstRunId ?? undefined;
    save('policy-workflow-first-run.json', policyWorkflowId('replay-a'), firstRunId);
    save('policy-workflow-continued.json', policyWorkflowId('replay-a'));
    save('policy-workflow-fallback.json', policyWorkflowId('replay-b'));
    save('policy-workflow-deferred-deletion.json', policyWorkflowId('replay-c'));
    save('event-workflow.json', eventWorkflowId(SOURCE, String(created.id)));
    save('event-workflow-fallback.json', eventWorkflowId(SOURCE, String(fallback.id)));
  } finally {
    await service.stop();
    await proxy.close();
    await Promise.all([temporal.stop(), moto.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
