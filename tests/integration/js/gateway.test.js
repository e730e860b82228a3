// nats.js through the ftgate binary in front of an FT group of two ftbrokers: headers,
// request/reply and no-responders work as they do against one broker; the client only learns
// the gateway's address; and after kill -9 of the active broker the same client (reconnect on)
// is served again through the same URL. Binaries from FTGATE_BIN_DIR (default build/bin).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { connect, headers, StringCodec, ErrorCode } = require('nats');

const binDir = process.env.FTGATE_BIN_DIR || path.join(__dirname, '..', '..', '..', 'build', 'bin');
const sc = StringCodec();
const children = [];
let dir;
let brokers; // [{ name, port, httpPort, proc }]
let gateway; // { port, httpPort, proc }

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

async function waitFor(condition, deadlineMs, what) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(program, args, logName) {
  const log = fs.openSync(path.join(dir, logName), 'a');
  const proc = spawn(path.join(binDir, program), args, { stdio: ['ignore', log, log] });
  children.push(proc);
  return proc;
}

function startBroker(b) {
  b.proc = start('ftbroker', ['-a', '127.0.0.1', '-p', String(b.port), '-m', String(b.httpPort),
    '-n', b.name, '--store', 'file', '--dir', path.join(dir, 'store'), '--ft_group', 'g'],
  `ftbroker-${b.name}.log`);
}

async function healthz() {
  const r = await httpGet(gateway.httpPort, '/healthz');
  let body = null;
  try { body = JSON.parse(r.body); } catch { /* not JSON */ }
  return { status: r.status, body };
}

const gatewayUrl = () => `nats://127.0.0.1:${gateway.port}`;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftgate-js-gw-'));
  brokers = [];
  for (const name of ['a', 'b']) brokers.push({ name, port: await freePort(), httpPort: await freePort() });
  startBroker(brokers[0]);
  await waitFor(async () => (await httpGet(brokers[0].httpPort, '/streaming/isFTActive')).status === 200,
    10000, 'a to become active');
  startBroker(brokers[1]);
  await waitFor(async () => (await httpGet(brokers[1].httpPort, '/healthz')).status !== 0,
    10000, 'b to answer monitoring');

  gateway = { port: await freePort(), httpPort: await freePort() };
  const conf = [
    `listen: "127.0.0.1:${gateway.port}"`,
    `http: "127.0.0.1:${gateway.httpPort}"`,
    'probe { interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }',
    'lame_duck_duration: 1s',
    'backends: [',
    ...brokers.map((b) => `  { name: ${b.name}, url: "nats://127.0.0.1:${b.port}", monitor: "http://127.0.0.1:${b.httpPort}" }`),
    ']',
    `ft { dir: "${path.join(dir, 'store')}" }`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'gateway.conf'), `${conf}\n`);
  gateway.proc = start('ftgate', ['-c', path.join(dir, 'gateway.conf')], 'ftgate.log');
  await waitFor(async () => {
    const h = await healthz();
    return h.status === 200 && h.body && h.body.active === 'a';
  }, 10000, 'ftgate to name a as active');
});

after(() => {
  for (const proc of children) if (proc.exitCode === null) proc.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
  await client.close();
  await service.close();
});
