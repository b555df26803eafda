// From a draft to a running instance in the console: the seller creates a
// product (a validation error shown at its field first), previews a quote
// and submits it; the operator reads the review, approves it, creates a
// customer account (its token shown once) and activates a rule; the
// customer tops up and subscribes; the seller sees the instance
// provisioned in the change feed.
import { deflateSync, crc32 } from 'node:zlib';
import { check, env, shot, signIn, signOut, until, withBrowser } from './lib.mjs';

/** A 120×120 PNG, as the README's listing example makes one. */
function png(size) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, 0x60)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

const draft = JSON.parse(env('BAZAAR_DRAFT'));

await withBrowser('market', async (page) => {
  await signIn(page, env('BAZAAR_SELLER'));
  await page.getByRole('link', { name: 'Products' }).click();
  await page.getByText('No product yet').waitFor();
  await page.getByRole('link', { name: 'New product' }).click();

  // The form first, with an invalid version: the refusal lands at the field.
  await page.getByLabel('Name', { exact: true }).fill(draft.name);
  await page.getByLabel('Version (like V1.0)').fill('one');
  // A price that is no decimal is said at once, at its field.
  const price = page.getByLabel('SKU 1 monthly price');
  await price.fill('ten');
  await page.locator('#spec-0-sku-0-monthly[aria-invalid="true"]').waitFor();
  await price.fill('10.00');
  await page.getByLabel('Lifecycle plugin').selectOption(draft['lifecycle-plugin']);
  await page.getByRole('button', { name: 'Create the product' }).click();
  await page.locator('#product-version[aria-invalid="true"]').waitFor();
  await page.getByRole('alert').filter({ hasText: 'invalid' }).first().waitFor();
  await shot(page, 'product-invalid');

  // The whole definition in the JSON view.
  await page.getByLabel('JSON view').check();
  await page.getByRole('textbox', { name: 'Definition' }).fill(JSON.stringify(draft, null, 2));
  await page.getByRole('button', { name: 'Create the product' }).click();
  await page.getByRole('heading', { name: draft.name }).waitFor();

  // The listing's files.
  await page.getByLabel('Logo (a PNG, e.g. 120×120)').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(120) });
  await page.getByText('120×120,').waitFor();
  await page.getByRole('img', { name: 'the logo' }).waitFor();
  await page.getByLabel('EULA (PDF, text, Markdown or HTML)').setInputFiles({ name: 'EULA.md', mimeType: 'text/markdown', buffer: Buffer.from('# End-user licence\n\nUse it well.\n') });
  await page.getByText('text/markdown,').waitFor();

  // An edit of the draft keeps the files.
  await page.getByRole('button', { name: 'Edit the draft' }).click();
  await page.getByLabel('Overview').fill('Customer relationships, deals and tasks in one place.');
  // The trial in the form: a length the service refuses is said at its field, then a good one.
  const trialDays = page.getByLabel('Trial days');
  await trialDays.fill('200');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await page.locator('#f-specifications-0-trial-days[aria-invalid="true"]').waitFor();
  await trialDays.fill('14');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await page.getByLabel('draft').getByText('deals and tasks in one place').waitFor();
  await page.getByLabel('draft').getByText('"days": 14').waitFor();
  await page.getByText('120×120,').waitFor();

  // A quote of the draft.
  await page.getByLabel('Periods').fill('2');
  await page.getByRole('button', { name: 'Quote', exact: true }).click();
  const total = await page.getByTestId('quote-total').textContent();
  check(total === '20.00', `2 months of basic at 10.00: ${total}`);

  await page.getByRole('button', { name: 'Submit a release application' }).click();
  await page.locator('.applications .badge', { hasText: 'pending' }).waitFor();
  await shot(page, 'product');
  await signOut(page);

  // The operator's review.
  await signIn(page, env('BAZAAR_OPERATOR'));
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByRole('link', { name: draft.name }).click();
  await page.getByTestId('case-results').getByText('create').first().waitFor();
  check((await page.locator('.verdict.fail').count()) === 0, 'every case passes');
  // A rejection needs a reason: said at the field, nothing sent.
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByText('a rejection needs a reason').waitFor();
  await shot(page, 'review');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('h1 .badge', { hasText: 'approved' }).waitFor();

  // A rule activated, then rolled back off.
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByText('No rule is active').waitFor();
  await page.getByLabel('Plugin version').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByRole('button', { name: 'Deactivate' }).waitFor();
  await shot(page, 'rules');
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('No rule is active').waitFor();

  // A customer account; its token is shown once.
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.getByLabel('Role').selectOption('customer');
  await page.getByLabel('Name').fill('Carol');
  await page.getByRole('button', { name: 'Create' }).click();
  const token = (await page.getByTestId('new-token').textContent()).trim();
  check(token.startsWith('bz_'), `a token: ${token}`);
  await signOut(page);

  // The customer subscribes.
  await signIn(page, token);
  await page.getByRole('heading', { name: 'Catalogue' }).waitFor();
  await page.getByLabel('Amount').fill('500.00');
  await page.getByRole('button', { name: 'Top up' }).click();
  await page.getByTestId('balance').filter({ hasText: '500.00' }).waitFor();
  await page.getByRole('link', { name: draft.name }).click();
  await page.getByRole('button', { name: 'Quote', exact: true }).click();
  await page.getByTestId('quote-total').waitFor();
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('heading', { name: 'My instances' }).waitFor();
  const active = page.getByTestId('instance-state').filter({ hasText: 'active' });
  await until(page, active, () => page.getByRole('button', { name: 'Refresh' }).click());
  // How to reach it: the plugin's app info.
  await page.getByText('credentials').first().click();
  await page.locator('details dl').getByText('password', { exact: true }).waitFor();

  // A renewal, quoted first.
  await page.getByLabel('Periods').fill('2');
  await page.getByRole('button', { name: 'Quote the change' }).click();
  check((await page.getByTestId('quote-total').textContent()) === '20.00', 'two more months of basic');
  await page.getByRole('button', { name: 'Renew' }).click();
  const renewed = page.locator('tr[data-order]', { hasText: 'renew' }).locator('.badge', { hasText: 'completed' });
  await until(page, renewed, () => page.getByRole('button', { name: 'Refresh' }).click());
  await shot(page, 'instances');
  await signOut(page);

  // The seller's feed shows it.
  await signIn(page, env('BAZAAR_SELLER'));
  await page.getByRole('link', { name: 'Operations' }).click();
  const provisioned = page.locator('.feed li[data-kind="instance.provisioned"]');
  await until(page, provisioned, () => page.getByRole('button', { name: 'Refresh' }).click());
  await page.getByRole('link', { name: 'Instances' }).click();
  await page.getByTestId('instance-state').filter({ hasText: 'active' }).waitFor();
  await page.getByRole('link', { name: 'Change feed' }).click();
  await provisioned.waitFor();
  await page.locator('.feed li[data-kind="instance.renewed"]').waitFor();
  await shot(page, 'feed');
});
console.log('market: ok');
