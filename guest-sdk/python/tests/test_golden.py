"""The golden values of guest-sdk/ALGORITHMS.md, for the helpers this SDK
implements. Run natively: python3 -m unittest discover guest-sdk/python/tests"""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from arbiter_sdk import codec  # noqa: E402
from arbiter_sdk.numeric import ema, normalize_l1  # noqa: E402
from arbiter_sdk.rng import Rng  # noqa: E402
from arbiter_sdk.text import token_f1, token_overlap, tokens  # noqa: E402


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


SEED = bytes(range(32))


class RngGolden(unittest.TestCase):
    def test_next_u64(self):
        rng = Rng(SEED)
        got = ["%016x" % rng.next_u64() for _ in range(6)]
        self.assertEqual(
            got,
            "bc258ef861cb354d 258ef861cb349eb5 013c0ee1b61e1c2d 60e9801651ad191d "
            "76bcd2d5a42e1c5d 89983c77dad11265".split(),
        )

    def test_next_f64(self):
        rng = Rng(SEED)
        self.assertEqual(
            [rng.next_f64() for _ in range(3)],
            [0.7349480968858131, 0.146712802768166, 0.004822664361306628],
        )

    def test_below_shuffle_sample(self):
        rng = Rng(SEED)
        self.assertEqual([rng.below(10) for _ in range(10)], [5, 3, 5, 7, 5, 9, 2, 1, 4, 1])
        items = list(range(10))
        Rng(SEED).shuffle(items)
        self.assertEqual(items, [6, 3, 2, 0, 4, 1, 7, 8, 9, 5])
        self.assertEqual(Rng(SEED).sample(100, 5), [45, 69, 21, 46, 65])
        self.assertEqual(Rng(SEED).below(0), 0)

    def test_zero_seed(self):
        rng = Rng(bytes(32))
        self.assertEqual(
            ["%016x" % w for w in rng._s],
            "e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec".split(),
        )
        self.assertEqual(
            ["%016x" % rng.next_u64() for _ in range(3)],
            "99ec5f36cb75f2b4 bf6e1f784956452a 1a5f849d4933e6e0".split(),
        )


class NumericGolden(unittest.TestCase):
    def test_ema(self):
        self.assertEqual(bits(ema(0.7, 0.3, 0.1)), 0x3FE51EB851EB851F)

    def test_normalize(self):
        self.assertEqual(
            [bits(x) for x in normalize_l1([0.1, 0.2, 0.3])],
            [0x3FC5555555555555, 0x3FD5555555555555, 0x3FDFFFFFFFFFFFFE],
        )
        big = sys.float_info.max
        self.assertEqual(normalize_l1([big, big]), [0.0, 0.0])
        self.assertEqual(normalize_l1([2.0, -5.0, float("nan")]), [1.0, 0.0, 0.0])


class TextGolden(unittest.TestCase):
    def test_tokens(self):
        self.assertEqual(tokens("it's 3.14—pi"), [b"it", b"s", b"3", "14—pi".encode()])
        self.assertEqual(tokens("a\x0bb"), [b"a", b"b"])
        self.assertEqual(len(tokens("日本語、テキスト。")), 1)

    def test_f1(self):
        c, r = "The cat sat on the mat.", "the Cat is on the MAT, sat!"
        o = token_overlap(c, r)
        self.assertEqual((o.common, o.candidate_len, o.reference_len), (6, 6, 7))
        self.assertEqual(bits(o.f1()), 0x3FED89D89D89D89D)
        self.assertEqual(bits(token_f1("a b x", "a b c d e f g")), 0x3FD999999999999A)
        self.assertEqual(token_f1("", ""), 1.0)
        self.assertEqual(token_f1("x", ""), 0.0)
        self.assertEqual(token_f1("a a a", "a"), 0.5)
        self.assertEqual(token_f1("...", " !? "), 1.0)


class CodecGolden(unittest.TestCase):
    EXAMPLE = codec.Struct(
        ("round", codec.U64),
        ("scores", codec.Vec(codec.F64)),
        ("name", codec.STR),
        ("seen", codec.Map(codec.U16, codec.BOOL)),
        ("last", codec.Option(codec.I32)),
    )

    def test_example(self):
        value = {
            "round": 7,
            "scores": [0.5, -float("nan")],
            "name": "héllo",
            "seen": {3: True, 1: False},
            "last": -2,
        }
        expected = bytes.fromhex(
            "0700000000000000"
            "02000000000000000000e03f000000000000f87f"
            "0600000068c3a96c6c6f"
            "02000000010000030001"
            "01feffffff"
        )
        data = codec.encode(self.EXAMPLE, value)
        self.assertEqual(data, expected)
        self.assertEqual(codec.encode(self.EXAMPLE, codec.decode(self.EXAMPLE, data)), data)

    def test_strict_decoding(self):
        def err(schema, data):
            with self.assertRaises(codec.CodecError) as caught:
                codec.decode(schema, data)
            return str(caught.exception)

        self.assertEqual(err(codec.BOOL, b"\x02"), "state codec: at byte 0: expected bool (0 or 1)")
        self.assertEqual(err(codec.U8, b"\x01\x02"), "state codec: at byte 1: expected end of input")
        self.assertEqual(
            err(codec.Vec(codec.U64), b"\xff\xff\xff\xff" + bytes(10)),
            "state codec: at byte 0: expected a length the remaining input can hold",
        )
        self.assertIn("only NaN", err(codec.F64, bytes.fromhex("010000000000f87f")))
        self.assertIn("greater than the previous key", err(
            codec.Map(codec.U16, codec.BOOL), bytes.fromhex("02000000030001010000")))
        self.assertEqual(err(codec.F64, b"\x00"), "state codec: at byte 0: expected u64")


if __name__ == "__main__":
    unittest.main()
