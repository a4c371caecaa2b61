// slow: the /ping probe of the backpressure test. While run.sh keeps 20 curl clients
// downloading a 50 MiB file at 100 KB/s each (k6 cannot throttle a download), 10 VUs measure
// /ping; its p99 should stay under 20 ms and the server's RSS grow by less than 5 MB.
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import {
  BASE_URL, SUMMARY_STATS, params, stagesFromEnv, summaryFiles, totalSeconds,
} from './lib/common.js';

const STAGES = stagesFromEnv('58s:10');
const pingLatency = new Trend('ping_latency_under_slow_readers', true);

export const options = {
  scenarios: {
    probe: {
      executor: 'constant-vus',
      vus: Math.max(...STAGES.map((s) => s.target)),
      duration: `${totalSeconds(STAGES)}s`,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    ping_latency_under_slow_readers: ['p(99)<20'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  const res = http.get(`${BASE_URL}/ping`, params('ping'));
  pingLatency.add(res.timings.duration);
  check(res, { 'status is 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return summaryFiles('slow', data);
}
