#!/usr/bin/env python3
"""N keep-alive connections, each sending one request per INTERVAL seconds on the same connection
(a large pool of well-behaved clients). Prints requests answered, failures and reconnects.
usage: keepalive.py HOST PORT CONNECTIONS SECONDS [INTERVAL=1.0] [PATH=/api/v1/drugs] [API TOKEN]"""
import selectors, socket, sys, time

host, port, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
interval = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
path = sys.argv[6] if len(sys.argv) > 6 else "/api/v1/drugs"
auth = f"Authorization: Bearer {sys.argv[7]}\r\n" if len(sys.argv) > 7 else ""
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
sel = selectors.DefaultSelector()
state = {}  # socket -> [buffer, next send time, waiting]
ok = failed = reconnects = 0

def connect(at):
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    state[s] = [b"", at, False]
    sel.register(s, selectors.EVENT_READ)

start = time.time()
for i in range(n):
    connect(start + interval * i / n)  # spread the first requests over one interval
end = start + secs
while time.time() < end:
    now = time.time()
    for s, st in list(state.items()):
        if not st[2] and now >= st[1]:
            try:
                s.send(request)
                st[2] = True
            except OSError:
                failed += 1
    for key, _ in sel.select(timeout=0.01):
        s = key.fileobj
        st = state[s]
        try:
            chunk = s.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:  # closed by the server (idle timeout, keep-alive limit): reconnect
            sel.unregister(s)
            del state[s]
            s.close()
            reconnects += 1
            if st[2]:
                failed += 1
            connect(time.time() + interval)
            continue
        st[0] += chunk
        head_end = st[0].find(b"\r\n\r\n")
        if head_end < 0:
            continue
        head = st[0][:head_end].decode("latin-1")
        length = 0
        for line in head.split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":")[1])
        if len(st[0]) >= head_end + 4 + length:
            if head.startswith("HTTP/1.1 200"):
                ok += 1
            else:
                failed += 1
            st[0] = st[0][head_end + 4 + length:]
            st[1] = time.time() + interval
            st[2] = False
print(f"keep-alive: {n} connections for {secs:.0f} s, one request each per {interval:g} s: "
      f"{ok} answered, {failed} failed, {reconnects} reconnects")
