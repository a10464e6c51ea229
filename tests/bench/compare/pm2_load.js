// pm2_load.js PM2_MODULE NAME CLIENTS SECONDS
//
// Closed-loop load on PM2 through its programmatic API (pm2.describe, the
// call `pm2 describe` makes): CLIENTS calls in flight at once for SECONDS,
// over the one connection pm2.connect() opens to the PM2 daemon of
// PM2_HOME. Prints one JSON line: requests/s, p50 and p99 latency in
// microseconds, errors.
'use strict';
const [pm2Module, name, clients, seconds] = process.argv.slice(2);
const pm2 = require(pm2Module);

pm2.connect(false, (err) => {
  if (err) { console.error(`pm2_load: cannot connect: ${err.message}`); process.exit(1); }
  const lat = [];
  let errors = 0;
  const stop = process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
  const t0 = process.hrtime.bigint();
  let running = Number(clients);
  const loop = () => {
    if (process.hrtime.bigint() >= stop) {
      if (--running === 0) finish();
      return;
    }
    const s = process.hrtime.bigint();
    pm2.describe(name, (e, list) => {
      if (e || !list || list.length !== 1) errors++;
      else lat.push(Number(process.hrtime.bigint() - s) / 1e3);
      loop();
    });
  };
  const finish = () => {
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((a, b) => a - b);
    const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : 0);
    console.log(JSON.stringify({ requests: lat.length, req_per_s: lat.length / elapsed, p50_us: pct(0.5),
                                 p99_us: pct(0.99), errors }));
    pm2.disconnect();
  };
  for (let i = 0; i < Number(clients); i++) loop();
});
