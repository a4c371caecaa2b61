// ping: ramp to 200 VUs on GET /ping, the framework's overhead with no storage in the way.
import http from 'k6/http';
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, SUMMARY_STATS, params, stagesFromEnv, summaryFiles } from './lib/common.js';

const pingLatency = new Trend('ping_latency', true);
const pongOk = new Rate('pong_ok');

export const options = {
  scenarios: {
    ping: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: stagesFromEnv('30s:50,30s:100,60s:200'),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<50'],
    pong_ok: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  const res = http.get(`${BASE_URL}/ping`, params('ping'));
  pingLatency.add(res.timings.duration);
  pongOk.add(check(res, {
    'status is 200': (r) => r.status === 200,
    'body is pong': (r) => r.json('message') === 'pong',
  }));
}

export function handleSummary(data) {
  return summaryFiles('ping', data);
}
