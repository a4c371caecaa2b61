// breaking: ramp GET /ping up to 5,000 VUs and stop where it breaks: the thresholds abort the
// run once errors pass 5 % or p95 passes 200 ms (the limits run.sh reports the breaking
// point against; BREAK_ERROR_RATE / BREAK_P95_MS change both). run.sh drives one step per k6
// process so that every step's figures are kept.
import http from 'k6/http';
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, SUMMARY_STATS, params, stagesFromEnv, summaryFiles } from './lib/common.js';

const MAX_ERRORS = parseFloat(__ENV.BREAK_ERROR_RATE || '0.05');
const MAX_P95 = parseFloat(__ENV.BREAK_P95_MS || '200');
const pingLatency = new Trend('ping_latency', true);
const pingOk = new Rate('ping_ok');

export const options = {
  scenarios: {
    breaking: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: stagesFromEnv('15s:100,15s:500,15s:1000,15s:2000,15s:3500,15s:5000'),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    http_req_failed: [{ threshold: `rate<${MAX_ERRORS}`, abortOnFail: true, delayAbortEval: '5s' }],
    http_req_duration: [{ threshold: `p(95)<${MAX_P95}`, abortOnFail: true, delayAbortEval: '5s' }],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  const res = http.get(`${BASE_URL}/ping`, params('ping'));
  pingLatency.add(res.timings.duration);
  pingOk.add(check(res, { 'status is 200': (r) => r.status === 200 }));
}

export function handleSummary(data) {
  return summaryFiles('breaking', data);
}
