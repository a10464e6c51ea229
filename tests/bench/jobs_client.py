#!/usr/bin/env python3
"""jobs_client.py: the protocol client of run-jobs.sh (keep-alive connections).

  jobs_client.py PORT call 'COMMAND {json}'        one request, prints the reply
  jobs_client.py PORT many ACTION PREFIX N CONC [COMMAND PARAMS BUFSIZE WRITELOG]
      ACTION (ADD/START/STOP/DELETE) on jobs PREFIX0..PREFIX{N-1} over CONC
      keep-alive connections; prints JSON {"seconds":..,"failed":..,"first_error":..}
  jobs_client.py PORT readlat JOB COUNT BUFSIZE
      READ JOB COUNT times on one connection; prints JSON with p50/p99 in us
"""
import json, socket, struct, sys, threading, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def recv_all(s, n):
    b = bytearray()
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return bytes(b)

def call(s, payload):
    p = payload.encode()
    s.sendall(struct.pack("<I", len(p)) + p)
    (n,) = struct.unpack("<I", recv_all(s, 4))
    return recv_all(s, n)

def main():
    port = int(sys.argv[1]); mode = sys.argv[2]
    if mode == "call":
        s = connect(port); print(call(s, sys.argv[3]).decode()); return
    if mode == "many":
        action, prefix, n, conc = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        extra = sys.argv[7:]
        def payload(i):
            d = {"jobname": f"{prefix}{i}"}
            if action == "ADD":
                d.update(command=extra[0], params=extra[1].replace("{i}", str(i)),
                         buffersize=int(extra[2]), writelog=extra[3] == "1")
            return action + " " + json.dumps(d)
        socks = [connect(port) for _ in range(conc)]
        failed = [0]; first = [None]; lock = threading.Lock()
        def worker(k):
            for i in range(k, n, conc):
                r = call(socks[k], payload(i))
                if not r.startswith(b'{"code":"OK"'):
                    with lock:
                        failed[0] += 1
                        if first[0] is None: first[0] = f"{prefix}{i}: {r.decode(errors='replace')[:200]}"
        t0 = time.monotonic()
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
        for t in ts: t.start()
        for t in ts: t.join()
        dt = time.monotonic() - t0
        print(json.dumps({"action": action, "jobs": n, "seconds": round(dt, 4),
                          "per_s": round(n / dt, 1), "failed": failed[0], "first_error": first[0]}))
        return
    if mode == "readlat":
        job, count, bufsize = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        s = connect(port)
        req = "READ " + json.dumps({"jobname": job})
        lat = []; lines = 0; size = 0; bad = 0
        for _ in range(count):
            t0 = time.perf_counter_ns()
            r = call(s, req)
            lat.append(time.perf_counter_ns() - t0)
            if not r.startswith(b'{"code":"OK"'): bad += 1
            size = len(r)
        d = json.loads(r).get("data", "")
        lines = len(d.split("\n")) if d else 0
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000
        print(json.dumps({"reads": count, "failed": bad, "reply_bytes": size + 4, "lines": lines,
                          "p50_us": round(q(0.5), 1), "p99_us": round(q(0.99), 1), "max_us": round(lat[-1] / 1000, 1)}))
        return
    sys.exit("unknown mode " + mode)

if __name__ == "__main__":
    main()
