#!/usr/bin/env python3
"""sv_load.py PORT METHOD ARG CLIENTS SECONDS

Closed-loop load on supervisord's XML-RPC interface (its documented API,
served by [inet_http_server]): CLIENTS threads, each on one kept HTTP/1.1
connection, call METHOD(ARG) for SECONDS. Prints one JSON line: requests/s,
p50 and p99 latency in microseconds, errors. The request body is encoded
once, so the client spends its time on the wire, not in xmlrpc.client."""
import http.client
import json
import sys
import threading
import time
import xmlrpc.client


def main():
    port, method, arg, clients, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    body = xmlrpc.client.dumps((arg,), method).encode()
    headers = {"Content-Type": "text/xml", "Content-Length": str(len(body))}
    stop = time.monotonic() + seconds
    lat = [[] for _ in range(clients)]
    errors = [0] * clients

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/RPC2", body, headers)
                reply = conn.getresponse().read()
                if b"<fault>" in reply:
                    errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
                continue
            lat[k].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    all_lat = sorted(x for l in lat for x in l)
    n = len(all_lat)
    pct = lambda p: all_lat[min(n - 1, int(p * n))] * 1e6 if n else 0
    print(json.dumps({"requests": n, "req_per_s": n / elapsed, "p50_us": pct(0.50), "p99_us": pct(0.99),
                      "errors": sum(errors)}))


if __name__ == "__main__":
    main()
