//! Block paths: where a block sits in a principal's tree, `/<root principal>/photos/beach.jpg`.
//!
//! A [`BlockPath`] is validated once, when it is parsed, and is valid from then on: at most
//! [`MAX_PATH_DEPTH`] components, each 1 to [`MAX_COMPONENT_LEN`] bytes of UTF-8, none of them
//! `.` or `..`, none containing `/` or NUL. The first component names the root principal (its
//! id in lower-case hex, the only form accepted, so that one path has one name and one hash), so
//! every path says whose tree it belongs to.

use alloc::{string::String, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, Error as CodecError, Input, MaxEncodedLen};
use core::fmt;
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::BoundedVec;

/// Most components a path may have, the root component included.
pub const MAX_PATH_DEPTH: u32 = 32;
/// Longest component, in bytes of UTF-8.
pub const MAX_COMPONENT_LEN: u32 = 255;

/// One path component: 1 to [`MAX_COMPONENT_LEN`] bytes of valid UTF-8.
pub type PathComponent = BoundedVec<u8, ConstU32<MAX_COMPONENT_LEN>>;

/// Why a path was refused.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum PathError {
	/// A path must start with `/`.
	NotAbsolute,
	/// A path needs at least the root principal component.
	Empty,
	/// Two slashes in a row or a trailing slash make an empty component.
	EmptyComponent,
	/// `.` and `..` are not allowed: paths name blocks, they do not navigate.
	DotComponent,
	/// A component contains a NUL byte.
	NulByte,
	/// A component is longer than [`MAX_COMPONENT_LEN`] bytes.
	ComponentTooLong,
	/// The path has more than [`MAX_PATH_DEPTH`] components.
	TooDeep,
	/// A component is not valid UTF-8.
	NotUtf8,
	/// The first component is not a principal id (64 lower-case hex digits).
	BadRootComponent,
}

impl fmt::Display for PathError {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		let msg = match self {
			PathError::NotAbsolute => "a block path must start with '/'",
			PathError::Empty => "a block path needs at least its root principal, '/<principal id>'",
			PathError::EmptyComponent => "empty path component: remove doubled or trailing '/'",
			PathError::DotComponent => "path components '.' and '..' are not allowed",
			PathError::NulByte => "a path component contains a NUL byte",
			PathError::ComponentTooLong =>
				"a path component is longer than 255 bytes: use a shorter name",
			PathError::TooDeep => "a block path has at most 32 components",
			PathError::NotUtf8 => "a path component is not valid UTF-8",
			PathError::BadRootComponent =>
				"the first path component must be the root principal's id as 64 hex digits: use \
				 lower-case hex (0-9, a-f)",
		};
		f.write_str(msg)
	}
}

/// Checks one component's bytes.
fn check_component(c: &[u8]) -> Result<(), PathError> {
	if c.is_empty() {
		return Err(PathError::EmptyComponent);
	}
	if c.len() > MAX_COMPONENT_LEN as usize {
		return Err(PathError::ComponentTooLong);
	}
	if c == b"." || c == b".." {
		return Err(PathError::DotComponent);
	}
	if c.contains(&0) {
		return Err(PathError::NulByte);
	}
	if c.contains(&b'/') {
		return Err(PathError::EmptyComponent);
	}
	core::str::from_utf8(c).map_err(|_| PathError::NotUtf8)?;
	Ok(())
}

/// Parses the root component: the principal id as 64 lower-case hex digits. Upper case is
/// refused, so that a path has exactly one spelling (and one [`BlockPath::hash`]).
fn parse_root(c: &[u8]) -> Result<H256, PathError> {
	if c.len() != 64 {
		return Err(PathError::BadRootComponent);
	}
	let mut out = [0u8; 32];
	for (i, pair) in c.chunks(2).enumerate() {
		let hi = hex_value(pair[0]).ok_or(PathError::BadRootComponent)?;
		let lo = hex_value(pair[1]).ok_or(PathError::BadRootComponent)?;
		out[i] = (hi << 4) | lo;
	}
	Ok(H256(out))
}

/// The value of a lower-case hex digit.
fn hex_value(b: u8) -> Option<u8> {
	match b {
		b'0'..=b'9' => Some(b - b'0'),
		b'a'..=b'f' => Some(b - b'a' + 10),
		_ => None,
	}
}

/// A validated, absolute block path. Its first component is the root principal's id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Encode, TypeInfo, MaxEncodedLen)]
pub struct BlockPath {
	components: BoundedVec<PathComponent, ConstU32<MAX_PATH_DEPTH>>,
}

