//! `clusworker-hostctl`: drives a running `clusworker-host` over its control socket.

fn main() {}
