//! The Instant auth client and its reactive state.
