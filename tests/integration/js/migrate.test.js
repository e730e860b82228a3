// Session migration (issue 5) as a Node application sees it: clients that know only ftgate's
// URL, with reconnection switched off, keep their connection through kill -9 of the active
// broker of an FT group of two ftbrokers (file store). nats.js v2: no disconnect/reconnect
// status, headers and request/reply work after the switch. node-nats-streaming: no
// disconnect/connection_lost, every publish acked without error and within a pause far shorter
// than the ack wait, every acked message reaches the durable subscriber.
//
// Each test starts its own group and gateway with -D, logs in a temp dir; on failure the
// tails of those logs are printed and the directory is kept.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { connect, headers, StringCodec } = require('nats');
const {
  waitFor, exited, makeTempDir, removeTempDir, planBrokers, startFtGroup, startGateway,
  gatewayHealth, connectStan, closeStan, subscriptionReady,
} = require('./support');

const sc = StringCodec();

// Two ftbrokers (a active, b standby) on one store, ftgate in front naming a; all with -D.
async function startMigrationRig() {
  const dir = makeTempDir('ftgate-js-migrate-');
  const brokers = await planBrokers(['a', 'b']);
  const rig = { dir, brokers, gateway: null };
  try {
    await startFtGroup(dir, brokers, { debug: true });
    rig.gateway = await startGateway(dir, brokers, { debug: true });
  } catch (err) {
    await stopMigrationRig(rig, true);
    throw err;
  }
  return rig;
}

// kill -9 of the active broker; resolves once the gateway's /healthz names b.
async function killActiveAndWaitForSwitch(rig) {
  const [a, b] = rig.brokers;
  const killedAt = Date.now();
  a.proc.kill('SIGKILL');
  await exited(a.proc);
  await waitFor(async () => {
    const h = await gatewayHealth(rig.gateway);
    return h.status === 200 && h.body && h.body.active === b.name;
  }, 15000, 'ftgate to name b as the new active');
  return Date.now() - killedAt;
}

function logTail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Kills every process of the rig; on failure prints the log tails and keeps the directory.
async function stopMigrationRig(rig, failed) {
  const procs = [...rig.brokers.map((b) => b.proc), rig.gateway && rig.gateway.proc].filter(Boolean);
  for (const proc of procs) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await Promise.all(procs.map(exited));
  if (!failed) {
    removeTempDir(rig.dir);
    return;
  }
  console.log(`logs kept in ${rig.dir}`);
  for (const file of [rig.gateway && rig.gateway.logPath, ...rig.brokers.map((b) => b.logPath)]) {
    if (file) console.log(`---- ${file} (last 60 lines)\n${logTail(file, 60)}`);
  }
}

// Runs `body(rig)` against a fresh rig and always stops it.
async function withMigrationRig(body) {
  const rig = await startMigrationRig();
  let failed = true;
  try {
    await body(rig);
    failed = false;
  } finally {
    await stopMigrationRig(rig, failed);
  }
}

// Records every status event of a nats.js connection and whether it has closed.
function watchNatsConnection(nc) {
  const watch = { events: [], closed: false };
  (async () => { for await (const s of nc.status()) watch.events.push(s.type); })();
  nc.closed().then(() => { watch.closed = true; });
  return watch;
}

const LOST_CONNECTION_EVENTS = ['disconnect', 'reconnect', 'reconnecting'];

