//! `blocktree-node`: the Blocktree full node and validator.
//!
//! Modules: [`cli`] (command line), [`command`] (what each subcommand does), [`chain_spec`]
//! (the `dev` and `local` chains), [`service`] (wiring consensus, network, RPC and the
//! off-chain workers), [`rpc`] (the JSON-RPC methods beyond the standard ones) and
//! [`principal_cmd`] (client-side principal keys and write caps), [`principal_chain`] (the
//! principal's transactions and queries) over [`chain_client`] (a signing JSON-RPC client).

mod chain_client;
mod chain_spec;
mod cli;
mod command;
mod principal_chain;
mod principal_cmd;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
