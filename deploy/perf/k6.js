// Load test for Formula PM with k6 (https://k6.io): the scenario formula-loadgen also runs.
//
// Each virtual user signs in once (its own session), then loops: project list, one project,
// its tasks, my work, a project search, a global search, a comment mentioning someone, create a task and delete it again, then thinks
// 1-3 s. Stages ramp to 100 users, hold them 10 minutes and ramp down. The run fails when the
// 95th percentile of all requests reaches 500 ms or more than 1 % of requests fail.
//
//   k6 run -e BASE_URL=https://pm.example.com -e EMAIL=loadtest@example.com \
//          -e PASSWORD=… deploy/perf/k6.js
//
// Environment (-e NAME=value):
//   BASE_URL      server root, no path (default http://127.0.0.1:5014)
//   EMAIL         account every user signs in as (default the seed-demo administrator)
//   PASSWORD      its password (required)
//   VUS           users to ramp to (default 100)
//   RAMP          ramp-up duration (default 2m)
//   HOLD          time at full load (default 10m)
//   RAMP_DOWN     ramp-down duration (default 1m)
//   SEARCH_TERMS  comma-separated project search terms (default: the demo clients' names)
//   GLOBAL_SEARCH_TERMS  comma-separated global search queries (default: words of the data
//                 scripts/bench/load.py writes, some as the start of a word)
//
// The server under test must accept that many sign-ins from one address: the default
// RATE_LIMIT_LOGIN_PER_MINUTE is 20 per client IP, so start it with, e.g.,
// RATE_LIMIT_LOGIN_PER_MINUTE=1000 (or RATE_LIMIT_ENABLED=false with ALLOW_NO_RATE_LIMIT=true
// in production), and mind nginx's own limits when testing through it. The per-caller API
// limits (1200 reads, 300 writes per minute) are not reached: each user has its own session
// and makes about 6 reads and 2 writes per loop of at least a second. The account needs to be
// allowed to create and delete tasks on the projects it sees (an administrator or a project
// manager on every project). Every task created is deleted in the same loop, so a run leaves
// only audit entries behind. See deploy/perf/README.md.

import http from 'k6/http';
import { check, fail, sleep } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:5014').replace(/\/+$/, '');
const EMAIL = __ENV.EMAIL || 'admin@demo.formulapm.test';
const PASSWORD = __ENV.PASSWORD || '';
const VUS = parseInt(__ENV.VUS || '100', 10);
const SEARCH_TERMS = (__ENV.SEARCH_TERMS ||
  'Meridian,Aurelia,Northwind,Cedar,fit-out,Joinery,Kitchens')
  .split(',')
  .map((t) => t.trim())
  .filter((t) => t.length > 0);

const GLOBAL_SEARCH_TERMS = (__ENV.GLOBAL_SEARCH_TERMS ||
  'walnut,zebrano,Calacatta marble,pivot door,banquette,humidor,fluted gl,sapele,Hettich,ebonised,' +
  'Ingrid,BM012-0042,BM031,SD-101,Meridian,Benchmark fit-out 012,sample board,delivery,banq,snag list')
  .split(',')
  .map((t) => t.trim())
  .filter((t) => t.length > 0);

const ENDPOINTS = [
  'login',
  'project list',
  'project detail',
  'project tasks',
  'my work',
  'search',
  'global search',
  'comment with a mention',
  'create task',
  'delete task',
];

const thresholds = {
  http_req_duration: ['p(95)<500'],
  http_req_failed: ['rate<0.01'],
};
// Always-true thresholds on each endpoint's sub-metric, so that the end-of-test summary
// lists p95/p99 per endpoint (k6 only shows sub-metrics that have a threshold).
for (const name of ENDPOINTS) {
  thresholds[`http_req_duration{name:${name}}`] = ['max>=0'];
  thresholds[`http_req_failed{name:${name}}`] = ['rate>=0'];
}

