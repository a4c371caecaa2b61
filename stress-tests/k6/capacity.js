// capacity: the capacity search's request mix at an arrival rate, for users who have k6
// (stress-tests/run.sh capacity uses its own generator, stress-tests/arrival, because k6 is not
// in Debian). RATE requests/s (constant-arrival-rate), or RAMP "30s:100,30s:400" targets for
// ramping-arrival-rate; MIX "ping=20,read=60,upload=15,batch=5"; SLO_P95_MS (200).
// k6 starts iterations on the arrival schedule whatever the server does, but it times each
// request from its actual send and, when no VU is free, drops the iteration: the
// dropped_iterations threshold below fails such a run instead of letting it hide queueing.
// Seeded files: FSVC_SEED_FOLDER/r-<i>.bin, i < FSVC_FILE_COUNT (run.sh capacity seeds 50 of
// 16 KiB in load/capacity/seed).
import http from 'k6/http';
import { check } from 'k6';
import {
  BASE_URL, FOLDER, RUN_ID, SEED_COUNT, SEED_FOLDER, SUMMARY_STATS, content, params,
  summaryFiles,
} from './lib/common.js';

const RATE = parseInt(__ENV.RATE || '100', 10);
const SLO = parseFloat(__ENV.SLO_P95_MS || '200');
const UPLOAD_BYTES = parseInt(__ENV.UPLOAD_KB || '16', 10) * 1024;
const MIX = (__ENV.MIX || 'ping=20,read=60,upload=15,batch=5').split(',').map((e) => {
  const [route, weight] = e.split('=');
  return { route, weight: parseInt(weight, 10) };
});
const TOTAL = MIX.reduce((s, m) => s + m.weight, 0);

function arrival() {
  const common = { timeUnit: '1s', preAllocatedVUs: 50, maxVUs: parseInt(__ENV.MAX_VUS || '2000', 10) };
  if (__ENV.RAMP) {
    const stages = __ENV.RAMP.split(',').map((s) => {
      const [duration, target] = s.split(':');
      return { duration, target: parseInt(target, 10) };
    });
    return Object.assign({ executor: 'ramping-arrival-rate', startRate: stages[0].target, stages },
      common);
  }
  return Object.assign({ executor: 'constant-arrival-rate', rate: RATE,
    duration: __ENV.DURATION || '30s' }, common);
}

export const options = {
  scenarios: { capacity: arrival() },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: [`p(95)<${SLO}`],
    dropped_iterations: ['count<1'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

function pick() {
  let n = Math.random() * TOTAL;
  for (const m of MIX) {
    if (n < m.weight) return m.route;
    n -= m.weight;
  }
  return MIX[MIX.length - 1].route;
}

let uploads = 0;

export default function () {
  const route = pick();
  const seeded = () => `${SEED_FOLDER}/r-${Math.floor(Math.random() * SEED_COUNT)}.bin`;
  let res;
  if (route === 'ping') {
    res = http.get(`${BASE_URL}/ping`, params('ping'));
  } else if (route === 'read') {
    res = http.get(`${BASE_URL}/files/${seeded()}`, params('read'));
  } else if (route === 'upload') {
    uploads += 1;
    const path = `${FOLDER}/${RUN_ID}-vu${__VU}-${uploads}.bin`;
    res = http.put(`${BASE_URL}/files/${path}`, content(path, UPLOAD_BYTES),
      params('upload', { 'Content-Type': 'application/octet-stream' }));
  } else {
    const paths = [0, 1, 2, 3, 4].map(() => seeded());
    res = http.post(`${BASE_URL}/batch-download`, JSON.stringify({ paths }),
      params('batch', { 'Content-Type': 'application/json' }));
  }
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}

export function handleSummary(data) {
  return summaryFiles('capacity', data);
}
