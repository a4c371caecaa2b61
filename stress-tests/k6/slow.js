// slow: the /ping probe of the backpressure test, run once per phase.
// SLOW_PHASE=readers (default): while run.sh keeps 20 curl clients downloading a 50 MiB file
// at 100 KB/s each (k6 cannot throttle a download), 10 VUs measure /ping; its p99 should stay
// under 20 ms and the server's RSS grow by less than 5 MB.
// SLOW_PHASE=uploaders: while stress-tests/lib/conn_storm.py slowbody keeps SLOW_UPLOADERS
// clients trickling request bodies (PUT /files and POST /batch-download, 4 bytes a second),
// the same probe; its p99 should stay under PING_P99_MS (default 50).
import http from 'k6/http';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import {
  BASE_URL, SUMMARY_STATS, params, stagesFromEnv, summaryFiles, totalSeconds,
} from './lib/common.js';

const STAGES = stagesFromEnv('58s:10');
const PHASE = __ENV.SLOW_PHASE === 'uploaders' ? 'uploaders' : 'readers';
const TARGET_MS = PHASE === 'uploaders' ? parseFloat(__ENV.PING_P99_MS || '50') : 20;
const METRIC = `ping_latency_under_slow_${PHASE}`;
const pingLatency = new Trend(METRIC, true);

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
    [METRIC]: [`p(99)<${TARGET_MS}`],
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
