//! The test kit: what every test and benchmark of Pic-up shares, so that each thing is
//! done one way. The programs a test may run ([`programs`]), processes stopped when
//! they drop with their log kept for failure messages ([`process`]), waiting on a
//! condition instead of sleeping ([`wait`]), `picup-server` on a data directory with an
//! account ([`server`]), a private Secret Service keyring ([`keyring`]) and generated
//! fixtures ([`fixtures`]).
//!
//! Errors are `anyhow`, as in xtask: a failure here ends a test or a benchmark with a
//! message for the person reading it, nobody matches on it.

#[cfg(feature = "acme")]
pub mod acme;
#[cfg(feature = "browser")]
pub mod browser;
pub mod fixtures;
pub mod keyring;
pub mod process;
pub mod programs;
pub mod server;
pub mod wait;

pub use process::{Process, free_port, stdout_of, succeed};
pub use programs::program;
pub use wait::{eventually, eventually_async};

/// The password of every account a test or benchmark makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// A binary of this workspace built in the profile the running test was built in (a
/// test runs as `<target>/<profile>/deps/<test>`), for tests of another package than
/// the binary's, which cargo gives no `CARGO_BIN_EXE_` for.
pub fn built_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it runs");
    exe.parent()
        .and_then(std::path::Path::parent)
        .expect("tests run from target/<profile>/deps")
        .join(name)
}
