//! The command line: `blocktree-node [run flags]` or `blocktree-node <subcommand>`.

/// Blocktree node command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A maintenance subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// The flags of a running node (`--dev`, `--chain`, `--validator`, `--rpc-port`, ...).
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// The storage worker's flags (`--storage-capacity`, `--storage-dir`, ...).
	#[clap(flatten)]
	pub storage: crate::storage::StorageParams,
}

/// Maintenance subcommands, the standard set of a Substrate node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys, and the node's network key.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated upstream in favour of `export-chain-spec`,
	/// kept because operators and scripts know it).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a built-in chain specification (`dev`, `local`) as JSON.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Show information about the database.
	ChainInfo(sc_cli::ChainInfoCmd),
}
