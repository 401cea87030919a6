//! `clusworker-host`: the resource host daemon.

fn main() {}
