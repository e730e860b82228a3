// ftbroker's core NATS against the nats.js client: headers, request/reply and no-responders,
// as a Node application would see them. Starts the real binary (FTGATE_BIN_DIR, default
// build/bin) on a free port.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { connect, headers, StringCodec, ErrorCode } = require('nats');
const { freePort, waitForPort, spawnBinary, killSpawned } = require('./support');

const sc = StringCodec();
let port;

before(async () => {
  port = await freePort();
  spawnBinary('ftbroker', ['-a', '127.0.0.1', '-p', String(port)]);
  await waitForPort(port, 10000);
});

after(killSpawned);

test('headers survive a publish/subscribe round trip (HPUB/HMSG)', async () => {
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  const sub = nc.subscribe('greet', { max: 1 });
  const h = headers();
  h.set('Trace-Id', 'abc-123');
  nc.publish('greet', sc.encode('hello'), { headers: h });
  for await (const m of sub) {
    assert.equal(sc.decode(m.data), 'hello');
    assert.ok(m.headers);
    assert.equal(m.headers.get('Trace-Id'), 'abc-123');
  }
  await nc.close();
});

test('request/reply', async () => {
  const service = await connect({ servers: `127.0.0.1:${port}` });
  const client = await connect({ servers: `127.0.0.1:${port}` });
  const sub = service.subscribe('time');
  (async () => {
    for await (const m of sub) m.respond(sc.encode(`re:${sc.decode(m.data)}`));
  })();
  await service.flush();
  for (let i = 0; i < 10; i++) {
    const reply = await client.request('time', sc.encode(`q${i}`), { timeout: 2000 });
    assert.equal(sc.decode(reply.data), `re:q${i}`);
  }
  await client.close();
  await service.close();
});

test('a request nobody listens to fails at once with no responders (503)', async () => {
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  const started = Date.now();
  await assert.rejects(nc.request('nobody.here', sc.encode('x'), { timeout: 5000 }), (err) => {
    assert.equal(err.code, ErrorCode.NoResponders);
    return true;
  });
  assert.ok(Date.now() - started < 2000, 'no-responders must not wait for the timeout');
  await nc.close();
});
