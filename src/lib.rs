//! `annot`: provenance-tracked text annotation. Annotations are YAML files
//! that quote exact spans of content-hashed source documents; this library
//! loads them, proves every span still quotes what it claims, and edits the
//! files without disturbing what a person wrote.
//!
//! Data flows one way: [`workspace`] reads files, [`yaml`] and [`load`] turn
//! them into the [`model`], [`rules`] produce [`finding`]s, and [`report`]
//! renders them. [`anchor`] and [`edit`] serve the commands that write;
//! [`render`] makes the static HTML report.

pub mod anchor;
pub mod cache;
pub mod commands;
pub mod drift;
pub mod edit;
pub mod finding;
pub mod history;
pub mod interop;
pub mod load;
pub mod lsp;
pub mod merge;
pub mod model;
pub mod render;
pub mod report;
pub mod review;
pub mod rules;
pub mod search;
pub mod source;
pub mod validate;
pub mod workspace;
pub mod yaml;
