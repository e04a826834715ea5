//! The catalogue of diagnostic codes. Codes are stable: a code is never reused for another
//! meaning. Each has a page (`mlforge explain CODE`) built from `docs/diagnostics/CODE/`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// A diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as users see it, like `E0401`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// A few words naming the problem.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// The explanation page, a program that has the problem, and the same program fixed.
            pub fn page(self) -> CodePage {
                match self {
                    $(Code::$variant => CodePage {
                        explanation: include_str!(concat!("../../../docs/diagnostics/", $code, "/README.md")),
                        bad: include_str!(concat!("../../../docs/diagnostics/", $code, "/bad.mlf")),
                        fixed: include_str!(concat!("../../../docs/diagnostics/", $code, "/fixed.mlf")),
                    },)*
                }
            }
        }
    };
}

codes! {
    // Syntax
    SyntaxError = "E0101", Error, "syntax error";
    Unterminated = "E0102", Error, "unterminated literal";
    InvalidCharacter = "E0103", Error, "invalid character";
    InvalidEscape = "E0104", Error, "invalid escape";
    TooDeep = "E0105", Error, "nested too deeply";
    // Names
    ImportNotFound = "E0201", Error, "import not found";
    ImportCycle = "E0202", Error, "import cycle";
    UnresolvedCallee = "E0203", Error, "unresolved op or pipeline";
    UnresolvedName = "E0204", Error, "unresolved name";
    UnknownOutput = "E0205", Error, "unknown output";
    UnresolvedType = "E0206", Error, "unresolved type";
    Duplicate = "E0207", Error, "duplicate definition";
    // Calls
    MissingArgument = "E0301", Error, "missing argument";
    UnknownArgument = "E0302", Error, "unknown argument";
    DuplicateArgument = "E0303", Error, "duplicate argument";
    // Types
    TypeMismatch = "E0401", Error, "type mismatch";
    OptionalMisuse = "E0402", Error, "optional value used where a value is required";
    ListMisuse = "E0403", Error, "list misuse";
    ConditionNotBool = "E0404", Error, "condition is not a bool";
    InvalidDefault = "E0405", Error, "invalid default";
    InvalidOperands = "E0406", Error, "invalid operands";
    // Structured values and loops (LANGUAGE.md §6.1, §6.2)
    UnknownField = "E0420", Error, "unknown record field";
    MissingField = "E0421", Error, "missing record field";
    FieldType = "E0422", Error, "record field has the wrong type";
    OutOfBounds = "E0423", Error, "index out of range or key not found";
    ZipLength = "E0424", Error, "zip of lists of different lengths";
    BadCall = "E0425", Error, "unknown function or wrong arguments";
    UntypedLiteral = "E0426", Error, "record literal without a record type";
    // Graph
    DependencyCycle = "E0501", Error, "dependency cycle";
    RecursivePipeline = "E0502", Error, "recursive pipeline";
    // Attributes, bodies, outputs
    UnknownAttribute = "E0601", Error, "unknown attribute";
    AttributeType = "E0602", Error, "attribute has the wrong type";
    InvalidDuration = "E0603", Error, "invalid duration";
    InvalidSchedule = "E0604", Error, "invalid schedule";
    OutOfRange = "E0605", Error, "value out of range";
    InvalidMemory = "E0606", Error, "invalid memory quantity";
    BodyCount = "E0607", Error, "op needs exactly one body";
    BodyFileNotFound = "E0608", Error, "body file not found";
    UnknownInterpolation = "E0609", Error, "unknown name in a body";
    PipelineOutputMismatch = "E0610", Error, "pipeline output mismatch";
    // Second edition (LANGUAGE.md §6): code, environment and side effects
    InvalidRequirement = "E0620", Error, "invalid Python requirement";
    InvalidEnvValue = "E0621", Error, "invalid env value";
    FunctionBodyInterpolation = "E0622", Error, "`${…}` in a function body";
    NotAPythonName = "E0623", Error, "name a function body cannot take";
    InvalidDate = "E0624", Error, "invalid date";
    // Warnings
    UnusedParam = "W0101", Warning, "unused param";
    UnusedStep = "W0102", Warning, "unused step";
    UnusedImport = "W0103", Warning, "unused import";
    OutputNotWritten = "W0104", Warning, "output never written by its body";
    ShadowedParam = "W0105", Warning, "loop variable or step shadows a param";
    NeedlessPresent = "W0106", Warning, "present on a list with no optional values";
    SecretNotSet = "W0110", Warning, "secret not set";
}

/// What `mlforge explain` prints for a code.
pub struct CodePage {
    pub explanation: &'static str,
    pub bad: &'static str,
    pub fixed: &'static str,
}

impl Code {
    pub fn parse(text: &str) -> Option<Code> {
        let wanted = text.trim().to_ascii_uppercase();
        Code::ALL.iter().copied().find(|c| c.as_str() == wanted)
    }

    /// The code of a syntax error.
    pub fn of_syntax_error(kind: mlforge_syntax::SyntaxErrorKind) -> Code {
        use mlforge_syntax::SyntaxErrorKind as K;
        match kind {
            K::Unexpected => Code::SyntaxError,
            K::Unterminated => Code::Unterminated,
            K::InvalidCharacter => Code::InvalidCharacter,
            K::InvalidEscape => Code::InvalidEscape,
            K::TooDeep => Code::TooDeep,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
