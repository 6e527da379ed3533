//! `hostile`: a mechanism that misbehaves on purpose, so the host's tests
//! can check that every kind of misbehaviour ends in the right typed
//! outcome. Not an example to follow.
//!
//! `init` takes the name of a behaviour as its configuration and stores it
//! in the state; `score`, `challenge` and `weights` then act it out:
//!
//! | behaviour | call | what it does |
//! |---|---|---|
//! | `loop` | score | loops forever (out of fuel) |
//! | `grow` | score | allocates without bound (memory limit) |
//! | `recurse` | score | recurses without bound (stack overflow: a host fault) |
//! | `huge` | score | returns a 20 MiB state (output limit) |
//! | `panic` | score | panics (a trap; the message lands in the log) |
//! | `error` | score | returns `invalid-input` |
//! | `nan` | score | stores the bits of a computed 0/0 in the state |
//! | `wasi` | score | stores what WASI reports: clocks, random bytes, environment, a file open |
//! | `log` | score | logs 1 MiB through `log` and stdout (capped) |
//! | `bad-queries` | challenge | queries a uid outside the metagraph |
//! | `nan-weight`, `dup-weight` | weights | returns a NaN weight, a uid twice |
//! | anything else | all | behaves: no queries, state unchanged, no weights |

use std::hint::black_box;

use arbiter_sdk::{Context, Error, Info, Mechanism, Queries, Responses, Weight};

/// The mechanism.
pub struct Hostile;

/// The behaviour, and bytes the behaviour produced.
type State = (String, Vec<u8>);

impl Mechanism for Hostile {
    type State = State;

    fn describe() -> Info {
        Info::new("hostile", "0.1.0")
    }

    fn init(config: &[u8]) -> Result<State, Error> {
        Ok((String::from_utf8_lossy(config).into_owned(), Vec::new()))
    }

    fn challenge(ctx: &Context, state: &State) -> Result<Queries, Error> {
        let mut queries = Queries::new();
        if state.0 == "bad-queries" {
            queries.push(ctx.uid_count() as u16 + 1, b"?");
        }
        Ok(queries)
    }

    fn score(_ctx: &Context, state: State, _responses: &Responses) -> Result<State, Error> {
        let output = match state.0.as_str() {
            "loop" => spin(),
            "grow" => grow(),
            "recurse" => vec![recurse(0, black_box(u64::MAX)) as u8],
            "huge" => vec![7u8; 20 << 20],
            "panic" => panic!("hostile mechanism panicked on purpose"),
            "error" => return Err(Error::InvalidInput("hostile error on purpose".into())),
            "nan" => {
                let (numerator, denominator) = (black_box(0.0f64), black_box(0.0f64));
                (numerator / denominator).to_bits().to_le_bytes().to_vec()
            }
            "wasi" => wasi_report().into_bytes(),
            "log" => {
                let line = "x".repeat(1024);
                for _ in 0..1024 {
                    arbiter_sdk::log::info(&line);
                    println!("{line}");
                }
                Vec::new()
            }
            _ => state.1,
        };
        Ok((state.0, output))
    }

    fn weights(ctx: &Context, state: &State) -> Result<Vec<Weight>, Error> {
        let first = ctx.neurons().first().map_or(0, |n| n.uid);
        Ok(match state.0.as_str() {
            "nan-weight" => vec![Weight {
                uid: first,
                value: f64::NAN,
            }],
            "dup-weight" => vec![
                Weight {
                    uid: first,
                    value: 1.0
                };
                2
            ],
            _ => Vec::new(),
        })
    }
}

fn spin() -> Vec<u8> {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn grow() -> Vec<u8> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        black_box(&hoard);
    }
}

/// Recurses until `limit`, which is never reached: the native stack
/// overflows first. No local lives in linear memory, so it is the engine's
/// stack, not the guest's shadow stack, that runs out.
#[inline(never)]
fn recurse(depth: u64, limit: u64) -> u64 {
    if depth == limit {
        return depth;
    }
    recurse(depth + 1, limit)
        .wrapping_mul(3)
        .wrapping_add(depth)
}

/// What the virtual WASI reports, as text.
fn wasi_report() -> String {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut random = [0u8; 8];
    let random_ok = getrandom_via_hashmap(&mut random);
    let env_count = std::env::vars().count();
    let args_count = std::env::args().count();
    let file = std::fs::read("/etc/passwd")
        .map(|b| b.len())
        .map_err(|e| e.kind().to_string());
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .map_err(|e| e.kind().to_string());
    format!(
        "wall_ms={wall} random={random_ok} env={env_count} args={args_count} file={file:?} cwd={cwd:?}"
    )
}

/// Reads WASI randomness the way std does: through `HashMap`'s seed.
fn getrandom_via_hashmap(out: &mut [u8; 8]) -> String {
    use std::hash::{BuildHasher, RandomState};
    let hash = RandomState::new().hash_one(0u8);
    out.copy_from_slice(&hash.to_le_bytes());
    format!("{hash:016x}")
}

#[cfg(target_arch = "wasm32")]
arbiter_sdk::export!(Hostile);
