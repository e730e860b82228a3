// Shared helpers of the node integration tests: start the real binaries (FTGATE_BIN_DIR,
// default build/bin) on free ports, poll for a condition instead of sleeping, read the
// monitoring endpoints, start an FT group of ftbrokers with ftgate in front, and drive
// node-nats-streaming with promises. Every child started here is remembered so a test file's
// `after` can kill whatever is still running with one call (killSpawned).
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const binDir = process.env.FTGATE_BIN_DIR || path.join(__dirname, '..', '..', '..', 'build', 'bin');
const spawned = [];

// ---- processes, ports, polling ------------------------------------------------------------

// A TCP port that was free a moment ago on 127.0.0.1 (bind port 0, read it back, release it).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Polls `condition` (sync or async) every 20 ms until it is truthy; throws naming `what` once
// `deadlineMs` has passed. The polling interval is not a synchronisation: the condition is.
async function waitFor(condition, deadlineMs, what) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

// Resolves once something accepts TCP connections on 127.0.0.1:port.
function waitForPort(port, deadlineMs) {
  return waitFor(() => canConnect(port), deadlineMs, `a listener on ${port}`);
}

// Starts build/bin/<program>. With `logPath`, stdout and stderr are appended to that file;
// without, stdout is dropped and stderr goes to the test's stderr. The child is remembered
// for killSpawned.
function spawnBinary(program, args, { logPath } = {}) {
  let stdio = ['ignore', 'ignore', 'inherit'];
  if (logPath) {
    const log = fs.openSync(logPath, 'a');
    stdio = ['ignore', log, log];
  }
  const proc = spawn(path.join(binDir, program), args, { stdio });
  spawned.push(proc);
  return proc;
}

// SIGKILLs every child started by spawnBinary that has not exited yet.
function killSpawned() {
  for (const proc of spawned) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

// Resolves with the child's exit once it has exited (at once if it already has).
function exited(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { proc.once('exit', resolve); });
}

function makeTempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function removeTempDir(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

// ---- HTTP monitoring ----------------------------------------------------------------------

// GET http://127.0.0.1:<port><urlPath>; never rejects: a refused or timed-out request
// resolves with status 0.
function httpGet(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, body: '' }); });
  });
}

// httpGet plus the body parsed as JSON (null when it is not JSON).
async function httpGetJson(port, urlPath) {
  const r = await httpGet(port, urlPath);
  let body = null;
  try { body = JSON.parse(r.body); } catch { /* not JSON */ }
  return { status: r.status, body };
}

// ---- an FT group of ftbrokers with ftgate in front ----------------------------------------

const natsUrl = (port) => `nats://127.0.0.1:${port}`;

// Picks free ports for brokers named `names` (not started yet): [{ name, port, httpPort }].
async function planBrokers(names) {
  const brokers = [];
  for (const name of names) brokers.push({ name, port: await freePort(), httpPort: await freePort() });
  return brokers;
}

// Starts one ftbroker of FT group `group` on the file store <dir>/store; its log goes to
// <dir>/ftbroker-<name>.log. Sets b.proc and b.logPath.
function startFtBroker(dir, b, { group = 'g', debug = false } = {}) {
  b.logPath = path.join(dir, `ftbroker-${b.name}.log`);
  b.proc = spawnBinary('ftbroker', ['-a', '127.0.0.1', '-p', String(b.port), '-m', String(b.httpPort),
    '-n', b.name, '--store', 'file', '--dir', path.join(dir, 'store'), '--ft_group', group,
    ...(debug ? ['-D'] : [])], { logPath: b.logPath });
}

const isFtActive = async (b) => (await httpGet(b.httpPort, '/streaming/isFTActive')).status === 200;

// Starts brokers[0] and waits until it holds the lock, then the others as standbys and waits
// until their monitoring answers, so brokers[0] is the active one.
async function startFtGroup(dir, brokers, options = {}) {
  startFtBroker(dir, brokers[0], options);
  await waitFor(() => isFtActive(brokers[0]), 10000, `${brokers[0].name} to become active`);
  for (const b of brokers.slice(1)) {
    startFtBroker(dir, b, options);
    await waitFor(async () => (await httpGet(b.httpPort, '/healthz')).status !== 0,
      10000, `${b.name} to answer monitoring`);
  }
}

