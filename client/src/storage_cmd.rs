//! `blocktree storage ...`: the storage market from the command line. A provider lists an
//! offer (`offer`), changes or withdraws it (`update-offer`, `remove-offer`); a client lists
//! offers (`offers`), opens a contract against one on the terms it was shown (`contract`),
//! lists its contracts (`contracts`), settles and ends them (`settle`, `end`).
//!
//! A node can do the provider's and a test client's part by itself (`--storage-capacity`,
//! `--storage-auto-contract`); these commands are for people who choose their own terms.

use blocktree_primitives::storage::{ContractId, OfferId};
use blocktree_runtime::{AccountId, Balance, RuntimeCall, RuntimeEvent};
use pallet_storage_contracts::{Call as ContractsCall, Event as ContractsEvent};
use sp_core::crypto::Ss58Codec;

use crate::{
	chain::{account_of, ChainClient, Included},
	principal_chain::block_on,
	principal_cmd::ChainArgs,
};

/// An offer as the chain stores it.
pub type Offer = pallet_storage_contracts::Offer<AccountId, Balance>;
/// A contract as the runtime API returns it.
pub type Contract = pallet_storage_contracts::ContractOf<blocktree_runtime::Runtime>;

/// The most offers `offers` lists (the chain bounds offers per provider, not in total).
const MAX_LISTED: u32 = 10_000;

/// Parses `10GiB`, `500MiB`, `64KiB`, `1000` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
	let t = text.trim();
	let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
	let n: u64 = number.parse().map_err(|_| format!("'{text}' is not a size: write e.g. 10GiB, 500MiB or 4096"))?;
	let scale: u64 = match unit.trim() {
		"" | "B" => 1,
		"KiB" => 1 << 10,
		"MiB" => 1 << 20,
		"GiB" => 1 << 30,
		"TiB" => 1 << 40,
		other => return Err(format!("unknown size unit '{other}' in '{text}': use B, KiB, MiB, GiB or TiB")),
	};
	n.checked_mul(scale).ok_or_else(|| format!("'{text}' is too large"))
}

/// An offer's terms as the provider states them.
#[derive(Debug, Clone, clap::Args)]
pub struct Terms {
	/// Bytes offered, e.g. `10GiB`.
	#[arg(long, value_parser = parse_size)]
	pub capacity: u64,
	/// Price: smallest units per byte per period.
	#[arg(long, value_name = "UNITS")]
	pub price: Balance,
	/// Collateral: smallest units held from the provider per contracted byte.
	#[arg(long, value_name = "UNITS")]
	pub collateral: Balance,
	/// Shortest contract accepted, in periods.
	#[arg(long, default_value_t = 1)]
	pub min_periods: u32,
	/// Smallest contract accepted, e.g. `64MiB`.
	#[arg(long, value_parser = parse_size, default_value = "1MiB")]
	pub min_size: u64,
}

