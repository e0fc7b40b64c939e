//! [`Problem`]: one thing wrong with a schema file, and where.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a schemas folder: the file, the JSON pointer
/// within it (empty for the whole file), what kind of problem, and a
/// message that says what to do.
///
/// ```
/// let files = [polyn_schemas::SchemaFile::new("schemas/a.v1.json", r#"{"requried": []}"#)];
/// let problems = polyn_schemas::problems(&files);
/// assert_eq!(problems[0].kind, polyn_schemas::ProblemKind::UnknownKeyword);
/// assert_eq!(problems[0].pointer, "/requried");
/// assert!(problems[0].to_string().contains("did you mean `required`?"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The schema file.
    pub path: PathBuf,
    /// A JSON pointer into the file; empty when the file as a whole is at
    /// fault.
    pub pointer: String,
    /// The 1-based line the pointer leads to, when it could be found.
    pub line: Option<usize>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong and what to do.
    pub message: String,
}

/// The kinds of [`Problem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file name is not `<message name>.json` with a valid message name
    /// ending in a version token (`.v<N>`).
    FileName,
    /// Two files, in any sub-folders, have the same message name.
    Duplicate,
    /// The file is not JSON.
    NotJson,
    /// The document is not a valid JSON Schema of its draft.
    NotASchema,
    /// A keyword no JSON Schema draft nor Polyn defines, most likely a typo.
    UnknownKeyword,
    /// `$id` names another message.
    Id,
    /// `identity` does not name a property of an object schema.
    Identity,
}

impl Problem {
    pub(crate) fn new(
        path: impl Into<PathBuf>,
        pointer: impl Into<String>,
        kind: ProblemKind,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            path: path.into(),
            pointer: pointer.into(),
            line: None,
            kind,
            message: message.into(),
        }
    }

    /// The same problem, with the line of its pointer in `text`.
    pub(crate) fn located(mut self, text: &str) -> Self {
        if !self.pointer.is_empty() {
            self.line = crate::line_of(text, &self.pointer);
        }
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ProblemKind::Duplicate {
            // The protocol's text, which lists every path itself.
            return f.write_str(&self.message);
        }
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " at `{}`", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}
