//! The built-in resource types: `process` and `scripted`.