/// `blocktree storage ...`
#[derive(Debug, clap::Subcommand)]
pub enum StorageCmd {
	/// List an offer of storage capacity (the signer is the provider; holds the offer deposit).
	Offer {
		#[command(flatten)]
		terms: Terms,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Change some of an offer's terms (those not given stay as they are); contracts already
	/// opened keep theirs.
	UpdateOffer {
		/// The offer's id.
		offer: OfferId,
		/// Bytes still available to new contracts, e.g. `10GiB`.
		#[arg(long, value_parser = parse_size)]
		capacity: Option<u64>,
		/// Price: smallest units per byte per period.
		#[arg(long, value_name = "UNITS")]
		price: Option<Balance>,
		/// Collateral: smallest units held per contracted byte.
		#[arg(long, value_name = "UNITS")]
		collateral: Option<Balance>,
		/// Shortest contract accepted, in periods.
		#[arg(long)]
		min_periods: Option<u32>,
		/// Smallest contract accepted, e.g. `64MiB`.
		#[arg(long, value_parser = parse_size)]
		min_size: Option<u64>,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Withdraw an offer and get its deposit back; its contracts continue.
	RemoveOffer {
		/// The offer's id.
		offer: OfferId,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// List the chain's offers.
	Offers {
		/// The node's JSON-RPC WebSocket address.
		#[arg(long, env = "BLOCKTREE_RPC_URL", default_value = crate::chain::DEFAULT_RPC_URL)]
		rpc_url: String,
	},
	/// Open a contract against an offer (the signer is the client and pays the whole price
	/// into escrow now). The command shows the quote; the contract binds you only at a price
	/// up to `--max-price` and a collateral of at least `--min-collateral` (default: the
	/// offer's terms as read now), so a provider that changes terms before inclusion makes it
	/// fail instead of binding you.
	Contract {
		/// The offer's id (see `blocktree storage offers`).
		#[arg(long)]
		offer: OfferId,
		/// Bytes to contract, e.g. `1GiB`.
		#[arg(long, value_parser = parse_size)]
		size: u64,
		/// Length in periods.
		#[arg(long)]
		periods: u32,
		/// The highest price per byte per period you accept.
		#[arg(long, value_name = "UNITS")]
		max_price: Option<Balance>,
		/// The lowest provider collateral per byte you accept.
		#[arg(long, value_name = "UNITS")]
		min_collateral: Option<Balance>,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// List the contracts of an account (as client or provider).
	Contracts {
		/// The account (SS58); else the signer's.
		#[arg(long)]
		account: Option<String>,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Pay out a contract's elapsed periods to its provider.
	Settle {
		/// The contract's id.
		contract: ContractId,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// End a contract early (its client or provider). By the client: the running period is paid
	/// in full as notice and the rest refunded. By the provider: its collateral goes to the
	/// client. The chain drops the contract's fragment placements either way.
	End {
		/// The contract's id.
		contract: ContractId,
		#[command(flatten)]
		chain: ChainArgs,
	},
}

fn contract_events(included: &Included) -> impl Iterator<Item = &ContractsEvent<blocktree_runtime::Runtime>> {
	included.events.iter().filter_map(|e| match e {
		RuntimeEvent::StorageContracts(event) => Some(event),
		_ => None,
	})
}

/// One line describing offer `id`.
pub fn describe_offer(id: OfferId, o: &Offer) -> String {
	format!(
		"offer {id}: provider {} capacity {} B price {} /B/period collateral {} /B min {} periods, {} B",
		o.provider.to_ss58check(),
		o.capacity,
		o.price_per_byte,
		o.collateral_per_byte,
		o.min_periods,
		o.min_bytes
	)
}

/// One line describing contract `id`.
pub fn describe_contract(id: ContractId, c: &Contract) -> String {
	format!(
		"contract {id}: offer {} provider {} client {} bytes {} used {} periods {} from block {} settled {} escrow {} collateral {} strikes {}",
		c.offer,
		c.provider.to_ss58check(),
		c.client.to_ss58check(),
		c.bytes,
		c.used,
		c.periods,
		c.start,
		c.settled,
		c.escrow,
		c.collateral,
		c.strikes
	)
}

/// The chain's offers (`Offers` is keyed by id with `Twox64Concat`: 8 hash bytes, then the id).
pub async fn offers(client: &ChainClient) -> Result<Vec<(OfferId, Offer)>, String> {
	let entries = client.map_entries::<Offer>(b"StorageContracts", b"Offers", MAX_LISTED).await?;
	if entries.len() as u32 >= MAX_LISTED {
		eprintln!("[blocktree::storage] listing the first {MAX_LISTED} offers (in storage order) of more");
	}
	let mut offers = Vec::with_capacity(entries.len());
	for (key, offer) in entries {
		let id = (key.len() == 16).then(|| key[8..].try_into().map(OfferId::from_le_bytes).ok()).flatten();
		offers.push((id.ok_or("the node sent an offer key that is not hash + id")?, offer));
	}
	offers.sort_by_key(|(id, _)| *id);
	Ok(offers)
}

fn ss58_account(text: &str) -> Result<AccountId, String> {
	AccountId::from_ss58check(text).map_err(|e| format!("'{text}' is not an SS58 account ({e:?})"))
}

impl StorageCmd {
	/// Runs the command, printing what it did.
	pub fn run(&self) -> Result<(), String> {
		match self {
			StorageCmd::Offer { terms, chain } => {
				let call = ContractsCall::create_offer {
					capacity: terms.capacity,
					price_per_byte: terms.price,
					collateral_per_byte: terms.collateral,
					min_periods: terms.min_periods,
					min_bytes: terms.min_size,
				};
				let included = submit(chain, call)?;
				let id = contract_events(&included).find_map(|e| match e {
					ContractsEvent::OfferCreated { offer, .. } => Some(*offer),
					_ => None,
				});
				println!("offer: {}", id.ok_or("the chain recorded no OfferCreated event")?);
			},
			StorageCmd::UpdateOffer { offer, capacity, price, collateral, min_periods, min_size, chain } => {
				let id = *offer;
				let signer = chain.signer()?;
				block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					let now: Option<Offer> = client.runtime_call("StorageContractsApi_offer", id).await?;
					let now = now.ok_or_else(|| format!("there is no offer {id}: see `blocktree storage offers`"))?;
					let call = ContractsCall::update_offer {
						offer: id,
						capacity: capacity.unwrap_or(now.capacity),
						price_per_byte: price.unwrap_or(now.price_per_byte),
						collateral_per_byte: collateral.unwrap_or(now.collateral_per_byte),
						min_periods: min_periods.unwrap_or(now.min_periods),
						min_bytes: min_size.unwrap_or(now.min_bytes),
					};
					client.submit(&signer, RuntimeCall::StorageContracts(call)).await
				})?;
				println!("updated offer {offer}");
			},
			StorageCmd::RemoveOffer { offer, chain } => {
				submit(chain, ContractsCall::remove_offer { offer: *offer })?;
				println!("removed offer {offer}");
			},
			StorageCmd::Offers { rpc_url } => {
				let listed = block_on(async { offers(&ChainClient::connect(rpc_url).await?).await })?;
				if listed.is_empty() {
					println!("no offers: a provider lists one with `blocktree storage offer` or `blocktree-node --storage-capacity`");
				}
				for (id, offer) in &listed {
					println!("{}", describe_offer(*id, offer));
				}
			},
			StorageCmd::Contract { offer, size, periods, max_price, min_collateral, chain } => {
				let (id, size, periods) = (*offer, *size, *periods);
				let signer = chain.signer()?;
				// One runtime for the whole exchange: the connection lives on it.
				let included = block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					let shown: Option<Offer> = client.runtime_call("StorageContractsApi_offer", id).await?;
					let shown = shown.ok_or_else(|| format!("there is no offer {id}: see `blocktree storage offers`"))?;
					let quote: Option<(Balance, Balance, Balance)> =
						client.runtime_call("StorageContractsApi_quote", (id, size, periods)).await?;
					if let Some((per_period, total, collateral)) = quote {
						eprintln!("[blocktree::storage] {size} B for {periods} periods: {per_period} per period, {total} in escrow now, provider collateral {collateral}");
					}
					let call = ContractsCall::open_contract {
						offer: id,
						bytes: size,
						periods,
						max_price_per_byte: max_price.unwrap_or(shown.price_per_byte),
						min_collateral_per_byte: min_collateral.unwrap_or(shown.collateral_per_byte),
					};
					client.submit(&signer, RuntimeCall::StorageContracts(call)).await
				})?;
				let opened = contract_events(&included).find_map(|e| match e {
					ContractsEvent::ContractOpened { contract, .. } => Some(*contract),
					_ => None,
				});
				println!("contract: {}", opened.ok_or("the chain recorded no ContractOpened event")?);
			},
			StorageCmd::Contracts { account, chain } => {
				let who = match account {
					Some(text) => ss58_account(text)?,
					None => account_of(&chain.signer()?),
				};
				let listed: Vec<(ContractId, Contract)> = block_on(async {
					let client = ChainClient::connect(&chain.rpc_url).await?;
					client.runtime_call("StorageContractsApi_contracts_of", who.clone()).await
				})?;
				if listed.is_empty() {
					println!("{} has no contracts", who.to_ss58check());
				}
				for (id, contract) in &listed {
					println!("{}", describe_contract(*id, contract));
				}
			},
			StorageCmd::Settle { contract, chain } => {
				submit(chain, ContractsCall::settle { contract: *contract })?;
				println!("settled contract {contract}");
			},
			StorageCmd::End { contract, chain } => {
				submit(chain, ContractsCall::end_contract { contract: *contract })?;
				println!("ended contract {contract}");
			},
		}
		Ok(())
	}
}

/// Signs and submits a storage-contracts call with the `--signer` account.
fn submit(chain: &ChainArgs, call: ContractsCall<blocktree_runtime::Runtime>) -> Result<Included, String> {
	let signer = chain.signer()?;
	block_on(async {
		let client = ChainClient::connect(&chain.rpc_url).await?;
		client.submit(&signer, RuntimeCall::StorageContracts(call)).await
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sizes_parse_with_binary_units_and_bad_ones_say_how() {
		assert_eq!(parse_size("0"), Ok(0));
		assert_eq!(parse_size("4096"), Ok(4096));
		assert_eq!(parse_size("64KiB"), Ok(64 << 10));
		assert_eq!(parse_size("500MiB"), Ok(500 << 20));
		assert_eq!(parse_size(" 10GiB "), Ok(10 << 30));
		assert!(parse_size("10GB").unwrap_err().contains("use B, KiB, MiB, GiB or TiB"));
		assert!(parse_size("lots").unwrap_err().contains("not a size"));
		assert!(parse_size("99999999999TiB").unwrap_err().contains("too large"));
	}
}
