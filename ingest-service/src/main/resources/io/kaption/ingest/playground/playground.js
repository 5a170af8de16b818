// Kaption playground: talks to this ingest service's own API (same origin), nothing else.
'use strict';

const $ = (id) => document.getElementById(id);
const SAMPLING = ['max_new_tokens', 'min_new_tokens', 'sampling_temperature', 'sampling_topp', 'sampling_topk',
  'repetition_penalty', 'no_repeat_ngram_size'];
const TERMINAL = ['completed', 'partially_completed', 'failed', 'cancelled'];
let image = null;
let running = null;   // AbortController of the generation in progress
let jobId = null;
let jobTimer = null;

function authHeaders() {
  const key = $('api-key').value.trim();
  return key ? { Authorization: 'Bearer ' + key } : {};
}

function status(id, text, isError) {
  $(id).textContent = text;
  $(id).classList.toggle('error', !!isError);
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (body && body.error) return `${response.status} ${body.error.code}: ${body.error.message}`;
  } catch (e) { /* not JSON */ }
  return `HTTP ${response.status}`;
}

// ---- groups ----

async function loadGroups() {
  const select = $('group');
  const chosen = select.value;
  try {
    const response = await fetch('/v1/models', { headers: authHeaders() });
    if (!response.ok) {
      $('group-info').textContent = await errorText(response);
      return;
    }
    const models = (await response.json()).data;
    select.replaceChildren();
    for (const model of models) {
      const option = document.createElement('option');
      option.value = model.id;
      option.textContent = `${model.id} — ${model.root}`;
      select.append(option);
    }
    if (models.length === 0) {
      const option = document.createElement('option');
      option.value = 'primary';
      option.textContent = 'primary (no worker announced)';
      select.append(option);
    }
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
    $('group-info').textContent = `${models.length} group(s) served`;
  } catch (e) {
    $('group-info').textContent = 'could not list groups: ' + e.message;
  }
}

// ---- image ----

function setImage(file) {
  if (file && !file.type.startsWith('image/')) {
    status('status', `${file.name} is not an image`, true);
    return;
  }
  image = file || null;
  const preview = $('preview');
  if (preview.src) URL.revokeObjectURL(preview.src);
  if (image) {
    preview.src = URL.createObjectURL(image);
    preview.alt = image.name;
  } else {
    preview.removeAttribute('src');
  }
  preview.hidden = !image;
  $('clear-image').hidden = !image;
  $('drop-hint').hidden = !!image;
}

// ---- generation ----

function requestFields(returnMetadata) {
  const fields = { text: $('prompt').value, consumer_group: $('group').value, return_metadata: returnMetadata };
  for (const name of SAMPLING) {
    const value = $(name).value.trim();
    if (value !== '') fields[name] = Number(value);
  }
  return fields;
}

function generationRequest(path, fields, signal) {
  const init = { method: 'POST', headers: authHeaders(), signal };
  if (image) {
    const form = new FormData();
    form.append('json_data', JSON.stringify(fields));
    form.append('image_data', image, image.name);
    init.body = form;
    return fetch('/image_' + path, init);
  }
  init.headers['Content-Type'] = 'application/json';
  init.body = JSON.stringify(fields);
  return fetch('/' + path, init);
}

function busy(on) {
  $('stream').disabled = on;
  $('blocking').disabled = on;
  $('stop').disabled = !on;
}

async function stream() {
  const output = $('stream-output');
  output.textContent = '';
  for (const id of ['ttft', 'tokens', 'tps', 'total']) $(id).textContent = '–';
  document.body.dataset.stream = 'running';
  status('status', 'streaming…');
  running = new AbortController();
  busy(true);
  const started = performance.now();
  let first = null;
  let chunks = 0;
  let completionTokens = null;
  let failure = null;
  try {
    const response = await generationRequest('generate_stream', requestFields(true), running.signal);
    if (!response.ok) throw new Error(await errorText(response));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length === 0) continue;
        const payload = JSON.parse(data.join('\n'));
        if (event === 'error') {
          failure = `${payload.error.code}: ${payload.error.message}`;
          continue;
        }
        if (payload.metadata) completionTokens = payload.metadata.completion_tokens;
        if (payload.text) {
          if (first === null) {
            first = performance.now();
            $('ttft').textContent = `${Math.round(first - started)} ms`;
          }
          chunks += 1;
          output.textContent += payload.text;
          $('tokens').textContent = String(chunks);
        }
      }
    }
  } catch (e) {
    failure = e.name === 'AbortError' ? 'stopped' : e.message;
  } finally {
    running = null;
    busy(false);
  }
  const finished = performance.now();
  const tokens = completionTokens ?? chunks;
  $('tokens').textContent = String(tokens);
  $('total').textContent = `${Math.round(finished - started)} ms`;
  // Decode speed: the tokens after the first over the time since it came.
  if (first !== null && tokens > 1 && finished > first) {
    $('tps').textContent = ((tokens - 1) / ((finished - first) / 1000)).toFixed(1);
  }
  document.body.dataset.stream = failure ? 'failed' : 'done';
  status('status', failure ? 'stream failed: ' + failure : 'stream done', !!failure);
}

