// ftbroker's NATS Streaming service against node-nats-streaming: publish with acks, every
// subscription kind and start position, redelivery after ack wait, durable resume after the
// client restarts, queue group sharing, and a broker restart on the file store keeping
// messages and durable positions. Starts the real binary (FTGATE_BIN_DIR, default build/bin).
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  freePort, waitFor, waitForPort, spawnBinary, killSpawned, exited, makeTempDir, removeTempDir, natsUrl,
  connectStan, closeStan, publishStan, collect, subscriptionReady,
} = require('./support');

async function startBroker(extra = []) {
  const port = await freePort();
  const proc = spawnBinary('ftbroker', ['-a', '127.0.0.1', '-p', String(port), ...extra]);
  await waitForPort(port, 10000);
  return { port, proc };
}

async function stopBroker(b) {
  b.proc.kill('SIGTERM');
  await exited(b.proc);
}

after(killSpawned);

test('publish is acknowledged and every start position delivers the right messages', async () => {
  const b = await startBroker();
  const sc = await connectStan(natsUrl(b.port), 'starts');
  for (let i = 1; i <= 5; i++) await publishStan(sc, 'pos', `m${i}`);

  const all = sc.subscribe('pos', sc.subscriptionOptions().setDeliverAllAvailable());
  assert.deepEqual((await collect(all, 5)).map((m) => m.seq), [1, 2, 3, 4, 5]);
  const fromSeq = sc.subscribe('pos', sc.subscriptionOptions().setStartAtSequence(4));
  assert.deepEqual((await collect(fromSeq, 2)).map((m) => m.data), ['m4', 'm5']);
  const last = sc.subscribe('pos', sc.subscriptionOptions().setStartWithLastReceived());
  assert.deepEqual((await collect(last, 1)).map((m) => m.seq), [5]);
  const delta = sc.subscribe('pos', sc.subscriptionOptions().setStartAtTimeDelta(60000));
  assert.equal((await collect(delta, 5)).length, 5);
  const newOnly = sc.subscribe('pos');
  await subscriptionReady(newOnly);
  const next = collect(newOnly, 1);
  await publishStan(sc, 'pos', 'm6');
  assert.deepEqual((await next).map((m) => m.seq), [6]);
  await closeStan(sc);
  await stopBroker(b);
});

test('unacknowledged messages are redelivered after the ack wait, marked redelivered', async () => {
  const b = await startBroker();
  const sc = await connectStan(natsUrl(b.port), 'redeliver');
  await publishStan(sc, 'rd', 'once');
  const sub = sc.subscribe('rd', sc.subscriptionOptions().setDeliverAllAvailable()
    .setManualAckMode(true).setAckWait(1000));
  const got = await collect(sub, 2, 5000, (m) => { if (m.isRedelivered()) m.ack(); });
  assert.deepEqual(got.map((m) => [m.seq, m.redelivered]), [[1, false], [1, true]]);
  await closeStan(sc);
  await stopBroker(b);
});

test('a duplicate client ID is refused while the first client is alive', async () => {
  const b = await startBroker();
  const sc = await connectStan(natsUrl(b.port), 'dup');
  await assert.rejects(connectStan(natsUrl(b.port), 'dup'), /clientID already registered/);
  await closeStan(sc);
  const again = await connectStan(natsUrl(b.port), 'dup');  // after Close() the ID is free
  await closeStan(again);
  await stopBroker(b);
});

test('queue group members share the messages', async () => {
  const b = await startBroker();
  const sc = await connectStan(natsUrl(b.port), 'queues');
  const a = sc.subscribe('work', 'workers');
  const c = sc.subscribe('work', 'workers');
  await Promise.all([subscriptionReady(a), subscriptionReady(c)]);
  let countA = 0;
  let countC = 0;
  a.on('message', () => countA++);
  c.on('message', () => countC++);
  for (let i = 0; i < 20; i++) await publishStan(sc, 'work', `job${i}`);
  await waitFor(() => countA + countC >= 20, 5000, 'all 20 jobs to be delivered');
  assert.equal(countA + countC, 20);
  assert.ok(countA > 0 && countC > 0, `both members get work (${countA}/${countC})`);
  await closeStan(sc);
  await stopBroker(b);
});

test('a durable resumes where it left off after the client restarts', async () => {
  const b = await startBroker();
  let sc = await connectStan(natsUrl(b.port), 'durable');
  for (let i = 1; i <= 3; i++) await publishStan(sc, 'dur', `d${i}`);
  let sub = sc.subscribe('dur', sc.subscriptionOptions().setDeliverAllAvailable().setDurableName('keep'));
  assert.deepEqual((await collect(sub, 3)).map((m) => m.seq), [1, 2, 3]);
  await closeStan(sc);  // Close() keeps the durable

  sc = await connectStan(natsUrl(b.port), 'durable');
  await publishStan(sc, 'dur', 'd4');
  sub = sc.subscribe('dur', sc.subscriptionOptions().setDeliverAllAvailable().setDurableName('keep'));
  assert.deepEqual((await collect(sub, 1)).map((m) => [m.seq, m.data]), [[4, 'd4']]);
  await closeStan(sc);
  await stopBroker(b);
});

test('a broker restart on the file store keeps messages and durable positions', async () => {
  const dir = makeTempDir('ftbroker-stan-js-');
  const storeArgs = ['-st', 'file', '--dir', dir];
  let b = await startBroker(storeArgs);
  let sc = await connectStan(natsUrl(b.port), 'persist');
  for (let i = 1; i <= 4; i++) await publishStan(sc, 'kept', `k${i}`);
  let sub = sc.subscribe('kept', sc.subscriptionOptions().setDeliverAllAvailable()
    .setDurableName('pos').setManualAckMode(true));
  await collect(sub, 4, 5000, (m) => { if (m.getSequence() <= 2) m.ack(); });  // 3, 4 unacked
  await closeStan(sc);
  await stopBroker(b);

  b = await startBroker(storeArgs);
  sc = await connectStan(natsUrl(b.port), 'persist');
  const all = sc.subscribe('kept', sc.subscriptionOptions().setDeliverAllAvailable());
  assert.deepEqual((await collect(all, 4)).map((m) => m.data), ['k1', 'k2', 'k3', 'k4']);
  sub = sc.subscribe('kept', sc.subscriptionOptions().setDurableName('pos').setManualAckMode(true));
  const resumed = await collect(sub, 2, 5000, (m) => m.ack());
  assert.deepEqual(resumed.map((m) => m.seq).sort(), [3, 4]);
  await closeStan(sc);
  await stopBroker(b);
  removeTempDir(dir);
});
