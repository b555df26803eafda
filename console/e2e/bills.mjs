// The seller's settlement bill of the month the test's order was paid in
// (the Rust test moves the service clock to the 7th of the month after):
// the list, the bill's lines, and its CSV.
import { readFileSync } from 'node:fs';
import { check, env, shot, signIn, until, withBrowser } from './lib.mjs';

await withBrowser('bills', async (page) => {
  await signIn(page, env('BAZAAR_SELLER'));
  await page.getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('link', { name: 'Bills' }).click();
  const bill = page.locator('table a').first();
  await until(page, bill, () => page.reload());
  await bill.click();
  await page.getByRole('heading', { name: /^Bill \d{6}/ }).waitFor();
  await page.getByRole('cell', { name: 'order' }).first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  check(csv.split('\n').length >= 2 && csv.includes('order'), `a CSV with the order's line: ${csv.slice(0, 300)}`);
  await shot(page, 'bill');
});
console.log('bills: ok');
