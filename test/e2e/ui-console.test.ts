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