test('nats.js (reconnect off) through ftgate: kill -9 of the active is a pause, not a disconnect',
  { timeout: 120000 }, () => withMigrationRig(async (rig) => {
    const opts = { servers: rig.gateway.url, reconnect: false, name: 'migrate-js' };
    const subscriber = await connect(opts);
    const publisher = await connect(opts);
    const watches = [watchNatsConnection(subscriber), watchNatsConnection(publisher)];

    const received = [];
    const sub = subscriber.subscribe('migrate.headers');
    (async () => {
      for await (const m of sub) {
        received.push({ data: sc.decode(m.data), trace: m.headers && m.headers.get('Trace-Id'),
          multi: m.headers ? m.headers.values('Multi') : [] });
      }
    })();
    const service = subscriber.subscribe('migrate.echo');
    (async () => {
      for await (const m of service) {
        const h = headers();
        h.set('Echo-Of', (m.headers && m.headers.get('Trace-Id')) || '');
        m.respond(sc.encode(`re:${sc.decode(m.data)}`), { headers: h });
      }
    })();
    await subscriber.flush();

    const publishWithHeaders = (label) => {
      const h = headers();
      h.set('Trace-Id', `trace-${label}`);
      h.append('Multi', 'one');
      h.append('Multi', 'two');
      publisher.publish('migrate.headers', sc.encode(label), { headers: h });
    };
    for (let i = 0; i < 5; i++) publishWithHeaders(`before-${i}`);
    await publisher.flush();
    await waitFor(() => received.length >= 5, 5000, 'the 5 messages published before the switch');

    const switchMs = await killActiveAndWaitForSwitch(rig);
    console.log(`kill -9 -> ftgate names b: ${switchMs} ms`);

    // A flush is answered only once the session has been replayed on b (its PING is held
    // until then): after both, the subscriber's interest is on b before the publishes.
    const flushedAt = Date.now();
    await Promise.all([subscriber.flush(), publisher.flush()]).catch((err) => {
      const events = watches.map((w) => `[${w.events}]`).join(' ');
      assert.fail(`flush after the switch failed (${err.message}); status events: ${events}`);
    });
    console.log(`both flushes resolved ${Date.now() - flushedAt} ms after ftgate named b`);

    for (let i = 0; i < 5; i++) publishWithHeaders(`after-${i}`);
    await publisher.flush();
    await waitFor(() => received.filter((m) => m.data.startsWith('after-')).length >= 5, 10000,
      'the 5 messages published after the switch');
    for (const m of received.filter((r) => r.data.startsWith('after-'))) {
      assert.equal(m.trace, `trace-${m.data}`, 'a header survives the switch');
      assert.deepEqual(m.multi, ['one', 'two'], 'a repeated header survives the switch');
    }

    const rh = headers();
    rh.set('Trace-Id', 'req-after');
    const reply = await publisher.request('migrate.echo', sc.encode('after'), { timeout: 5000, headers: rh });
    assert.equal(sc.decode(reply.data), 're:after');
    assert.equal(reply.headers.get('Echo-Of'), 'req-after');
    await publisher.flush();
    await subscriber.flush();

    for (const [i, w] of watches.entries()) {
      const lost = w.events.filter((e) => LOST_CONNECTION_EVENTS.includes(e));
      assert.deepEqual(lost, [], `connection ${i} saw no disconnect/reconnect (all events: ${w.events})`);
      assert.equal(w.closed, false, `connection ${i} is still open`);
    }
    console.log(`status events seen: subscriber [${watches[0].events}], publisher [${watches[1].events}]`);
    assert.equal(subscriber.isClosed(), false);
    assert.equal(publisher.isClosed(), false);
    await publisher.close();
    await subscriber.close();
  }));

// Records the events of a node-nats-streaming connection.
function watchStanConnection(stanConn) {
  const watch = { events: [] };
  for (const name of ['disconnect', 'reconnecting', 'reconnect', 'connection_lost', 'close', 'error']) {
    stanConn.on(name, (arg) => watch.events.push(arg ? `${name}: ${arg}` : name));
  }
  return watch;
}

// Publishes m-0, m-1, ... to `channel` every `everyMs` without waiting for acks in turn, and
// records for each when it was sent, when its ack callback ran and with which error.
function startSteadyPublisher(stanConn, channel, everyMs) {
  const records = new Map();  // data -> { sentAt, ackedAt, err }
  let next = 0;
  const ticker = setInterval(() => {
    const data = `m-${next++}`;
    const record = { sentAt: Date.now(), ackedAt: 0, err: null };
    records.set(data, record);
    stanConn.publish(channel, data, (err) => {
      record.ackedAt = Date.now();
      record.err = err ? String(err) : null;
    });
  }, everyMs);
  return {
    records,
    ackedCount: () => [...records.values()].filter((r) => r.ackedAt && !r.err).length,
    allCalledBack: () => [...records.values()].every((r) => r.ackedAt),
    stop: () => clearInterval(ticker),
  };
}

