pub mod check;
pub mod graph;
pub mod list;
pub mod run;