impl BlockPath {
	/// Parses `/<root>/<a>/<b>`; the error says which rule the path broke.
	pub fn parse(path: &str) -> Result<Self, PathError> {
		Self::from_bytes(path.as_bytes())
	}

	/// Parses a path given as bytes (which must be UTF-8).
	pub fn from_bytes(path: &[u8]) -> Result<Self, PathError> {
		let rest = path.strip_prefix(b"/").ok_or(PathError::NotAbsolute)?;
		if rest.is_empty() {
			return Err(PathError::Empty);
		}
		let mut components = Vec::new();
		for c in rest.split(|b| *b == b'/') {
			if components.len() == MAX_PATH_DEPTH as usize {
				return Err(PathError::TooDeep);
			}
			check_component(c)?;
			components.push(c.to_vec());
		}
		Self::from_components(components)
	}

	/// Builds a path from its components, checking each and the root.
	pub fn from_components(components: Vec<Vec<u8>>) -> Result<Self, PathError> {
		if components.is_empty() {
			return Err(PathError::Empty);
		}
		if components.len() > MAX_PATH_DEPTH as usize {
			return Err(PathError::TooDeep);
		}
		let mut bounded = Vec::with_capacity(components.len());
		for c in components {
			check_component(&c)?;
			bounded.push(PathComponent::try_from(c).map_err(|_| PathError::ComponentTooLong)?);
		}
		parse_root(&bounded[0])?;
		let components = BoundedVec::try_from(bounded).map_err(|_| PathError::TooDeep)?;
		Ok(BlockPath { components })
	}

	/// The root of `principal`'s tree: `/<principal id>`.
	pub fn root_of(principal: &H256) -> Self {
		let mut hex = Vec::with_capacity(64);
		for b in principal.as_bytes() {
			hex.push(b"0123456789abcdef"[(b >> 4) as usize]);
			hex.push(b"0123456789abcdef"[(b & 0xf) as usize]);
		}
		let component = PathComponent::try_from(hex).expect("64 bytes <= 255; qed");
		let components = BoundedVec::try_from(alloc::vec![component]).expect("1 <= 32; qed");
		BlockPath { components }
	}

	/// This path with `name` appended.
	pub fn join(&self, name: &str) -> Result<Self, PathError> {
		let mut components: Vec<Vec<u8>> = self.components.iter().map(|c| c.to_vec()).collect();
		components.push(name.as_bytes().to_vec());
		Self::from_components(components)
	}

	/// The principal whose tree this path is in.
	pub fn root(&self) -> H256 {
		parse_root(&self.components[0]).expect("checked when the path was built; qed")
	}

	/// Number of components, the root included.
	pub fn depth(&self) -> usize {
		self.components.len()
	}

	/// The components as strings.
	pub fn components(&self) -> impl Iterator<Item = &str> {
		self.components.iter().map(|c| core::str::from_utf8(c).expect("checked UTF-8; qed"))
	}

	/// Whether `self` is `prefix` or lies below it (component-wise: `/r/ab` is not under
	/// `/r/a`).
	pub fn starts_with(&self, prefix: &BlockPath) -> bool {
		prefix.components.len() <= self.components.len() &&
			prefix.components.iter().zip(self.components.iter()).all(|(a, b)| a == b)
	}

	/// The canonical text form, `/root/a/b`.
	pub fn to_string_lossless(&self) -> String {
		let mut s = String::new();
		for c in self.components() {
			s.push('/');
			s.push_str(c);
		}
		s
	}

	/// A hash of the path, for indexing blocks by path on chain without storing the path.
	pub fn hash(&self) -> H256 {
		H256(sp_crypto_hashing::blake2_256(&self.encode()))
	}
}

impl fmt::Display for BlockPath {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		f.write_str(&self.to_string_lossless())
	}
}

impl fmt::Debug for BlockPath {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		write!(f, "BlockPath({})", self)
	}
}

impl core::str::FromStr for BlockPath {
	type Err = PathError;
	fn from_str(s: &str) -> Result<Self, PathError> {
		BlockPath::parse(s)
	}
}

/// Decoding re-validates: a path that arrives in an extrinsic obeys the same rules as one typed
/// by a user.
impl Decode for BlockPath {
	fn decode<I: Input>(input: &mut I) -> Result<Self, CodecError> {
		let components = BoundedVec::<PathComponent, ConstU32<MAX_PATH_DEPTH>>::decode(input)?;
		BlockPath::from_components(components.into_iter().map(|c| c.into_inner()).collect())
			.map_err(|_| CodecError::from("invalid block path"))
	}
}

impl DecodeWithMemTracking for BlockPath {}
