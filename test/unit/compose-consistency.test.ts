// docker-compose.yml cannot be run on the project's machines; it must describe the cluster that
// `npm run cluster` starts and `npm run test:cluster` tests (harness/cluster.ts). These checks keep the
// two from drifting apart: versions, dynamic config, namespace, retention, shards, search attributes,
// two workers with a heap limit.
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { CLUSTER_DEFAULTS, DYNAMIC_CONFIG_FILE } from '../../harness/cluster';
import { MULTI_ACCOUNT_SEARCH_ATTRIBUTES } from '../../src/messages/search-attributes';

const ROOT = join(__dirname, '..', '..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const tools = readFileSync(join(ROOT, 'scripts', 'ensure-cluster-tools.sh'), 'utf8');

function toolsVersion(name: string): string {
  const match = new RegExp(`^${name}=v?(\\S+)$`, 'm').exec(tools);
  if (!match) throw new Error(`no ${name} in scripts/ensure-cluster-tools.sh`);
  return match[1];
}

/** The service block `name:` of docker-compose.yml, up to the next service. */
function service(name: string): string {
  const match = new RegExp(`^  ${name}:.*\\n((?:    .*\\n|\\s*\\n)*)`, 'm').exec(compose);
  if (!match) throw new Error(`no service ${name} in docker-compose.yml`);
  return match[0];
}

test('the same Temporal Server, UI server and PostgreSQL versions as the cluster tools', () => {
  const server = toolsVersion('SERVER_VERSION');
  expect(service('temporal')).toContain(`image: temporalio/auto-setup:${server}\n`);
  expect(service('temporal-setup')).toContain(`image: temporalio/admin-tools:${server}-`);
  expect(service('temporal-ui')).toContain(`image: temporalio/ui:${toolsVersion('UI_SERVER_VERSION')}\n`);
  expect(service('postgresql')).toContain(`image: postgres:${toolsVersion('POSTGRES_MAJOR')}\n`);
});

test("the cluster's dynamic config file, namespace, retention and shard count", () => {
  const temporal = service('temporal');
  const directory = relative(ROOT, join(DYNAMIC_CONFIG_FILE, '..'));
  expect(temporal).toContain(`'./${directory}:/etc/temporal/config/dynamicconfig:ro'`);
  expect(temporal).toContain(
    `DYNAMIC_CONFIG_FILE_PATH: config/dynamicconfig/${basename(DYNAMIC_CONFIG_FILE)}\n`,
  );
  expect(temporal).toContain(`DEFAULT_NAMESPACE: ${CLUSTER_DEFAULTS.namespace}\n`);
  expect(temporal).toContain(`DEFAULT_NAMESPACE_RETENTION: ${CLUSTER_DEFAULTS.retentionDays * 24}h\n`);
  expect(temporal).toContain(`NUM_HISTORY_SHARDS: ${CLUSTER_DEFAULTS.historyShards}\n`);
  expect(compose).toContain(`TEMPORAL_NAMESPACE: ${CLUSTER_DEFAULTS.namespace}\n`);
});

test("the service's search attributes, as Keyword", () => {
  const listed = /for name in ([\w ]+); do/.exec(service('temporal-setup'))?.[1].split(' ');
  expect(listed?.sort()).toEqual(MULTI_ACCOUNT_SEARCH_ATTRIBUTES.map((key) => key.name).sort());
  expect(service('temporal-setup')).toContain('--type Keyword');
});

test('two workers, restarted on failure, with a heap limit', () => {
  expect(service('worker-1')).toMatch(/^ {2}worker-1: \*worker$/m);
  expect(service('worker-2')).toMatch(/^ {2}worker-2: \*worker$/m);
  const worker = /^x-worker: &worker\n((?: {2}.*\n)*)/m.exec(compose)?.[1] ?? '';
  expect(worker).toContain('command: [npx, tsx, src/worker.ts]');
  expect(worker).toContain('restart: on-failure');
  expect(compose).toMatch(/NODE_OPTIONS: --max-old-space-size=\d+/);
});
