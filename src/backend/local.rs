//! The local backend (to be written).
