//! `blocktree-node`: the Blocktree full node and validator.
//!
//! Modules: [`cli`] (command line), [`command`] (what each subcommand does), [`chain_spec`]
//! (the `dev` and `local` chains), [`service`] (wiring consensus, network, RPC and the
//! off-chain workers) and [`rpc`] (the JSON-RPC methods beyond the standard ones).

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
