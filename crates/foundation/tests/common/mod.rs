//! Fixtures shared by the integration tests, one module a concept.

// Each test file uses its own part of the fixtures.
#![allow(dead_code)]

#[cfg(feature = "cluster")]
pub(crate) mod cluster;
pub(crate) mod collect;
pub(crate) mod ecosystem;
pub(crate) mod jobs;
pub(crate) mod members;
pub(crate) mod processes;
pub(crate) mod runtime;
pub(crate) mod wait;
