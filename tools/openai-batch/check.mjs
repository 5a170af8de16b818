// The OpenAI Batch API flow with the official Node SDK, unchanged but for baseURL, against a running Kaption:
// upload → create → poll → download output and error files; each greedy batch answer must equal the live
// /v1/chat/completions answer to the same body; counts must add up; a cancelled batch must end cancelled with every
// custom_id once. Exits 1 on any mismatch. Usage: KAPTION_INGEST_URL=http://127.0.0.1:3000 node check.mjs [image.png]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";

const here = path.dirname(fileURLToPath(import.meta.url));
const baseURL = (process.env.KAPTION_INGEST_URL ?? "http://127.0.0.1:3000") + "/v1";
const client = new OpenAI({ baseURL, apiKey: process.env.KAPTION_API_KEY ?? "unused" });
const imagePath = process.argv[2]
  ?? path.join(here, "../../llava-engine/src/test/resources/fixtures/llava/llava15-tiny/images/square.png");
const image = `data:image/png;base64,${fs.readFileSync(imagePath).toString("base64")}`;
const model = process.env.KAPTION_BATCH_MODEL ?? "primary";

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

function body(prompt, withImage, maxTokens = 12) {
  const content = [{ type: "text", text: prompt }];
  if (withImage) content.push({ type: "image_url", image_url: { url: image } });
  return { model, max_tokens: maxTokens, temperature: 0, messages: [{ role: "user", content }] };
}

function jsonl(lines) {
  return lines.map((line) => JSON.stringify(line)).join("\n") + "\n";
}

async function upload(lines, name) {
  const file = path.join(fs.mkdtempSync("/tmp/kaption-batch-"), name);
  fs.writeFileSync(file, jsonl(lines));
  return client.files.create({ file: fs.createReadStream(file), purpose: "batch" });
}

async function waitFor(batchId) {
  for (let i = 0; i < 600; i++) {
    const batch = await client.batches.retrieve(batchId);
    if (["completed", "failed", "expired", "cancelled"].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`batch ${batchId} did not end in 10 minutes`);
}

async function lines(fileId) {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
}

// 1. upload → create → poll → output and error files
const requests = [
  { custom_id: "image-1", method: "POST", url: "/v1/chat/completions", body: body("What is in this picture?", true) },
  { custom_id: "image-2", method: "POST", url: "/v1/chat/completions", body: body("Describe the colours.", true) },
  { custom_id: "text-1", method: "POST", url: "/v1/chat/completions", body: body("What is a cat?", false) },
  { custom_id: "bad-n", method: "POST", url: "/v1/chat/completions", body: { ...body("Hi", false), n: 3 } },
];
const input = await upload(requests, "requests.jsonl");
check(input.id.startsWith("file-") && input.purpose === "batch", `files.create -> ${input.id}`);
const retrieved = await client.files.retrieve(input.id);
check(retrieved.bytes === input.bytes, "files.retrieve");
let batch = await client.batches.create({
  input_file_id: input.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { run: "sdk-check" },
});
check(batch.id.startsWith("batch_"), `batches.create -> ${batch.id} (${batch.status})`);
batch = await waitFor(batch.id);
check(batch.status === "completed", `status ${batch.status}`);
const counts = batch.request_counts;
check(counts.total === 4 && counts.completed === 3 && counts.failed === 1, `request_counts ${JSON.stringify(counts)}`);
const output = await lines(batch.output_file_id);
const errors = await lines(batch.error_file_id);
const ids = [...output, ...errors].map((line) => line.custom_id).sort();
check(JSON.stringify(ids) === JSON.stringify(requests.map((r) => r.custom_id).sort()), `each custom_id once: ${ids}`);
check(errors.length === 1 && errors[0].response.body.error.code === "unsupported_parameter",
  "the bad line is an error line (unsupported_parameter)");
for (const line of output) {
  const request = requests.find((r) => r.custom_id === line.custom_id);
  const live = await client.chat.completions.create(request.body);
  const answer = line.response.body;
  check(line.response.status_code === 200 && answer.object === "chat.completion", `${line.custom_id}: chat.completion`);
  check(JSON.stringify(answer.choices) === JSON.stringify(live.choices)
    && JSON.stringify(answer.usage) === JSON.stringify(live.usage),
    `${line.custom_id}: batch answer = live answer (${JSON.stringify(answer.choices[0].message.content)})`);
}
const listed = [];
for await (const b of client.batches.list({ limit: 2 })) {
  listed.push(b.id);
  if (listed.length >= 5) break;
}
check(listed.includes(batch.id), "batches.list (auto-paginated) includes the batch");

// 2. cancel
const many = Array.from({ length: 24 }, (_, i) => ({
  custom_id: `long-${i}`, method: "POST", url: "/v1/chat/completions", body: body(`Story number ${i}:`, true, 64),
}));
const second = await upload(many, "many.jsonl");
let toCancel = await client.batches.create({
  input_file_id: second.id, endpoint: "/v1/chat/completions", completion_window: "24h",
});
toCancel = await client.batches.cancel(toCancel.id);
check(["cancelling", "finalizing"].includes(toCancel.status), `batches.cancel -> ${toCancel.status}`);
toCancel = await waitFor(toCancel.id);
check(toCancel.status === "cancelled", `cancelled batch ends ${toCancel.status}`);
const cancelledLines = [...await lines(toCancel.output_file_id), ...await lines(toCancel.error_file_id)];
check(cancelledLines.length === many.length
  && new Set(cancelledLines.map((line) => line.custom_id)).size === many.length, "cancelled batch: each custom_id once");
check(cancelledLines.some((line) => line.error?.code === "batch_cancelled"), "requests not run: batch_cancelled");

const deleted = await client.files.delete(input.id);
check(deleted.deleted === true, "files.delete");

console.log(failures === 0 ? "all checks passed" : `${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
