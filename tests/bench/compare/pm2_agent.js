// pm2_agent.js PM2_MODULE: drives the PM2 daemon of PM2_HOME for
// tests/bench/compare through PM2's programmatic API (require('pm2')),
// the interface `pm2` itself is built on. Reads one JSON request per line
// on stdin, writes one JSON reply per line on stdout. Anything timed is
// timed here, next to the API call, so the pipe to the harness never counts.
//
//   {"op":"start","apps":[...],"wait":W,"timeout":T}
//                                      pm2.start({apps}), then (W) pm2.list
//                                      until all are online: {"seconds"}
//   {"op":"load","method":"describe"|"list","name":N,"clients":C,"seconds":S}
//                                      closed loop: {"req_per_s","p50_us","p99_us","errors"}
//   {"op":"pid","name":N}              its pid, 0 when not online: {"pid"}
//   {"op":"first_line","app":{...},"needle":T}
//                                      pm2.start(app) until the log bus brings
//                                      a line of it holding T, then deletes the
//                                      app (PM2 keeps no job that never ran: a
//                                      new one is created by starting it): {"seconds"}
//   {"op":"list"}                      {"apps":[{"name","status","pid"}]}
//   {"op":"daemon_pid"}                {"pid"}
//   {"op":"kill"}                      pm2.killDaemon: the daemon and its apps
// A failure replies {"error": "..."}.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const pm2 = require(process.argv[2]);

const now = () => process.hrtime.bigint();
const seconds = (t0) => Number(now() - t0) / 1e9;
const call = (fn, ...args) => new Promise((resolve, reject) =>
  fn.call(pm2, ...args, (err, res) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(res))));
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);

let bus = null;
const busWaiters = [];
async function logBus() {
  if (bus) return;
  bus = await call(pm2.launchBus);
  bus.on('log:out', (packet) => {
    for (let i = busWaiters.length - 1; i >= 0; i--) {
      const w = busWaiters[i];
      if (packet.process.name === w.name && String(packet.data).includes(w.needle)) {
        busWaiters.splice(i, 1);
        w.resolve();
      }
    }
  });
}

async function allOnline(names, timeout) {
  const want = new Set(names);
  const t0 = now();
  for (;;) {
    const list = await call(pm2.list);
    const up = list.filter((p) => want.has(p.name) && p.pm2_env.status === 'online' && p.pid > 0).length;
    if (up === want.size) return;
    if (timeout && seconds(t0) > timeout) throw new Error(`${up} of ${want.size} online after ${timeout} s`);
    await new Promise((r) => setTimeout(r, Math.max(5, want.size / 100)));  // as compare.py polls
  }
}

async function load({ method, name, clients, seconds: secs }) {
  const lat = [];
  let errors = 0;
  const t0 = now();
  const stop = t0 + BigInt(Math.round(secs * 1e9));
  const one = async () => {
    while (now() < stop) {
      const s = now();
      try {
        const r = method === 'list' ? await call(pm2.list) : await call(pm2.describe, name);
        if (!Array.isArray(r) || (method === 'describe' && r.length !== 1)) errors++;
        else lat.push(Number(now() - s) / 1e3);
      } catch (e) {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, one));
  lat.sort((a, b) => a - b);
  return { requests: lat.length, req_per_s: lat.length / seconds(t0), p50_us: percentile(lat, 0.5),
           p99_us: percentile(lat, 0.99), errors };
}

async function pidOf(name) {
  const [p] = await call(pm2.describe, name);
  return p && p.pm2_env.status === 'online' ? p.pid : 0;
}

async function firstLine({ app, needle }) {
  const name = app.name;
  await logBus();
  const seen = new Promise((resolve) => busWaiters.push({ name, needle, resolve }));
  const t0 = now();
  await call(pm2.start, app);
  await seen;
  const s = seconds(t0);
  await call(pm2.delete, name);
  return { seconds: s };
}

async function handle(req) {
  switch (req.op) {
    case 'start': {
      const t0 = now();
      await call(pm2.start, { apps: req.apps });
      if (req.wait !== false) await allOnline(req.apps.map((a) => a.name), req.timeout);
      return { seconds: seconds(t0) };
    }
    case 'load': return load(req);
    case 'pid': return { pid: await pidOf(req.name) };
    case 'first_line': return firstLine(req);
    case 'list': {
      const list = await call(pm2.list);
      return { apps: list.map((p) => ({ name: p.name, status: p.pm2_env.status, pid: p.pid })) };
    }
    case 'daemon_pid':
      return { pid: Number(fs.readFileSync(path.join(process.env.PM2_HOME, 'pm2.pid'), 'utf8')) };
    case 'kill': await call(pm2.killDaemon); return {};
    default: throw new Error(`unknown op ${req.op}`);
  }
}

pm2.connect(false, (err) => {
  if (err) {
    console.log(JSON.stringify({ error: `cannot connect: ${err.message}` }));
    process.exit(1);
  }
  console.log(JSON.stringify({ ready: true }));
  const rl = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      let reply;
      try {
        reply = await handle(JSON.parse(line));
      } catch (e) {
        reply = { error: e.message || String(e) };
      }
      console.log(JSON.stringify(reply));
    });
  });
  rl.on('close', () => queue.then(() => {
    if (bus) bus.close();
    pm2.disconnect();
    process.exit(0);
  }));
});
