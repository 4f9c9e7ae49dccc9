// The Temporal Web UI as the operator's console, in a real browser (Debian's Chromium driven by
// playwright-core): a search by PolicyName lists the policy's event workflows with their outcomes.
// Its own dev server, with the UI on (global-setup's is headless). Screenshot: test-artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { ROOT } from '../../harness/cli';
import { uniqueSuffix } from '../../harness/env';
import { deleteEvent, documentAllowing, upsertEvent } from '../../harness/events';
import { freePort, startTemporal, type RunningServer } from '../../harness/servers';
import { MANAGED_BY, startService, type RunningService } from '../../harness/service';
import { until } from '../helpers/until';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');

let temporal: RunningServer;
let service: RunningService;
let browser: Browser;
let uiUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: apt-get install chromium (scripts/ensure-tools.sh does it as root), or set CHROMIUM_PATH`,
    );
  }
  const uiPort = await freePort();
  uiUrl = `http://127.0.0.1:${uiPort}`;
  temporal = await startTemporal({ uiPort });
  [service, browser] = await Promise.all([
    startService({ temporalAddress: temporal.address }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await temporal?.stop();
});

test('searching PolicyName = "…" shows the policy’s event workflows and their outcomes', async () => {
  const name = `ui-${uniqueSuffix()}`;
  const options: SubmitOptions = {
    client: service.client,
    taskQueue: service.taskQueue,
    wait: true,
    reservedTagKeys: [MANAGED_BY.key],
  };
  expect((await submitEvent(upsertEvent(name, { sequence: 1 }), options)).outcome).toBe('created');
  expect(
    (await submitEvent(upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:*']) }), options))
      .outcome,
  ).toBe('updated');
  expect((await submitEvent(deleteEvent(name, { sequence: 3 }), options)).outcome).toBe('deleted');

  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const query = encodeURIComponent(`PolicyName = "${name}"`);
  await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
  const rows = page.getByTestId('workflows-summary-configurable-table-row');
  // The policy workflow and the three event workflows; visibility may lag a moment behind the results.
  await until(async () => (await rows.count()) === 4, 'four workflows listed');

  // Show the Outcome and EventType search attributes as columns (the operator does the same once).
  await page.getByTestId('workflows-summary-table-configuration-button').click();
  await page.getByTestId('orderable-list-item-Run ID-remove-button').click();
  await page.getByTestId('orderable-list-item-Start-remove-button').click();
  await page.getByTestId('orderable-list-item-Outcome-add-button').click();
  await page.getByTestId('orderable-list-item-EventType-add-button').click();
  await page.getByTestId('drawer-close-button').click();
  await page.getByTestId('workflows-summary-table-header-cell-Outcome').waitFor();

  const table: string[][] = [];
  for (let i = 0; i < (await rows.count()); i += 1) {
    const cells = await rows.nth(i).getByTestId('workflows-summary-table-body-cell').allTextContents();
    table.push(cells.map((cell) => cell.trim()));
  }
  const eventRows = table.filter((cells) => cells.some((cell) => cell.startsWith('event/')));
  expect(eventRows).toHaveLength(3);
  const outcomes = eventRows.map((cells) =>
    cells.find((cell) => ['created', 'updated', 'deleted'].includes(cell)),
  );
  expect(outcomes.sort()).toEqual(['created', 'deleted', 'updated']);
  expect(table.some((cells) => cells.includes(`policy/${name}`))).toBe(true);
  expect(eventRows.filter((cells) => cells.includes('iam.policy.delete'))).toHaveLength(1);

  // Room for the new columns in the picture.
  await page.getByLabel('Collapse saved views').click();
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'ui-console-search.png'), fullPage: true });
});

test('ids and sources that look like markdown, HTML or a bidi override show as the text they are', async () => {
  const name = `ui-hostile-${uniqueSuffix()}`;
  const id = `[click me](https://evil.example/steal) <img src=x onerror=alert(1)> abc\u202Edcba ${uniqueSuffix()}`;
  const source = 'urn:ui:[x](https://evil.example/src)';
  const report = await submitEvent(
    { specversion: '1.0', id, source, type: 'iam.policy.delete', data: { policyName: name } },
    { client: service.client, taskQueue: service.taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] },
  );
  expect(report.outcome).toBe('absent');

  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(report.workflowId!)}`);
  // The workflow ID writes the override out: nothing after it shows reversed.
  await expect(page.getByTestId('workflow-id-heading').innerText()).resolves.toContain('abc%u202Edcba');
  await page.getByText('User Metadata', { exact: true }).click();
  // The UI renders the summary and the details as markdown, each in a frame of its own (/render?content=).
  const outputs = page.locator('iframe[title="output"]');
  const rendered = async () => {
    const frames: { text: string; elements: number }[] = [];
    for (let i = 0; i < (await outputs.count()); i += 1) {
      const body = page.frameLocator('iframe[title="output"]').nth(i).locator('body');
      frames.push({
        text: (await body.innerText()).replace(/\s+/g, ' ').trim(),
        elements: await body.locator('a, img, script, iframe').count(),
      });
    }
    return frames;
  };
  const find = (frames: { text: string }[], start: string) => frames.find((f) => f.text.startsWith(start));
  await until(async () => {
    const frames = await rendered();
    return find(frames, 'delete') !== undefined && find(frames, 'event') !== undefined;
  }, 'the summary and the details rendered');
  const frames = await rendered();
  expect(find(frames, 'delete')).toEqual({ text: `delete ${name} from ${source}`, elements: 0 });
  expect(find(frames, 'event')).toEqual({
    text: `event ${id.replace('\u202E', '\\u202E')} from ${source} type iam.policy.delete, policy /${name}`,
    elements: 0,
  });
  await page.screenshot({ path: join(ARTIFACTS, 'ui-console-hostile.png'), fullPage: true });
});
