"""The typed mechanism API and the glue to the WIT contract.

A mechanism is a class with five methods (see the README):

    class MyMechanism:
        STATE = codec.Struct(...)                      # the state's schema
        def describe(self) -> Info
        def init(self, config: bytes) -> state
        def challenge(self, ctx: Context, state) -> Queries
        def score(self, ctx: Context, state, responses: Responses) -> state
        def weights(self, ctx: Context, state) -> list of Weight

    Mechanism = export(MyMechanism)   # the class componentize-py exports

``export`` decodes and encodes the state with the schema, presents the flat
wire buffers as per-miner views, and turns ``InvalidConfig``,
``InvalidState`` and ``InvalidInput`` into the contract's
``mechanism-error``: a deterministic verdict, the previous state is kept.
Any other exception is a bug: its traceback goes to the ``log`` import and
the call traps, like a Rust panic.
"""

import traceback

from . import codec
from .rng import Rng


class MechanismError(Exception):
    """A failure the mechanism reports itself (use a subclass)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidConfig(MechanismError):
    """The configuration given to ``init`` is not acceptable."""


class InvalidState(MechanismError):
    """The state cannot be decoded."""


class InvalidInput(MechanismError):
    """The other arguments are inconsistent."""


class Info:
    """Static facts about a mechanism; the defaults are the Rust SDK's
    ``Info::new`` (12 s timeout, 64 KiB replies, 4 steps per epoch)."""

    def __init__(
        self,
        name,
        version,
        query_timeout_ms=12_000,
        max_response_bytes=64 << 10,
        steps_per_epoch=4,
    ):
        self.name = name
        self.version = version
        self.query_timeout_ms = query_timeout_ms
        self.max_response_bytes = max_response_bytes
        self.steps_per_epoch = steps_per_epoch


class Weight:
    """One weight: ``uid`` and a finite, non-negative ``value``."""

    __slots__ = ("uid", "value")

    def __init__(self, uid, value):
        self.uid = uid
        self.value = value


class Context:
    """The step's context: ``netuid``, ``mechid``, ``epoch``, ``step``,
    ``block``, ``block_time_ms``, ``block_hash``, ``seed`` (32 bytes),
    ``validator_uid``, ``neurons`` (each with ``uid``, ``stake``,
    ``validator_permit``, ``active``, ``replaced``) and ``hotkeys``."""

    def __init__(self, raw):
        self.raw = raw
        self.netuid = raw.netuid
        self.mechid = raw.mechid
        self.epoch = raw.epoch
        self.step = raw.step
        self.block = raw.block
        self.block_time_ms = raw.block_time_ms
        self.block_hash = bytes(raw.block_hash)
        seed = bytes(raw.seed)
        # As in Rust: the host always sends 32 bytes; anything else is zeros.
        self.seed = seed[:32] if len(seed) >= 32 else bytes(32)
        self.validator_uid = raw.validator_uid
        self.neurons = raw.neurons
        self.hotkeys = bytes(raw.hotkeys)

    def rng(self):
        """A fresh random stream from the step's seed (the same one on every
        call: draw everything a call needs from one)."""
        return Rng(self.seed)

    def uid_count(self):
        """One more than the largest uid (0 for an empty metagraph)."""
        return max((n.uid + 1 for n in self.neurons), default=0)

    def hotkey(self, index):
        """The 32-byte hotkey of ``neurons[index]``, or ``None``."""
        key = self.hotkeys[32 * index : 32 * index + 32]
        return key if index >= 0 and len(key) == 32 else None


class Queries:
    """The queries of one step, at most one per uid."""

    def __init__(self):
        self.uids = []
        self.ends = []
        self._data = bytearray()

    def push(self, uid, request):
        """Adds the bytes ``request`` for ``uid``."""
        self.uids.append(uid)
        self._data += request
        self.ends.append(len(self._data))

    def push_str(self, uid, request):
        """Adds the text ``request`` (sent as UTF-8) for ``uid``."""
        self.push(uid, request.encode("utf-8"))

    def __len__(self):
        return len(self.uids)


# Reply statuses, as the contract's enum names them.
OK = "ok"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
REFUSED = "refused"
OVERSIZED = "oversized"
MALFORMED = "malformed"
BAD_SIGNATURE = "bad-signature"
_STATUSES = (OK, TIMEOUT, UNREACHABLE, REFUSED, OVERSIZED, MALFORMED, BAD_SIGNATURE)


class Reply:
    """What came back: ``status`` (one of the constants above) and
    ``payload`` (bytes; empty unless ``ok`` or ``bad-signature``)."""

    __slots__ = ("status", "payload")

    def __init__(self, status, payload=b""):
        self.status = status
        self.payload = payload

    def bytes(self):
        """The reply bytes if the miner answered (status ``ok``), else ``None``.
        A ``bad-signature`` payload is kept for the record, never trusted."""
        return self.payload if self.status == OK else None

    def text(self):
        """The reply as text if the miner answered with valid UTF-8."""
        data = self.bytes()
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None


class Response:
    """One miner's reply with the query it answered: ``uid``, ``query``
    (bytes), ``reply`` (a ``Reply``), ``latency_ms``."""

    __slots__ = ("uid", "query", "reply", "latency_ms")

    def __init__(self, uid, query, reply, latency_ms):
        self.uid = uid
        self.query = query
        self.reply = reply
        self.latency_ms = latency_ms


def _slice(batch, i):
    start = batch.ends[i - 1] if i > 0 else 0
    return bytes(batch.data[start : batch.ends[i]])


def _check_shape(batch, what):
    ends = batch.ends
    monotone = all(ends[i] <= ends[i + 1] for i in range(len(ends) - 1))
    last = ends[-1] if ends else 0
    if len(ends) != len(batch.uids) or not monotone or last != len(batch.data):
        raise InvalidInput("%s batch is malformed" % what)


class Responses:
    """A step's replies, in the order of the queries; iterate for
    ``Response`` views."""

    def __init__(self, queries, responses):
        _check_shape(queries, "queries")
        _check_shape(responses.replies, "replies")
        n = len(queries.uids)
        if (
            list(responses.replies.uids) != list(queries.uids)
            or len(responses.status) != n
            or len(responses.latency_ms) != n
        ):
            raise InvalidInput("responses do not match the queries one to one")
        self._queries = queries
        self._responses = responses

    def __len__(self):
        return len(self._queries.uids)

    def __iter__(self):
        q, r = self._queries, self._responses
        for i in range(len(q.uids)):
            status = _STATUSES[r.status[i].value]
            payload = _slice(r.replies, i) if status in (OK, BAD_SIGNATURE) else b""
            yield Response(q.uids[i], _slice(q, i), Reply(status, payload), r.latency_ms[i])


def _traceback(error):
    """The traceback of ``error`` without source lines: ``traceback``'s own
    formatting reads the source files, and the component has none."""
    lines = ["Traceback (most recent call last):"]
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        code = frame.f_code
        lines.append('  File "%s", line %d, in %s' % (code.co_filename, lineno, code.co_name))
    lines.append("%s: %s" % (type(error).__qualname__, error))
    return "\n".join(lines)


def export(mechanism_class):
    """The class componentize-py exports for the ``mechanism`` interface:
    assign it to ``Mechanism`` at the top level of the app module."""
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.imports import log, types

    impl = mechanism_class()
    schema = mechanism_class.STATE

    def wit_error(error):
        if isinstance(error, InvalidConfig):
            return Err(types.MechanismError_InvalidConfig(error.message))
        if isinstance(error, InvalidState):
            return Err(types.MechanismError_InvalidState(error.message))
        return Err(types.MechanismError_InvalidInput(error.message))

    def guarded(body):
        try:
            return body()
        except MechanismError as error:
            raise wit_error(error) from None
        except codec.CodecError as error:
            raise Err(types.MechanismError_InvalidState(str(error))) from None
        except Exception as error:
            # A bug, not a verdict: record it, then trap like a Rust panic.
            try:
                log.log(log.Level.ERROR, _traceback(error))
            except Exception:  # noqa: S110 - the trap below matters more
                pass
            raise

    def load(state):
        return codec.decode(schema, state)

    def store(state):
        return codec.encode(schema, state)

    class Mechanism(exports.Mechanism):
        def describe(self):
            def body():
                info = impl.describe()
                return types.Info(
                    name=info.name,
                    version=info.version,
                    query_timeout_ms=info.query_timeout_ms,
                    max_response_bytes=info.max_response_bytes,
                    steps_per_epoch=info.steps_per_epoch,
                )

            return guarded(body)

        def init(self, config):
            return guarded(lambda: store(impl.init(bytes(config))))

        def challenge(self, ctx, state):
            def body():
                queries = impl.challenge(Context(ctx), load(state))
                return types.Payloads(
                    uids=list(queries.uids), ends=list(queries.ends), data=bytes(queries._data)
                )

            return guarded(body)

        def score(self, ctx, state, queries, responses):
            def body():
                decoded = load(state)
                replies = Responses(queries, responses)
                return store(impl.score(Context(ctx), decoded, replies))

            return guarded(body)

        def weights(self, ctx, state):
            def body():
                out = impl.weights(Context(ctx), load(state))
                return [types.Weight(uid=w.uid, value=float(w.value)) for w in out]

            return guarded(body)

    return Mechanism
