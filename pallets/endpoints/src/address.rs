//! Network addresses and libp2p peer ids as the chain stores them, and the rules that make one
//! acceptable: a peer id in the identity form of an ed25519 key (so the chain can check a
//! signature by it); a unicast, specified address with a non-zero port; and a public one unless
//! the chain allows loopback and private ranges (dev and test networks).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Longest peer id accepted: an identity multihash of a 42-byte public key plus its 2-byte
/// header.
pub const MAX_PEER_ID_LEN: u32 = 44;

/// Multihash code of the identity hash (small keys inlined in the peer id).
const MULTIHASH_IDENTITY: u8 = 0x00;
/// Multihash code of SHA2-256 (keys longer than 42 bytes).
const MULTIHASH_SHA2_256: u8 = 0x12;

/// Length of an ed25519 peer id: the 6-byte [`ED25519_PEER_ID_PREFIX`] and the 32-byte key.
pub const ED25519_PEER_ID_LEN: usize = 38;

/// How every ed25519 peer id starts: the identity multihash header (code 0x00, length 0x24 = 36)
/// and libp2p's protobuf header of the key (field 1, key type 1 = Ed25519; field 2, 32 bytes).
/// The 32-byte public key follows. Substrate nodes' network keys have this form.
pub const ED25519_PEER_ID_PREFIX: [u8; 6] = [MULTIHASH_IDENTITY, 0x24, 0x08, 0x01, 0x12, 0x20];

/// A socket address a node listens on for Blocktree traffic.
#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum NetAddress {
	/// IPv4 address and TCP port.
	Ip4 {
		/// The address octets.
		ip: [u8; 4],
		/// TCP port.
		port: u16,
	},
	/// IPv6 address and TCP port.
	Ip6 {
		/// The address octets.
		ip: [u8; 16],
		/// TCP port.
		port: u16,
	},
}

/// Why an address or peer id was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddressProblem {
	/// The peer id is not an identity or SHA2-256 multihash of the right length.
	MalformedPeerId,
	/// The peer id is a well-formed multihash but not the identity form of an ed25519 key (a
	/// SHA2-256 peer id, whose key the chain cannot see, or another key type).
	UnsupportedPeerIdKind,
	/// Port 0.
	ZeroPort,
	/// 0.0.0.0 or `::`: a listen address, not one others can dial.
	Unspecified,
	/// Multicast or broadcast.
	NotUnicast,
	/// Loopback, private, link-local or shared (CGNAT) ranges, which the chain does not allow.
	Private,
}

/// Checks that `peer_id` is a libp2p peer id: a multihash with code identity (length at most
/// 42) or SHA2-256 (length 32), whose digest has exactly the declared length.
pub fn check_peer_id(peer_id: &[u8]) -> Result<(), AddressProblem> {
	let [code, len, digest @ ..] = peer_id else { return Err(AddressProblem::MalformedPeerId) };
	let well_formed = match *code {
		MULTIHASH_IDENTITY => (1..=42).contains(len),
		MULTIHASH_SHA2_256 => *len == 32,
		_ => false,
	};
	if well_formed && digest.len() == *len as usize {
		Ok(())
	} else {
		Err(AddressProblem::MalformedPeerId)
	}
}

/// The ed25519 public key inside `peer_id`, if it is an ed25519 peer id in identity form
/// ([`ED25519_PEER_ID_PREFIX`] followed by the key): the only kind whose holder the chain can
/// check. `MalformedPeerId` if it is no multihash at all, `UnsupportedPeerIdKind` if it is a
/// well-formed one of another kind.
pub fn ed25519_peer_key(peer_id: &[u8]) -> Result<[u8; 32], AddressProblem> {
	check_peer_id(peer_id)?;
	match peer_id.strip_prefix(&ED25519_PEER_ID_PREFIX[..]) {
		Some(key) => key.try_into().map_err(|_| AddressProblem::UnsupportedPeerIdKind),
		None => Err(AddressProblem::UnsupportedPeerIdKind),
	}
}

/// The peer id of the ed25519 public key `key`, as libp2p and Substrate nodes write it.
pub fn ed25519_peer_id(key: &[u8; 32]) -> [u8; ED25519_PEER_ID_LEN] {
	let mut peer_id = [0u8; ED25519_PEER_ID_LEN];
	peer_id[..ED25519_PEER_ID_PREFIX.len()].copy_from_slice(&ED25519_PEER_ID_PREFIX);
	peer_id[ED25519_PEER_ID_PREFIX.len()..].copy_from_slice(key);
	peer_id
}

fn check_ip4(ip: [u8; 4], allow_private: bool) -> Result<(), AddressProblem> {
	let [a, b, _, _] = ip;
	if ip == [0, 0, 0, 0] {
		return Err(AddressProblem::Unspecified);
	}
	if ip == [255, 255, 255, 255] || (224..=239).contains(&a) {
		return Err(AddressProblem::NotUnicast);
	}
	let private = a == 127 ||
		a == 10 || a == 0 ||
		(a == 172 && (16..=31).contains(&b)) ||
		(a == 192 && b == 168) ||
		(a == 169 && b == 254) ||
		(a == 100 && (64..=127).contains(&b));
	if private && !allow_private {
		return Err(AddressProblem::Private);
	}
	Ok(())
}

fn check_ip6(ip: [u8; 16], allow_private: bool) -> Result<(), AddressProblem> {
	if ip == [0u8; 16] {
		return Err(AddressProblem::Unspecified);
	}
	if ip[0] == 0xff {
		return Err(AddressProblem::NotUnicast);
	}
	// IPv4-mapped (::ffff:a.b.c.d): judged as the IPv4 address.
	if ip[..10] == [0u8; 10] && ip[10] == 0xff && ip[11] == 0xff {
		return check_ip4([ip[12], ip[13], ip[14], ip[15]], allow_private);
	}
	let loopback = ip[..15] == [0u8; 15] && ip[15] == 1;
	let unique_local = ip[0] & 0xfe == 0xfc;
	let link_local = ip[0] == 0xfe && ip[1] & 0xc0 == 0x80;
	if (loopback || unique_local || link_local) && !allow_private {
		return Err(AddressProblem::Private);
	}
	Ok(())
}

impl NetAddress {
	/// Checks the address by the chain's rules; `allow_private` admits loopback and private
	/// ranges.
	pub fn check(&self, allow_private: bool) -> Result<(), AddressProblem> {
		match *self {
			NetAddress::Ip4 { ip, port } => {
				if port == 0 {
					return Err(AddressProblem::ZeroPort);
				}
				check_ip4(ip, allow_private)
			},
			NetAddress::Ip6 { ip, port } => {
				if port == 0 {
					return Err(AddressProblem::ZeroPort);
				}
				check_ip6(ip, allow_private)
			},
		}
	}
}
