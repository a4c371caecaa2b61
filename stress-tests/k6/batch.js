// batch: ramp to 50 VUs, each iteration one POST /batch-upload of 5 files (FILE_SIZE_KB,
// default 50) and one POST /batch-download for 5 seeded paths (skipped when
// FSVC_BATCH_DOWNLOAD=0, i.e. the server has no such route).
import http from 'k6/http';
import { check, group } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, FOLDER, MULTIPART, RUN_ID, SEED_COUNT, SEED_FOLDER, SUMMARY_STATS, content, multipart,
  params, stagesFromEnv, summaryFiles,
} from './lib/common.js';

const SIZE = Math.floor(parseFloat(__ENV.FILE_SIZE_KB || '50') * 1024);
const PER_BATCH = 5;
const WITH_DOWNLOAD = (__ENV.FSVC_BATCH_DOWNLOAD || '1') === '1';
const batchUploadLatency = new Trend('batch_upload_latency', true);
const batchDownloadLatency = new Trend('batch_download_latency', true);
const batchOk = new Rate('batch_ok');
const acknowledged = new Counter('uploads_acknowledged');

export const options = {
  scenarios: {
    batch: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: stagesFromEnv('20s:10,20s:25,40s:50'),
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    batch_upload_latency: ['p(95)<3000'],
    batch_ok: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_STATS,
};

export default function () {
  group('batch-upload', () => {
    const files = [];
    for (let i = 0; i < PER_BATCH; i++) {
      const name = `${RUN_ID}-vu${__VU}-${__ITER}-${i}.bin`;
      files.push([name, content(`${FOLDER}/${name}`, SIZE)]);
    }
    const res = http.post(`${BASE_URL}/batch-upload`, multipart(FOLDER, files),
      params('batch-upload', { 'Content-Type': MULTIPART }));
    batchUploadLatency.add(res.timings.duration);
    const ok = check(res, {
      'batch-upload is 200': (r) => r.status === 200,
      'all files stored': (r) => r.json('failed') === 0,
    });
    batchOk.add(ok);
    if (res.status === 200) acknowledged.add(res.json('succeeded'));
  });
  if (!WITH_DOWNLOAD) return;
  group('batch-download', () => {
    const paths = [];
    for (let i = 0; i < PER_BATCH; i++) {
      paths.push(`${SEED_FOLDER}/r-${Math.floor(Math.random() * SEED_COUNT)}.bin`);
    }
    const res = http.post(`${BASE_URL}/batch-download`, JSON.stringify({ paths }),
      params('batch-download', { 'Content-Type': 'application/json' }));
    batchDownloadLatency.add(res.timings.duration);
    batchOk.add(check(res, { 'batch-download is 200': (r) => r.status === 200 }));
  });
}

export function handleSummary(data) {
  return summaryFiles('batch', data);
}
