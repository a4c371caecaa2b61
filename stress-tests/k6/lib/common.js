// Shared pieces of the k6 scripts: configuration from -e variables, request parameters with
// the API key, the deterministic upload content, multipart bodies and handleSummary output.
//
// Contract: content(path, size) is byte-for-byte stress-tests/lib/payload.py (and wrk/fsvc.lua),
// so run.sh can verify every upload from its path; summaryFiles(name, data) writes
// RESULTS_DIR/<name>.k6-summary.json, which stress-tests/lib/loadgen_k6.py reads.
// STAGES ("30s:50,60s:200") is how run.sh hands its plan to a script; each script has its own
// default so it also runs alone (`k6 run -e BASE_URL=... stress-tests/k6/ping.js`).

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const RUN_ID = __ENV.FSVC_RUN_ID || `k6-${Date.now()}`;
export const FOLDER = __ENV.FSVC_FOLDER || 'load/k6';
export const SEED_FOLDER = __ENV.FSVC_SEED_FOLDER || 'load/read';
export const SEED_COUNT = parseInt(__ENV.FSVC_FILE_COUNT || '100', 10);
export const SUMMARY_STATS = ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)'];

// "30s:50,60s:200" -> [{ duration: '30s', target: 50 }, { duration: '60s', target: 200 }]
export function stagesFromEnv(fallback) {
  return (__ENV.STAGES || fallback).split(',').map((s) => {
    const [duration, target] = s.split(':');
    return { duration, target: parseInt(target, 10) };
  });
}

// Total of a stage list in seconds (for constant-VU scenarios).
export function totalSeconds(stages) {
  return stages.reduce((sum, s) => sum + parseInt(s.duration, 10), 0);
}

export function params(name, headers = {}) {
  const h = Object.assign({}, headers);
  if (__ENV.FSVC_API_KEY) h.Authorization = `Bearer ${__ENV.FSVC_API_KEY}`;
  return { headers: h, tags: { name } };
}

const PATTERN = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
let filler = '';

// "fsvc-load PATH\n" followed by PATTERN repeated, cut to `size` bytes (ASCII paths only).
export function content(path, size) {
  const head = `fsvc-load ${path}\n`;
  if (size <= head.length) return head.substring(0, size);
  if (filler.length < size) filler = PATTERN.repeat(Math.floor(size / PATTERN.length) + 1);
  return head + filler.substring(0, size - head.length);
}

const BOUNDARY = 'fsvcLoadBoundary7MA4YWxkTrZu0gW';
export const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

// One body with the `path` form field and a `file` part per [name, data].
export function multipart(folder, files) {
  let body = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="path"\r\n\r\n${folder}\r\n`;
  for (const [name, data] of files) {
    body += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${data}\r\n`;
  }
  return `${body}--${BOUNDARY}--\r\n`;
}

export function summaryFiles(name, data) {
  const dir = __ENV.RESULTS_DIR || 'stress-tests/results';
  const m = data.metrics;
  const d = m.http_req_duration ? m.http_req_duration.values : {};
  const line = `${name}: ${m.http_reqs ? m.http_reqs.values.count : 0} requests, ` +
    `p95 ${d['p(95)']} ms, failed ${m.http_req_failed ? m.http_req_failed.values.rate : 0}\n`;
  return { [`${dir}/${name}.k6-summary.json`]: JSON.stringify(data, null, 1), stdout: line };
}
