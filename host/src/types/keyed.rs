//! `keyed!`: per-field `deserialize_with` functions that put the field's
//! key, in backquotes as serde's own messages do (`` `command`: ... ``),
//! in front of any error its value raises, so that a loader holding the
//! parameters without positions still knows which key to point at.

/// `keyed! { fn_name: Type = "key" by inner_fn; ... }` defines
/// `fn fn_name<'de, D: Deserializer<'de>>(d: D) -> Result<Type, D::Error>`
/// calling `inner_fn(d)` and prefixing its error with `` `key`: ``.
macro_rules! keyed {
    ($($f:ident: $t:ty = $key:literal by $inner:path;)*) => {
        $(
            fn $f<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                $inner(d).map_err(|e| {
                    <D::Error as serde::de::Error>::custom(format_args!("`{}`: {e}", $key))
                })
            }
        )*
    };
}
