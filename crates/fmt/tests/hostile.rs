//! Fuzz-style: the formatter on hostile input either formats (and then formatting again
//! changes nothing) or refuses with a message; it never panics and never overflows a test
//! thread's small stack. Bounded: a few dozen cases.

use mlforge_synth::hostile::hostile_program;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn formatting_hostile_text_never_fails(text in hostile_program(mlforge_syntax::MAX_NESTING)) {
        match mlforge_fmt::format(&text) {
            Ok(formatted) => {
                prop_assert_eq!(mlforge_fmt::format(&formatted).ok(), Some(formatted.clone()));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
