// The operator's review of a listing the active rule finds fault with: the
// findings and case replays are shown, approval is refused plainly while a
// blocker remains, and a rejection with a reason reaches the seller.
import { check, env, shot, signIn, signOut, withBrowser } from './lib.mjs';

await withBrowser('review', async (page) => {
  await signIn(page, env('BAZAAR_OPERATOR'));
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.locator('tr[data-application] a').first().click();
  const findings = page.getByTestId('findings');
  await findings.waitFor();
  check((await findings.locator('.badge.blocker').count()) > 0, 'the rule finds a blocker');
  await page.getByTestId('case-results').locator('.verdict.pass').first().waitFor();
  await shot(page, 'review-findings');

  // Approval is refused while a blocker remains, and said so.
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('alert').filter({ hasText: 'conflict' }).waitFor();

  await page.getByLabel('Reason').fill('The description is too short for the catalogue.');
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.locator('h1 .badge', { hasText: 'rejected' }).waitFor();
  await page.getByText('reason: The description is too short').waitFor();
  await signOut(page);

  // The seller reads the decision on the product.
  await signIn(page, env('BAZAAR_SELLER'));
  await page.getByRole('link', { name: 'Products' }).click();
  await page.locator('tr[data-product] a').first().click();
  await page.locator('.applications .badge', { hasText: 'rejected' }).waitFor();
  await page.getByText('The description is too short').waitFor();
  await shot(page, 'product-rejected');
});
console.log('review: ok');
