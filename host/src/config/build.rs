//! A resource, built by its type (`crate::types`) from its parameters:
//! from the config file, through a span-keeping deserializer so that a bad
//! parameter is reported at its own line; or from the control socket's
//! JSON.

use std::ops::Range;
use std::sync::Arc;

use clusworker_monitor::Resource;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::types::{ResourceType, TypeError};

/// Why a type refused to build a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BuildError {
    /// No such type.
    UnknownType(String),
    /// The type refused the parameters; its message.
    Params(String),
}

impl From<TypeError> for BuildError {
    fn from(e: TypeError) -> BuildError {
        match e {
            TypeError::UnknownType(_) => BuildError::UnknownType(e.to_string()),
            _ => BuildError::Params(e.to_string()),
        }
    }
}

/// An error, where it belongs in the file, and (when the file does not
/// show it) the key it is about.
pub(crate) type Placed = (Option<Range<usize>>, String, Option<String>);

/// Builds the resource of the `index`-th `[[resource]]` of `doc` (the
/// file, parsed with its spans), named `name`, of type `type_name` (at
/// `type_span`). With no params table, the type sees an empty one, and a
/// missing parameter is reported at the resource (`at`).
pub(crate) fn from_config(
    doc: &Spanned<DeTable<'_>>,
    index: usize,
    name: &str,
    type_name: &Spanned<String>,
    at: Range<usize>,
) -> Result<Arc<dyn Resource>, Placed> {
    let ty: ResourceType = type_name
        .get_ref()
        .parse()
        .map_err(|e: TypeError| (Some(type_name.span()), e.to_string(), None))?;
    let (params, span) = match params_of(doc, index) {
        Some(value) => {
            let span = value.span();
            let read = ty.params(ValueDeserializer::from(value));
            let placed = |e: toml::de::Error| {
                (
                    e.span().or(Some(span.clone())),
                    e.message().to_owned(),
                    None,
                )
            };
            (read.map_err(placed)?, span)
        }
        None => {
            // No table to point into: the key is named for it.
            let read = ty.params(toml::Table::new());
            let placed = |e: toml::de::Error| {
                let key = e
                    .message()
                    .split('`')
                    .nth(1)
                    .map(|k| format!("resource.params.{k}"));
                (Some(at.clone()), e.message().to_owned(), key)
            };
            (read.map_err(placed)?, at)
        }
    };
    params
        .build(name)
        .map_err(|e| (Some(span), e.to_string(), None))
}

/// Builds a resource from the control socket's `add`.
pub(crate) fn from_json(
    type_name: &str,
    name: &str,
    params: serde_json::Value,
) -> Result<Arc<dyn Resource>, BuildError> {
    let ty: ResourceType = type_name.parse()?;
    Ok(crate::types::create(ty, name, params)?)
}

/// `resource[index].params` in `doc`.
fn params_of<'i>(doc: &Spanned<DeTable<'i>>, index: usize) -> Option<Spanned<DeValue<'i>>> {
    let resources = doc.get_ref().get("resource")?.get_ref().as_array()?;
    let table = resources.get(index)?.get_ref().as_table()?;
    table.get("params").cloned()
}
