// read: ramp to 300 VUs doing GET /list of the seeded folder and GET /files/<path> of a random
// seeded file (run.sh seeds FSVC_FILE_COUNT files FSVC_FOLDER/r-<i>.bin first).
import http from 'k6/http';
import { check, group } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, FOLDER, SEED_COUNT, SUMMARY_STATS, params, stagesFromEnv, summaryFiles,
} from './lib/common.js';

const listLatency = new Trend('list_latency', true);
const downloadLatency = new Trend('download_latency', true);
const readOk = new Rate('read_ok');

export const options = {
  scenarios: {
    read: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: stagesFromEnv('20s:100,20s:200,40s:300'),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    list_latency: ['p(95)<500'],
    download_latency: ['p(95)<500'],
    read_ok: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  group('list', () => {
    const res = http.get(`${BASE_URL}/list?path=${FOLDER}&pageSize=50`, params('list'));
    listLatency.add(res.timings.duration);
    readOk.add(check(res, { 'list is 200': (r) => r.status === 200 }));
  });
  group('download', () => {
    const i = Math.floor(Math.random() * SEED_COUNT);
    const res = http.get(`${BASE_URL}/files/${FOLDER}/r-${i}.bin`, params('download'));
    downloadLatency.add(res.timings.duration);
    readOk.add(check(res, { 'download is 200': (r) => r.status === 200 }));
  });
}

export function handleSummary(data) {
  return summaryFiles('read', data);
}
