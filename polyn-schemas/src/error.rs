//! [`Error`]: what went wrong reading or checking a schemas folder.

use std::path::PathBuf;

use crate::Problem;

/// Reading or checking a `schemas` folder failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The folder's schemas break the rules; each problem names its file,
    /// where in it, and what to do.
    #[error("{}", problems_text(problems))]
    Check {
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

fn problems_text(problems: &[Problem]) -> String {
    let mut text = match problems.len() {
        1 => String::new(),
        n => format!("{n} problems in the schemas:\n"),
    };
    for (index, problem) in problems.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        text.push_str(&problem.to_string());
    }
    text
}
