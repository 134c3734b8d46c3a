//! `blocktree`: the Blocktree client. Keys and caps (`principal`), files (`file`), storage
//! offers and contracts (`storage`), all through a node's JSON-RPC.

use clap::Parser;

fn main() -> std::process::ExitCode {
	let cli = blocktree_client::cli::Cli::parse();
	match cli.run() {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("Error: {e}");
			std::process::ExitCode::FAILURE
		},
	}
}
