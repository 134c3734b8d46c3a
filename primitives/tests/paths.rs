//! Block path parsing: the rules, and no panic on any input.

use blocktree_primitives::path::{BlockPath, PathError, MAX_COMPONENT_LEN, MAX_PATH_DEPTH};
use codec::{Decode, Encode};
use proptest::prelude::*;

const ROOT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

fn p(rest: &str) -> String {
	format!("/{ROOT}{rest}")
}

#[test]
fn well_formed_paths_parse_and_print_back() {
	let path = BlockPath::parse(&p("/photos/2026/beach.jpg")).expect("valid");
	assert_eq!(path.depth(), 4);
	assert_eq!(path.to_string(), p("/photos/2026/beach.jpg"));
	assert_eq!(format!("{:x}", path.root()), ROOT);
	assert_eq!(path.components().nth(3), Some("beach.jpg"));
	let unicode = BlockPath::parse(&p("/fotos/año/café ☕.txt")).expect("UTF-8 names are fine");
	assert_eq!(unicode.components().last(), Some("café ☕.txt"));
}

#[test]
fn each_broken_rule_has_its_own_error() {
	let cases = [
		("relative/path".to_string(), PathError::NotAbsolute),
		("/".to_string(), PathError::Empty),
		(p("//photos"), PathError::EmptyComponent),
		(p("/photos/"), PathError::EmptyComponent),
		(p("/./photos"), PathError::DotComponent),
		(p("/photos/.."), PathError::DotComponent),
		(p("/pho\0tos"), PathError::NulByte),
		(p(&format!("/{}", "a".repeat(MAX_COMPONENT_LEN as usize + 1))), PathError::ComponentTooLong),
		(p(&"/d".repeat(MAX_PATH_DEPTH as usize)), PathError::TooDeep),
		("/not-a-principal/photos".to_string(), PathError::BadRootComponent),
		(format!("/{}", "g".repeat(64)), PathError::BadRootComponent),
	];
	for (input, expected) in cases {
		assert_eq!(BlockPath::parse(&input), Err(expected.clone()), "input {input:?}");
		assert!(!expected.to_string().is_empty());
	}
	assert_eq!(BlockPath::from_bytes(&[b'/', 0xff, 0xfe]), Err(PathError::NotUtf8));
	// The longest allowed path parses.
	let deepest = p(&"/d".repeat(MAX_PATH_DEPTH as usize - 1));
	assert_eq!(BlockPath::parse(&deepest).map(|p| p.depth()), Ok(MAX_PATH_DEPTH as usize));
}

#[test]
fn upper_case_root_is_refused_so_a_path_has_one_name() {
	let upper = format!("/{}/photos", ROOT.to_uppercase());
	assert_eq!(BlockPath::parse(&upper), Err(PathError::BadRootComponent));
	assert!(PathError::BadRootComponent.to_string().contains("lower-case hex"));
	let mixed = format!("/{}A/photos", &ROOT[..63]);
	assert_eq!(BlockPath::parse(&mixed), Err(PathError::BadRootComponent));
	// Nor does an upper-case root get in through SCALE (an extrinsic, a stored header).
	let raw: Vec<Vec<u8>> = vec![ROOT.to_uppercase().into_bytes(), b"photos".to_vec()];
	assert!(BlockPath::decode(&mut &raw.encode()[..]).is_err());
	let lower: Vec<Vec<u8>> = vec![ROOT.as_bytes().to_vec(), b"photos".to_vec()];
	let decoded = BlockPath::decode(&mut &lower.encode()[..]).ok();
	assert_eq!(decoded, BlockPath::parse(&p("/photos")).ok());
}

#[test]
fn prefixes_match_whole_components_only() {
	let a = BlockPath::parse(&p("/photos")).unwrap();
	let ab = BlockPath::parse(&p("/photos/2026")).unwrap();
	let a2 = BlockPath::parse(&p("/photosphere")).unwrap();
	assert!(ab.starts_with(&a));
	assert!(a.starts_with(&a));
	assert!(!a2.starts_with(&a), "/photosphere is not under /photos");
	assert!(!a.starts_with(&ab));
	assert_eq!(a.join("2026"), Ok(ab));
	assert_eq!(a.join(".."), Err(PathError::DotComponent));
}

#[test]
fn decoding_revalidates_paths() {
	// Encode a path-shaped structure whose component is "..": decoding must refuse it.
	let raw: Vec<Vec<u8>> = vec![ROOT.as_bytes().to_vec(), b"..".to_vec()];
	let bytes = raw.encode();
	assert!(BlockPath::decode(&mut &bytes[..]).is_err());
	let good = BlockPath::parse(&p("/a/b")).unwrap();
	assert_eq!(BlockPath::decode(&mut &good.encode()[..]), Ok(good));
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(2000))]

	#[test]
	fn parsing_any_string_never_panics(s in ".{0,400}") {
		let _ = BlockPath::parse(&s);
	}

	#[test]
	fn parsing_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
		let _ = BlockPath::from_bytes(&bytes);
	}

	#[test]
	fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
		let _ = BlockPath::decode(&mut &bytes[..]);
	}

	#[test]
	fn valid_paths_round_trip(names in proptest::collection::vec("[a-zA-Z0-9 _.-]{1,40}", 0..20)) {
		let names: Vec<String> = names.into_iter().filter(|n| n != "." && n != "..").collect();
		let text = p(&names.iter().map(|n| format!("/{n}")).collect::<String>());
		let path = BlockPath::parse(&text).expect("generated paths are valid");
		prop_assert_eq!(path.to_string(), text);
		prop_assert_eq!(BlockPath::decode(&mut &path.encode()[..]).ok(), Some(path));
	}
}
