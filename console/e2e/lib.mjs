// Shared by the browser end-to-end scripts: Debian's Chromium through
// playwright-core (no browser download), sign-in, screenshots, checks.
// The Rust test (tests/tests/api/console.rs) starts the service and passes
// its address and tokens in the environment.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the Rust test sets it)`);
  return v;
};

export const base = () => env('BAZAAR_BASE');
const shots = () => process.env.BAZAAR_SCREENSHOTS ?? 'target/console-screenshots';

/** Runs `body(page)` in a fresh headless Chromium; on failure, a screenshot `<name>-failure.png`. */
export async function withBrowser(name, body) {
  const browser = await chromium.launch({
    executablePath: process.env.BAZAAR_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless'],
  });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  // Generous: CI runs these beside the rest of the suite on two cores.
  page.setDefaultTimeout(60_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The page's Content-Security-Policy must not have to refuse anything it does.
  page.on('console', (m) => m.text().includes('Content Security Policy') && errors.push(m.text()));
  try {
    await body(page);
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
  } catch (e) {
    await shot(page, `${name}-failure`).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

export async function shot(page, name) {
  mkdirSync(shots(), { recursive: true });
  const path = join(shots(), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/** Signs in with `token` from the sign-in page, by the keyboard alone, and waits for the navigation. */
export async function signIn(page, token) {
  await page.goto(`${base()}/`);
  await page.keyboard.press('Tab');
  check(await page.getByLabel('Account token').evaluate((el) => el === document.activeElement), 'the token field is the first stop');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Account token').waitFor();
}

/** Clicks `refresh` until `locator` shows up (the worker runs in the background). */
export async function until(page, locator, refresh, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await locator.count()) > 0) return;
    await refresh();
    await page.waitForTimeout(300);
  }
  await locator.first().waitFor({ timeout: 1 });
}
