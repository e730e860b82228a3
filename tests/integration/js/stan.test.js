// ftbroker's NATS Streaming service against node-nats-streaming: publish with acks, every
// subscription kind and start position, redelivery after ack wait, durable resume after the
// client restarts, queue group sharing, and a broker restart on the file store keeping
// messages and durable positions. Starts the real binary (FTGATE_BIN_DIR, default build/bin).
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const stan = require('node-nats-streaming');

const binDir = process.env.FTGATE_BIN_DIR || path.join(__dirname, '..', '..', '..', 'build', 'bin');
const brokers = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
}

async function waitForPort(p, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(p, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`ftbroker did not listen on ${p}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startBroker(extra = [], port = 0) {
  const p = port || await freePort();
  const child = spawn(path.join(binDir, 'ftbroker'), ['-a', '127.0.0.1', '-p', String(p), ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  brokers.push(child);
  await waitForPort(p, 10000);
  return { port: p, child };
}

function stopBroker(b) {
  return new Promise((resolve) => {
    b.child.once('exit', resolve);
    b.child.kill('SIGTERM');
  });
}

after(() => { for (const b of brokers) b.kill('SIGKILL'); });

function connectStan(port, clientId) {
  return new Promise((resolve, reject) => {
    const sc = stan.connect('test-cluster', clientId, { url: `nats://127.0.0.1:${port}` });
    sc.once('connect', () => resolve(sc));
    sc.once('error', reject);
  });
}

function closeStan(sc) {
  return new Promise((resolve) => { sc.once('close', resolve); sc.close(); });
}

function publish(sc, channel, data) {
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

function ready(sub) {
  return new Promise((resolve, reject) => { sub.once('ready', resolve); sub.once('error', reject); });
}

test('publish is acknowledged and every start position delivers the right messages', async () => {
  const b = await startBroker();
  const sc = await connectStan(b.port, 'starts');
  for (let i = 1; i <= 5; i++) await publish(sc, 'pos', `m${i}`);

  const all = sc.subscribe('pos', sc.subscriptionOptions().setDeliverAllAvailable());
  assert.deepEqual((await collect(all, 5)).map((m) => m.seq), [1, 2, 3, 4, 5]);
  const fromSeq = sc.subscribe('pos', sc.subscriptionOptions().setStartAtSequence(4));
  assert.deepEqual((await collect(fromSeq, 2)).map((m) => m.data), ['m4', 'm5']);
  const last = sc.subscribe('pos', sc.subscriptionOptions().setStartWithLastReceived());
  assert.deepEqual((await collect(last, 1)).map((m) => m.seq), [5]);
  const delta = sc.subscribe('pos', sc.subscriptionOptions().setStartAtTimeDelta(60000));
  assert.equal((await collect(delta, 5)).length, 5);
  const newOnly = sc.subscribe('pos');
  await ready(newOnly);
  const next = collect(newOnly, 1);
  await publish(sc, 'pos', 'm6');
  assert.deepEqual((await next).map((m) => m.seq), [6]);
  await closeStan(sc);
  await stopBroker(b);
});

test('unacknowledged messages are redelivered after the ack wait, marked redelivered', async () => {
  const b = await startBroker();
  const sc = await connectStan(b.port, 'redeliver');
  await publish(sc, 'rd', 'once');
  const sub = sc.subscribe('rd', sc.subscriptionOptions().setDeliverAllAvailable()
    .setManualAckMode(true).setAckWait(1000));
  const got = await collect(sub, 2, 5000, (m) => { if (m.isRedelivered()) m.ack(); });
  assert.deepEqual(got.map((m) => [m.seq, m.redelivered]), [[1, false], [1, true]]);
  await closeStan(sc);
  await stopBroker(b);
});

test('a duplicate client ID is refused while the first client is alive', async () => {
  const b = await startBroker();
  const sc = await connectStan(b.port, 'dup');
  await assert.rejects(connectStan(b.port, 'dup'), /clientID already registered/);
  await closeStan(sc);
  const again = await connectStan(b.port, 'dup');  // after Close() the ID is free
  await closeStan(again);
  await stopBroker(b);
});

test('queue group members share the messages', async () => {
  const b = await startBroker();
  const sc = await connectStan(b.port, 'queues');
  const a = sc.subscribe('work', 'workers');
  const c = sc.subscribe('work', 'workers');
  await Promise.all([ready(a), ready(c)]);
  let countA = 0;
  let countC = 0;
  a.on('message', () => countA++);
  c.on('message', () => countC++);
  for (let i = 0; i < 20; i++) await publish(sc, 'work', `job${i}`);
  const deadline = Date.now() + 5000;
  while (countA + countC < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(countA + countC, 20);
  assert.ok(countA > 0 && countC > 0, `both members get work (${countA}/${countC})`);
  await closeStan(sc);
  await stopBroker(b);
});

test('a durable resumes where it left off after the client restarts', async () => {
  const b = await startBroker();
  let sc = await connectStan(b.port, 'durable');
  for (let i = 1; i <= 3; i++) await publish(sc, 'dur', `d${i}`);
  let sub = sc.subscribe('dur', sc.subscriptionOptions().setDeliverAllAvailable().setDurableName('keep'));
  assert.deepEqual((await collect(sub, 3)).map((m) => m.seq), [1, 2, 3]);
  await closeStan(sc);  // Close() keeps the durable

  sc = await connectStan(b.port, 'durable');
  await publish(sc, 'dur', 'd4');
  sub = sc.subscribe('dur', sc.subscriptionOptions().setDeliverAllAvailable().setDurableName('keep'));
  assert.deepEqual((await collect(sub, 1)).map((m) => [m.seq, m.data]), [[4, 'd4']]);
  await closeStan(sc);
  await stopBroker(b);
});

test('a broker restart on the file store keeps messages and durable positions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftbroker-stan-js-'));
  const storeArgs = ['-st', 'file', '--dir', dir];
  let b = await startBroker(storeArgs);
  let sc = await connectStan(b.port, 'persist');
  for (let i = 1; i <= 4; i++) await publish(sc, 'kept', `k${i}`);
  let sub = sc.subscribe('kept', sc.subscriptionOptions().setDeliverAllAvailable()
    .setDurableName('pos').setManualAckMode(true));
  await collect(sub, 4, 5000, (m) => { if (m.getSequence() <= 2) m.ack(); });  // 3, 4 unacked
  await closeStan(sc);
  await stopBroker(b);

  b = await startBroker(storeArgs);
  sc = await connectStan(b.port, 'persist');
  const all = sc.subscribe('kept', sc.subscriptionOptions().setDeliverAllAvailable());
  assert.deepEqual((await collect(all, 4)).map((m) => m.data), ['k1', 'k2', 'k3', 'k4']);
  sub = sc.subscribe('kept', sc.subscriptionOptions().setDurableName('pos').setManualAckMode(true));
  const resumed = await collect(sub, 2, 5000, (m) => m.ack());
  assert.deepEqual(resumed.map((m) => m.seq).sort(), [3, 4]);
  await closeStan(sc);
  await stopBroker(b);
  fs.rmSync(dir, { recursive: true, force: true });
});
