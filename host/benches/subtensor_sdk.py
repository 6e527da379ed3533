"""The official Bittensor Python SDK's side of the Subtensor benchmark.

This is the Python-SDK baseline of `cargo bench -p arbiter --bench subtensor`
(host/benches/subtensor.rs), which starts a chopsticks node running the real
spec-218 Subtensor runtime, creates the subnet, and then runs:

    target/bittensor-venv/bin/python host/benches/subtensor_sdk.py \
        --url ws://127.0.0.1:PORT --netuid N --seed 0x<64 hex digits> \
        --uids 1,2 --values 30000,65535 --version-key 0 --repeat R

With `bittensor==11.3.0` it connects once, then measures (with
`time.perf_counter`) R times each:

1. A metagraph read of subnet N: every neuron's hotkey, coldkey, stake,
   validator permit, activity, last update, registration block, axon and
   scores, all read at one block.
2. A `set_weights` round trip: `SubtensorModule.set_weights(N, uids, values,
   version_key)` signed with the hotkey whose sr25519 mini secret seed is
   `--seed` (a wallet hotkey file's `secretSeed`), submitted and watched
   until it is in a block (inclusion, not finalization), its outcome decoded
   from the block's events.

It prints one JSON object on stdout (times in milliseconds, one per run):

    {"sdk": "bittensor 11.3.0", "connect_ms": x, "metagraph_ms": [...],
     "set_weights_ms": [...], "neurons": n, "metagraph_method": "...",
     "set_weights_method": "...", "hotkey": "<ss58>"}

Progress goes to stderr; any failure (including a weights call that is not
included or fails to dispatch) exits non-zero with the reason on stderr.

The SDK's high-level calls do not work on spec 218, so each operation takes
the SDK's next lower path (named in the JSON):
- `client.subnets.metagraph` calls the runtime API
  `SubnetInfoRuntimeApi.get_metagraph`, which spec 218 lacks, and
  `client.neurons.all` calls `NeuronInfoRuntimeApi.get_neurons_lite`, whose
  opaque `Vec<u8>` result the SDK cannot decode on this runtime (no
  `NeuronInfoLite` type in its registry). The read therefore uses the SDK's
  block-pinned storage reads (`client.at()`, `query`, `query_batch`) of the
  same storage entries the Rust host reads.
- `bittensor.set_weights` / `client.execute(bittensor.SetWeights(...))`
  preflights `SubtensorModule.SubnetEpochConsensus` and composes
  `set_mechanism_weights`, neither of which spec 218 has; and
  `client.submit_call` takes the nonce from the `account_nextIndex` RPC,
  which chopsticks does not serve. The round trip therefore composes the call
  with `RpcSubstrate.compose` and signs, submits and watches it with
  `RpcSubstrate.submit` at an explicit nonce. Like the SDK's own nonce cache,
  the nonce is asked of the chain once (here from `System.Account`, in the
  first timed run) and counted locally afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from importlib.metadata import version

import bittensor as bt
from bittensor.sp_core import Keypair

SUBTENSOR = "SubtensorModule"

# How long a set_weights call may take to be in a block before the run fails
# (the Rust host's inclusion timeout in the benchmark).
INCLUSION_TIMEOUT_S = 60

# Per-subnet storage entries (keyed by netuid alone) the metagraph is built from.
SUBNET_ENTRIES = (
    "SubnetworkN",
    "SubnetOwner",
    "Tempo",
    "ValidatorPermit",
    "Active",
    "LastUpdate",
    "Emission",
    "Incentive",
    "Dividends",
    "Consensus",
    "ValidatorTrust",
)

METAGRAPH_METHOD = (
    "Client.at() + query/query_batch of SubtensorModule storage "
    "(subnets.metagraph and neurons.all fail on spec 218)"
)
SET_WEIGHTS_METHOD = (
    "RpcSubstrate.compose + RpcSubstrate.submit(wait_for_inclusion) of "
    "SubtensorModule.set_weights (bt.set_weights/SetWeights fail on spec 218)"
)


class BenchmarkError(Exception):
    """A run that must not be reported as a time."""


def log(message: str) -> None:
    print(f"subtensor_sdk: {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    def u16_list(text: str) -> list[int]:
        return [int(item) for item in text.split(",") if item]

    def seed32(text: str) -> bytes:
        seed = bytes.fromhex(text.removeprefix("0x"))
        if len(seed) != 32:
            raise argparse.ArgumentTypeError(f"a seed is 32 bytes, not {len(seed)}")
        return seed

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True, help="the node's ws:// endpoint")
    parser.add_argument("--netuid", type=int, required=True)
    parser.add_argument(
        "--seed",
        type=seed32,
        required=True,
        help="the validator hotkey's sr25519 mini secret seed, 0x-hex",
    )
    parser.add_argument("--uids", type=u16_list, required=True, help="comma-separated uids")
    parser.add_argument(
        "--values", type=u16_list, required=True, help="comma-separated u16 weights"
    )
    parser.add_argument("--version-key", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if len(args.uids) != len(args.values):
        parser.error("--uids and --values must have the same length")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


async def read_metagraph(client: bt.Client, netuid: int) -> list[dict]:
    """Every neuron of `netuid`, from storage at the current best block."""
    view = await client.at()
    values = await asyncio.gather(
        *(view.query((SUBTENSOR, name), [netuid]) for name in SUBNET_ENTRIES)
    )
    subnet = dict(zip(SUBNET_ENTRIES, values))
    n = int(subnet["SubnetworkN"])
    if n == 0:
        raise BenchmarkError(f"subnet {netuid} has no neurons at block {view.block}")
    uids = [[netuid, uid] for uid in range(n)]
    hotkeys = await view.query_batch((SUBTENSOR, "Keys"), uids)
    registered, coldkeys, stakes, axons = await asyncio.gather(
        view.query_batch((SUBTENSOR, "BlockAtRegistration"), uids),
        view.query_batch((SUBTENSOR, "Owner"), [[hotkey] for hotkey in hotkeys]),
        view.query_batch(
            (SUBTENSOR, "TotalHotkeyAlpha"), [[hotkey, netuid] for hotkey in hotkeys]
        ),
        view.query_batch((SUBTENSOR, "Axons"), [[netuid, hotkey] for hotkey in hotkeys]),
    )

    def at(name: str, uid: int, default):
        """Entry `name`'s value for `uid` (per-uid vectors may be short)."""
        column = subnet[name] or []
        return column[uid] if uid < len(column) else default

    return [
        {
            "uid": uid,
            "hotkey": str(hotkeys[uid]),
            "coldkey": str(coldkeys[uid]),
            "stake": int(stakes[uid] or 0),
            "validator_permit": bool(at("ValidatorPermit", uid, False)),
            "active": bool(at("Active", uid, False)),
            "registered_at": int(registered[uid] or 0),
            "last_update": int(at("LastUpdate", uid, 0)),
            "axon": axons[uid],
            "incentive": int(at("Incentive", uid, 0)),
            "dividends": int(at("Dividends", uid, 0)),
            "consensus": int(at("Consensus", uid, 0)),
            "validator_trust": int(at("ValidatorTrust", uid, 0)),
            "emission": int(at("Emission", uid, 0)),
        }
        for uid in range(n)
    ]


