//! Helpers for running the real `blocktree` binary in tests.

#![allow(dead_code)]

/// Path of the `blocktree` binary cargo built for these tests.
pub const CLIENT_BIN: &str = env!("CARGO_BIN_EXE_blocktree");

/// A finished command's stdout, as text.
pub fn stdout(o: &std::process::Output) -> String {
	String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A finished command's stderr, as text.
pub fn stderr(o: &std::process::Output) -> String {
	String::from_utf8_lossy(&o.stderr).into_owned()
}
