//! The embedded local engine (to be written).