// The publish whose ack came back last relative to its send: { data, gapMs }.
function longestAckGap(records) {
  let worst = { data: '', gapMs: 0 };
  for (const [data, r] of records) {
    const gapMs = r.ackedAt - r.sentAt;
    if (gapMs > worst.gapMs) worst = { data, gapMs };
  }
  return worst;
}

test('node-nats-streaming (reconnect off) through ftgate: publishes are acked and delivered across kill -9',
  { timeout: 180000 }, () => withMigrationRig(async (rig) => {
    // nats v1 underneath: reconnect and maxReconnectAttempts are passed through to it. The
    // streaming pings run every second (default 5 s) so a new active that does not know the
    // client shows up as connection_lost within the test; the publish ack wait is the default.
    const opts = { reconnect: false, maxReconnectAttempts: 0, stanPingInterval: 1000 };
    const subConn = await connectStan(rig.gateway.url, 'migrate-sub', opts);
    const pubConn = await connectStan(rig.gateway.url, 'migrate-pub', opts);
    const watches = { subscriber: watchStanConnection(subConn), publisher: watchStanConnection(pubConn) };
    // Fails a wait at once when a streaming connection reports a loss, naming the events.
    const stillConnected = () => {
      for (const [who, w] of Object.entries(watches)) {
        if (w.events.length) throw new Error(`the ${who}'s streaming connection saw: ${w.events.join(', ')}`);
      }
      return true;
    };

    const receivedData = new Set();
    let deliveries = 0;
    const sub = subConn.subscribe('migrate.stan', subConn.subscriptionOptions()
      .setDeliverAllAvailable().setDurableName('migrate-durable').setManualAckMode(true));
    sub.on('message', (m) => {
      deliveries++;
      receivedData.add(m.getData());
      m.ack();
    });
    await subscriptionReady(sub);

    const publisher = startSteadyPublisher(pubConn, 'migrate.stan', 5);
    let ackedAtSwitch = 0;
    try {
      await waitFor(() => stillConnected() && publisher.ackedCount() >= 100, 15000,
        '100 acked publishes before the kill');
      await killActiveAndWaitForSwitch(rig);
      const switchedAt = Date.now();
      ackedAtSwitch = publisher.ackedCount();
      // Keep publishing until b has acked 200 more and 3 streaming pings have run against it.
      await waitFor(() => stillConnected() && publisher.ackedCount() >= ackedAtSwitch + 200
        && Date.now() - switchedAt >= 3000, 30000, '200 more acked publishes after the switch');
    } finally {
      publisher.stop();
    }

    // Every publish gets its callback (a PubAck or, after the 30 s ack wait, a timeout error).
    await waitFor(publisher.allCalledBack, 45000, 'a callback for every publish');
    const records = [...publisher.records.entries()];
    const failedAcks = records.filter(([, r]) => r.err).map(([d, r]) => `${d}: ${r.err}`);
    assert.equal(failedAcks.length, 0,
      `${failedAcks.length} of ${records.length} publishes failed, e.g. ${failedAcks.slice(0, 5)}`);
    const worst = longestAckGap(records);
    console.log(`${records.length} publishes, ${ackedAtSwitch} acked when ftgate named b; `
      + `longest publish->ack ${worst.gapMs} ms (${worst.data})`);
    assert.ok(worst.gapMs < 10000,
      `the longest publish->ack gap (${worst.gapMs} ms, ${worst.data}) is far below the 30 s ack wait`);

    // Every acked message reaches the durable subscriber (redelivery after its ack wait allowed).
    const missing = () => records.filter(([d, r]) => !r.err && !receivedData.has(d)).map(([d]) => d);
    await waitFor(() => missing().length === 0, 45000, 'every acked message at the subscriber')
      .catch(() => assert.fail(`${missing().length} acked messages never reached the subscriber, `
        + `e.g. ${missing().slice(0, 10)}`));
    console.log(`${receivedData.size} distinct messages received in ${deliveries} deliveries`);

    for (const [who, w] of Object.entries(watches)) {
      assert.deepEqual(w.events, [], `the ${who}'s streaming connection saw no loss or error`);
    }
    await closeStan(pubConn);
    await closeStan(subConn);
  }));
