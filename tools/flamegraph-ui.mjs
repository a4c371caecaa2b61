// Drives a flame graph SVG in headless Chromium as a person would and prints what it saw,
// one JSON object, for tests/integration/pprof_waits_test.cpp to check:
//   node tools/flamegraph-ui.mjs FILE.svg FRAME_NAME SEARCH_TERM
// Clicks the first frame named FRAME_NAME (zoom), reads its width and how many frames stay
// visible, answers the Search prompt with SEARCH_TERM, reads the highlighted frames and the
// "Matched" text, then clicks "Reset zoom" and reads the widths again.
// CHROMIUM overrides the browser (default /usr/bin/chromium, Debian's package).
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [file, frameName, term] = process.argv.slice(2);
if (!file || !frameName || !term) {
  console.error('usage: flamegraph-ui.mjs FILE.svg FRAME_NAME SEARCH_TERM');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  const frames = () => page.evaluate(() => Array.from(document.querySelectorAll('g.f')).map((g) => ({
    name: g.getAttribute('data-n'),
    width: +g.querySelector('rect').getAttribute('width'),
    visible: g.style.display !== 'none',
    fill: g.querySelector('rect').getAttribute('fill'),
    label: g.querySelector('text').textContent,
  })));
  const before = await frames();
  const target = before.find((f) => f.name === frameName);
  if (!target) throw new Error(`no frame named ${frameName}`);
  const all = before.find((f) => f.name === 'all');

  await page.locator(`g.f[data-n="${frameName}"] rect`).first().click();
  const zoomed = await frames();
  const resetShown = await page.evaluate(
      () => document.getElementById('fg-reset').style.display !== 'none');

  page.once('dialog', (d) => d.accept(term));
  await page.click('#fg-search');
  await page.waitForFunction(() => document.getElementById('fg-matched').textContent !== '');
  const matchedText = await page.evaluate(() => document.getElementById('fg-matched').textContent);
  const searched = await frames();

  await page.click('#fg-reset');
  const reset = await frames();
  console.log(JSON.stringify({
    errors,
    full_width: all.width,
    target_width_before: target.width,
    target_width_zoomed: zoomed.find((f) => f.name === frameName).width,
    visible_before: before.filter((f) => f.visible).length,
    visible_zoomed: zoomed.filter((f) => f.visible).length,
    reset_shown_when_zoomed: resetShown,
    matched_text: matchedText,
    highlighted: searched.filter((f) => f.fill === 'rgb(230,0,230)').map((f) => f.name),
    highlighted_all_match: searched.filter((f) => f.fill === 'rgb(230,0,230)')
        .every((f) => f.name.includes(term)),
    target_width_reset: reset.find((f) => f.name === frameName).width,
    visible_reset: reset.filter((f) => f.visible).length,
  }));
} finally {
  await browser.close();
}
