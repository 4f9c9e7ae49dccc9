// IAM_GUARDRAILS_FILE and IAM_ADOPT_UNMANAGED: defaults, a valid file, and failures naming the variable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/environment';
import { loadConfig } from '../../src/config/worker';
import { DEFAULT_GUARDRAILS } from '../../src/domain/guardrails';

const dir = mkdtempSync(join(tmpdir(), 'config-guards-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('by default: the default guardrails, adoption off', () => {
  expect(loadConfig({}).guards).toEqual({ guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: false });
});

test('a guardrails file and adoption are read', () => {
  const path = file('ok.json', JSON.stringify({ disable: ['no-principal'] }));
  const { guards } = loadConfig({ IAM_GUARDRAILS_FILE: path, IAM_ADOPT_UNMANAGED: 'true' });
  expect(guards.adoptUnmanaged).toBe(true);
  expect(guards.guardrails.rules.map((rule) => rule.name)).not.toContain('no-principal');
  expect(guards.guardrails.rules).toHaveLength(DEFAULT_GUARDRAILS.rules.length - 1);
});

test.each([
  [
    { IAM_GUARDRAILS_FILE: '/no/such/guardrails.json' },
    /IAM_GUARDRAILS_FILE: cannot read \/no\/such\/guardrails.json/,
  ],
  [{ IAM_GUARDRAILS_FILE: file('bad.json', '{"rules": [1]}') }, /IAM_GUARDRAILS_FILE: .*bad.json: rules.0/],
  [
    { IAM_GUARDRAILS_FILE: file('junk.json', 'rules: []') },
    /IAM_GUARDRAILS_FILE: .*junk.json: not valid JSON/,
  ],
  [{ IAM_ADOPT_UNMANAGED: 'sometimes' }, /IAM_ADOPT_UNMANAGED/],
])('%j stops the process with a message naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});
