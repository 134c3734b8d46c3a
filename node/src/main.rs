//! `blocktree-node`: the Blocktree full node and validator.
//!
//! Modules: [`cli`] (command line), [`command`] (what each subcommand does), [`chain_spec`]
//! (the `dev` and `local` chains), [`service`] (wiring consensus, network, RPC and the
//! off-chain workers), [`rpc`] (the JSON-RPC methods beyond the standard ones) and
//! [`principal_cmd`] (client-side principal keys and write caps).

mod chain_spec;
mod cli;
mod command;
mod principal_cmd;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
