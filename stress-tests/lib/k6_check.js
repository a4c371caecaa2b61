// Checks k6 scripts offline, without k6: each must be a valid ES module whose imports are
// k6 built-ins or relative files, export `options` (with scenarios and thresholds), a default
// function and handleSummary, and run one iteration and its summary against stubbed k6
// modules without throwing.
//
//   node --experimental-vm-modules stress-tests/lib/k6_check.js SCRIPT.js...
//
// Contract: prints "ok SCRIPT" or "FAIL SCRIPT: why" per script; exit status 1 if any failed.
// Parsing uses vm.SourceTextModule, i.e. V8's own ES module grammar (node 18 and 20).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const response = { status: 200, timings: { duration: 1 }, body: '{}', json: () => null };
class Metric {
  constructor(name) { this.name = name; }
  add() {}
}
const STUBS = {
  'k6': { check: () => true, group: (_, fn) => fn(), sleep: () => {} },
  'k6/http': { default: { get: () => response, post: () => response, put: () => response,
    del: () => response, request: () => response, file: (d) => d } },
  'k6/metrics': { Counter: Metric, Gauge: Metric, Rate: Metric, Trend: Metric },
  'k6/crypto': { default: { sha256: () => '0'.repeat(64) } },
};

function stub(specifier, context) {
  const exports = STUBS[specifier];
  if (!exports) throw new Error(`import of ${specifier}: not a k6 module this check knows`);
  const names = Object.keys(exports);
  return new vm.SyntheticModule(names, function init() {
    for (const n of names) this.setExport(n, exports[n]);
  }, { context, identifier: specifier });
}

async function check(file) {
  const context = vm.createContext({
    __ENV: { RESULTS_DIR: '/tmp', STAGES: '1s:1' }, __VU: 1, __ITER: 0, console,
  });
  const cache = new Map();
  const load = (f) => {
    if (!cache.has(f)) {
      cache.set(f, new vm.SourceTextModule(fs.readFileSync(f, 'utf8'), { context, identifier: f }));
    }
    return cache.get(f);
  };
  const root = load(file);
  await root.link((specifier, referrer) => {
    if (specifier.startsWith('.')) return load(path.resolve(path.dirname(referrer.identifier), specifier));
    return stub(specifier, context);
  });
  await root.evaluate();
  const ns = root.namespace;
  const problems = [];
  if (!ns.options || typeof ns.options !== 'object') problems.push('no exported options');
  else {
    if (!ns.options.scenarios && !ns.options.stages) problems.push('options without scenarios or stages');
    if (!ns.options.thresholds) problems.push('options without thresholds');
  }
  if (typeof ns.default !== 'function') problems.push('no default function');
  else ns.default();
  if (typeof ns.handleSummary !== 'function') problems.push('no handleSummary');
  else {
    const out = ns.handleSummary({ metrics: {}, state: { testRunDurationMs: 1 } });
    if (!Object.keys(out).some((k) => k.endsWith('.k6-summary.json'))) {
      problems.push('handleSummary writes no <name>.k6-summary.json');
    }
  }
  if (problems.length) throw new Error(problems.join('; '));
}

(async () => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      await check(path.resolve(file));
      console.log(`ok ${file}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${file}: ${e.message}`);
    }
  }
  process.exit(failed ? 1 : 0);
})();
