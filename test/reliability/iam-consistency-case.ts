// What the iam-consistency test files share: the service against the strict IAM proxy whose reads answer
// the state from before the latest write for LAG_MS (its lagging replicas), moto directly, and a client
// of someone else's through the proxy. Two files, so that jest runs their waits side by side.
import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import { testIamEndpoint } from '../../harness/env';
import { policyArn, versionsOf } from '../../harness/events';
import { directIam } from '../../harness/scenario-runner';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startService, type RunningService } from '../../harness/service';

/** Longer than a few events take one after another, far shorter than the workflow's wait bound. */
export const LAG_MS = 2_500;

export interface ConsistencyClients {
  proxy: IamProxy;
  /** moto directly: what IAM holds, without lag. */
  moto: IAMClient;
  /** Requests of someone else, through the proxy: IAM's reads show them late too. */
  proxied: IAMClient;
}

/** Registers the proxy and the service with jest; `clients()` is valid from the test file's beforeAll on. */
export function iamConsistencySetup() {
  let clients: ConsistencyClients | undefined;
  let service: RunningService | undefined;

  beforeAll(async () => {
    const proxy = await startIamProxy(testIamEndpoint(), { strict: true, consistency: { lagMs: LAG_MS } });
    service = await startService({ iamEndpoint: proxy.endpoint });
    clients = { proxy, moto: directIam(testIamEndpoint()), proxied: directIam(proxy.endpoint) };
  });

  afterAll(async () => {
    await service?.stop();
    await clients?.proxy.close();
  });

  const started = (): ConsistencyClients => {
    if (!clients || !service) throw new Error('iamConsistencySetup: used before its beforeAll');
    return clients;
  };

  const submit = (event: unknown): Promise<SubmitReport> => {
    if (!service) throw new Error('iamConsistencySetup: used before its beforeAll');
    return submitEvent(event, service.submitOptions());
  };

  async function tagsOf(name: string): Promise<Record<string, string>> {
    const { Policy: policy } = await started().moto.send(
      new GetPolicyCommand({ PolicyArn: policyArn(name) }),
    );
    return Object.fromEntries((policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  }

  async function documentsOfVersions(
    arn: string,
  ): Promise<{ id: string; isDefault: boolean; doc: unknown }[]> {
    const versions = await versionsOf(started().moto, arn);
    return Promise.all(
      versions.map(async (version) => {
        const { PolicyVersion } = await started().moto.send(
          new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version.VersionId }),
        );
        return {
          id: version.VersionId ?? '',
          isDefault: version.IsDefaultVersion === true,
          doc: JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? '')) as unknown,
        };
      }),
    );
  }

  return { clients: started, submit, tagsOf, documentsOfVersions };
}
