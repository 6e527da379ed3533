"""A deliberately misbehaving Python mechanism, for the sandbox's tests (the
Python sibling of `subnets/hostile`, built as `hostile-py`). `init` takes the behaviour's name as
its configuration and keeps it as the state; `score` acts it out:

- `raise`: an uncaught exception (a bug, not a verdict: the call traps);
- `loop`: loops forever (the call runs out of fuel);
- `open-file`: opens a file (there is no filesystem: the call traps);
- `socket:<port>`: connects to 127.0.0.1:<port> and sends a byte (there is
  no network: the call traps, and nothing reaches the port);
- `error`: returns a mechanism error (a verdict);
- anything else: returns the state unchanged.
"""

from arbiter_sdk import Info, InvalidInput, Queries, codec, export


class Hostile:
    STATE = codec.STR

    def describe(self):
        return Info("hostile-py", "0.1.0")

    def init(self, config):
        return config.decode("utf-8")

    def challenge(self, ctx, state):
        return Queries()

    def score(self, ctx, state, responses):
        if state == "raise":
            raise RuntimeError("raised on purpose")
        if state == "loop":
            n = 0
            while True:
                n += 1
        if state == "open-file":
            with open("/etc/passwd", "rb") as f:
                return f.read().decode("utf-8", "replace")
        if state.startswith("socket:"):
            import socket

            with socket.create_connection(("127.0.0.1", int(state[7:])), timeout=1) as s:
                s.sendall(b"x")
                return "connected"
        if state == "error":
            raise InvalidInput("hostile-py error on purpose")
        return state

    def weights(self, ctx, state):
        return []


Mechanism = export(Hostile)
