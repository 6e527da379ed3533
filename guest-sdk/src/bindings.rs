//! The raw bindings generated from `wit/` by wit-bindgen. Mechanism authors
//! use the documented wrappers of this crate instead; this module is public
//! only so that the [`export!`](crate::export) macro can reach it.

#![allow(missing_docs, reason = "generated code; the WIT documents every item")]

wit_bindgen::generate!({
    world: "subnet",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "__export_world",
    default_bindings_module: "arbiter_sdk::wit",
});
