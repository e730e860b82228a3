// nats.js through the ftgate binary in front of an FT group of two ftbrokers: headers,
// request/reply and no-responders work as they do against one broker; the client only learns
// the gateway's address; and after kill -9 of the active broker the same client (reconnect on)
// is served again through the same URL. Binaries from FTGATE_BIN_DIR (default build/bin).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { connect, headers, StringCodec, ErrorCode } = require('nats');
const {
  waitFor, killSpawned, makeTempDir, removeTempDir, planBrokers, startFtGroup, startGateway,
  gatewayHealth,
} = require('./support');

const sc = StringCodec();
let dir;
let brokers; // [{ name, port, httpPort, proc }]
let gateway; // { port, httpPort, url, proc }

const healthz = () => gatewayHealth(gateway);
const gatewayUrl = () => gateway.url;

before(async () => {
  dir = makeTempDir('ftgate-js-gw-');
  brokers = await planBrokers(['a', 'b']);
  await startFtGroup(dir, brokers);
  gateway = await startGateway(dir, brokers);
});

after(() => {
  killSpawned();
  removeTempDir(dir);
});

test('the client learns only the gateway (nc.info: its port, no connect_urls)', async () => {
  const nc = await connect({ servers: gatewayUrl() });
  assert.equal(nc.info.port, gateway.port);
  assert.equal(nc.info.connect_urls, undefined);
  for (const b of brokers) assert.ok(!JSON.stringify(nc.info).includes(String(b.port)));
  assert.deepEqual(nc.protocol.servers.getServers().map((s) => s.listen), [`127.0.0.1:${gateway.port}`]);
  await nc.close();
});

test('headers survive a publish/subscribe round trip through ftgate', async () => {
  const nc = await connect({ servers: gatewayUrl() });
  const sub = nc.subscribe('greet', { max: 1 });
  await nc.flush();
  const h = headers();
  h.set('Trace-Id', 'abc-123');
  h.append('Multi', 'one');
  h.append('Multi', 'two');
  nc.publish('greet', sc.encode('hello'), { headers: h });
  for await (const m of sub) {
    assert.equal(sc.decode(m.data), 'hello');
    assert.equal(m.headers.get('Trace-Id'), 'abc-123');
    assert.deepEqual(m.headers.values('Multi'), ['one', 'two']);
  }
  await nc.close();
});

test('request/reply through ftgate', async () => {
  const service = await connect({ servers: gatewayUrl() });
  const client = await connect({ servers: gatewayUrl() });
  const sub = service.subscribe('time');
  (async () => { for await (const m of sub) m.respond(sc.encode(`re:${sc.decode(m.data)}`)); })();
  await service.flush();
  for (let i = 0; i < 10; i++) {
    const reply = await client.request('time', sc.encode(`q${i}`), { timeout: 2000 });
    assert.equal(sc.decode(reply.data), `re:q${i}`);
  }
  await client.close();
  await service.close();
});

test('a request nobody listens to fails at once with no responders', async () => {
  const nc = await connect({ servers: gatewayUrl() });
  const started = Date.now();
  await assert.rejects(nc.request('nobody.here', sc.encode('x'), { timeout: 5000 }), (err) => {
    assert.equal(err.code, ErrorCode.NoResponders);
    return true;
  });
  assert.ok(Date.now() - started < 2000, 'no-responders must not wait for the timeout');
  await nc.close();
});

// Last: it kills the active broker.
test('kill -9 of the active: the same client is served again through the same URL', async () => {
  const opts = { servers: gatewayUrl(), reconnect: true, maxReconnectAttempts: -1,
    reconnectTimeWait: 50, reconnectJitter: 0 };
  const service = await connect(opts);
  const client = await connect(opts);
  // Closed whatever happens: with reconnect on forever, a client left open would keep
  // node (and the test run) alive after a failure.
  try {
    const sub = service.subscribe('svc.echo');
    (async () => { for await (const m of sub) m.respond(sc.encode(`re:${sc.decode(m.data)}`)); })();
    const events = client.subscribe('events');
    await service.flush();
    await client.flush();
    assert.equal(sc.decode((await client.request('svc.echo', sc.encode('before'), { timeout: 2000 })).data),
      're:before');

    const killedAt = Date.now();
    brokers[0].proc.kill('SIGKILL');
    let reply = null;
    await waitFor(async () => {
      try {
        reply = await client.request('svc.echo', sc.encode('after'), { timeout: 200 });
        return true;
      } catch {
        return false;
      }
    }, 10000, 'a request through ftgate to be answered again');
    const tookMs = Date.now() - killedAt;
    assert.equal(sc.decode(reply.data), 're:after');
    console.log(`# kill -9 of the active -> nats.js request/reply through ftgate: ${tookMs} ms`);

    // Its subscription works again, and the client never left the gateway's URL.
    const got = (async () => { for await (const m of events) return sc.decode(m.data); })();
    service.publish('events', sc.encode('after'));
    await service.flush();
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no event')), 5000));
    assert.equal(await Promise.race([got, timeout]), 'after');
    assert.deepEqual(client.protocol.servers.getServers().map((s) => s.listen), [`127.0.0.1:${gateway.port}`]);

    const h = await healthz();
    assert.equal(h.status, 200);
    assert.equal(h.body.active, 'b');
  } finally {
    await client.close();
    await service.close();
  }
});
