//! Event types generated from the repository's `schemas/` by `build.rs`.

polyn::include_events!();
