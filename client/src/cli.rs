//! The `blocktree` command line.

/// Blocktree client: keys, caps, files, directories and storage contracts, through a node's
/// JSON-RPC.
#[derive(Debug, clap::Parser)]
#[command(name = "blocktree", version, about)]
pub struct Cli {
	/// What to do.
	#[command(subcommand)]
	pub command: Command,
}

/// The client's commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
	/// Principal keys: create a root key, back it up, register it, issue and approve write caps.
	#[command(subcommand)]
	Principal(crate::principal_cmd::PrincipalCmd),

	/// Files: seal a local file and store it at a tree path through a node, get it back, show
	/// where it is stored.
	#[command(subcommand)]
	File(crate::file_cmd::FileCmd),

	/// The storage market: list and take offers, open, list, settle and end contracts.
	#[command(subcommand)]
	Storage(crate::storage_cmd::StorageCmd),

	#[command(flatten)]
	Tree(crate::tree_cmd::TreeCmd),
}

impl Cli {
	/// Runs the chosen command.
	pub fn run(&self) -> Result<(), String> {
		match &self.command {
			Command::Principal(cmd) => cmd.run(),
			Command::File(cmd) => cmd.run(),
			Command::Storage(cmd) => cmd.run(),
			Command::Tree(cmd) => cmd.run(),
		}
	}
}