export const options = {
  stages: [
    { duration: __ENV.RAMP || '2m', target: VUS },
    { duration: __ENV.HOLD || '10m', target: VUS },
    { duration: __ENV.RAMP_DOWN || '1m', target: 0 },
  ],
  thresholds,
  // Keep each user's session cookie from one iteration to the next (k6 clears it by default).
  noCookiesReset: true,
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

function login() {
  const res = http.post(
    `${BASE_URL}/api/v1/auth/login`,
    JSON.stringify({ email: EMAIL, password: PASSWORD }),
    { headers: JSON_HEADERS, tags: { name: 'login' } },
  );
  const ok = check(res, { 'login: 200': (r) => r.status === 200 });
  if (!ok) {
    return null;
  }
  // The session cookie lands in this user's cookie jar; cookie-authenticated writes must
  // send the CSRF token from the body as X-CSRF-Token.
  return { csrf: res.json('csrf_token') };
}

// Once, before any user starts: fail fast on a wrong password or an unreachable server.
export function setup() {
  if (!PASSWORD) {
    fail('set PASSWORD (k6 run -e PASSWORD=…)');
  }
  const res = http.post(
    `${BASE_URL}/api/v1/auth/login`,
    JSON.stringify({ email: EMAIL, password: PASSWORD }),
    { headers: JSON_HEADERS, tags: { name: 'setup' } },
  );
  if (res.status !== 200) {
    fail(`sign-in as ${EMAIL} at ${BASE_URL} failed: HTTP ${res.status} ${res.body}`);
  }
  return {};
}

// Per-user state (each VU has its own copy of this module).
let session = null;
let projectIds = [];
let iteration = 0;

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function get(path, name) {
  return http.get(`${BASE_URL}${path}`, { headers: { Accept: 'application/json' }, tags: { name } });
}

function lostSession(res) {
  if (res.status === 401) {
    session = null;
    return true;
  }
  return false;
}

export default function () {
  if (session === null) {
    session = login();
    if (session === null) {
      sleep(1 + Math.random() * 2);
      return;
    }
  }

  let res = get('/api/v1/projects?limit=50', 'project list');
  check(res, { 'project list: 200': (r) => r.status === 200 });
  if (lostSession(res)) {
    return;
  }
  if (res.status === 200) {
    const items = res.json('items') || [];
    const active = items.filter((p) => p.status === 'active').map((p) => p.id);
    const ids = active.length > 0 ? active : items.map((p) => p.id);
    if (ids.length > 0) {
      projectIds = ids;
    }
  }
  if (projectIds.length === 0) {
    sleep(1 + Math.random() * 2);
    return;
  }
  const projectId = pick(projectIds);

  res = get(`/api/v1/projects/${projectId}`, 'project detail');
  check(res, { 'project detail: 200': (r) => r.status === 200 });

  res = get(`/api/v1/projects/${projectId}/tasks?limit=50`, 'project tasks');
  check(res, { 'project tasks: 200': (r) => r.status === 200 });

  res = get('/api/v1/me/tasks', 'my work');
  check(res, { 'my work: 200': (r) => r.status === 200 });

  const term = encodeURIComponent(pick(SEARCH_TERMS));
  res = get(`/api/v1/projects?q=${term}&limit=50`, 'search');
  check(res, { 'search: 200': (r) => r.status === 200 });

  const words = encodeURIComponent(pick(GLOBAL_SEARCH_TERMS));
  res = get(`/api/v1/search?q=${words}&limit=10`, 'global search');
  check(res, { 'global search: 200': (r) => r.status === 200 });

  iteration += 1;
  // A comment mentioning an executive: the write whose notifications fan out.
  res = http.post(
    `${BASE_URL}/api/v1/comments`,
    JSON.stringify({
      record_type: 'project',
      record_id: projectId,
      body: `@richard.hale load test note ${__VU}-${iteration}: please check the site dimensions`,
    }),
    {
      headers: Object.assign({ 'X-CSRF-Token': session.csrf }, JSON_HEADERS),
      tags: { name: 'comment with a mention' },
    },
  );
  check(res, { 'comment with a mention: 201': (r) => r.status === 201 });
  if (lostSession(res)) {
    return;
  }

  res = http.post(
    `${BASE_URL}/api/v1/projects/${projectId}/tasks`,
    JSON.stringify({ title: `Load test task ${__VU}-${iteration}`, priority: 'medium' }),
    {
      headers: Object.assign({ 'X-CSRF-Token': session.csrf }, JSON_HEADERS),
      tags: { name: 'create task' },
    },
  );
  check(res, { 'create task: 201': (r) => r.status === 201 });
  if (lostSession(res)) {
    return;
  }
  if (res.status === 201) {
    const task = res.json();
    res = http.del(`${BASE_URL}/api/v1/tasks/${task.id}?version=${task.version}`, null, {
      headers: { 'X-CSRF-Token': session.csrf, Accept: 'application/json' },
      tags: { name: 'delete task' },
    });
    check(res, { 'delete task: 204': (r) => r.status === 204 });
    lostSession(res);
  }

  // Think time.
  sleep(1 + Math.random() * 2);
}
