//! The parameters a `resdll` resource passes to its library's `Open`: the
//! config's `[resource.params.parameters]`, each a [`ParamValue`], laid out
//! as the header's `CLUSRES_PARAMETERS` block ([`Block`]).

use std::collections::BTreeMap;
use std::fmt;
use std::ptr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::ffi::{self, Wchar};

/// One parameter's value: what Windows keeps in the resource's registry
/// key as a `REG_DWORD` or a `REG_SZ`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ParamValue {
    /// A `REG_DWORD`: a TOML or JSON integer from 0 to 4294967295, or a
    /// boolean (1 or 0).
    Dword(u32),
    /// A `REG_SZ`: a string.
    Sz(String),
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ParamValue, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a boolean, or an integer from 0 to 4294967295")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamValue, E> {
                Ok(ParamValue::Dword(u32::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                u32::try_from(v).map(ParamValue::Dword).map_err(|_| {
                    E::custom(format_args!("{v} does not fit a DWORD (0 to 4294967295)"))
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                u32::try_from(v).map(ParamValue::Dword).map_err(|_| {
                    E::custom(format_args!("{v} does not fit a DWORD (0 to 4294967295)"))
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                if v.contains('\0') {
                    return Err(E::custom("a string parameter cannot hold a NUL"));
                }
                Ok(ParamValue::Sz(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl ParamValue {
    /// The value as text: the string, or the number in decimal.
    fn text(&self) -> String {
        match self {
            ParamValue::Dword(n) => n.to_string(),
            ParamValue::Sz(s) => s.clone(),
        }
    }
}

/// NUL-terminated UTF-16.
pub(crate) fn wide(s: &str) -> Vec<Wchar> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A NUL-terminated UTF-16 string read from C, lossily, at most `limit`
/// code units.
///
/// # Safety
///
/// `p` is null or points to a NUL-terminated UTF-16 string, or to at least
/// `limit` readable code units.
pub(crate) unsafe fn read_wide(p: *const Wchar, limit: usize) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut len = 0;
    // SAFETY: the caller promises that every unit up to the NUL (or
    // `limit`) is readable.
    while len < limit && unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units just read are readable.
    let units = unsafe { std::slice::from_raw_parts(p, len) };
    Some(String::from_utf16_lossy(units))
}

/// A `CLUSRES_PARAMETERS` block and the strings it points to. Moving the
/// `Block` moves none of them (they are heap buffers), so the pointer from
/// [`Block::as_ptr`] stays valid as long as the `Block` lives, unchanged.
pub(crate) struct Block {
    _strings: Vec<Vec<Wchar>>,
    _entries: Vec<ffi::Parameter>,
    header: Box<ffi::Parameters>,
}

// SAFETY: the raw pointers in a Block point only into its own heap buffers,
// which are never written after `Block::new` returns; sharing or sending
// them is sharing read-only memory.
unsafe impl Send for Block {}
// SAFETY: as for Send: read-only after construction.
unsafe impl Sync for Block {}

impl Block {
    /// The block of `params`, in name order.
    pub(crate) fn new(params: &BTreeMap<String, ParamValue>) -> Block {
        let mut strings = Vec::with_capacity(params.len() * 2);
        let mut entries = Vec::with_capacity(params.len());
        for (name, value) in params {
            let name = wide(name);
            let text = wide(&value.text());
            let (kind, dword) = match value {
                ParamValue::Dword(n) => (ffi::REG_DWORD, *n),
                ParamValue::Sz(_) => (ffi::REG_SZ, 0),
            };
            entries.push(ffi::Parameter {
                name: name.as_ptr(),
                kind,
                dword,
                string: text.as_ptr(),
            });
            strings.push(name);
            strings.push(text);
        }
        let header = Box::new(ffi::Parameters {
            size: std::mem::size_of::<ffi::Parameters>() as u32,
            count: entries.len() as u32,
            parameters: if entries.is_empty() {
                ptr::null()
            } else {
                entries.as_ptr()
            },
        });
        Block {
            _strings: strings,
            _entries: entries,
            header,
        }
    }

    /// The `PCLUSRES_PARAMETERS` to pass to `Open`.
    pub(crate) fn as_ptr(&self) -> *const ffi::Parameters {
        &*self.header
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("count", &self.header.count)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_dwords_or_strings_and_out_of_range_numbers_are_refused() {
        let t: BTreeMap<String, ParamValue> =
            toml::from_str("a = 7\nb = true\nc = \"x\"").expect("good values");
        assert_eq!(t["a"], ParamValue::Dword(7));
        assert_eq!(t["b"], ParamValue::Dword(1));
        assert_eq!(t["c"], ParamValue::Sz("x".into()));
        let e = toml::from_str::<BTreeMap<String, ParamValue>>("a = -1").unwrap_err();
        assert!(e.to_string().contains("does not fit a DWORD"), "{e}");
        let e = toml::from_str::<BTreeMap<String, ParamValue>>("a = 1.5").unwrap_err();
        assert!(
            e.to_string().contains("a string, a boolean, or an integer"),
            "{e}"
        );
    }

    #[test]
    fn the_block_holds_every_parameter_in_utf16_with_its_text() {
        let mut p = BTreeMap::new();
        p.insert("Steps".to_owned(), ParamValue::Dword(3));
        p.insert("Name".to_owned(), ParamValue::Sz("é✓".into()));
        let block = Block::new(&p);
        // SAFETY: the block is alive; its pointers are into its buffers.
        unsafe {
            let h = &*block.as_ptr();
            assert_eq!(h.count, 2);
            let e = std::slice::from_raw_parts(h.parameters, 2);
            assert_eq!(read_wide(e[0].name, 64).as_deref(), Some("Name"));
            assert_eq!(
                (e[0].kind, read_wide(e[0].string, 64).as_deref()),
                (ffi::REG_SZ, Some("é✓"))
            );
            assert_eq!(read_wide(e[1].name, 64).as_deref(), Some("Steps"));
            assert_eq!((e[1].kind, e[1].dword), (ffi::REG_DWORD, 3));
            assert_eq!(read_wide(e[1].string, 64).as_deref(), Some("3"));
        }
    }
}
