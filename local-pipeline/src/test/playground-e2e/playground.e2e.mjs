// End-to-end test of /playground in headless Chromium against a running local stack (bin/kaption local), started by
// .ci/playground-e2e. Fails (exit 1) on any broken expectation; screenshots go to KAPTION_E2E_OUT.
//
//   KAPTION_E2E_INGEST_URL  the ingest service            (default http://127.0.0.1:3000)
//   KAPTION_E2E_S3_URL      the local S3 (no auth)        (default http://127.0.0.1:9000)
//   KAPTION_E2E_API_KEY     a key of KAPTION_API_KEYS     (the stack must run with keys on)
//   KAPTION_E2E_IMAGE       the image to upload
//   KAPTION_E2E_OUT         where screenshots are written
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const ingest = process.env.KAPTION_E2E_INGEST_URL ?? 'http://127.0.0.1:3000';
const s3 = process.env.KAPTION_E2E_S3_URL ?? 'http://127.0.0.1:9000';
const apiKey = process.env.KAPTION_E2E_API_KEY;
const imagePath = process.env.KAPTION_E2E_IMAGE;
const out = process.env.KAPTION_E2E_OUT ?? 'target/playground-e2e';
assert.ok(apiKey, 'KAPTION_E2E_API_KEY must be set (the stack runs with API keys on)');
assert.ok(imagePath, 'KAPTION_E2E_IMAGE must name an image');
mkdirSync(out, { recursive: true });
const GENERATION_TIMEOUT = 5 * 60_000;

function step(text) {
  console.log(`[playground-e2e] ${text}`);
}

/** Waits until the stack is ready and a worker serves primary (the demo model takes a while to start). */
async function awaitStack() {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      const ready = await fetch(`${ingest}/readyz`);
      const models = await fetch(`${ingest}/v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } });
      if (ready.ok && models.ok && (await models.json()).data.some((m) => m.id === 'primary')) return;
    } catch (e) { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${ingest} not ready with a worker serving primary within 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

step(`waiting for ${ingest}`);
await awaitStack();
const browser = await chromium.launch({
  executablePath: process.env.KAPTION_E2E_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
try {
  const posted = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posted.push(new URL(request.url()).pathname);
  });
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('requestfailed', (request) => consoleErrors.push(`request failed: ${request.url()}`));

  step(`open ${ingest}/playground`);
  await page.goto(`${ingest}/playground`);
  // Without a key the page cannot list groups: it shows the 401.
  await page.waitForFunction(() => document.getElementById('group-info').textContent.includes('401'));
  assert.match(await page.textContent('#group-info'), /401 missing_api_key/);

  step('type the API key; the groups come from GET /v1/models');
  await page.fill('#api-key', apiKey);
  await page.dispatchEvent('#api-key', 'change');
  await page.waitForFunction(() => document.getElementById('group-info').textContent.includes('served'));
  const groups = await page.$$eval('#group option', (options) => options.map((o) => o.textContent));
  step(`groups offered: ${groups.join(', ')}`);
  assert.ok(groups.some((g) => g.startsWith('primary — ')), 'primary is listed with its model');

  step(`drop ${basename(imagePath)} onto the page`);
  const image = readFileSync(imagePath).toString('base64');
  await page.evaluate(({ name, data }) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type: 'image/png' }));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  }, { name: basename(imagePath), data: image });
  await page.waitForSelector('#preview:not([hidden])');

  // Greedy (Takeoff's top-k 1), so the streamed and the blocking answers must be the same text.
  await page.fill('#prompt', 'What is shown in this image?');
  await page.fill('#max_new_tokens', '16');
  await page.fill('#sampling_topk', '1');

  step('generate (stream)');
  await page.click('#stream');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.stream), null,
    { timeout: GENERATION_TIMEOUT });
  assert.equal(await page.getAttribute('body', 'data-stream'), 'done', await page.textContent('#status'));
  const streamed = await page.textContent('#stream-output');
  const ttft = await page.textContent('#ttft');
  const tokens = await page.textContent('#tokens');
  const tps = await page.textContent('#tps');
  step(`streamed ${tokens} tokens, time to first token ${ttft}, ${tps} tokens/s: ${JSON.stringify(streamed)}`);
  assert.ok(streamed.length > 0, 'the streamed answer is not empty');
  assert.match(ttft, /^\d+ ms$/);
  assert.equal(tokens, '16', 'max_new_tokens 16 of a model that never stops early');
  assert.match(tps, /^\d+(\.\d)?$/);

  step('generate (blocking), same request');
  await page.click('#blocking');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.blocking), null,
    { timeout: GENERATION_TIMEOUT });
  assert.equal(await page.getAttribute('body', 'data-blocking'), 'done', await page.textContent('#status'));
  const blocking = await page.textContent('#blocking-output');
  step(`blocking answer: ${JSON.stringify(blocking)}`);
  assert.equal(streamed, blocking, 'the streamed answer equals the blocking answer of the same greedy request');
  assert.deepEqual(posted.filter((p) => p.startsWith('/image_generate')),
    ['/image_generate_stream', '/image_generate'], 'both went to the image endpoints (with the uploaded image)');
  await page.screenshot({ path: join(out, 'playground.png'), fullPage: true });
  step(`screenshot ${join(out, 'playground.png')}`);

  step('bucket job tab: one image in a fresh bucket');
  const bucket = `e2e-${Date.now()}`;
  for (const [path, body] of [[`/${bucket}`, undefined], [`/${bucket}/in/square.png`, readFileSync(imagePath)]]) {
    const response = await fetch(s3 + path, { method: 'PUT', body });
    assert.ok(response.ok, `PUT ${path} on the local S3: ${response.status}`);
  }
  await page.click('.tab[data-tab=jobs]');
  await page.fill('#job-input', `s3://${bucket}/in/`);
  await page.fill('#job-output', `s3://${bucket}/out/`);
  await page.fill('#job-max-new-tokens', '4');
  await page.click('#job-submit');
  await page.waitForFunction(() => ['completed', 'partially_completed', 'failed', 'cancelled']
    .includes(document.body.dataset.job), null, { timeout: GENERATION_TIMEOUT });
  assert.equal(await page.textContent('#job-state'), 'completed', await page.textContent('#job-status'));
  assert.match(await page.textContent('#job-counts'), /^1\/1 done \(1 completed, 0 failed\)/);
  assert.match(await page.textContent('#job-manifest'), /manifest\.json/);
  await page.screenshot({ path: join(out, 'playground-job.png'), fullPage: true });
  step(`job ${await page.textContent('#job-id')} completed; screenshot ${join(out, 'playground-job.png')}`);

  assert.deepEqual(consoleErrors.filter((e) => !e.includes('401')), [], 'no errors in the page');
  step('passed');
} catch (error) {
  failed = true;
  console.error('[playground-e2e] FAILED:', error);
  await page.screenshot({ path: join(out, 'playground-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
