// Debian's chromium, headless, driven by playwright-core; a page that records
// what must not happen: dialogs (alert/confirm/prompt, which an injected
// script would open), console errors and uncaught page errors.
//
//   const browser = await launch();
//   const { context, page, problems, assertClean } = await openPage(browser, server.baseURL);
//   ...
//   assertClean();   // no dialog, no console error, no page error
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const screenshotDir = path.resolve(here, '../screenshots');
export const VIEWPORT = { width: 1280, height: 800 };

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  const args = [];
  // chromium's sandbox needs user namespaces, which root (and many
  // containers) do not get.
  if (process.getuid?.() === 0 || process.env.CHROMIUM_NO_SANDBOX) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

// A new context (its own cookies and storage) and page at a fixed viewport,
// in English. problems collects {kind, text} for every dialog (dismissed at
// once), console error and page error. A test that expects some console
// error (the browser logs a refused frame, a 403) passes a filter to
// assertClean.
export async function openPage(browser, baseURL, { locale = 'en-US' } = {}) {
  const context = await browser.newContext({ baseURL, viewport: VIEWPORT, locale });
  const page = await context.newPage();
  const problems = watch(page);
  const assertClean = (ignore = () => false) => {
    const left = problems.filter((p) => !ignore(p));
    assert.deepEqual(left, [], `the page had dialogs or errors:\n${left.map((p) => `  ${p.kind}: ${p.text}`).join('\n')}`);
  };
  return { context, page, problems, assertClean };
}

// Records dialogs, console errors and page errors of a page (and of the
// pages it opens) in the returned array.
export function watch(page, problems = []) {
  page.on('dialog', async (d) => {
    problems.push({ kind: 'dialog', text: `${d.type()}: ${d.message()}` });
    await d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = m.location()?.url;
    problems.push({ kind: 'console', text: at ? `${m.text()} (at ${at})` : m.text() });
  });
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e?.stack || e) }));
  return problems;
}

// Saves the page as screenshots/NAME.png, only when SCREENSHOTS=1 (a normal
// run leaves the tree as it was).
export async function screenshot(page, name) {
  if (process.env.SCREENSHOTS !== '1') return;
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.setViewportSize(VIEWPORT);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false });
}
