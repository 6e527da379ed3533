//! The raw bindings of the `arbiter:mechanism/miner` world (a reference
//! miner's solver), generated from `wit/` by wit-bindgen. Solver authors use
//! [`crate::solver`] instead; this module is public only so that the
//! [`export_solver!`](crate::export_solver) macro can reach it.
//!
//! The `log` import is the one the `subnet` bindings already generate
//! (`with`), so [`crate::log`] serves both worlds. Each world's type
//! information travels in its own `component-type` custom section, named
//! after the world, so a solver component never carries the `mechanism`
//! exports (and a mechanism never the `solver` ones).

#![allow(missing_docs, reason = "generated code; the WIT documents every item")]

wit_bindgen::generate!({
    world: "miner",
    path: "../wit",
    with: {
        "arbiter:mechanism/log@0.1.0": crate::wit::arbiter::mechanism::log,
    },
    pub_export_macro: true,
    export_macro_name: "__export_solver_world",
    default_bindings_module: "arbiter_sdk::solver_wit",
});