// ftgate's /healthz: { status, body } with body { active, ... } when it is JSON.
const gatewayHealth = (gateway) => httpGetJson(gateway.httpPort, '/healthz');

// Writes <dir>/gateway.conf for `brokers` (fast probes, the FT dir visible, then the lines of
// `extraConf`), starts ftgate with it (log in <dir>/ftgate.log) and waits until its /healthz
// names brokers[0] as active. Returns { port, httpPort, url, proc, logPath }.
async function startGateway(dir, brokers, { debug = false, extraConf = [] } = {}) {
  const gateway = { port: await freePort(), httpPort: await freePort() };
  gateway.url = natsUrl(gateway.port);
  const conf = [
    `listen: "127.0.0.1:${gateway.port}"`,
    `http: "127.0.0.1:${gateway.httpPort}"`,
    'probe { interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }',
    'lame_duck_duration: 1s',
    'backends: [',
    ...brokers.map((b) => `  { name: ${b.name}, url: "${natsUrl(b.port)}", `
      + `monitor: "http://127.0.0.1:${b.httpPort}" }`),
    ']',
    `ft { dir: "${path.join(dir, 'store')}" }`,
    ...extraConf,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'gateway.conf'), `${conf}\n`);
  gateway.logPath = path.join(dir, 'ftgate.log');
  gateway.proc = spawnBinary('ftgate', ['-c', path.join(dir, 'gateway.conf'), ...(debug ? ['-D'] : [])],
    { logPath: gateway.logPath });
  await waitFor(async () => {
    const h = await gatewayHealth(gateway);
    return h.status === 200 && h.body && h.body.active === brokers[0].name;
  }, 10000, `ftgate to name ${brokers[0].name} as active`);
  return gateway;
}

// ---- node-nats-streaming with promises ----------------------------------------------------

// Loaded on first use so core-NATS-only test files do not need the package.
const stanModule = () => require('node-nats-streaming');

// Connects to cluster 'test-cluster' at `url`; `options` are passed to stan.connect.
function connectStan(url, clientId, options = {}) {
  return new Promise((resolve, reject) => {
    const sc = stanModule().connect('test-cluster', clientId, { url, ...options });
    sc.once('connect', () => resolve(sc));
    sc.once('error', reject);
  });
}

function closeStan(sc) {
  return new Promise((resolve) => { sc.once('close', resolve); sc.close(); });
}

// Publishes and resolves with the guid once the PubAck arrives; rejects on an ack error.
function publishStan(sc, channel, data) {
  return new Promise((resolve, reject) => {
    sc.publish(channel, data, (err, guid) => (err ? reject(new Error(err)) : resolve(guid)));
  });
}

// Collects `count` messages from a subscription (or fails after the deadline).
function collect(sub, count, deadlineMs = 5000, onMsg = () => {}) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length}/${count} messages`)), deadlineMs);
    sub.on('message', (m) => {
      got.push({ seq: m.getSequence(), data: m.getData(), redelivered: m.isRedelivered() });
      onMsg(m);
      if (got.length === count) { clearTimeout(timer); resolve(got); }
    });
  });
}

// Resolves once the server has confirmed the subscription.
function subscriptionReady(sub) {
  return new Promise((resolve, reject) => { sub.once('ready', resolve); sub.once('error', reject); });
}

module.exports = {
  binDir,
  freePort,
  waitFor,
  waitForPort,
  spawnBinary,
  killSpawned,
  exited,
  makeTempDir,
  removeTempDir,
  httpGet,
  httpGetJson,
  natsUrl,
  planBrokers,
  startFtBroker,
  startFtGroup,
  isFtActive,
  startGateway,
  gatewayHealth,
  connectStan,
  closeStan,
  publishStan,
  collect,
  subscriptionReady,
};
