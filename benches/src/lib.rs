//! Criterion benchmarks of clusworker against its peers; see `benches/` and
//! `BENCHMARKS.md` at the workspace root.