async function blocking() {
  $('blocking-output').textContent = '';
  document.body.dataset.blocking = 'running';
  status('status', 'waiting for the answer…');
  running = new AbortController();
  busy(true);
  const started = performance.now();
  try {
    const response = await generationRequest('generate', requestFields(true), running.signal);
    if (!response.ok) throw new Error(await errorText(response));
    const body = await response.json();
    $('blocking-output').textContent = Array.isArray(body.text) ? body.text.join('\n---\n') : body.text;
    document.body.dataset.blocking = 'done';
    const tokens = body.metadata ? `, ${body.metadata.completion_tokens} tokens` : '';
    status('status', `answered in ${Math.round(performance.now() - started)} ms${tokens}`);
  } catch (e) {
    document.body.dataset.blocking = 'failed';
    status('status', e.name === 'AbortError' ? 'stopped' : 'request failed: ' + e.message, true);
  } finally {
    running = null;
    busy(false);
  }
}

// ---- bucket jobs ----

async function submitJob() {
  status('job-status', 'submitting…');
  const body = {
    input: $('job-input').value.trim(),
    output: $('job-output').value.trim(),
    consumer_group: $('group').value,
    template: { text: $('job-prompt').value, max_new_tokens: Number($('job-max-new-tokens').value) },
  };
  if (body.input.toLowerCase().endsWith('.jsonl')) body.input_format = 'jsonl';
  const response = await fetch('/v1/jobs', {
    method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!response.ok) {
    status('job-status', await errorText(response), true);
    return;
  }
  showJob(await response.json());
  status('job-status', 'submitted');
  clearInterval(jobTimer);
  jobTimer = setInterval(pollJob, 1000);
}

async function pollJob() {
  const response = await fetch('/v1/jobs/' + encodeURIComponent(jobId), { headers: authHeaders() });
  if (!response.ok) {
    status('job-status', await errorText(response), true);
    return;
  }
  showJob(await response.json());
}

function showJob(job) {
  jobId = job.job_id;
  $('job-id').textContent = job.job_id;
  $('job-state').textContent = job.state;
  const counts = job.counts || {};
  const done = (counts.completed || 0) + (counts.failed || 0);
  const total = counts.total ?? counts.planned ?? 0;
  $('job-progress').max = Math.max(total, 1);
  $('job-progress').value = done;
  $('job-counts').textContent = `${done}/${total ?? '?'} done (${counts.completed || 0} completed, `
    + `${counts.failed || 0} failed)` + (counts.total == null ? ' — still listing the input' : '');
  $('job-manifest').textContent = job.manifest_uri ? 'manifest: ' + job.manifest_uri : '';
  const finished = TERMINAL.includes(job.state);
  $('job-cancel').disabled = finished || job.state === 'cancelling';
  if (finished) {
    clearInterval(jobTimer);
    status('job-status', job.error ? `${job.state}: ${job.error.message || job.error.code}` : job.state,
      job.state === 'failed');
  }
  document.body.dataset.job = job.state;
}

async function cancelJob() {
  const response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}/cancel`,
    { method: 'POST', headers: authHeaders() });
  if (!response.ok) status('job-status', await errorText(response), true);
  else showJob(await response.json());
}

// ---- wiring ----

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = sessionStorage.getItem('kaption-api-key') || '';
  $('api-key').addEventListener('change', () => {
    sessionStorage.setItem('kaption-api-key', $('api-key').value.trim());
    loadGroups();
  });
  $('refresh-groups').addEventListener('click', loadGroups);
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => {
      for (const other of document.querySelectorAll('.tab')) other.classList.toggle('active', other === tab);
      $('tab-generate').hidden = tab.dataset.tab !== 'generate';
      $('tab-jobs').hidden = tab.dataset.tab !== 'jobs';
    });
  }
  $('image').addEventListener('change', (e) => setImage(e.target.files[0]));
  $('clear-image').addEventListener('click', () => { $('image').value = ''; setImage(null); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length > 0) setImage(e.dataTransfer.files[0]);
  });
  $('stream').addEventListener('click', stream);
  $('blocking').addEventListener('click', blocking);
  $('stop').addEventListener('click', () => running && running.abort());
  $('job-submit').addEventListener('click', submitJob);
  $('job-cancel').addEventListener('click', cancelJob);
  loadGroups();
});