async def set_weights(
    client: bt.Client,
    substrate: bt.RpcSubstrate,
    hotkey: Keypair,
    args: argparse.Namespace,
    nonce: int | None,
) -> int:
    """Signs, submits and waits for the inclusion of one `set_weights` call.

    `nonce` is the hotkey's next nonce, or None to ask the chain for it.
    Returns the nonce used; raises unless the call dispatched successfully
    (`WeightsSet` among its events).
    """
    if nonce is None:
        account = await client.query(("System", "Account"), [hotkey.ss58_address])
        nonce = int(account["nonce"])
    call = await substrate.compose(
        bt.calls.SubtensorModule.set_weights(
            netuid=args.netuid,
            dests=args.uids,
            weights=args.values,
            version_key=args.version_key,
        )
    )
    try:
        result = await asyncio.wait_for(
            substrate.submit(
                call, hotkey, nonce=nonce, wait_for_inclusion=True, wait_for_finalization=False
            ),
            INCLUSION_TIMEOUT_S,
        )
    except TimeoutError:
        raise BenchmarkError(
            f"set_weights was not in a block within {INCLUSION_TIMEOUT_S} s"
        ) from None
    if not result.success:
        raise BenchmarkError(f"set_weights failed: {result.message}")
    if not any(
        event.get("module_id") == SUBTENSOR and event.get("event_id") == "WeightsSet"
        for event in result.events
    ):
        raise BenchmarkError(
            f"set_weights in extrinsic {result.extrinsic_id} emitted no WeightsSet event"
        )
    return nonce


async def run(args: argparse.Namespace) -> dict:
    hotkey = Keypair.create_from_seed(args.seed, bt.CRYPTO_SR25519)
    log(f"hotkey {hotkey.ss58_address}, netuid {args.netuid}, {args.repeat} runs each")

    # Connecting loads the runtime's metadata: downloaded, or from the SDK's
    # disk cache (~/.bittensor/runtime-cache) once a previous run saved it.
    # The client is pinned to this one endpoint (no public fallback pools).
    start = time.perf_counter()
    substrate = bt.RpcSubstrate(args.url, fallback_endpoints=[], archive_endpoints=[])
    client = await bt.Client(args.url, substrate=substrate).connect()
    connect_ms = (time.perf_counter() - start) * 1000
    log(f"connected in {connect_ms:.1f} ms (spec {await client.spec_version()})")

    try:
        metagraph_ms = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            neurons = await read_metagraph(client, args.netuid)
            metagraph_ms.append((time.perf_counter() - start) * 1000)
        log(f"metagraph: {len(neurons)} neurons, {metagraph_ms[-1]:.1f} ms last")
        if not any(n["hotkey"] == hotkey.ss58_address for n in neurons):
            raise BenchmarkError(
                f"{hotkey.ss58_address} is not registered on subnet {args.netuid}"
            )

        set_weights_ms = []
        nonce = None
        for _ in range(args.repeat):
            start = time.perf_counter()
            nonce = await set_weights(client, substrate, hotkey, args, nonce) + 1
            set_weights_ms.append((time.perf_counter() - start) * 1000)
        log(f"set_weights: {set_weights_ms[-1]:.1f} ms last")
    finally:
        await client.close()

    return {
        "sdk": f"bittensor {version('bittensor')}",
        "connect_ms": connect_ms,
        "metagraph_ms": metagraph_ms,
        "set_weights_ms": set_weights_ms,
        "neurons": len(neurons),
        "metagraph_method": METAGRAPH_METHOD,
        "set_weights_method": SET_WEIGHTS_METHOD,
        "hotkey": hotkey.ss58_address,
    }


def main() -> int:
    args = parse_args()
    try:
        report = asyncio.run(run(args))
    except (BenchmarkError, bt.BittensorError, OSError) as error:
        log(f"error: {type(error).__name__}: {error}")
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
