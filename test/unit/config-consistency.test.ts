import { ConfigError } from '../../src/config/environment';
import { loadIamConfig } from '../../src/config/iam';

test("IAM_CONSISTENCY_WAIT_MS and IAM_VERSION_SWITCH_WAIT_MS reach the worker's guards; absent, the defaults apply", () => {
  expect(
    loadIamConfig({ IAM_CONSISTENCY_WAIT_MS: '5000', IAM_VERSION_SWITCH_WAIT_MS: '2000' }).guards,
  ).toMatchObject({
    consistencyWaitMs: 5000,
    versionSwitchWaitMs: 2000,
  });
  const { guards } = loadIamConfig({});
  expect(guards.consistencyWaitMs).toBeUndefined();
  expect(guards.versionSwitchWaitMs).toBeUndefined();
  expect(loadIamConfig({ IAM_CONSISTENCY_WAIT_MS: '0' }).guards.consistencyWaitMs).toBe(0);
});

test.each([
  ['IAM_CONSISTENCY_WAIT_MS', '-1'],
  ['IAM_CONSISTENCY_WAIT_MS', '900001'],
  ['IAM_VERSION_SWITCH_WAIT_MS', '20001'],
  ['IAM_VERSION_SWITCH_WAIT_MS', 'soon'],
])('%s=%s is refused', (name, value) => {
  expect(() => loadIamConfig({ [name]: value })).toThrow(ConfigError);
});
