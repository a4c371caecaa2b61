// soak: 20 VUs for 15 minutes (STAGES "900s:20"; run.sh may shorten it with SOAK_SECONDS) of
// mixed traffic: per 10 requests 5 pings, 2 lists, 2 downloads of seeded files and 1 upload.
// Memory slope and thread count are watched by run.sh from the server side.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, FOLDER, MULTIPART, RUN_ID, SEED_COUNT, SEED_FOLDER, SUMMARY_STATS, content, multipart,
  params, stagesFromEnv, summaryFiles, totalSeconds,
} from './lib/common.js';

const SIZE = Math.floor(parseFloat(__ENV.FILE_SIZE_KB || '100') * 1024);
const STAGES = stagesFromEnv('900s:20');
const mixLatency = new Trend('mix_latency', true);
const mixOk = new Rate('mix_ok');
const acknowledged = new Counter('uploads_acknowledged');

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-vus',
      vus: Math.max(...STAGES.map((s) => s.target)),
      duration: `${totalSeconds(STAGES)}s`,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
    mix_ok: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

function one(slot) {
  if (slot === 0) {
    const name = `${RUN_ID}-vu${__VU}-${__ITER}.bin`;
    const res = http.post(`${BASE_URL}/upload`,
      multipart(FOLDER, [[name, content(`${FOLDER}/${name}`, SIZE)]]),
      params('upload', { 'Content-Type': MULTIPART }));
    if (res.status === 201) acknowledged.add(1);
    return res;
  }
  if (slot <= 2) return http.get(`${BASE_URL}/list?path=${SEED_FOLDER}&pageSize=50`, params('list'));
  if (slot <= 4) {
    const i = Math.floor(Math.random() * SEED_COUNT);
    return http.get(`${BASE_URL}/files/${SEED_FOLDER}/r-${i}.bin`, params('download'));
  }
  return http.get(`${BASE_URL}/ping`, params('ping'));
}

export default function () {
  for (let slot = 0; slot < 10; slot++) {
    const res = one(slot);
    mixLatency.add(res.timings.duration);
    mixOk.add(check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 }));
  }
}

export function handleSummary(data) {
  return summaryFiles('soak', data);
}
