//! The part of xtask that the test harnesses share with it: the list of programs
//! Pic-up, its tests and xtask run (`programs`). Kept free of dependencies, so the
//! crates whose tests use it build nothing more.

pub mod programs;
