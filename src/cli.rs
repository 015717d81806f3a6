//! Go `flag`-compatible command line (spec §1).
