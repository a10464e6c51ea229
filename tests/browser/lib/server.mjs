// One backend-server per test file: its own free ports (the API and the HTTP
// face), its own data folder and its own shared memory, so that test files
// run side by side. Also the HTTP calls the tests make from outside the
// browser: the socket-free API (POST /api/COMMAND) and raw requests whose
// headers (Host, Origin, Cookie) a test chooses itself.
//
//   const server = await startServer();          // BACKEND_SERVER or ../../build/run/backend-server
//   await server.api('ADD', {jobname: 'x', command: '/bin/sh', params: "-c 'echo hi'"});
//   await server.stop();                         // SIGTERM, SIGKILL after 5 s
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

// The binary under test: BACKEND_SERVER (run.sh sets it from BUILD_DIR), else
// the normal build's.
export function serverBinary() {
  return process.env.BACKEND_SERVER || path.join(root, 'build/run/backend-server');
}

// A loopback port free right now: bind port 0, read what the kernel gave,
// close. Another process may take it before the server binds it; start()
// then tries again on new ports.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns something truthy (returned) or timeout_ms pass
// (throws with what, and the last value or error).
export async function waitFor(fn, { timeout = 5000, step = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(step);
  }
}

// One HTTP request to 127.0.0.1:port, no connection pool (each request its
// own connection, so a Host or Origin of one request never rides on
// another's). Returns {status, headers, text, json} (json null when the body
// is not JSON).
export function request(port, method, urlPath, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    let data;
    if (body !== undefined) data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { ...headers };
    if (data && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) h['Content-Length'] = data.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON: a test reads text
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${urlPath}: no answer in 30 s`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Servers still running when this process ends (a test file cut by run.sh's
// time limit, an uncaught error) are killed with their process group, and
// their folders removed, so that nothing is left behind.
const live = new Set();
function killLeftovers() {
  for (const s of live) {
    try {
      process.kill(-s.proc.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    try {
      fs.unlinkSync(`/dev/shm/${s.shmName}`);
    } catch {
      // removed, or never made
    }
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
  live.clear();
}
process.on('exit', killLeftovers);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.once(sig, () => {
    killLeftovers();
    process.kill(process.pid, sig);
  });
}

export class Server {
  constructor({ binary = serverBinary(), config = {} } = {}) {
    this.binary = binary;
    this.extraConfig = config;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'browser-server-'));
    this.dataDir = path.join(this.dir, 'data');
    this.configPath = path.join(this.dir, 'server.conf');
    this.logPath = path.join(this.dir, 'server.log');
    this.shmName = `browser-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.proc = null;
    this.exited = null; // {code, signal} once the master exited
  }

  get baseURL() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  // The config the server reads with -c: every plugin (auth among them), the
  // ports, folder and segment of this server. The command line says the
  // same again (--listen, --http-listen, --data-dir, --shm-name), as run.sh
  // is documented to.
  writeConfig() {
    const cfg = {
      listen: `127.0.0.1:${this.port}`,
      http_listen: `127.0.0.1:${this.httpPort}`,
      data_dir: this.dataDir,
      shm_name: this.shmName,
      log_level: 'info',
      autoload_plugins: '*',
      ...this.extraConfig,
    };
    fs.writeFileSync(this.configPath, JSON.stringify(cfg, null, 2) + '\n');
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async start({ readyTimeout = 10000 } = {}) {
    if (!fs.existsSync(this.binary)) throw new Error(`no server binary at ${this.binary} (build it, or pass BUILD_DIR to run.sh)`);
    for (let attempt = 1; attempt <= 5; attempt++) {
      this.port = await freePort();
      do this.httpPort = await freePort();
      while (this.httpPort === this.port);
      this.writeConfig();
      const out = fs.openSync(this.logPath, 'w');
      this.exited = null;
      this.proc = spawn(
        this.binary,
        ['-c', this.configPath, '--listen', `127.0.0.1:${this.port}`, '--http-listen', `127.0.0.1:${this.httpPort}`,
          '--data-dir', this.dataDir, '--shm-name', this.shmName],
        { stdio: ['ignore', out, out], detached: true }, // its own process group: a SIGKILL takes it whole
      );
      fs.closeSync(out);
      live.add(this);
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
      });
      const ready = await this.waitReady(readyTimeout);
      if (ready) return this;
      if (!this.exited) {
        await this.stop();
        throw new Error(`the server did not answer /healthz in ${readyTimeout} ms; its output:\n${this.log()}`);
      }
      // It exited: a port taken since we picked it is worth another try.
      if (!/cannot listen/i.test(this.log())) {
        throw new Error(`the server exited (${JSON.stringify(this.exited)}) before it was ready; its output:\n${this.log()}`);
      }
    }
    throw new Error(`the server did not start after 5 tries; its output:\n${this.log()}`);
  }

  // Ready: /healthz answers 200 (both workers run, the supervisor answers).
  async waitReady(timeout) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (this.exited) return false;
      try {
        const r = await request(this.httpPort, 'GET', '/healthz');
        if (r.status === 200) return true;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    return false;
  }

  // SIGTERM; SIGKILL to its whole process group if it has not gone in 5 s.
  // Then the folder and any segment left behind are removed.
  async stop() {
    const p = this.proc;
    if (p && !this.exited) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = new Promise((r) => setTimeout(() => r('timeout'), 5000));
      if ((await Promise.race([gone, timer])) === 'timeout') {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          p.kill('SIGKILL');
        }
        await gone;
      }
    }
    live.delete(this);
    this.proc = null;
    try {
      fs.unlinkSync(`/dev/shm/${this.shmName}`);
    } catch {
      // removed by the server, as it should be
    }
    if (!process.env.KEEP_SERVER_DIR) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Any request to this server's HTTP face.
  request(method, urlPath, opts) {
    return request(this.httpPort, method, urlPath, opts);
  }

  // POST /api/COMMAND with params as the JSON body; returns the parsed reply
  // ({code, data?, error?}). opts.auth {username, password} goes into the
  // body as "auth"; opts.headers adds headers (Cookie, X-CSRF-Token, ...).
  async api(command, params = {}, { auth, headers = {} } = {}) {
    const body = auth ? { ...params, auth } : params;
    const r = await this.request('POST', `/api/${command}`, {
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
    if (r.status !== 200 || !r.json) {
      throw new Error(`POST /api/${command}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    return r.json;
  }

  // As api(), but throws unless the code is OK; returns data.
  async ok(command, params = {}, opts) {
    const r = await this.api(command, params, opts);
    if (r.code !== 'OK') throw new Error(`${command} ${JSON.stringify(params)}: ${r.code} ${r.error ?? ''}`);
    return r.data;
  }
}

export async function startServer(opts) {
  const s = new Server(opts);
  try {
    await s.start();
  } catch (e) {
    await s.stop().catch(() => {});
    throw e;
  }
  return s;
}

// A job that is a /bin/sh -c script: {command, params} for ADD (params is
// split like shell words by the server, never run by a shell: the script
// goes in single quotes, so it may not hold one).
export function shJob(script, settings = {}) {
  if (script.includes("'")) throw new Error(`shJob: the script may not hold a single quote: ${script}`);
  return { command: '/bin/sh', params: `-c '${script}'`, ...settings };
}
