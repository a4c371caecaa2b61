// upload: ramp to 100 VUs, each POSTing FILE_SIZE_KB (default 100) files to /upload under new
// names in FSVC_FOLDER. The content is deterministic, so run.sh downloads every file back
// afterwards and compares its sha256; uploads_acknowledged counts the 201s to check against.
import http from 'k6/http';
import { check } from 'k6';
import crypto from 'k6/crypto';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, FOLDER, MULTIPART, RUN_ID, SUMMARY_STATS, content, multipart, params, stagesFromEnv,
  summaryFiles,
} from './lib/common.js';

const SIZE = Math.floor(parseFloat(__ENV.FILE_SIZE_KB || '100') * 1024);
const uploadLatency = new Trend('upload_latency', true);
const shaMatches = new Rate('upload_sha_matches');
const acknowledged = new Counter('uploads_acknowledged');

export const options = {
  scenarios: {
    upload: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: stagesFromEnv('20s:25,20s:50,40s:100'),
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:upload}': ['p(95)<2000'],
    upload_sha_matches: ['rate==1'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  const name = `${RUN_ID}-vu${__VU}-${__ITER}.bin`;
  const data = content(`${FOLDER}/${name}`, SIZE);
  const res = http.post(`${BASE_URL}/upload`, multipart(FOLDER, [[name, data]]),
    params('upload', { 'Content-Type': MULTIPART }));
  uploadLatency.add(res.timings.duration);
  const created = check(res, { 'status is 201': (r) => r.status === 201 });
  if (created) {
    acknowledged.add(1);
    shaMatches.add(res.json('files.0.sha256') === crypto.sha256(data, 'hex'));
  }
}

export function handleSummary(data) {
  return summaryFiles('upload', data);
}
