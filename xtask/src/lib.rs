//! xtask's library is only a forwarding name now: the list of programs moved into the
//! test kit (`picup_testkit::programs`), which xtask's benchmarks use. It stays while
//! one unit test in `sync-server/src/zipstream.rs` still names `xtask::programs`.

pub use picup_testkit::programs;
