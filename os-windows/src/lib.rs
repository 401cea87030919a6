//! `clusworker-windows`: the Windows backend of clusworker.
//!
//! Off Windows this crate is empty. On Windows it will supply threads from
//! `CreateThread` and parking on the worker word with `WaitOnAddress` /
//! `WakeByAddressAll`; until that lands, `clusworker` does not build for
//! Windows targets.
#![no_std]
