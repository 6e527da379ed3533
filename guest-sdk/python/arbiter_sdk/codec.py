"""The canonical state codec (ALGORITHMS.md §4): the same bytes as the Rust
SDK's ``codec`` for the same values, and the same error messages.

A state is described by a *schema*, one per type: ``U8 U16 U32 U64 I32 I64
F64 BOOL BYTES STR``, ``Vec(t)``, ``Option(t)``, ``Map(k, v)`` and
``Struct(("field", t), ...)`` (fields in the order of the Rust
``impl_codec!``; values are dicts, or any object with those attributes).

    STATE = Struct(("alpha", F64), ("queries_per_step", U32), ("ema", Vec(F64)))
    data = encode(STATE, {"alpha": 0.1, "queries_per_step": 0, "ema": []})
    state = decode(STATE, data)          # a dict; CodecError if not canonical
"""

import math
import struct

_NAN_BITS = 0x7FF8000000000000
_U32_MAX = 0xFFFF_FFFF


class CodecError(Exception):
    """Decoding or encoding failed at ``offset``, where ``expected`` was
    expected. ``str()`` is the Rust SDK's message, word for word."""

    def __init__(self, offset, expected):
        super().__init__("state codec: at byte %d: expected %s" % (offset, expected))
        self.offset = offset
        self.expected = expected


class _Decoder:
    __slots__ = ("data", "offset")

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def remaining(self):
        return len(self.data) - self.offset

    def read(self, n, expected):
        if n > self.remaining():
            raise CodecError(self.offset, expected)
        out = self.data[self.offset : self.offset + n]
        self.offset += n
        return out

    def read_len(self, min_element_len):
        at = self.offset
        n = int.from_bytes(self.read(4, "u32 length"), "little")
        if n * min_element_len > self.remaining():
            self.offset = at
            raise CodecError(at, "a length the remaining input can hold")
        return n


class _Int:
    def __init__(self, name, size, signed):
        self.name, self.size, self.signed = name, size, signed
        self.min_len = size

    def encode(self, value, out):
        out += int(value).to_bytes(self.size, "little", signed=self.signed)

    def decode(self, d):
        return int.from_bytes(d.read(self.size, self.name), "little", signed=self.signed)


U8 = _Int("u8", 1, False)
U16 = _Int("u16", 2, False)
U32 = _Int("u32", 4, False)
U64 = _Int("u64", 8, False)
I32 = _Int("i32", 4, True)
I64 = _Int("i64", 8, True)


class _F64:
    min_len = 8

    def encode(self, value, out):
        value = float(value)
        if math.isnan(value):
            out += _NAN_BITS.to_bytes(8, "little")
        else:
            out += struct.pack("<d", value)

    def decode(self, d):
        at = d.offset
        bits = U64.decode(d)
        value = struct.unpack("<d", bits.to_bytes(8, "little"))[0]
        if math.isnan(value) and bits != _NAN_BITS:
            raise CodecError(at, "f64 whose only NaN is 0x7ff8000000000000")
        return value


F64 = _F64()


class _Bool:
    min_len = 1

    def encode(self, value, out):
        out.append(1 if value else 0)

    def decode(self, d):
        at = d.offset
        byte = U8.decode(d)
        if byte > 1:
            raise CodecError(at, "bool (0 or 1)")
        return byte == 1


BOOL = _Bool()


def _write_len(n, out):
    if n > _U32_MAX:
        raise CodecError(len(out), "a sequence of at most 4294967295 elements")
    out += n.to_bytes(4, "little")


class _Bytes:
    min_len = 4

    def encode(self, value, out):
        _write_len(len(value), out)
        out += value

    def decode(self, d):
        n = d.read_len(1)
        return bytes(d.read(n, "bytes"))


BYTES = _Bytes()


class _Str:
    min_len = 4

    def encode(self, value, out):
        BYTES.encode(value.encode("utf-8"), out)

    def decode(self, d):
        n = d.read_len(1)
        start = d.offset
        raw = d.read(n, "string bytes")
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise CodecError(start + error.start, "valid UTF-8") from None


STR = _Str()


class Vec:
    """``Vec<T>``: a u32 count, then the elements."""

    min_len = 4

    def __init__(self, item):
        self.item = item

    def encode(self, value, out):
        _write_len(len(value), out)
        for v in value:
            self.item.encode(v, out)

    def decode(self, d):
        n = d.read_len(self.item.min_len)
        return [self.item.decode(d) for _ in range(n)]


class Option:
    """``Option<T>``: 00 for ``None``, or 01 and the value."""

    min_len = 1

    def __init__(self, item):
        self.item = item

    def encode(self, value, out):
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.item.encode(value, out)

    def decode(self, d):
        at = d.offset
        tag = U8.decode(d)
        if tag > 1:
            raise CodecError(at, "option tag (0 or 1)")
        return self.item.decode(d) if tag else None


class Map:
    """``BTreeMap<K, V>`` with integer, ``STR`` or ``BYTES`` keys (Python's
    order of those is the Rust order), as a dict; encoded in ascending key
    order."""

    min_len = 4

    def __init__(self, key, value):
        self.key, self.value = key, value

    def encode(self, value, out):
        _write_len(len(value), out)
        for k in sorted(value):
            self.key.encode(k, out)
            self.value.encode(value[k], out)

    def decode(self, d):
        n = d.read_len(self.key.min_len + self.value.min_len)
        out = {}
        previous = None
        for i in range(n):
            at = d.offset
            k = self.key.decode(d)
            if i > 0 and not k > previous:
                raise CodecError(at, "a map key greater than the previous key")
            out[k] = self.value.decode(d)
            previous = k
        return out


class Struct:
    """A struct: its fields in order, nothing else. Decodes to a dict."""

    def __init__(self, *fields):
        self.fields = fields
        self.min_len = sum(t.min_len for _, t in fields)

    def encode(self, value, out):
        for name, t in self.fields:
            t.encode(value[name] if isinstance(value, dict) else getattr(value, name), out)

    def decode(self, d):
        return {name: t.decode(d) for name, t in self.fields}


def encode(schema, value):
    """The canonical bytes of ``value``."""
    out = bytearray()
    schema.encode(value, out)
    return bytes(out)


def decode(schema, data):
    """The value ``data`` encodes; ``CodecError`` unless it is exactly one
    canonical encoding."""
    d = _Decoder(memoryview(bytes(data)))
    value = schema.decode(d)
    if d.remaining():
        raise CodecError(d.offset, "end of input")
    return value
