// PostgreSQL visibility holds a custom Keyword in VARCHAR(255): a longer value makes the history
// service log "value too long" for ever and the workflow never appears in listings. Events with a
// `source` longer than that (the contract allows 512 characters) are listed on the real cluster under
// the fitted EventSource value, by the Temporal API and by the Web UI server alike.
import type { LocalCluster } from '../../harness/cluster';
import { clusterIamEndpoint, testCluster } from '../helpers/cluster-env';
import { uniqueSuffix } from '../../harness/env';
import { sleep } from '../../harness/scenario-runner';
import { startService, type RunningService } from '../../harness/service';
import { EVENT_SOURCE, keywordValue } from '../../src/messages/search-attributes';
import { submitEvent } from '../../src/starter/submit';
import { readFileSync } from 'node:fs';

let cluster: LocalCluster;
let service: RunningService;

beforeAll(async () => {
  cluster = await testCluster();
  service = await startService({ temporalAddress: cluster.address, iamEndpoint: clusterIamEndpoint() });
}, 120_000);

afterAll(async () => {
  await service?.stop();
});

/** The workflow IDs a visibility query lists, asked until `want` is among them or 30 s passed. */
async function listedUntil(query: string, want: string): Promise<string[]> {
  let ids: string[] = [];
  for (let attempt = 0; attempt < 30 && !ids.includes(want); attempt += 1) {
    if (attempt > 0) await sleep(1000);
    ids = [];
    for await (const execution of service.client.workflow.list({ query })) ids.push(execution.workflowId);
  }
  return ids;
}

test.each([
  ['300 ASCII characters', 's'.repeat(300)],
  ['300 emoji', '😀'.repeat(300)],
])(
  'a source of %s is listed in PostgreSQL visibility by its fitted value',
  async (_name, long) => {
    const source = `urn:cluster:${uniqueSuffix()}:${long}`;
    const event = {
      specversion: '1.0',
      id: `long-source-${uniqueSuffix()}`,
      source,
      type: 'iam.policy.upsert',
      data: {
        policyName: `long-source-${uniqueSuffix()}`,
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        },
      },
    };
    const report = await submitEvent(event, service.submitOptions());
    expect(report.outcome).toBe('created');
    const fitted = keywordValue(source);
    expect(Array.from(fitted).length).toBeLessThanOrEqual(255);
    expect(fitted).not.toBe(source);

    const query = `EventSource = "${fitted}" AND Outcome = "created"`;
    expect(await listedUntil(query, report.workflowId!)).toEqual([report.workflowId]);
    const described = await service.client.workflow.getHandle(report.workflowId!).describe();
    expect(described.typedSearchAttributes.get(EVENT_SOURCE)).toBe(fitted);

    // The Web UI server lists it too (its HTTP API, which the UI's workflow list calls).
    const response = await fetch(
      `${cluster.uiUrl}/api/v1/namespaces/${cluster.namespace}/workflows?query=${encodeURIComponent(query)}`,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { executions?: { execution?: { workflowId?: string } }[] };
    expect((body.executions ?? []).map((execution) => execution.execution?.workflowId)).toEqual([
      report.workflowId,
    ]);

    expect(readFileSync(cluster.logFile('history'), 'utf8')).not.toMatch(/value too long/);
  },
  120_000,
);
