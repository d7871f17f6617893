//! The remote backend (to be written).
